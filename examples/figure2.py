"""Figure 2 of Lauditi, Bordelon & Pehlevan (arXiv:2502.07998) from Python: the certified whitened
overlap c_L against gamma for several depths (rich-regime scaling c_L ~ gamma^(2L/(L+1))), as a table
and, when matplotlib is installed, a log-log plot.

    pip install ./python matplotlib
    python3 examples/figure2.py --out figure2.png
"""
import argparse

import adaptive_kernels as ak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beta", default="10")
    parser.add_argument("--depths", default="1,2,4,8")
    parser.add_argument("--out", default=None, help="figure file (.png/.svg/.pdf); needs matplotlib")
    args = parser.parse_args()
    gammas = ["0.1", "0.25", "0.5", "1", "2", "4", "8", "16", "32", "64"]
    depths = [int(d) for d in args.depths.split(",")]
    frame = ak.sweep(gammas, args.beta, depths, digits=20)
    rows = frame if isinstance(frame, list) else frame.to_dict("records")
    table = {}
    for row in rows:
        if row["dominant"]:
            table[(row["gamma_exact"], row["depth"])] = row["overlap"]  # c_L of the dominant root
    print("gamma    " + "".join(f"L = {d:<10d}" for d in depths))
    for g in gammas:
        print(f"{g:8s} " + "".join(f"{table[(g, d)]:<14.6g}" for d in depths))
    if args.out:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise SystemExit("matplotlib is not installed: pip install matplotlib")
        values = {g: float(g) for g in gammas}
        figure, axis = plt.subplots(figsize=(5, 4))
        for d in depths:
            xs = [values[g] for g in gammas]
            axis.loglog(xs, [table[(g, d)] for g in gammas], marker="o", label=f"L = {d}")
            rich = [x for x in xs if x >= 2]
            axis.loglog(rich, [x ** (2 * d / (d + 1)) for x in rich], linestyle=":", color="gray")
        axis.set_xlabel("gamma")
        axis.set_ylabel("c_L (certified)")
        axis.set_title(f"beta = {args.beta}; dotted: gamma^(2L/(L+1))", fontsize=10)
        axis.legend()
        figure.tight_layout()
        figure.savefig(args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
