#!/usr/bin/python3
"""mkstores.py OUTDIR — the stores test_inputs reads, written the way users write them: h5py
with numpy's default dtypes (float64 X, int64 y) unless a case says otherwise.

Every store is /m/ds/{train,test}/{X,y}: 3 classes, 4-d, class c centred at 10 * e_c with
noise of sd 0.1 (train 30 rows, test 12, labels 0,1,2,0,1,2,...), so every strategy of the
tests classifies every test row correctly (accuracy 100 %, by hand: the nearest centre is
10 apart, the noise 0.1). Each case then breaks one thing."""
import sys
import numpy as np
import h5py

out = sys.argv[1]
rng = np.random.default_rng(0)


def blobs(n, d=4, classes=3):
    y = np.arange(n) % classes
    X = rng.normal(0, 0.1, (n, d)) + 10.0 * np.eye(d)[y]
    return X, y


def write(name, mut=None, xdt=None, ydt=None):
    with h5py.File(f"{out}/{name}.h5", "w") as f:
        for split, n in (("train", 30), ("test", 12)):
            X, y = blobs(n)
            if xdt:
                X = X.astype(xdt)
            if ydt:
                y = y.astype(ydt)
            d = {"X": X, "y": y}
            if mut:
                mut(split, d)
            for k, v in d.items():
                f[f"m/ds/{split}/{k}"] = v


def case(name, xdt=None, ydt=None):
    def deco(fn):
        write(name, fn, xdt, ydt)
        return fn
    return deco


write("h5py")                                   # float64 X, int64 y: h5py's defaults
write("f32", xdt="float32", ydt="int32")         # the same values, as ingest writes them
write("f16", xdt="float16", ydt="uint8")


@case("bigx")
def _(split, d):
    if split == "train":
        d["X"][3, 1] = 1e300                     # beyond float32


@case("bigy")
def _(split, d):
    if split == "train":
        d["y"][5] = 2**40                        # beyond int32


@case("zero")
def _(split, d):
    if split == "train":
        d["X"][4] = 0                            # a zero row (class 1) under NORMpre l2


@case("nan")
def _(split, d):
    if split == "test":
        d["X"][2, 3] = np.nan


@case("inf")
def _(split, d):
    if split == "train":
        d["X"][7, 0] = np.inf


@case("dims")
def _(split, d):
    if split == "test":
        d["X"] = np.hstack([d["X"], d["X"]])    # test d = 8, train d = 4


@case("short")
def _(split, d):
    if split == "train":
        d["y"] = d["y"][:-3]                     # y shorter than X


@case("floaty")
def _(split, d):
    d["y"] = d["y"].astype("float32")


@case("emptycls")
def _(split, d):
    if split == "test":
        d["y"][d["y"] == 2] = 1                  # class 2 has no test rows


@case("strx")
def _(split, d):
    d["X"] = np.array([b"a"] * 30 if split == "train" else [b"a"] * 12)
