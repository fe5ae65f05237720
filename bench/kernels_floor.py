#!/usr/bin/env python3
"""Benchmark (BENCHMARKS.md, "`kernels` against the LAPACK floor"): `adaptive-kernels kernels` on
P x P Gaussian data (D = P, L = 16, gamma = 1, beta = 10) against the LAPACK floor on the same
C = X X^T / D, one thread each (OPENBLAS_NUM_THREADS=1, everything pinned to one core), in the
same run, interleaved, best of --repeat.

Ours (release binary, `--no-check --no-relu-baselines --timings --format json`):
  in-process = the sum of the stages after loading (timings_s minus "load"), whole = the process
  wall time; "ours w/ ReLU" adds the lazy ReLU baselines (the default output).
The floor, through SciPy's LAPACK wrappers on the same C:
  F  = dsytrd (blocked, optimal lwork) + dsterf (eigenvalues) + dormtr on one vector (u = Q^T y;
       SciPy has no dormtr wrapper: dormqr on the reflectors below the subdiagonal, which is what
       dormtr calls for uplo = 'L');
  F' = F with dstemr (eigenvalues and the tridiagonal eigenvectors Z, the products Z^T u) instead
       of dsterf: the algorithm ours ran before notes/general-kernel-reduction.md (G4'''), in SciPy;
  syrk = X X^T by dsyrk (ours forms C from X; the floor is given C);
  NumPy eigvalsh and eigh (dsyevd, full eigenvectors) for reference.
Ratios: ours in-process / F, ours in-process / (syrk + F), ours / F'. The P-scaling exponent is
the least-squares slope of log(time) on log(P) over --sizes.
Numerical agreement (exit status 1 if it fails): ours' dominant u solves the secular equation
(notes/general-kernel-reduction.md (G5)) built from NumPy's eigh to 1e-9 relative, and its
overlap y'Phi^L y/|y|^2 and NNGP train loss agree with NumPy's to 1e-9 relative.

usage: python3 bench/kernels_floor.py [--sizes 250,500,1000,2000] [--repeat 3] [--depth 16]
Builds nothing: the binary is $AK_BIN or .build/release/adaptive-kernels (swift build -c release).
"""
import os
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
import argparse, importlib, json, shutil, subprocess, sys, tempfile, time

def ensure(module, package):
    try: return importlib.import_module(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
        return importlib.import_module(module)
np = ensure("numpy", "numpy"); scipy = ensure("scipy", "scipy")
import scipy.linalg.lapack as lapack
import scipy.linalg.blas as blas

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", default="250,500,1000,2000")
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--depth", type=int, default=16)
ap.add_argument("--binary", default=os.environ.get("AK_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "adaptive-kernels")))
args = ap.parse_args()
binary = os.path.abspath(args.binary)
if not os.path.exists(binary): sys.exit(f"no binary at {binary}: build it first (swift build -c release) or set AK_BIN")
sizes = [int(s) for s in args.sizes.split(",")]
L, gamma, beta = args.depth, 1.0, 10.0
try: os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})   # one core, inherited by the binary
except (AttributeError, OSError): pass
pin = ["taskset", "-c", str(sorted(os.sched_getaffinity(0))[0])] if shutil.which("taskset") and hasattr(os, "sched_getaffinity") else []
folder = tempfile.mkdtemp()

def openblas_cores():
    """The OpenBLAS kernel set each side runs (OPENBLAS_VERBOSE=2 prints it when the library loads;
    our binary may load it twice, see Sources/Numerics/BLASCore.swift: the last one counts)."""
    # `kernels` with no options: a command that uses dense linear algebra (the scalar ones, such as
    # --version, skip the re-execution with a tuned core type), refused with exit 2 after loading.
    out = subprocess.run([binary, "kernels"], capture_output=True, text=True, env=dict(os.environ, OPENBLAS_VERBOSE="2"))
    ours = [line.split(":", 1)[1].strip() for line in (out.stdout + out.stderr).splitlines() if line.startswith("Core:")]
    try:
        from threadpoolctl import threadpool_info
        peer = ",".join(f"{i.get('architecture')} ({i.get('version')})" for i in threadpool_info() if i.get("internal_api") == "openblas")
    except ImportError: peer = "unknown (pip install threadpoolctl)"
    return (ours[-1] if ours else "unknown"), peer

def ours(x_path, y_path, relu):
    cmd = pin + [binary, "kernels", "--train", x_path, "--labels", y_path, "--gamma", "1", "--beta", "10", "--depth", str(L),
                 "--no-check", "--timings", "--format", "json"] + ([] if relu else ["--no-relu-baselines"])
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    whole = time.perf_counter() - start
    if out.returncode != 0: sys.exit(f"kernels failed: {out.stderr}")
    report = json.loads(out.stdout)
    stages = {k: float(v) for k, v in report["timings_s"].items()}
    return whole, sum(v for k, v in stages.items() if k != "load"), stages, report

def floor(c, y, vectors):
    n = c.shape[0]
    lwork = int(lapack.dsytrd_lwork(n, lower=1)[0])
    start = time.perf_counter()
    a, d, e, tau, info = lapack.dsytrd(c, lower=1, lwork=lwork)
    assert info == 0
    if vectors:
        m, w, z, info = lapack.dstemr(d, np.append(e, 0.0), 0, 0.0, 0.0, 0, 0, compute_v=1)   # range 0 = all
    else:
        w, info = lapack.dsterf(d, e)
    assert info == 0
    u = y.copy()
    if n > 1:   # dormtr('L', 'L', 'T') = dormqr on A(2:n, 1:n-1), rows 2:n of y
        q, work, info = lapack.dormqr("L", "T", a[1:, :-1], tau, u[1:, None], max(1, n))
        assert info == 0
        u[1:] = q[:, 0]
    if vectors: z.T @ u
    return time.perf_counter() - start, w

def best(f, repeat):
    runs = [f() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])

rows, failures = [], []
for P in sizes:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((P, P)); y = np.sign(X @ rng.standard_normal(P) + 0.3 * rng.standard_normal(P))
    x_path, y_path = f"{folder}/X{P}.npy", f"{folder}/y{P}.npy"
    np.save(x_path, X); np.save(y_path, y)
    C = X @ X.T / P
    C = np.asfortranarray((C + C.T) / 2)
    t = {k: [] for k in ["whole", "inproc", "relu_inproc", "F", "F2", "syrk", "eigvalsh", "eigh"]}
    stages = report = None
    for _ in range(args.repeat):   # interleaved: ours, then each peer, then again
        whole, inproc, st, rep = ours(x_path, y_path, relu=False)
        t["whole"].append(whole); t["inproc"].append(inproc)
        if stages is None or inproc <= min(t["inproc"]): stages, report = st, rep
        t["F"].append(floor(C, y, vectors=False)[0])
        t["F2"].append(floor(C, y, vectors=True)[0])
        s = time.perf_counter(); blas.dsyrk(1.0 / P, X); t["syrk"].append(time.perf_counter() - s)
        s = time.perf_counter(); np.linalg.eigvalsh(C); t["eigvalsh"].append(time.perf_counter() - s)
        s = time.perf_counter(); lam, U = np.linalg.eigh(C); t["eigh"].append(time.perf_counter() - s)
    t["relu_inproc"].append(ours(x_path, y_path, relu=True)[1])
    b = {k: min(v) for k, v in t.items() if v}
    rows.append((P, b, stages))
    # Numerical agreement with NumPy's eigh spectrum.
    g, ridge = gamma ** 2, 1 / beta
    lam = np.where(lam <= 64 * P * np.finfo(float).eps * lam.max(), 0.0, lam)
    w = (U.T @ y) ** 2
    root = next(r for r in report["roots"] if r["dominant"])
    u = float(root["u"]["value"]); tt = (1 + u) ** L
    Q = np.sum(lam * w / (tt * lam + ridge) ** 2)
    secular = abs(u - g * tt * Q) / (u + g * tt * Q)
    r = np.sum(lam * w / (tt * lam + ridge)); kappa = g * tt * ((1 + u) ** L - 1) / u
    overlap = (np.sum(lam * w) + kappa * r * r) / np.sum(w)
    ours_overlap = float(report["overlap"]["anbk"]["values"][-1])
    nngp = C @ (U @ ((U.T @ y) / (lam + ridge))); loss = np.mean((nngp - y) ** 2)
    ours_loss = float(report["train_loss"]["nngp"]["value"])
    for name, bad in [("secular residual of ours' u with NumPy's spectrum", secular > 1e-9),
                      ("overlap y'Phi^L y/|y|^2", abs(overlap - ours_overlap) > 1e-9 * abs(overlap)),
                      ("NNGP train loss", abs(loss - ours_loss) > 1e-9 * abs(loss))]:
        if bad: failures.append(f"P = {P}: {name} disagrees")

def slope(key):
    xs = np.log([r[0] for r in rows]); ys = np.log([r[1][key] for r in rows])
    return np.polyfit(xs, ys, 1)[0] if len(rows) > 1 else float("nan")

core_ours, core_peer = openblas_cores()
print(f"kernels vs the LAPACK floor, D = P, L = {L}, one thread each; numpy {np.__version__}, scipy {scipy.__version__}; "
      f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; best of {args.repeat}, seconds")
print(f"OpenBLAS kernels: ours {core_ours} (system library), NumPy/SciPy {core_peer}")
head = f"{'P':>5} {'ours':>7} {'whole':>7} {'w/ReLU':>7} {'F':>7} {'F_stemr':>7} {'syrk':>7} {'eigvalsh':>8} {'eigh':>7} {'ours/F':>7} {'ours/(syrk+F)':>13} {'ours/F_stemr':>12} {'eigh/ours':>9}"
print(head)
for P, b, _ in rows:
    print(f"{P:>5} {b['inproc']:7.3f} {b['whole']:7.3f} {b['relu_inproc']:7.3f} {b['F']:7.3f} {b['F2']:7.3f} {b['syrk']:7.3f} {b['eigvalsh']:8.3f} {b['eigh']:7.3f} "
          f"{b['inproc'] / b['F']:7.2f} {b['inproc'] / (b['syrk'] + b['F']):13.2f} {b['inproc'] / b['F2']:12.2f} {b['eigh'] / b['inproc']:9.2f}")
print(f"P-scaling exponent (fit over P = {', '.join(str(r[0]) for r in rows)}): ours {slope('inproc'):.2f}, whole {slope('whole'):.2f}, "
      f"F {slope('F'):.2f}, eigh {slope('eigh'):.2f}")
print("ours' stages at P = %d: %s" % (rows[-1][0], ", ".join(f"{k} {v:.3f}" for k, v in rows[-1][2].items())))
if failures:
    print("NUMERICAL DISAGREEMENT: " + "; ".join(failures)); sys.exit(1)
print("numerical agreement with NumPy's eigh: secular residual, overlap and NNGP loss within 1e-9 at every P")
