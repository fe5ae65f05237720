#!/usr/bin/env python3
"""aNBK (min-max saddle) against Langevin-sampled finite networks (`train --beta`) at several widths,
with a 1/N extrapolation of the network values (notes/anbk-data.md (NB10)(iii)).

    python3 scripts/anbk-vs-langevin.py [--train 20] [--test 10] [--activation relu] [--gamma 1/2]
        [--beta 100] [--widths 64,128,256,512] [--seeds 4] [--seed 1]

Uses the release binary (.build/release/adaptive-kernels or $AK_BIN) and the digits fixture. Prints,
for the test loss and the layer overlaps, the aNBK estimate, the network mean at every width and the
weighted least-squares fit a + c/N with its standard error, and the difference in units of the
combined error. Exit status 1 if any difference exceeds 4 combined errors."""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = os.environ.get("AK_BIN", str(ROOT / ".build/release/adaptive-kernels"))
FIXTURE = ROOT / "Tests/Fixtures/digits"


def run(arguments):
    result = subprocess.run([BIN, *arguments, "--format", "json"], capture_output=True, text=True)
    if result.returncode not in (0, 3) or not result.stdout:
        sys.exit(f"{' '.join(arguments[:1])} failed ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


def value(q):
    return float(q["value"]), float(q.get("standard_error", 0)) + float(q.get("systematic", 0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=20)
    parser.add_argument("--test", type=int, default=10)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--gamma", default="1/2")
    parser.add_argument("--beta", default="100")
    parser.add_argument("--widths", default="64,128,256,512")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=8000)
    args = parser.parse_args()
    x = numpy.load(FIXTURE / "X_train.npy")[: args.train]
    y = numpy.load(FIXTURE / "y_train.npy")[: args.train]
    xt = numpy.load(FIXTURE / "X_test.npy")[: args.test]
    yt = numpy.load(FIXTURE / "y_test.npy")[: args.test]
    with tempfile.TemporaryDirectory() as folder:
        root = pathlib.Path(folder)
        for name, array in (("X", x), ("y", y), ("Xt", xt), ("yt", yt)):
            numpy.save(root / f"{name}.npy", array)
        data = ["--train", str(root / "X.npy"), "--labels", str(root / "y.npy"),
                "--test", str(root / "Xt.npy"), "--test-labels", str(root / "yt.npy")]
        common = ["--activation", args.activation, "--depth", str(args.depth), "--gamma", args.gamma, "--beta", args.beta]
        theory = run(["anbk", *common, "--samples", str(args.samples), "--seed", str(args.seed), *data])
        widths = [int(w) for w in args.widths.split(",")]
        nets = {w: run(["train", *common, "--width", str(w), "--seeds", str(args.seeds), "--seed", str(args.seed), *data]) for w in widths}
    rows = [("test loss", value(theory["test_loss"]["anbk"]), [value(nets[w]["test_loss"]) for w in widths])]
    for l in range(args.depth):
        rows.append((f"overlap {l + 1}", value(theory["overlap"][l]), [value(nets[w]["overlap"][l]) for w in widths]))
    print(f"aNBK vs Langevin networks: {args.activation}, L = {args.depth}, gamma = {args.gamma}, beta = {args.beta}, "
          f"P = {args.train}, Q = {args.test}, widths {widths}, {args.seeds} seeds, seed {args.seed}; "
          f"aNBK converged: {theory['converged']}")
    worst = 0.0
    inverse = numpy.array([1.0 / w for w in widths])
    for name, (t, te), net in rows:
        values = numpy.array([v for v, _ in net])
        errors = numpy.array([max(e, 1e-12) for _, e in net])
        design = numpy.stack([numpy.ones_like(inverse), inverse], axis=1) / errors[:, None]
        fit, *_ = numpy.linalg.lstsq(design, values / errors, rcond=None)
        covariance = numpy.linalg.inv(design.T @ design)
        a, ae = fit[0], covariance[0, 0] ** 0.5
        z = abs(a - t) / (te ** 2 + ae ** 2) ** 0.5
        worst = max(worst, z)
        cells = "  ".join(f"N={w}: {v:.5g}±{e:.2g}" for w, (v, e) in zip(widths, net))
        print(f"{name:10s} aNBK {t:.5g}±{te:.2g}   {cells}   N->inf {a:.5g}±{ae:.2g} (slope {fit[1]:.3g})   z = {z:.2f}")
    return 1 if worst > 4 else 0


if __name__ == "__main__":
    sys.exit(main())
