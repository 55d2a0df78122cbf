#!/usr/bin/env python3
"""cube_oracle.py — why the regenerated lines of pipeline-cube.csv are right: every cell of the
saved grid recomputed by the float64 oracle of tests/ref/oracle_distances.py from the proxies
(after NORMpost) and test rows test_pipeline dumps, and compared with imprint's predictions.

    mkdir DUMP && IMP_PIPELINE_DUMP=DUMP build/release/test_pipeline
    tests/data/tools/cube_oracle.py DUMP OLD.csv NEW.csv

For every line that differs between OLD and NEW it prints the cell, the old and new correct
counts, the oracle's correct count, and whether imprint's new predictions equal the oracle's on
every row whose margin exceeds the bound (the decided rows). Exit 0 when every changed cell is
oracle-equal on its decided rows and every unchanged non-mahalanobis, non-euclidean line is
bit-identical (the other metrics' code did not change).
"""
import csv
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "ref"))
import numpy as np  # noqa: E402
from oracle_distances import decide, distances, l2_rows32, read_out  # noqa: E402


def metric_of(strat):
    agg = strat.split("/", 4)[4]
    return "inner" if agg == "max" else agg.split(":")[1 if agg.startswith("nn") else 2]


def main(dump, old_csv, new_csv):
    old = {tuple(r[:4]): r for r in list(csv.reader(open(old_csv)))[1:]}
    new = {tuple(r[:4]): r for r in list(csv.reader(open(new_csv)))[1:]}
    changed = {k for k in new if old.get(k) != new[k]}
    bad = [k for k in changed if metric_of(k[0]) not in ("euclidean", "mahalanobis")]
    for k in bad:
        print("UNEXPECTED change of a", metric_of(k[0]), "cell:", ",".join(new[k]))
    seen, ok_all = set(), not bad
    for txt in sorted(glob.glob(os.path.join(dump, "gen-*.txt"))):
        cells = [tuple(line.strip().split(",")) for line in open(txt) if line.strip()]
        if not any(c in changed for c in cells):
            continue
        W, pcls, X0, y, pred, C = read_out(txt[:-4] + ".bin", len(cells))
        cache = {}
        for si, c in enumerate(cells):
            if c not in changed or c in seen:
                continue
            seen.add(c)
            inf, agg, metric = c[0].split("/")[3], c[0].split("/", 4)[4], metric_of(c[0])
            if (inf, metric) not in cache:
                X = l2_rows32(X0) if inf == "l2" else X0
                cache[(inf, metric)] = distances(metric, X, W)
            D, t, sq = cache[(inf, metric)]
            want, dec = decide(agg, D, t, sq, pcls, C)
            agree = bool(np.all(pred[si][dec] == want[dec]))
            ok_all &= agree
            print(f"{','.join(c)}: correct {old[c][5]} -> {new[c][5]}, float64 oracle "
                  f"{int((want == y).sum())}; decided rows {int(dec.sum())}/{len(y)}, "
                  f"{'equal' if agree else 'DIFFERENT'}")
    missing = changed - seen - set(bad)
    for k in missing:
        print("no dump for changed cell", ",".join(k))
    print(f"{len(changed)} lines changed, {len(seen)} checked against the oracle, "
          f"{len(new) - len(changed)} bit-identical")
    return 0 if ok_all and not missing else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
