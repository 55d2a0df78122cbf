#!/usr/bin/python3
"""nc1_concat.py — independent numpy NC1 of a concatenated task, the reference test_nc1 checks.

Two datasets dA (labels 0, 1) and dB (labels 0, 1, 2) in 3-d, concatenated as a job's task is:
labels of the i-th dataset offset by 10*i, so classes are 0, 1, 10, 11, 12 (5 classes).
The formulas are the reference's (src/nc/neural_collapse.py), with full d x d matrices:
x / (||x|| + eps32), Sigma_B = cov of class means about the global mean (1/C), Sigma_W the
unweighted mean of biased class covariances, code variant centred by mu_c - mu_G,
NC1 = tr(pinv(Sigma_B, rcond=d*eps32) @ Sigma_W) / C.
Run: /usr/bin/python3 tests/ref/nc1_concat.py > tests/ref/nc1_concat.out (as a test it checks
that file against what it computes).
"""
from _frozen import check, need_numpy

np = need_numpy()

# Rows as written into the test store (tests/test_nc1.c has the same literals).
A_X = [[1.0, 0.2, 0.1], [0.9, 0.1, 0.3], [1.1, -0.1, 0.2], [0.1, 1.0, 0.0], [0.2, 0.8, 0.1]]
A_y = [0, 0, 0, 1, 1]
B_X = [[0.0, 0.1, 1.0], [0.2, 0.0, 0.9], [0.5, 0.5, 0.1], [0.6, 0.4, 0.0], [0.4, 0.6, 0.2],
       [-0.5, 0.3, 0.4], [-0.6, 0.2, 0.5]]
B_y = [0, 0, 1, 1, 1, 2, 2]

X = np.array(A_X + B_X, dtype=np.float32).astype(np.float64)
y = np.array(A_y + [v + 10 for v in B_y])
eps = float(np.finfo(np.float32).eps)
X = X / (np.linalg.norm(X, axis=1, keepdims=True) + eps)
classes = sorted(set(y.tolist()))
C, d = len(classes), X.shape[1]
muG = X.mean(axis=0)
mus = np.array([X[y == c].mean(axis=0) for c in classes])
M = mus - muG
SB = M.T @ M / C
SW = np.zeros((d, d))
SWc = np.zeros((d, d))
for c, mu in zip(classes, mus):
    Z = X[y == c] - mu
    SW += Z.T @ Z / len(Z) / C
    Zc = X[y == c] - (mu - muG)
    SWc += Zc.T @ Zc / len(Zc) / C
P = np.linalg.pinv(SB, rcond=d * eps, hermitian=True)
check([f"classes {C}", f"rows {len(X)}", f"nc1 {np.trace(P @ SWc) / C:.17g}",
       f"nc1_textbook {np.trace(P @ SW) / C:.17g}", f"tr_sb {np.trace(SB):.17g}"],
      "nc1_concat.out")
