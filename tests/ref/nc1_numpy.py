#!/usr/bin/python3
"""nc1_numpy.py — re-derive the frozen NC1 numbers of tests/test_nc1.c (test_against_numpy)
with an independent numpy float64 implementation of the reference's formulas (full d×d
matrices, not the C×C Gram trick of src/analysis/nc1.c), and check them. Exit 0 = all agree."""
import sys
try:
    import numpy as np
except ImportError as e:  # ctest reads 77 as skipped (CI installs python3-scipy)
    print(f"SKIP: {e}")
    sys.exit(77)

eps32 = np.finfo(np.float32).eps
X = np.array([0.9, 0.1, -0.3, 0.2, 1.1, -0.2, 0.1, 0.0, 0.8, 0.3, 0.2, -0.1,
              -0.2, 1.0, 0.4, 0.3, 0.1, 0.7, -0.2, 0.5, 0.0, 1.2, 0.1, -0.4,
              -0.3, 0.9, 0.3, 0.1, 0.2, -0.1, 1.5, 0.6, -0.4, 0.3, 0.8, 1.1],
             dtype=np.float32).astype(np.float64).reshape(9, 4)
off = [0, 3, 7, 9]
C, d = 3, 4
X = X / (np.linalg.norm(X, axis=1, keepdims=True) + eps32)
muG = X.mean(axis=0)
mus = [X[off[c]:off[c + 1]].mean(axis=0) for c in range(C)]
SB = sum(np.outer(m - muG, m - muG) for m in mus) / C
SW = sum(sum(np.outer(x - mus[c], x - mus[c]) for x in X[off[c]:off[c + 1]]) /
         (off[c + 1] - off[c]) for c in range(C)) / C
SWc = sum(sum(np.outer(x - (mus[c] - muG), x - (mus[c] - muG)) for x in X[off[c]:off[c + 1]]) /
          (off[c + 1] - off[c]) for c in range(C)) / C


def cutoff(M):
    w = np.linalg.eigvalsh(M)
    return w, d * eps32 * np.abs(w).max()


def pinv(M):
    w, cut = cutoff(M)
    return np.linalg.pinv(M, rcond=cut / np.abs(w).max(), hermitian=True)


def rank(M):
    w, cut = cutoff(M)
    return int((np.abs(w) > cut).sum())


rSB = rank(SB)
got = {
    "nc1": np.trace(pinv(SB) @ SWc) / C,
    "nc1_textbook": np.trace(pinv(SB) @ SW) / C,
    "tr_sw": np.trace(SWc),
    "tr_sw_textbook": np.trace(SW),
    "tr_sb": np.trace(SB),
    "vci": 1 - np.trace(SB @ pinv(SWc + SB)) / rSB,
    "rank_sb": rSB,
    "rank_sw": rank(SWc),
}
frozen = {"nc1": (0.09632045475831345, 1e-11), "nc1_textbook": (0.06877483255700195, 1e-11),
          "tr_sw": (0.4866096954144037, 1e-12), "tr_sw_textbook": (0.1416621869791227, 1e-12),
          "tr_sb": (0.5421975754720813, 1e-12), "vci": (0.09201426838716542, 1e-11),
          "rank_sb": (2, 0), "rank_sw": (4, 0)}
bad = 0
for k, (v, rtol) in frozen.items():
    ok = abs(got[k] - v) <= rtol * max(abs(v), 1e-300)
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {k:15s} frozen {v!r:22} numpy {got[k]!r}")
sys.exit(1 if bad else 0)
