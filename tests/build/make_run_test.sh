#!/usr/bin/env bash
# `make run` builds the two programs it runs and nothing else (the test suite and the
# benchmarks are `make test`'s): its build command names the `torchsweep` target, and
# no command of it builds everything. Read from make's dry run, which runs nothing.
set -euo pipefail
source_dir=$1
plan=$(make -s -n -C "$source_dir" run BUILD_DIR=/nonexistent-build 2>&1)
builds=$(grep -E 'cmake --build' <<<"$plan" || true)
[ -n "$builds" ] || { echo "make run builds nothing?"; echo "$plan"; exit 1; }
if grep -v -- '--target torchsweep$' <<<"$builds"; then
  echo "make run builds more than the programs (above)"; exit 1
fi
echo "make run: $builds"
