#!/usr/bin/env bash
# Installs torchsweep into a temporary prefix, builds examples/custom_model against the
# installed package with find_package(torchsweep), and runs its spec.
set -euo pipefail
if [ ! -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "skipped: dataset-fashion-mnist is not installed"
  exit 77
fi
source_dir=$1
build_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/custom_model" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j 2 >/dev/null
cd "$work"
"$work/build/my_sweeps" models | grep -q "tiny_cnn"
"$work/build/my_sweeps" run "$source_dir/examples/custom_model/tiny_cnn.yaml" --db "$work/tiny.db"
test "$(sqlite3 "$work/tiny.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" = 2
test "$(sqlite3 "$work/tiny.db" "SELECT count(*) FROM metrics WHERE key = 'test/acc'")" = 2
echo "custom model built against the installed package, registered, trained and recorded"
