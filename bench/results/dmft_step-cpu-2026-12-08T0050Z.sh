#!/bin/bash
# The record of how dmft_step-cpu-2026-12-08T0050Z.txt was taken (run from the repository root; MAIN_BIN: main 72f207d's
# release binary; NEW_BIN: the release binary with the ReLU product by sign bits, notes/verify-antk.md (GV23e)).
# Labels in the output: base = MAIN_BIN, new = NEW_BIN, jax = bench/dmft_step.py's JAX peer (the step as written, jit).
# CPU time (perf task-clock) of whole processes pinned to core 0 with one BLAS/XLA thread; per step =
# (T(S2) - T(2)) / (S2 - 2), ours S2 = 202, JAX S2 = 1002 (its start-up varies by tenths of a second).
# Usage: dmft_step-cpu-2026-12-08T0050Z.sh ACTIVATION ROUNDS
act=${1:-relu}; rounds=${2:-2}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
tc() { perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1; }
run() { case $1 in
  base) tc taskset -c 0 "$MAIN_BIN" verify antk --bench --activation $act --steps $2 ;;
  new) tc taskset -c 0 "$NEW_BIN" verify antk --bench --activation $act --steps $2 ;;
  jax) tc taskset -c 0 python3 bench/dmft_step.py --peer jax --activation $act --steps $2 --neurons 4096 --points 100 --test-points 0 --dimension 64 ;;
esac; }
for r in $(seq $rounds); do
  for side in base new jax; do
    S2=202; [ $side = jax ] && S2=1002
    a=$(run $side 2); b=$(run $side $S2)
    echo "$act round $r $side cpu-ms-per-step $(python3 -c "print(round(($b - $a)/($S2 - 2), 4))") load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
