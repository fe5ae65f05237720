#!/bin/bash
# The record of how minmax_step-cpu-2026-12-07T1946Z.txt was taken (REPO: this repository; MAIN_BIN: main 0e38088's
# release binary; NEW_BIN: the release binary with the block-local scratch). Labels in the output: main = MAIN_BIN, new = NEW_BIN.
# CPU time (task-clock, ms) of whole processes, one pinned core, one BLAS/XLA thread; per-iteration CPU = (T(R=6) - T(R=1)) / 5.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd $REPO
tc() { perf stat -x, -e task-clock taskset -c 0 "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1; }
for round in 1 2; do
  for r in 1 6; do
    echo "round $round R=$r main $(tc $MAIN_BIN verify minmax-step --points 100 --depth 2 --samples 100000 --activation tanh --repeat $r) load $(cut -d' ' -f1 /proc/loadavg)"
    echo "round $round R=$r new $(tc $NEW_BIN verify minmax-step --points 100 --depth 2 --samples 100000 --activation tanh --repeat $r) load $(cut -d' ' -f1 /proc/loadavg)"
    echo "round $round R=$r jax $(tc python3 bench/minmax_step.py --peer jax --points 100 --depth 2 --samples 100000 --repeat $r) load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
