#!/usr/bin/env bash
# On a GPU host: build torchsweep against the LibTorch of a pip or conda torch, run the
# test suite, train the shipped Fashion-MNIST experiment on CUDA for its 15 epochs, and
# run the GPU benchmark against PyTorch in Python. Every step has a time limit, so the
# script always ends with its summary.
#
#   PYTHON=python3 DEPS_PREFIX=$CONDA_PREFIX OUT=gpu-check bench/gpu_check.sh
#
# TESTS='Cuda*:Captured*' runs only the unit tests that gtest filter selects (quicker than
# the whole suite), TESTS=none none (and the test binary is not built); BATCHES, REPEATS
# and VARIANTS (comma-separated, see bench/training_vs_pytorch.py) shape the benchmark;
# RESNET_STEPS (300) the CIFAR-10 ResNet-18 one (bench/cifar_resnet_vs_pytorch.py).
#
# Needs: a torch with CUDA in $PYTHON, CMake, a C++ compiler, sqlite3, and torchsweep's other
# dependencies where CMake finds them (CMAKE_PREFIX_PATH); see docs/gpu.md.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT=${OUT:-gpu-check}
BUILD=${BUILD:-build-cuda}
BATCHES=${BATCHES:-1500}
REPEATS=${REPEATS:-2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
summary=$OUT/summary.txt
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }
T0=$(date +%s)

note "== host: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
note "== torch: $("$PYTHON" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1)"
note "== compiler: $(${CXX:-c++} --version | head -1); $(cmake --version | head -1)"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# DEPS_PREFIX: where the other dependencies are (a conda environment, an unpacked prefix).
prefix=()
[ -n "${DEPS_PREFIX:-}" ] && prefix=(-DCMAKE_PREFIX_PATH="$DEPS_PREFIX")
targets=()
[ "${TESTS:-}" = none ] && targets=(--target torchsweep)
if timeout 120 cmake -S . -B "$BUILD" ${generator[@]+"${generator[@]}"} ${prefix[@]+"${prefix[@]}"} -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DTORCHSWEEP_TORCH_PYTHON="$PYTHON" > "$OUT/build.log" 2>&1 &&
   timeout 300 cmake --build "$BUILD" -j "$(nproc)" ${targets[@]+"${targets[@]}"} >> "$OUT/build.log" 2>&1; then
  note "== build: ok ($(elapsed)); $(grep -E 'torchsweep: (C\+\+|fmt)' "$OUT/build.log" | sed 's/^-- //' | tr '\n' ';')"
else
  note "== build: FAILED ($(elapsed))"
  grep -E "error|Error" "$OUT/build.log" | head -40 | tee -a "$summary"
  # The rest is still worth checking: once more without the captured step.
  if timeout 300 cmake -S . -B "$BUILD" -DTORCHSWEEP_CUDA_GRAPHS=OFF >> "$OUT/build.log" 2>&1 &&
     timeout 300 cmake --build "$BUILD" -j "$(nproc)" >> "$OUT/build.log" 2>&1; then
    note "== build with TORCHSWEEP_CUDA_GRAPHS=OFF: ok ($(elapsed))"
  else
    exit 1
  fi
fi

# Which libstdc++ functions our programs import that LibTorch's libraries also export
# (an import may bind to LibTorch's copy). std::filesystem must not be among them.
torch_lib=$("$PYTHON" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
nm -DC --defined-only "$torch_lib"/libtorch*.so "$torch_lib"/libc10*.so 2>/dev/null | awk '{ $1=""; $2=""; print substr($0,3) }' |
  grep '^std::' | sed 's/@.*//' | sort -u > "$OUT/torch_std_exports.txt"
imports=$(mktemp)
nm -DC --undefined-only "$BUILD/torchsweep" "$BUILD/torchsweep-train" | sed 's/^ *U //; s/@.*//' | grep '^std::' | sort -u > "$imports"
comm -12 "$imports" "$OUT/torch_std_exports.txt" > "$OUT/imports_torch_also_exports.txt"
note "== std:: imports of torchsweep that LibTorch also exports: $(wc -l < "$OUT/imports_torch_also_exports.txt")" \
  "(std::filesystem among them: $(grep -c filesystem "$OUT/imports_torch_also_exports.txt"))"
rm -f "$OUT/torch_std_exports.txt" "$imports"

if [ "${TESTS:-}" = none ]; then
  note "== tests: not run (TESTS=none)"
elif [ -n "${TESTS:-}" ]; then
  # The selected unit tests only, one process.
  timeout 300 "$BUILD/tests/torchsweep_tests" --gtest_filter="$TESTS" > "$OUT/tests.log" 2>&1
  note "== tests $TESTS (exit $?, $(elapsed)): $(grep -E '^\[  PASSED  \]|^\[  FAILED  \]|tests ran' "$OUT/tests.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \]|Failure|figures|error' "$OUT/tests.log" | head -30 | tee -a "$summary"
else
  # The tests: all of them, in parallel; Slurm's end-to-end test needs a cluster to start.
  (cd "$BUILD" && timeout 240 ctest -j "$(nproc)" --timeout 200 -E slurm_job_array > "$OUT/tests.log" 2>&1)
  note "== tests ($(elapsed)): $(grep -E 'tests passed|tests failed' "$OUT/tests.log")"
  grep -E '\*\*\*Failed|\*\*\*Timeout|Exception|SEGFAULT' "$OUT/tests.log" | head -20 | tee -a "$summary"
  note "   skipped: $(grep -c '(Skipped)$' "$OUT/tests.log")"; grep -E '\(Skipped\)' "$OUT/tests.log" | sed 's/^ */   /' | head -20 | tee -a "$summary"
fi

timeout 300 "$PYTHON" bench/training_vs_pytorch.py --device cuda --batches "$BATCHES" --repeats "$REPEATS" --binary "$BUILD/torchsweep" ${VARIANTS:+--variants "$VARIANTS"} \
  > "$OUT/bench.log" 2>&1
note "== benchmark (exit $?, $(elapsed)):"
tee -a "$summary" < "$OUT/bench.log" | tail -14

# ResNet-18 on CIFAR-10-shaped data with crop and flip on the GPU against PyTorch's same
# loop (random pixels in CIFAR-10's format unless data/cifar-10-batches-bin holds the real files).
timeout 300 "$PYTHON" bench/cifar_resnet_vs_pytorch.py --device cuda --steps "${RESNET_STEPS:-300}" --binary "$BUILD/torchsweep" \
  > "$OUT/resnet_bench.log" 2>&1
note "== CIFAR-10 ResNet-18 benchmark (exit $?, $(elapsed)):"
tee -a "$summary" < "$OUT/resnet_bench.log" | tail -8

# The shipped experiment on the GPU, all 15 epochs.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
db=$scratch/s6.db
timeout 150 "$BUILD/torchsweep" run experiments/s6_fashion_mnist.yaml device=cuda --db "$db" > "$OUT/s6.log" 2>&1
note "== s6_fashion_mnist on cuda (exit $?, $(elapsed)):" \
  "$(sqlite3 "$db" "SELECT status || ', ' || steps || ' steps, ' || printf('%.1f', wall_seconds) || ' s, ' || device_name || ', engine ' || coalesce(engine, '?') || coalesce(' (' || engine_note || ')', '') FROM runs")"
note "   test/acc by epoch: $(sqlite3 "$db" "SELECT group_concat(printf('%.4f', value), ' ') FROM (SELECT value FROM metrics WHERE key = 'test/acc' ORDER BY step)")"

# A lane group on the GPU (sweep.fuse=on) against its runs trained one by one: six
# learning rates of the seed CNN (one seed, its dropout on, deterministic), 200 steps
# each; the largest relative difference of train/loss (0 when each lane is its run),
# at step 0 and over all logged steps, and the engines recorded.
fused_db=$scratch/fused.db alone_db=$scratch/alone.db
sweep=(experiments/s6_fashion_mnist.yaml device=cuda "~train.epochs" train.steps=200 train.log_every=10 "~scheduler"
       train.deterministic=true optimizer.lr=0.01,0.02,0.03,0.04,0.05,0.06)
timeout 60 "$BUILD/torchsweep" run "${sweep[@]}" sweep.fuse=on --db "$fused_db" > "$OUT/fused.log" 2>&1
fused_exit=$?
timeout 60 "$BUILD/torchsweep" run "${sweep[@]}" sweep.fuse=off --db "$alone_db" >> "$OUT/fused.log" 2>&1
note "== lane group on cuda (exit $fused_exit, one by one exit $?, $(elapsed)):" \
  "$(sqlite3 "$fused_db" "SELECT group_concat(DISTINCT status || ' ' || engine) || ', ' || printf('%.1f', max(wall_seconds)) || ' s' FROM runs")" \
  "vs $(sqlite3 "$alone_db" "SELECT group_concat(DISTINCT status || ' ' || engine) || ', ' || printf('%.1f', sum(wall_seconds)) || ' s' FROM runs")"
note "   train/loss lanes vs alone, largest relative difference: $(sqlite3 "$fused_db" "ATTACH '$alone_db' AS a;
  SELECT 'step 0: ' || printf('%.2e', max(CASE WHEN f.step = 0 THEN abs(f.value - o.value) / abs(o.value) END)) ||
         ', all steps: ' || printf('%.2e', max(abs(f.value - o.value) / abs(o.value))) || ' over ' || count(*) || ' points'
  FROM metrics f JOIN runs fr ON fr.id = f.run_id
  JOIN a.runs ar ON ar.run_index = fr.run_index JOIN a.metrics o ON o.run_id = ar.id AND o.key = f.key AND o.step = f.step
  WHERE f.key = 'train/loss'")"
