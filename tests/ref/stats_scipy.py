#!/usr/bin/python3
"""stats_scipy.py — re-derive every frozen number of tests/test_stats.c with scipy (Debian's
python3-scipy 1.10) and check it against the value frozen there. Run: python3 stats_scipy.py
(exit 0 = all agree; each line prints the frozen and the recomputed value)."""
import sys
try:
    import numpy as np
    import scipy.stats as st
except ImportError as e:  # ctest reads 77 as skipped (CI installs python3-scipy)
    print(f"SKIP: {e}")
    sys.exit(77)

bad = 0


def check(what, frozen, got, rtol):
    global bad
    ok = abs(got - frozen) <= rtol * max(abs(got), abs(frozen)) or got == frozen
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what:60s} frozen {frozen!r:24} scipy {got!r}")


def wil(d, method):
    return st.wilcoxon(np.array(d, float), zero_method="pratt", method=method)


# Wilcoxon, exact
check("wilcoxon exact n=5", 0.125, wil([1.5, -0.5, 2, 3, 4], "exact").pvalue, 1e-15)
check("wilcoxon exact n=10", 0.16015625,
      wil([0.7, -1.1, 2.3, 1.9, -0.25, 3.1, 0.45, 1.3, -2.7, 4.2], "exact").pvalue, 1e-14)
d20 = [0.31, -0.62, 1.05, 2.2, -1.7, 0.88, 1.33, -0.12, 2.9, 0.57,
       1.61, -0.95, 3.4, 0.74, 1.18, 2.45, -2.05, 0.2, 1.92, 0.49]
check("wilcoxon exact n=20", 0.026641845703125, wil(d20, "exact").pvalue, 1e-14)
check("wilcoxon exact n=48 one-signed", 7.105427357601002e-15,
      wil([0.5 + 0.01 * i for i in range(48)], "exact").pvalue, 1e-14)
d51 = [(i + 1) * 0.1 * (1 if i % 3 else -1) for i in range(51)]
check("wilcoxon exact n=50", 0.03996834652842374, wil(d51[:50], "exact").pvalue, 1e-12)
check("wilcoxon approx n=51", 0.02568873999366418, wil(d51, "approx").pvalue, 1e-12)
# Wilcoxon, approx with ties and zeros (Pratt)
r = wil([1, -1, 2, 2, 3, -3, 3, 4, 5, -2, 6, 1], "approx")
check("wilcoxon approx ties p", 0.05856230219636895, r.pvalue, 1e-12)
r = wil([0, 0, 1, -1, 2, 2, 3, 0, 4, -5, 6, 2, 7, 8, -1], "approx")
check("wilcoxon approx zeros+ties p", 0.04523598084715368, r.pvalue, 1e-12)
# |z| from the two-sided p (scipy 1.10 does not return z)
check("wilcoxon approx ties |z|", 1.8914649749738415,
      st.norm.isf(0.05856230219636895 / 2), 1e-9)
check("wilcoxon approx zeros |z|", 2.002453486917181, st.norm.isf(0.04523598084715368 / 2), 1e-9)

# ranks, Friedman, Iman-Davenport on TIES_A (rows = competitors, columns = voters)
A = np.array([[0.9, 0.8, 0.7, 0.95, 0.6, 0.85], [0.9, 0.7, 0.7, 0.90, 0.5, 0.80],
              [0.8, 0.7, 0.6, 0.90, 0.5, 0.75], [0.7, 0.6, 0.7, 0.85, 0.4, 0.80]])
R = np.array([st.rankdata(-A[:, v]) for v in range(6)]).T
for i, mr in enumerate([1.25, 2.25, 3.0833333333333333, 3.4166666666666667]):
    check(f"mean rank competitor {i}", mr, R[i].mean(), 1e-15)
for i, sd in enumerate([0.130384048104053, 0.15165750888103102, 0.14288690166235207,
                        0.16046806535881214]):
    check(f"std(ddof=1) competitor {i}", sd, A[i].std(ddof=1), 1e-13)
f = st.friedmanchisquare(*A)
check("friedman chi2", 11.882352941176482, f.statistic, 1e-13)
check("friedman p", 0.007797229642098703, f.pvalue, 1e-12)
k, N = 4, 6
F = (N - 1) * f.statistic / (N * (k - 1) - f.statistic)
check("iman-davenport F", 9.711538461538488, F, 1e-12)
check("iman-davenport p", 0.0008280761165156606, st.f.sf(F, k - 1, (k - 1) * (N - 1)), 1e-10)

# distribution tails
for x, df, sf in [(0.5, 1, 0.47950012218695337), (3.0, 2, 0.22313016014842982),
                  (10.0, 3, 0.01856613546304325), (100.0, 7, 1.0787979671702833e-18),
                  (1e-3, 5, 0.9999999983185123), (250.0, 4, 6.509689997375721e-53),
                  (7.5, 19, 0.9910331732233514), (40, 60, 0.9781817824744425)]:
    check(f"chi2.sf({x}, {df})", sf, st.chi2.sf(x, df), 1e-11)
for x, a, b, sf in [(2.5, 3, 15, 0.09908192403537504), (0.3, 5, 40, 0.9099525618715705),
                    (12.0, 2, 10, 0.002200925867886696), (1.0, 1, 1, 0.5),
                    (4.2, 19, 300, 3.2378188912094105e-08)]:
    check(f"f.sf({x}, {a}, {b})", sf, st.f.sf(x, a, b), 1e-10)

# Nemenyi q for k > 20 (and a non-table alpha): studentized range / sqrt 2
for kk, a, q in [(21, 0.05, 3.5690400299507057), (21, 0.10, 3.345675924520792),
                 (25, 0.05, 3.6578606730719927), (30, 0.10, 3.533492393480018),
                 (50, 0.05, 3.9923432900094076), (50, 0.10, 3.7877496141945874),
                 (10, 0.0500000001, 3.163683577053373)]:
    check(f"nemenyi q k={kk} alpha={a}", q, st.studentized_range.ppf(1 - a, kk, np.inf) / np.sqrt(2),
          1e-6)
sys.exit(1 if bad else 0)
