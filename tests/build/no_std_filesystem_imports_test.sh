#!/usr/bin/env bash
# Fails when a binary of ours imports a std::filesystem symbol. The official LibTorch
# binaries export their own copy of libstdc++'s filesystem code; an import can bind to
# that copy at load time and crash (the run died in remove_all after epoch 2). Our code
# uses base/paths.h instead; this keeps it that way.
#   no_std_filesystem_imports_test.sh BINARY...
set -u -o pipefail
command -v nm >/dev/null || { echo "SKIP: nm (binutils) is not installed"; exit 77; }
status=0
for binary in "$@"; do
  [ -r "$binary" ] || { echo "FAIL: $binary: not built"; status=1; continue; }
  imports=$(nm -DC --undefined-only "$binary") || { echo "FAIL: $binary: nm cannot read it"; status=1; continue; }
  # libstdc++ (std::filesystem::, std::filesystem::__cxx11::, std::experimental::filesystem::)
  # and libc++ (std::__1::__fs::filesystem::) spellings.
  found=$(echo "$imports" | grep -E 'std::(__1::|__cxx11::|experimental::|__fs::)*filesystem::' | sort -u)
  if [ -n "$found" ]; then
    echo "FAIL: $binary imports std::filesystem (use base/paths.h):"
    echo "$found" | sed 's/^/  /'
    status=1
  else
    echo "ok: $binary imports no std::filesystem symbol"
  fi
done
exit $status
