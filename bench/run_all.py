#!/usr/bin/env python3
"""Runs every benchmark of bench/ in one session, one after the other, and keeps the whole output.

Each script runs our release binary and its peers in the same run and prints its own table of
ratios with the load average (see each script's docstring). This driver adds the machine, the date
and the load average before and after every script, and writes everything to
bench/results/run-<UTC date and time>.txt as well as to stdout. It builds nothing: build the release
binary first (`scripts/setup`, i.e. `swift build -c release --static-swift-stdlib`), or set AK_BIN.

Usage: python3 bench/run_all.py [--only NAME[,NAME...]]
Exit status: 0 when every script exits 0, else 1 (the names of the failing scripts are printed).
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# In the order BENCHMARKS.md lists them. general_kernels.py is left out: it runs a min-max with a
# budget of minutes (run it by itself).
SCRIPTS = ["overlaps.py", "kernels_floor.py", "minmax_step.py", "anbk_step.py", "dmft_step.py", "antk_data_step.py", "cnn_step.py"]


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names (without .py)")
    args = parser.parse_args()
    names = SCRIPTS
    if args.only:
        names = [n if n.endswith(".py") else n + ".py" for n in args.only.split(",")]
    missing = [n for n in names if not os.path.exists(os.path.join(ROOT, "bench", n))]
    if missing:
        print(f"run_all: no such benchmark: {', '.join(missing)}", file=sys.stderr)
        return 2
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%MZ")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"run-{stamp}.txt")
    failed = []
    with open(path, "w") as log:
        def emit(text):
            sys.stdout.write(text)
            sys.stdout.flush()
            log.write(text)
        emit(f"# bench/run_all.py, {stamp}, {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}\n")
        for name in names:
            emit(f"\n## {name} (load average before: {load()})\n\n")
            proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", name)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            emit(proc.stdout)
            emit(f"\n(exit status {proc.returncode}; load average after: {load()})\n")
            if proc.returncode != 0:
                failed.append(name)
    print(f"\nwritten: {os.path.relpath(path, ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
