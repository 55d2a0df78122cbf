#!/usr/bin/env python3
"""claims.py — the paper's four claims checked on a result cube, as a Markdown table.

  python3 scripts/claims.py CUBE.h5 --nc1 TABLE.csv [--md OUT.md]

Reads the cube's accuracy [model, task, strategy, k, shot, seed] with h5py (cells not done are
NaN) and an NC1 table (`imprint nc1 --job JOB --csv`: rows model,dataset=task name,...,nc1).
A voter is one (model, task, shot) with the accuracy averaged over seeds; a claim compares two
competitors (strategy, k) on every voter where both have a value.

  1. multi-proxy GEN beats the single mean: Ours (l2/kmeans/l2/l2/max, k = 20) minus Qi
     (l2/mean/l2/l2/max, k = 1); mean gain and its standard deviation over voters, wins.
  2. L2 normalisation matters: Ours minus the same without L2 (none/kmeans/none/none/max,
     k = 20), and Qi minus none/mean/none/none/max.
  3. Ours ranks first among the named strategies (Qi, Hosoda, Janson, Ours, Oracle): mean rank
     over voters (1 = best, ties share the mean rank), with and without Oracle (least squares,
     not imprinting).
  4. the multi-proxy gain grows with NC1 (weaker collapse): Spearman's rho between each
     (model, task)'s NC1 and claim 1's gain at shot `all`.
Until `imprint report` states these claims itself, this is how the README's numbers are made.
"""

import argparse
import sys
import warnings

import h5py
import numpy as np
from scipy.stats import rankdata, spearmanr

QI = ("l2/mean/l2/l2/max", 1)
OURS = ("l2/kmeans/l2/l2/max", 20)
NAMED = {"Qi": QI, "Hosoda": ("none/mean/quantile/none/max", 1),
         "Janson": ("none/mean/none/none/nn:euclidean", 1), "Ours": OURS,
         "Oracle": ("none/ls/none/none/max", 1)}


class Cube:
    def __init__(self, path):
        with h5py.File(path, "r") as f:
            dec = lambda a: [x.decode() if isinstance(x, bytes) else str(x) for x in a]  # noqa: E731
            self.model, self.task = dec(f["model"][:]), dec(f["task"][:])
            self.strategy = dec(f["strategy"][:])
            self.k, self.shot = list(f["k"][:]), list(f["shot"][:])
            acc = f["accuracy"][:].astype("f8")
            status = f["status"][:]
        acc[status != 1] = np.nan
        with warnings.catch_warnings():  # a competitor absent at a voter: NaN, skipped
            warnings.simplefilter("ignore", RuntimeWarning)
            self.mean = np.nanmean(acc, axis=5)

    def values(self, comp):
        """Seed-averaged accuracy of competitor (strategy, k) per voter [model, task, shot];
        None if the cube lacks it."""
        s, k = comp
        if s not in self.strategy or k not in self.k:
            return None
        return self.mean[:, :, self.strategy.index(s), self.k.index(k), :]


def paired(cube, a, b, shot=None):
    """a − b on every voter (or those of one shot) where both have a value."""
    va, vb = cube.values(a), cube.values(b)
    if va is None or vb is None or (shot is not None and shot not in cube.shot):
        return None
    d = va - vb
    if shot is not None:
        d = d[:, :, cube.shot.index(shot)]
    d = d.ravel()
    return d[np.isfinite(d)]


def gain_row(name, d):
    if d is None or len(d) == 0:
        return f"| {name} | no voter has both | | | |"
    sd = d.std(ddof=1) if len(d) > 1 else float("nan")
    holds = "holds" if d.mean() > 0 else "does not hold"
    return (f"| {name} | {d.mean():+.1f} ± {sd:.1f} points | {int((d > 0).sum())} of {len(d)} | "
            f"{len(d)} | {holds} |")


def mean_ranks(cube, names):
    """Mean rank (1 = best) of each named competitor over the voters where all have a value."""
    vals = [cube.values(NAMED[n]) for n in names]
    if any(v is None for v in vals):
        return None, 0
    stack = np.stack([v.ravel() for v in vals], axis=1)
    stack = stack[np.all(np.isfinite(stack), axis=1)]
    if not len(stack):
        return None, 0
    ranks = np.apply_along_axis(lambda r: rankdata(-r), 1, stack)
    return dict(zip(names, ranks.mean(axis=0))), len(stack)


def read_nc1(path):
    table = {}
    with open(path) as f:
        head = f.readline().strip().split(",")
        im, ids, inc = head.index("model"), head.index("dataset"), head.index("nc1")
        for line in f:
            # task names carry no commas or quotes in the demo's job; a quoted field would
            # need the csv module's parsing
            fld = line.rstrip("\n").split(",")
            table[(fld[im], fld[ids])] = float(fld[inc])
    return table


def main(argv=None):
    p = argparse.ArgumentParser(prog="claims.py", description=__doc__.split("\n")[0])
    p.add_argument("cube")
    p.add_argument("--nc1", required=True, help="`imprint nc1 --job JOB --csv` table")
    p.add_argument("--md", help="also write the Markdown to this file")
    args = p.parse_args(argv)
    try:
        cube = Cube(args.cube)
        nc1 = read_nc1(args.nc1)
    except (OSError, KeyError, ValueError) as e:
        print(f"claims.py: {e}", file=sys.stderr)
        return 2
    out = [f"Claims on `{args.cube}` (voters: model × task × shot, accuracy averaged over "
           "the seeds)", "",
           "| claim | mean ± sd over voters | wins | n | |", "|---|---|---|---|---|"]
    out.append(gain_row("1. multi-proxy GEN: Ours (k = 20) − Qi (mean)", paired(cube, OURS, QI)))
    for shot in cube.shot:
        out.append(gain_row(f"1. the same at shot {'all' if shot == -1 else shot}",
                            paired(cube, OURS, QI, shot)))
    out.append(gain_row("2. L2: Ours − Ours without L2", paired(
        cube, OURS, ("none/kmeans/none/none/max", 20))))
    out.append(gain_row("2. L2: Qi − Qi without L2", paired(
        cube, QI, ("none/mean/none/none/max", 1))))
    out.append("")
    for names in (list(NAMED), [n for n in NAMED if n != "Oracle"]):
        r, n = mean_ranks(cube, names)
        if r is None:
            out.append(f"3. mean rank among {', '.join(names)}: not every one is in the cube")
            continue
        order = sorted(r, key=r.get)
        # Ours' place: 1 + the competitors strictly ahead; equal mean ranks are named as ties
        pos = 1 + sum(r[x] < r["Ours"] - 1e-9 for x in names)
        ties = [x for x in names if x != "Ours" and abs(r[x] - r["Ours"]) <= 1e-9]
        out.append(f"3. mean rank among {len(names)} named strategies over {n} voters: " +
                   ", ".join(f"{x} {r[x]:.2f}" for x in order) + f" — Ours ranks {pos}" +
                   (f" (tied with {', '.join(ties)})" if ties else ""))
    out.append("")
    # claim 4 at shot all: one point per (model, task) with an NC1 row
    va, vb = cube.values(OURS), cube.values(QI)
    pts = []
    if va is not None and vb is not None and -1 in cube.shot:
        si = cube.shot.index(-1)
        for mi, m in enumerate(cube.model):
            for ti, t in enumerate(cube.task):
                g = va[mi, ti, si] - vb[mi, ti, si]
                if np.isfinite(g) and (m, t) in nc1:
                    pts.append((m, t, nc1[(m, t)], g))
    out.append("| model | task | NC1 | gain Ours − Qi (shot all) |")
    out.append("|---|---|---|---|")
    for m, t, x, g in sorted(pts, key=lambda q: q[2]):
        out.append(f"| {m} | {t} | {x:.3f} | {g:+.1f} |")
    out.append("")
    if len(pts) >= 3:
        r = spearmanr([q[2] for q in pts], [q[3] for q in pts])
        out.append(f"4. Spearman ρ(NC1, gain) = {r.correlation:.2f} over n = {len(pts)} "
                   f"(model, task) voters at shot all (two-sided p = {r.pvalue:.2g}): "
                   f"{'holds' if r.correlation > 0 else 'does not hold'}"
                   f"{', not significant at 0.05' if r.pvalue >= 0.05 else ''}")
    else:
        out.append(f"4. Spearman ρ(NC1, gain): {len(pts)} voters with an NC1 row, too few")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
