#!/usr/bin/env python3
"""Benchmark: certified whitened overlaps (`adaptive-kernels sweep`) vs python-flint (arb balls),
with mpmath findroot as a second, uncertified peer, in one run.

Rows (gamma = 1, beta = 10; c_L, chi and the action S as correctly rounded decimals):
  a  L = 1..1000 at 50 digits        b  L = 10^6 at 50 digits      c  L = 16 at 1000 digits
  d  L = 16 at 5000 digits           e  L = 10^9 at 50 digits
Ours: the release binary (.build/release/adaptive-kernels or $AK_BIN), `sweep ... --timings`,
pinned to core 0. In process, cold = what --timings calls "solve" (isolation, certified
refinement, c, chi, S and their decimals; row a also the csv rows with the decimal bounds, which
each worker renders right after solving) in a fresh process: it includes first-use costs (code
pages, lazy symbol binding, type metadata). In process, warm (single-root rows) = the solve time of
`--depth L,L` minus that of `--depth L`: the second, identical root solved in the same process.
Whole process = the wall time of the command (start-up, parsing, printing). Row a also runs on
every core (the sweep's workers solve and render in parallel; not pinned), whole process included:
the peer is single-threaded, so that ratio is printed beside, not instead of, the one-core ratio.
Peer: bench/overlaps_flint.py (interval Newton in arb balls from a Double hint, precision
doubling, arb's log1p for S, correctly rounded decimals by Ziv's loop). In process, warm = timed
inside this Python process pinned to core 0, best of N (import and earlier calls done); in process,
cold = the first call in a fresh `python3 bench/overlaps_flint.py ...` (its own stderr report);
whole process = that command's wall time. Best of N throughout, ours and the peer interleaved.
Every value of ours (c, chi, S) must equal the peer's correctly rounded decimal exactly; the
script exits 1 otherwise. mpmath (rows a and b, findroot on c only, continuation from the
previous root) is compared to digits - 2.
Usage: python3 bench/overlaps.py [--quick]    ($AK_BIN_STATIC: also time a second binary, labelled
       by $AK_BIN_STATIC_LABEL)
       python3 bench/overlaps.py --instructions   (callgrind counts per solve; needs valgrind)
"""
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))
PEER = os.path.join(ROOT, "bench", "overlaps_flint.py")

try:
    import flint
except ImportError:                      # the peer, from PyPI
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "python-flint"], check=True)
    import flint
sys.path.insert(0, os.path.join(ROOT, "bench"))
import overlaps_flint as peer             # noqa: E402

ROWS = [("a", "1...1000", 1, 1000, 50), ("b", "1000000", 10**6, 10**6, 50), ("c", "16", 16, 16, 1000),
        ("d", "16", 16, 16, 5000), ("e", "1000000000", 10**9, 10**9, 50)]
PIN = ["taskset", "-c", "0"]
# $AK_BIN_STATIC: a second binary of ours timed in the same run (a build variant, or the previous
# commit's binary for a before/after comparison), labelled by $AK_BIN_STATIC_LABEL.
STATIC_LABEL = os.environ.get("AK_BIN_STATIC_LABEL", "static stdlib build")


def ours(binary, depths, digits, cores=1):
    cmd = [binary, "sweep", "--gamma", "1", "--beta", "10", "--depth", depths, "--digits", str(digits), "--timings"]
    # Explicit masks: this process is pinned to core 0 (below), and children inherit its mask.
    cmd = (PIN if cores == 1 else ["taskset", "-c", f"0-{cores - 1}"]) + cmd
    start = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    solve = float(re.search(r"solve ([0-9.]+)", done.stderr).group(1))
    rows = [line.split(",") for line in done.stdout.strip().splitlines()[1:]]
    return solve, elapsed, {int(r[2]): (r[14], r[7], r[10]) for r in rows}


def peer_in_process(lmin, lmax, digits):
    start = time.perf_counter()
    values = peer.run("1", "10", range(lmin, lmax + 1), digits)
    return time.perf_counter() - start, values


def peer_process(lmin, lmax, digits):
    """(whole-process wall time, the peer's cold in-process solve time)."""
    start = time.perf_counter()
    done = subprocess.run(PIN + [sys.executable, PEER, "1", "10", str(lmin), str(lmax), str(digits)],
                          check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, float(re.search(r"solve ([0-9.]+)", done.stderr).group(1))


def same(text, value):
    n, e = value
    return Fraction(Decimal(text)) == Fraction(n) * Fraction(10) ** e


def mpmath_row(depths, digits, guess):
    """mpmath findroot on c = (1 + g c/(b + c)^2)^L, continuation from the previous root."""
    import mpmath as mp
    mp.mp.dps = digits + 10
    g, b = mp.mpf(1), mp.mpf(1) / 10
    roots = {}
    start = time.perf_counter()
    for L in depths:
        guess = mp.findroot(lambda c: c - (1 + g * c / (b + c) ** 2) ** L, guess)
        roots[L] = guess
    return time.perf_counter() - start, roots, mp


def callgrind(cmd, toggle=None):
    """Instructions executed by cmd (all of it, or inside functions matching `toggle`)."""
    out = f"/tmp/overlaps-callgrind-{os.getpid()}.out"
    extra = [f"--toggle-collect={toggle}"] if toggle else []
    subprocess.run(PIN + ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + extra + cmd,
                   check=True, capture_output=True)
    with open(out) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:")))
    os.remove(out)
    return total


def instructions():
    """Instruction counts (callgrind), immune to the machine's load: ours per solve inside the
    solver's `solve` (c, chi, S and their decimals; not the csv bounds; cold: one point in a fresh
    process; warm: (3 identical points - 1) / 2, one core so they run in order); the peer as
    differences of whole Python runs with 0, 1 and 3 repeats. Whole process: every instruction of
    the command on one core (start-up, parsing, solving, printing, exit), ours and the peer's."""
    print("instructions per solve (valgrind --tool=callgrind), ours | python-flint; ratio = peer / ours")
    print(f"{'row':<4}{'case':<24}{'ours cold':>12}{'arb cold':>12}{'ratio':>7}{'ours warm':>12}{'arb warm':>12}{'ratio':>7}"
          f"{'ours proc':>14}{'arb proc':>14}{'ratio':>7}")
    solve = "*WhitenedOverlapSolverV5solve*"
    for name, depths, lmin, lmax, digits in ROWS:
        base = [BINARY, "sweep", "--gamma", "1", "--beta", "10", "--digits", str(digits), "--depth"]
        cold = callgrind(base + [depths], solve)
        whole = callgrind(base + [depths])
        peer_cmd = [sys.executable, PEER, "1", "10", str(lmin), str(lmax), str(digits)]
        p0, p1 = callgrind(peer_cmd + ["0"]), callgrind(peer_cmd + ["1"])
        if lmin == lmax:
            warm = (callgrind(base + [",".join([depths] * 3)], solve) - cold) / 2
            p3 = callgrind(peer_cmd + ["3"])
            peer_warm = (p3 - p1) / 2
        else:
            warm, peer_warm = cold, p1 - p0
        per = 1 if lmin == lmax else (lmax - lmin + 1)
        case = f"L={depths} D={digits}" + ("" if per == 1 else " (per root)")
        print(f"{name:<4}{case:<24}{cold / per:>12,.0f}{(p1 - p0) / per:>12,.0f}{(p1 - p0) / cold:>6.2f}x"
              f"{warm / per:>12,.0f}{peer_warm / per:>12,.0f}{peer_warm / warm:>6.2f}x"
              f"{whole:>14,.0f}{p1:>14,.0f}{p1 / whole:>6.2f}x")


def main():
    if "--instructions" in sys.argv:
        instructions()
        return
    quick = "--quick" in sys.argv
    repeats = 3 if quick else 7
    if not os.path.exists(BINARY):
        sys.exit(f"no binary at {BINARY}: build it with `swift build -c release` (or set AK_BIN)")
    os.sched_setaffinity(0, {0})          # the in-process peer on core 0, like ours
    import mpmath
    print(f"machine: {os.cpu_count()} cores; python-flint {flint.__version__} (FLINT {flint.__FLINT_VERSION__}), "
          f"mpmath {mpmath.__version__}; ours: {BINARY}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'row':<4}{'case':<24}{'ours cold':>11}{'arb cold':>11}{'ratio':>7}{'ours warm':>11}{'arb warm':>11}{'ratio':>7}"
          f"{'ours proc':>11}{'arb proc':>11}{'ratio':>7}")
    failures = 0
    static = os.environ.get("AK_BIN_STATIC")
    ms = lambda x: f"{x * 1e3:>9.3f}ms"
    for name, depths, lmin, lmax, digits in ROWS:
        n = repeats if digits < 5000 else max(2, repeats // 2)
        inf = float("inf")
        best = {k: inf for k in ("os", "op", "o2", "ps", "pc", "pp", "ss", "sp", "as", "ap", "bs", "bp")}
        for _ in range(n):
            s, p, mine = ours(BINARY, depths, digits)
            best["os"], best["op"] = min(best["os"], s), min(best["op"], p)
            if lmin == lmax:
                best["o2"] = min(best["o2"], ours(BINARY, f"{depths},{depths}", digits)[0])
            t, values = peer_in_process(lmin, lmax, digits)
            best["ps"] = min(best["ps"], t)
            whole, cold = peer_process(lmin, lmax, digits)
            best["pp"], best["pc"] = min(best["pp"], whole), min(best["pc"], cold)
            if static:
                s2, p2, _ = ours(static, depths, digits)
                best["ss"], best["sp"] = min(best["ss"], s2), min(best["sp"], p2)
            if name == "a":
                # The table on every core (the sweep's workers), whole process too; the peer is single-threaded.
                s3, p3, _ = ours(BINARY, depths, digits, cores=os.cpu_count())
                best["as"], best["ap"] = min(best["as"], s3), min(best["ap"], p3)
                if static:
                    s4, p4, _ = ours(static, depths, digits, cores=os.cpu_count())
                    best["bs"], best["bp"] = min(best["bs"], s4), min(best["bp"], p4)
        bad = [L for L in values if not all(same(a, b) for a, b in zip(mine[L], values[L]))]
        failures += len(bad)
        # Warm: a second identical root in the same process (single-root rows); row a is a sweep
        # whose roots after the first are warm already, so its cold time is also its warm time.
        warm = max(best["o2"] - best["os"], 1e-7) if lmin == lmax else best["os"]
        case = f"L={depths} D={digits}"
        print(f"{name:<4}{case:<24}{ms(best['os'])}{ms(best['pc'])}{best['pc'] / best['os']:>6.2f}x"
              f"{ms(warm)}{ms(best['ps'])}{best['ps'] / warm:>6.2f}x"
              f"{ms(best['op'])}{ms(best['pp'])}{best['pp'] / best['op']:>6.1f}x"
              f"   values equal: {len(values) - len(bad)}/{len(values)}")
        if static:
            print(f"{'':<4}{'  ' + STATIC_LABEL:<24}{ms(best['ss'])}{'':>11}{best['pc'] / best['ss']:>6.2f}x{'':>36}"
                  f"{ms(best['sp'])}{'':>11}{best['pp'] / best['sp']:>6.1f}x")
        if name == "a":
            s, p = best["as"], best["ap"]
            print(f"{'':<4}{'  ours on all cores':<24}{ms(s)}{'':>11}{best['pc'] / s:>6.2f}x{'':>22}{best['ps'] / s:>6.2f}x"
                  f"{ms(p)}{'':>11}{best['pp'] / p:>6.1f}x")
            if static:
                s, p = best["bs"], best["bp"]
                print(f"{'':<4}{'  ' + STATIC_LABEL + ', all cores':<24}{ms(s)}{'':>11}{best['pc'] / s:>6.2f}x{'':>22}{best['ps'] / s:>6.2f}x"
                      f"{ms(p)}{'':>11}{best['pp'] / p:>6.1f}x")
        if name in ("a", "b") and not quick:
            guess = 1.5 if name == "a" else 1e6 / float(mpmath.lambertw(1e6))
            tm, roots, mp = mpmath_row(range(lmin, lmax + 1), digits, guess)
            wrong = [L for L in roots if not mp.almosteq(mp.mpf(mine[L][0]), roots[L], rel_eps=mp.mpf(10) ** -(digits - 2))]
            failures += len(wrong)
            print(f"{'':<4}{'  mpmath findroot (c)':<24}{'':>29}{'':>11}{ms(tm)}{tm / warm:>6.2f}x"
                  f"   c agrees to {digits - 2} digits: {len(roots) - len(wrong)}/{len(roots)}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
