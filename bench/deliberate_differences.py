#!/usr/bin/env python3
"""deliberate_differences.py — the size of each deliberate difference from the reference
(docs/semantics.md), measured on embeddings: how many test predictions change when the choice
is made the other way. Not a test; prints figures.

usage: bench/deliberate_differences.py STORE MODEL DATASET [EVERY]   (EVERY: test-row stride for
the kNN-tie figure with every training row a proxy)

1. Quantile NORMpost tie order (Hosoda, none/mean/quantile/none/max): imprint ranks tied values
   of a proxy row stably (lower dimension first); an unstable sort may put them in any order.
   Measured: predictions under the stable order vs the reversed order and 5 random orders.
2. kNN ties at the m-th neighbour (GEN all, nn/mnn uniform, euclidean and manhattan in float64):
   imprint keeps the lowest proxy index; measured: rows whose prediction changes when the
   highest index wins instead.
3. The zero row under NORMpre l2: training rows whose norm is 0 (the reference divides by zero
   and gets NaN; imprint keeps the row zero).
The quantile grid at d = 784 needs no measurement here: the reference stops with an error there
(its quantile NORMpost), imprint computes the intended grid.
"""
import sys

import h5py
import numpy as np


def load(store, model, dataset):
    with h5py.File(store, "r") as f:
        g = f[f"{model}/{dataset}"]
        return (g["train/X"][()], g["train/y"][()], g["test/X"][()], g["test/y"][()])


def quantile_values(ref, d):
    s = np.sort(ref.astype(np.float32))
    q = (np.arange(d, dtype=np.float32) / np.float32(d) + np.float32(1) / (np.float32(2) * np.float32(d)))
    pos = q.astype(np.float64) * (len(s) - 1)
    lo, hi = np.floor(pos).astype(int), np.ceil(pos).astype(int)
    return (s[lo] + (pos - lo) * (s[hi].astype(np.float64) - s[lo])).astype(np.float32)


def hosoda(W, order_key):
    """imprint's quantile NORMpost (norm.c): class c >= 1 ranks its proxy's values against the
    d quantiles of every earlier class's (already normalised) values; order_key breaks ties."""
    W = W.copy()
    C, d = W.shape
    for c in range(1, C):
        y = quantile_values(W[:c].ravel(), d)
        idx = np.lexsort((order_key(d), W[c]))  # by value, ties by the key
        W[c, idx] = y
    return W


def main(store, model, dataset, every=20):
    Xtr, ytr, Xte, yte = load(store, model, dataset)
    classes = np.unique(ytr)
    W = np.stack([Xtr[ytr == c].astype(np.float64).mean(0) for c in classes]).astype(np.float32)
    n, d = Xte.shape
    tied = sum(len(r) - len(np.unique(r)) for r in W[1:])
    base = np.argmax(Xte @ hosoda(W, lambda d: np.arange(d)).T, 1)
    print(f"{model}/{dataset}: d = {d}, {len(classes)} classes, {len(ytr)} train, {n} test rows")
    print(f"  quantile ties: {tied} tied values in the {len(classes) - 1} normalised mean proxies;"
          f" stable order accuracy {100 * np.mean(classes[base] == yte):.2f} %")
    rng = np.random.default_rng(1)
    keys = [("reversed", lambda d: -np.arange(d))] + [
        (f"random {i}", lambda d, s=rng.integers(1 << 30): np.random.default_rng(s).permutation(d))
        for i in range(5)]
    for name, key in keys:
        p = np.argmax(Xte @ hosoda(W, key).T, 1)
        print(f"    {name:9s}: {int(np.sum(p != base)):5d} of {n} predictions differ, accuracy "
              f"{100 * np.mean(classes[p] == yte):.2f} %")
    zero = int(np.sum(~np.any(Xtr != 0, axis=1)))
    print(f"  zero training rows (NORMpre l2): {zero}")
    # kNN ties with every training row a proxy, on every `every`-th test row
    sel = np.arange(0, n, every)
    Xs, ys = Xte[sel].astype(np.float64), yte[sel]
    T = Xtr.astype(np.float64)
    for metric in ("euclidean", "manhattan"):
        flips = {m: 0 for m in (1, 3, 5, 20, 50)}
        ties = {m: 0 for m in flips}
        for i in range(len(sel)):
            diff = T - Xs[i]
            D = (diff * diff).sum(1) if metric == "euclidean" else np.abs(diff).sum(1)
            lo = np.argsort(D, kind="stable")                    # lowest index first
            hi = np.lexsort((-np.arange(len(D)), D))              # highest index first
            for m in flips:
                vote = lambda o: np.argmax(np.bincount(ytr[o[:m]], minlength=classes.max() + 1))
                ties[m] += D[lo[m - 1]] == D[lo[m]]
                flips[m] += vote(lo) != vote(hi)
        print(f"  GEN all, {metric}: rows with a tie at the m-th neighbour / whose vote changes"
              f" with the tie order, of {len(sel)}: " +
              ", ".join(f"m={m}: {ties[m]}/{flips[m]}" for m in flips))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 20)
