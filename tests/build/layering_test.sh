#!/usr/bin/env bash
# Fails when a source file includes a folder its floor may not see. The floors, from the
# ground up (docs/architecture.md): each folder may include itself and the folders listed.
#   layering_test.sh SOURCE_DIR
set -u -o pipefail
cd "${1:?usage: layering_test.sh SOURCE_DIR}"
declare -A may=(
  [base]=""
  [results]="base"
  [device]="base"
  [models]="base results"
  [data]="base device"
  [optim]="base"
  [spec]="base device models data optim"
  [sweep]="base results spec"
  [train]="base results device models data optim spec"
  [launch]="base results device models data optim spec sweep train"
  [cli]="base results device models data optim spec sweep train launch"
)
status=0
for folder in "${!may[@]}"; do
  [ -d "$folder" ] || { echo "FAIL: $folder/: missing (the floors list it)"; status=1; continue; }
  allowed=" $folder ${may[$folder]} "
  while IFS= read -r hit; do
    file=${hit%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$hit")
    # torchsweep/config.h is generated build facts, open to all.
    [ "$target" = torchsweep ] && continue
    if [[ "$allowed" != *" $target "* ]]; then
      echo "FAIL: $file includes $target/ (${folder}/ may include: ${may[$folder]:-nothing else})"
      status=1
    fi
  done < <(grep -HE '^#include "[a-z_]+/' "$folder"/*.h "$folder"/*.cpp 2>/dev/null)
done
# Every source folder has a floor.
for dir in */; do
  dir=${dir%/}
  if ls "$dir"/*.cpp >/dev/null 2>&1 && [ -z "${may[$dir]+x}" ]; then
    case "$dir" in tests|bench|examples|build*) continue ;; esac
    echo "FAIL: $dir/ holds sources but has no floor in this script and docs/architecture.md"
    status=1
  fi
done
[ $status = 0 ] && echo "ok: every include goes to the same floor or below"
exit $status
