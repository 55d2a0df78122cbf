#!/usr/bin/env python3
"""test_claims.py — scripts/claims.py on a crafted cube whose every figure is worked by hand.

One model, three tasks a, b, c, shot all, two seeds. Seed-averaged accuracies (c has Qi and
Ours only; the other cells are pending, so c votes in claim 1 and 4 alone):
            Qi  Hosoda Janson Ours(k=20) Oracle  kmeans-noL2(k=20) mean-noL2
  a         70    71     72     75 (74,76)  90        60               50
  b         80    85     60     79          81        59               70
  c         60     -      -     70           -         -                -
1. Ours − Qi: +5, −1, +10 -> mean 4.67, sd sqrt(((1/3)² + (17/3)² + (16/3)²)/2) = 5.51, 2 of 3.
2. Ours − noL2: 15, 20 -> 17.5 ± 3.54; Qi − mean noL2: 20, 10 -> 15.0 ± 7.07.
3. ranks (1 = best) a: Oracle 1, Ours 2, Janson 3, Hosoda 4, Qi 5; b: Hosoda 1, Oracle 2, Qi 3,
   Ours 4, Janson 5 -> Oracle 1.50, Hosoda 2.50, Ours 3.00, Qi 4.00, Janson 4.00: Ours 3rd.
   Without Oracle: a: Ours 1, Janson 2, Hosoda 3, Qi 4; b: Hosoda 1, Qi 2, Ours 3, Janson 4 ->
   Hosoda 2.00 tied with Ours 2.00: Ours ranks 1 (tied).
4. NC1 a 0.5, b 0.2, c 3.0 against gains +5, −1, +10: the same order, Spearman rho = 1.
Skipped (77) without h5py, numpy or scipy."""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError:
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
STRATS = ["l2/mean/l2/l2/max", "none/mean/quantile/none/max", "none/mean/none/none/nn:euclidean",
          "l2/kmeans/l2/l2/max", "none/ls/none/none/max", "none/kmeans/none/none/max",
          "none/mean/none/none/max"]
KS = [1, 20]
# (strategy index, k index) -> accuracy per task a, b, c (None: pending)
CELLS = {(0, 0): (70, 80, 60), (1, 0): (71, 85, None), (2, 0): (72, 60, None),
         (3, 1): ((74, 76), 79, 70), (4, 0): (90, 81, None), (5, 1): (60, 59, None),
         (6, 0): (50, 70, None)}


def main():
    with tempfile.TemporaryDirectory() as d:
        cube, nc1, md = (os.path.join(d, n) for n in ("cube.h5", "nc1.csv", "claims.md"))
        acc = np.full((1, 3, len(STRATS), len(KS), 1, 2), np.nan, dtype="f4")
        status = np.zeros(acc.shape, dtype="u1")
        for (s, k), per_task in CELLS.items():
            for t, v in enumerate(per_task):
                if v is not None:
                    acc[0, t, s, k, 0, :] = v
                    status[0, t, s, k, 0, :] = 1
        with h5py.File(cube, "w") as f:
            f["accuracy"], f["status"] = acc, status
            f["model"], f["task"] = np.array([b"m"]), np.array([b"a", b"b", b"c"])
            f["strategy"] = np.array([s.encode() for s in STRATS])
            f["k"], f["shot"], f["seed"] = np.array(KS), np.array([-1]), np.array([1, 2])
        with open(nc1, "w") as f:
            f.write("model,dataset,split,nc1\nm,a,train,0.5\nm,b,train,0.2\nm,c,train,3.0\n")
        r = subprocess.run([sys.executable, os.path.join(HERE, "..", "scripts", "claims.py"),
                            cube, "--nc1", nc1, "--md", md], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            return 1
        expect = [
            "| 1. multi-proxy GEN: Ours (k = 20) − Qi (mean) | +4.7 ± 5.5 points | 2 of 3 | 3 | holds |",
            "| 2. L2: Ours − Ours without L2 | +17.5 ± 3.5 points | 2 of 2 | 2 | holds |",
            "| 2. L2: Qi − Qi without L2 | +15.0 ± 7.1 points | 2 of 2 | 2 | holds |",
            "over 2 voters: Oracle 1.50, Hosoda 2.50, Ours 3.00, Qi 4.00, Janson 4.00 — Ours ranks 3",
            "Hosoda 2.00, Ours 2.00, Qi 3.00, Janson 3.00 — Ours ranks 1 (tied with Hosoda)",
            "| m | b | 0.200 | -1.0 |",
            "4. Spearman ρ(NC1, gain) = 1.00 over n = 3",
        ]
        with open(md) as f:
            text = f.read()
        missing = [e for e in expect if e not in text]
        if text != r.stdout or missing:
            print("missing:\n  " + "\n  ".join(missing) + "\n--- output:\n" + r.stdout)
            return 1
        print("claims: every hand-worked figure found")
        return 0


if __name__ == "__main__":
    sys.exit(main())
