#!/usr/bin/env python3
"""Benchmark (notes/general-kernel-reduction.md (G23), BENCHMARKS.md "`kernels` against the LAPACK
floor"): the one-stage tridiagonal reduction dsytrd against the two-stage dsytrd_sy2sb +
dsytrd_sb2st (band widths --bandwidths), both from the system OpenBLAS that `adaptive-kernels`
loads (libopenblas.so.0, called through ctypes), on the same symmetric C = X X^T / P of Gaussian X,
one thread (OPENBLAS_NUM_THREADS=1), interleaved, best of --repeat. Times are the calling thread's
CPU time (CLOCK_THREAD_CPUTIME_ID), which other processes on a shared machine disturb less than
wall time. It also checks that both reductions give the same eigenvalues (dsterf on each T) to
1e-12 of |C| (exit status 1 if not). OPENBLAS_CORETYPE is passed through (the binary sets it the
same way on CPUs that OpenBLAS 0.3.21 does not recognise, Sources/Numerics/BLASCore.swift); when it
is unset, the kernel set the binary ($AK_BIN or .build/release/adaptive-kernels) runs is used.

usage: python3 bench/two_stage_reduction.py [--sizes 500,750,1000,2000] [--bandwidths 16,32,64] [--repeat 3]
"""
import os
os.environ["OPENBLAS_NUM_THREADS"] = "1"
import argparse, ctypes, subprocess, sys, time
import numpy as np

binary = os.environ.get("AK_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "adaptive-kernels"))
if "OPENBLAS_CORETYPE" not in os.environ and os.path.exists(binary):
    # The kernel set the binary settles on (it prints OpenBLAS's "Core:" line when asked; see
    # bench/kernels_floor.py), set before this process loads the library.
    out = subprocess.run([binary, "kernels"], capture_output=True, text=True, env=dict(os.environ, OPENBLAS_VERBOSE="2"))
    cores = [line.split(":", 1)[1].strip() for line in (out.stdout + out.stderr).splitlines() if line.startswith("Core:")]
    if cores: os.environ["OPENBLAS_CORETYPE"] = cores[-1]

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", default="500,750,1000,2000")
ap.add_argument("--bandwidths", default="16,32,64")
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()
lib = ctypes.CDLL("libopenblas.so.0")
I = ctypes.c_int
P = ctypes.POINTER
D = np.ctypeslib.ndpointer(dtype=np.float64, flags="F_CONTIGUOUS")
V = np.ctypeslib.ndpointer(dtype=np.float64)
lib.dsytrd_.argtypes = [ctypes.c_char_p, P(I), D, P(I), V, V, V, V, P(I), P(I), ctypes.c_size_t]
lib.dsytrd_sy2sb_.argtypes = [ctypes.c_char_p, P(I), P(I), D, P(I), D, P(I), V, V, P(I), P(I), ctypes.c_size_t]
lib.dsytrd_sb2st_.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, P(I), P(I), D, P(I), V, V, V, P(I), V, P(I), P(I),
                              ctypes.c_size_t, ctypes.c_size_t, ctypes.c_size_t]
lib.dsterf_.argtypes = [P(I), V, V, P(I)]
ref = lambda v: ctypes.byref(I(v))

def cpu(): return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)

def one_stage(c):
    n = c.shape[0]; a = np.asfortranarray(c.copy()); d = np.zeros(n); e = np.zeros(n); tau = np.zeros(n); work = np.zeros(1); info = I(0)
    lib.dsytrd_(b"L", ref(n), a, ref(n), d, e, tau, work, ref(-1), ctypes.byref(info), 1)
    work = np.zeros(int(work[0])); start = cpu()
    lib.dsytrd_(b"L", ref(n), a, ref(n), d, e, tau, work, ref(work.size), ctypes.byref(info), 1)
    elapsed = cpu() - start
    assert info.value == 0
    return elapsed, d, e

def two_stage(c, kd):
    n = c.shape[0]; a = np.asfortranarray(c.copy()); ab = np.zeros((kd + 1, n), order="F"); tau = np.zeros(n); d = np.zeros(n); e = np.zeros(n)
    info = I(0); w1 = np.zeros(1); h = np.zeros(1); w2 = np.zeros(1)
    lib.dsytrd_sy2sb_(b"L", ref(n), ref(kd), a, ref(n), ab, ref(kd + 1), tau, w1, ref(-1), ctypes.byref(info), 1)
    lib.dsytrd_sb2st_(b"Y", b"N", b"L", ref(n), ref(kd), ab, ref(kd + 1), d, e, h, ref(-1), w2, ref(-1), ctypes.byref(info), 1, 1, 1)
    w1 = np.zeros(int(w1[0])); h = np.zeros(int(h[0])); w2 = np.zeros(int(w2[0])); start = cpu()
    lib.dsytrd_sy2sb_(b"L", ref(n), ref(kd), a, ref(n), ab, ref(kd + 1), tau, w1, ref(w1.size), ctypes.byref(info), 1)
    assert info.value == 0
    lib.dsytrd_sb2st_(b"Y", b"N", b"L", ref(n), ref(kd), ab, ref(kd + 1), d, e, h, ref(h.size), w2, ref(w2.size), ctypes.byref(info), 1, 1, 1)
    elapsed = cpu() - start
    assert info.value == 0
    return elapsed, d, e

def eigenvalues(d, e):
    d = d.copy(); e = e.copy(); info = I(0)
    lib.dsterf_(ref(d.size), d, e, ctypes.byref(info)); assert info.value == 0
    return d

sizes = [int(s) for s in args.sizes.split(",")]; widths = [int(s) for s in args.bandwidths.split(",")]
lib.openblas_get_corename.restype = ctypes.c_char_p
print(f"dsytrd against dsytrd_sy2sb + dsytrd_sb2st, system OpenBLAS ({lib.openblas_get_corename().decode()} kernels), one thread, thread CPU time, best of {args.repeat}; "
      f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
print(f"{'P':>5} {'dsytrd':>8} " + " ".join(f"{'kd ' + str(k):>8}" for k in widths) + "   two-stage / one-stage (best kd)")
failures = []
for n in sizes:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n)); c = np.asfortranarray(x @ x.T / n)
    best = {"one": float("inf"), **{k: float("inf") for k in widths}}
    for _ in range(args.repeat):
        t, d1, e1 = one_stage(c); best["one"] = min(best["one"], t)
        for k in widths:
            t, d2, e2 = two_stage(c, k); best[k] = min(best[k], t)
            gap = np.max(np.abs(eigenvalues(d1, e1) - eigenvalues(d2, e2)))
            if gap > 1e-12 * np.max(np.abs(eigenvalues(d1, e1))): failures.append(f"P = {n}, kd = {k}: eigenvalues differ by {gap:.2e}")
    fastest = min(widths, key=lambda k: best[k])
    print(f"{n:>5} {best['one']:8.4f} " + " ".join(f"{best[k]:8.4f}" for k in widths) + f"   {best[fastest] / best['one']:.2f} (kd {fastest})")
if failures:
    print("EIGENVALUES DISAGREE: " + "; ".join(failures)); sys.exit(1)
print("eigenvalues of the two T agree to 1e-12 |C| at every size and band width")
