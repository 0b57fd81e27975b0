#!/usr/bin/env bash
# Fails when a binary of ours imports a std::filesystem symbol. The official LibTorch
# binaries export their own copy of libstdc++'s filesystem code; an import can bind to
# that copy at load time and crash (the run died in remove_all after epoch 2). Our code
# uses base/paths.h instead; this keeps it that way.
#   no_std_filesystem_imports_test.sh BINARY...
set -u
command -v nm >/dev/null || { echo "SKIP: nm (binutils) is not installed"; exit 77; }
status=0
for binary in "$@"; do
  [ -r "$binary" ] || { echo "FAIL: $binary: not built"; status=1; continue; }
  found=$(nm -DC --undefined-only "$binary" | grep -E 'std::(__cxx11::|experimental::|__fs::)*filesystem::' | sort -u)
  if [ -n "$found" ]; then
    echo "FAIL: $binary imports std::filesystem (use base/paths.h):"
    echo "$found" | sed 's/^/  /'
    status=1
  else
    echo "ok: $binary imports no std::filesystem symbol"
  fi
done
exit $status
