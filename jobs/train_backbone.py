#!/usr/bin/env python3
"""train_backbone.py — a small learned backbone (cnn04), trained offline and deterministically on
Fashion-MNIST classes 0-4, whose features are embedded into imprint's HDF5 embedding store.

  python3 jobs/train_backbone.py --store S.h5 [--model cnn04] [--seed N] [--epochs N]
      [--train-limit N] [--limit N] [--data-dir DIR] [--retrain]

Why: the demo's raw pixels and random ReLU map are far from neural collapse, so they cannot show
the paper's insight (imprinting works best where the new classes' features are collapsed; several
proxies per class help most where they are not). A CNN trained on classes 0-4 (T-shirt/top,
trouser, pullover, dress, coat) collapses those classes; classes 5-9 (sandal, shirt, sneaker,
bag, ankle boot) and another domain (sklearn's 8x8 handwritten digits) it has never seen.

What it writes, beside the store S.h5 (nothing is downloaded):
  S.h5.MODEL.pt          the trained weights (torch state dict)
  S.h5.MODEL.pt.sha256   their sha256 in `sha256sum` format (`sha256sum -c` checks it)
  S.h5.MODEL.json        how they were trained (seed, epochs, rows, classes) and the accuracy on
                         the test split of the seen classes
and into the store, in the layout of jobs/embed.py (/<model>/<dataset>/{train,test}/{X,y},
`class_names`, `lambda`, `description`), with `weights_sha256` on /<model>:
  /MODEL/fmnist   all 10 Fashion-MNIST classes (Debian's dataset-fashion-mnist idx files)
  /MODEL/digits   sklearn's 8x8 digits: pixel values 0..16 scaled to [0, 1], bilinearly resized
                  to 20x20 and zero-padded by 4 on each side to 28x28 -- the MNIST convention
                  (digits size-normalised into a 20x20 box, centred in a 28x28 frame); rows with
                  an even index are the train split (899), odd ones the test split (898)

Determinism: one thread, torch.use_deterministic_algorithms(True), the seed drives the weight
initialisation and the shuffling (a seeded generator, no data-loader workers), so the same seed,
rows and epochs give the same weights bit for bit and the same hash. A rerun whose weights file
still matches its hash file and whose recorded training settings equal the requested ones reuses
the weights (no training); the store's splits already present are skipped, and a store whose
/MODEL was embedded with other weights is refused (exit 2) rather than mixed.

Exit codes: 0 done, 2 bad usage or input (missing data, a store holding other weights of MODEL),
1 other errors.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ beside embed.py (a checkout, or an installed share/)
import embed  # noqa: E402  the store layout, idx reader and atomic split commit live there

SEEN = [0, 1, 2, 3, 4]
# Fashion-MNIST's pixel mean and standard deviation over its train split (in [0, 1]); the same
# constants normalise the digits so both domains reach the network on one scale
MEAN, STD = 0.2860, 0.3530
EMBED_DIM = 64
BATCH = 128
LR = 0.05
MOMENTUM = 0.9
DIGITS_BOX, DIGITS_PAD = 20, 4
LAMBDA = 0.05  # weight decay for ls/kls: the store's default for models outside the paper's table


def say(msg):
    print(f"train_backbone.py: {msg}", file=sys.stderr, flush=True)


def build_net(n_out):
    """Two conv blocks and a 64-d ReLU feature layer (the embedding), then a linear head."""
    import torch.nn as nn

    features = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, EMBED_DIM), nn.ReLU())
    return nn.Sequential(features, nn.Linear(EMBED_DIM, n_out))


def to_input(images_u8):
    """uint8 [n, 28, 28] -> normalised float32 tensor [n, 1, 28, 28]."""
    import torch

    x = torch.from_numpy(images_u8.astype("float32") / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


def load_fmnist(directory, split):
    """(images uint8 [n, 28, 28], labels int64 [n]) of a Fashion-MNIST split from idx files."""
    pre = "train" if split == "train" else "t10k"
    images = embed._read_idx(os.path.join(directory, f"{pre}-images-idx3-ubyte"), 3)
    labels = embed._read_idx(os.path.join(directory, f"{pre}-labels-idx1-ubyte"), 1)
    if len(images) != len(labels) or images.shape[1:] != (28, 28):
        raise embed.UsageError(f"{directory}: {pre} images {images.shape} and labels "
                               f"{labels.shape} do not pair as 28x28 images")
    return images, labels.astype("int64")


def load_digits():
    """sklearn's 8x8 digits as normalised [n, 1, 28, 28] tensors: {split: (x, y)}."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = torch.from_numpy(d.images.astype("float32") / 16.0).unsqueeze(1)
    x = F.interpolate(x, size=(DIGITS_BOX, DIGITS_BOX), mode="bilinear", align_corners=False)
    x = F.pad(x, (DIGITS_PAD,) * 4)
    x = (x - MEAN) / STD
    y = d.target.astype("int64")
    return {"train": (x[0::2], y[0::2]), "test": (x[1::2], y[1::2])}


def seen_rows(labels, limit):
    """Indices of the seen classes' rows, in file order, the first `limit` of them."""
    import numpy as np

    idx = np.flatnonzero(np.isin(labels, SEEN))
    return idx if limit is None else idx[:limit]


def weights_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def accuracy(net, x, y):
    import torch

    with torch.no_grad():
        pred = torch.cat([net(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return 100.0 * float((pred == torch.as_tensor(y)).float().mean())


def train(args, fm_dir, settings):
    """Train on the seen classes; returns the network (eval mode) and its seen-class test
    accuracy (percent)."""
    import torch
    import torch.nn as nn

    images, labels = load_fmnist(fm_dir, "train")
    rows = seen_rows(labels, args.train_limit)
    x, y = to_input(images[rows]), torch.from_numpy(labels[rows])
    settings["train_rows"] = int(len(rows))
    torch.manual_seed(args.seed)
    net = build_net(len(SEEN))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.monotonic()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), BATCH):
            b = order[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(x[b]), y[b])
            loss.backward()
            opt.step()
            total += float(loss) * len(b)
        say(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x):.4f} "
            f"({time.monotonic() - t0:.1f} s)")
    net.eval()
    timages, tlabels = load_fmnist(fm_dir, "test")
    trows = seen_rows(tlabels, None)
    acc = accuracy(net, to_input(timages[trows]), tlabels[trows])
    say(f"seen classes {SEEN}: test accuracy {acc:.2f} % on {len(trows)} rows")
    return net, acc


def reusable(pt, sha, meta, settings):
    """The recorded weights match their hash and were trained with these settings."""
    try:
        with open(sha) as f:
            recorded = f.read().split()[0]
        with open(meta) as f:
            m = json.load(f)
    except (OSError, IndexError, ValueError):
        return None
    if not os.path.isfile(pt) or weights_sha256(pt) != recorded or m.get("sha256") != recorded:
        return None
    if any(m.get(key) != value for key, value in settings.items()):
        return None
    return m


def publish(path, data):
    """Write bytes through a temporary beside the file and rename it into place, so a killed
    run never leaves a half-written weights or hash file that looks complete."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_store_weights(store, model, digest):
    """Refuse a store whose /model came from other weights (its splits would mix two
    backbones)."""
    import h5py

    if not os.path.exists(store):
        return
    try:
        with h5py.File(store, "r") as f:
            if model not in f:
                return
            have = f[model].attrs.get("weights_sha256")
    except OSError as e:
        raise embed.UsageError(f"{store}: not an HDF5 file h5py can open ({e})")
    if isinstance(have, bytes):
        have = have.decode()
    if have != digest:
        raise embed.UsageError(
            f"{store}: /{model} was embedded with weights {have or '(unrecorded)'}, these are "
            f"{digest}; use another --model name or delete /{model} from the store")


def embed_into_store(net, args, digest, fm_dir, limit):
    """Embed fmnist (all classes) and digits with the feature layer, one split at a time through
    embed.py's side file and atomic commit."""
    import h5py
    import numpy as np
    import torch

    features = net[0]
    description = (f"cnn trained by jobs/train_backbone.py on Fashion-MNIST classes "
                   f"{','.join(map(str, SEEN))} (seed {args.seed}, {args.epochs} epochs), "
                   f"{EMBED_DIM}-d ReLU features, weights sha256 {digest}")
    with h5py.File(args.store, "a") as f:  # before any split: no split without its weights' hash
        f.require_group(args.model).attrs["weights_sha256"] = digest
    digits = None
    for dataset in ("fmnist", "digits"):
        done = embed.check_store(args.store, args.model, dataset, EMBED_DIM)
        for split in embed.SPLITS:
            if split in done:
                say(f"{args.model}/{dataset}/{split} already in {args.store}: skipped")
                continue
            if dataset == "fmnist":
                images, labels = load_fmnist(fm_dir, split)
                if limit is not None:
                    images, labels = images[:limit], labels[:limit]
                x, y, classes = to_input(images), labels, embed.IdxImages.classes
            else:
                digits = digits or load_digits()
                x, y = digits[split]
                classes = [str(c) for c in range(10)]
            side = f"{args.store}.{args.model}.{dataset}.{split}.partial.h5"
            with torch.no_grad():
                X = torch.cat([features(x[i:i + 1000]) for i in range(0, len(x), 1000)])
            with h5py.File(side, "w") as f:
                f.create_dataset("X", data=X.numpy().astype("<f4"))
                f.create_dataset("y", data=np.asarray(y, dtype="<i4"))
            embed.commit_split(args.store, side, args.model, dataset, split, classes, LAMBDA,
                               description)
            say(f"{args.model}/{dataset}/{split}: {len(y)} x {EMBED_DIM} -> {args.store}")


def run(args):
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    fm_dir = args.data_dir or embed.debian_fmnist_dir()
    base = f"{args.store}.{args.model}"
    pt, sha, meta = f"{base}.pt", f"{base}.pt.sha256", f"{base}.json"
    settings = {"model": args.model, "seed": args.seed, "epochs": args.epochs,
                "train_limit": args.train_limit, "seen_classes": SEEN, "embed_dim": EMBED_DIM,
                "batch": BATCH, "lr": LR, "momentum": MOMENTUM}
    m = None if args.retrain else reusable(pt, sha, meta, settings)
    if m is not None:
        say(f"reusing {pt} (sha256 {m['sha256']}, seen-class accuracy {m['seen_accuracy']:.2f} %)")
        net = build_net(len(SEEN))
        net.load_state_dict(torch.load(pt, map_location="cpu"))
        net.eval()
        digest = m["sha256"]
    else:
        t0 = time.monotonic()
        net, acc = train(args, fm_dir, settings)
        # serialised in memory: torch.save to a path names the zip archive's folder after the
        # file, so the bytes (and the hash) would depend on the store's name
        buf = io.BytesIO()
        torch.save(net.state_dict(), buf)
        publish(pt, buf.getvalue())
        digest = weights_sha256(pt)
        m = dict(settings, sha256=digest, seen_accuracy=round(acc, 4),
                 train_seconds=round(time.monotonic() - t0, 1), torch=torch.__version__)
        publish(meta, (json.dumps(m, indent=1) + "\n").encode())
        # the hash file last: it is what a rerun trusts, so it never names weights not yet there
        publish(sha, f"{digest}  {os.path.basename(pt)}\n".encode())
        say(f"weights {pt}: sha256 {digest}")
    check_store_weights(args.store, args.model, digest)
    embed_into_store(net, args, digest, fm_dir, args.limit)
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="train_backbone.py",
        description="Train a small CNN on Fashion-MNIST classes 0-4 (CPU, deterministic) and "
                    "embed Fashion-MNIST and sklearn's digits with it into an imprint store.",
        epilog="Exit codes: 0 done, 2 bad usage or input, 1 other errors.")
    p.add_argument("--store", required=True, help="the HDF5 store to create or extend")
    p.add_argument("--model", default="cnn04", help="the store's name for the backbone (cnn04)")
    p.add_argument("--seed", type=int, default=17121997, help="initialisation and shuffling")
    p.add_argument("--epochs", type=int, default=5, help="passes over the training rows (5)")
    p.add_argument("--train-limit", type=int, metavar="N",
                   help="train on the first N seen-class rows only (tests)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="embed the first N Fashion-MNIST rows of each split only (tests)")
    p.add_argument("--data-dir", help="Fashion-MNIST idx files (default: Debian's package)")
    p.add_argument("--retrain", action="store_true", help="train even if the weights match")
    args = p.parse_args(argv)
    if args.epochs < 1 or any(v is not None and v < 1 for v in (args.train_limit, args.limit)):
        p.error("--epochs, --train-limit and --limit must be >= 1")
    if not args.model or "/" in args.model:
        p.error(f"--model '{args.model}': expected a name without '/'")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import h5py  # noqa: F401
        import sklearn  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        say(f"{e}: train_backbone.py needs torch, h5py and sklearn (Debian: apt-get install "
            "python3-torch python3-h5py python3-sklearn)")
        return embed.EXIT_USAGE
    try:
        return run(args)
    except embed.UsageError as e:
        say(str(e))
        return embed.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
