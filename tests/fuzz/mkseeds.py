#!/usr/bin/python3
"""mkseeds.py — (re)write the hand-made seeds of tests/fuzz/: idx files (plain and gzip) and
store recipes (the byte language of fuzz_store.c). Job seeds are the repository's job files
(scripts/fuzz.sh adds them), journal seeds a fresh journal (scripts/fuzz.sh makes one)."""
import gzip, os, struct

here = os.path.dirname(os.path.abspath(__file__))


def put(sub, name, data):
    os.makedirs(os.path.join(here, sub), exist_ok=True)
    with open(os.path.join(here, sub, name), "wb") as f:
        f.write(data)


# idx: 3 labels; 2 images of 2x3
labels = bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([1, 2, 9])
images = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + bytes(range(12))
put("idx", "labels", labels)
put("idx", "images", images)
put("idx", "labels.gz", gzip.compress(labels, mtime=0))
put("idx", "images.gz", gzip.compress(images, mtime=0))
put("idx", "huge-claim", bytes([0, 0, 8, 3]) + struct.pack(">III", 0xFFFFFFFF, 0xFFFFFFFF, 2))

# store recipe: op (1 = dataset), depth-1, names (m ds split X|y), type, rank, 3 dims, values
NAMES = {"m": 0, "ds": 1, "train": 2, "test": 3, "X": 4, "y": 5}


def dataset(path, typ, dims, values):
    rank = len(dims)
    d = list(dims) + [1] * (3 - rank)
    out = bytes([1, len(path) - 1] + [NAMES[p] for p in path] + [typ, rank] +
                [d[0] - 1, d[1] - 1, d[2] - 1])
    return out + values


def split(name, n, f32=True):
    X = b"".join(struct.pack("<f", float(10 * (i % 2) + j)) for i in range(n) for j in range(2))
    y = b"".join(struct.pack("<i", i % 2) for i in range(n))
    return (dataset(["m", "ds", name, "X"], 0 if f32 else 1, (n, 2),
                    X if f32 else b"".join(struct.pack(">d", float(10 * (i % 2) + j))
                                           for i in range(n) for j in range(2))) +
            dataset(["m", "ds", name, "y"], 6, (n,), y))


put("store", "valid", split("train", 4) + split("test", 2))
put("store", "f64", split("train", 4, False) + split("test", 2, False))
put("store", "no-test", split("train", 4))
