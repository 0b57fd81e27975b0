#!/usr/bin/env bash
# The python snippets of docs/results-schema.md, run in order as one script against a
# database of two sweeps of the seed experiment, each with two repeats of every
# learning rate; then checks of what they computed (counts from the spec, not from the
# code under test). Skipped (77) without Debian's python3-pandas.
set -euo pipefail
source_dir=$1 binary_dir=$2
python=/usr/bin/python3
"$python" -c 'import pandas' 2>/dev/null || { echo "python3-pandas is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The snippets call build/torchsweep, as the rest of the docs do from the source folder.
ln -s "$binary_dir" build
export PATH="$binary_dir:$PATH"
spec="$source_dir/experiments/seed_backprop.yaml"
torchsweep run "$spec" train.steps=20 sweep.repeats=2 --quiet --db torchsweep.db
torchsweep run "$spec" train.steps=30 sweep.repeats=2 --quiet --db torchsweep.db
# The ```python blocks, in order.
awk '/^```python$/ {inside=1; next} /^```$/ {inside=0} inside' "$source_dir/docs/results-schema.md" > snippets.py
[ -s snippets.py ] || { echo "no python snippets found in docs/results-schema.md"; exit 1; }
cat snippets.py - > check.py <<'PY'

# --- checks: 6 learning rates x 2 repeats x 2 sweeps = 24 runs.
assert len(runs) == 24, len(runs)
assert runs["optimizer.lr"].dtype.kind == "f", runs["optimizer.lr"].dtype
assert list(by_lr["count"]) == [4] * 6, by_lr
assert runs["sweep"].nunique() == 1 and runs["sweep_id"].nunique() == 2
assert mean_curves.shape == (30, 6), mean_curves.shape
assert len(wide) == 24 and list(wide["seed"].value_counts().sort_index()) == [12, 12], wide["seed"]
print("pandas snippets: ok")
PY
"$python" check.py
