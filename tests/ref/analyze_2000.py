#!/usr/bin/env python3
"""analyze_2000.py — the reference rank table of the crafted 2,000-competitor cube of
test_analyze.c (test_many_competitors), computed with numpy alone.

The cube: 4 models x 12 tasks (48 voters), strategies "none/kmeans/none/none/mnn:M:cosine:uniform"
for M = 1..1000, k in {10, 20}, shot all, one seed: 2,000 competitors in cube order
(strategy, k). Accuracy of cell (voter v, competitor c) = float32(50 + ((x >> 8) % 5000) / 100)
with x the LCG x <- (1664525 x + 1013904223) mod 2^32 started at 12345 and stepped once per
cell in the order v = 0..47 (model-major), c = 0..1999 — the same loop the test runs.

Prints the first 20 rows of the table as analyze ranks them (mean rank ascending, ties by
cube order): rank, competitor row, mean rank, rank std, mean accuracy, std, wins, voters.
Ranks are pandas' rank(ascending=False) with ties averaged; std has ddof 1; a win is a voter
where the competitor has the maximal accuracy. The output is frozen in analyze_2000.txt; run
as a test, the script checks the frozen file against what it computes."""
from _frozen import check, need_numpy

np = need_numpy()

V, C = 48, 2000
x = 12345
acc = np.empty((C, V))
for v in range(V):
    for c in range(C):
        x = (1664525 * x + 1013904223) % 2**32
        acc[c, v] = np.float32(50 + ((x >> 8) % 5000) / 100.0)

rank = np.empty_like(acc)
for v in range(V):
    col = acc[:, v]
    greater = (col[None, :] > col[:, None]).sum(axis=1)
    equal = (col[None, :] == col[:, None]).sum(axis=1)
    rank[:, v] = greater + (equal + 1) / 2.0
mean_rank = rank.mean(axis=1)
order = sorted(range(C), key=lambda c: (mean_rank[c], c))
wins = (acc == acc.max(axis=0)[None, :]).sum(axis=1)
check(["%d %d %.12f %.12f %.12f %.12f %d %d" % (t + 1, c, mean_rank[c], rank[c].std(ddof=1),
       acc[c].mean(), acc[c].std(ddof=1), wins[c], V) for t, c in enumerate(order[:20])],
      "analyze_2000.txt")
