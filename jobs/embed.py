#!/usr/bin/env python3
"""embed.py — torchvision foundation-model embeddings into imprint's HDF5 embedding store.

  python3 jobs/embed.py --store S.h5 --model NAME [--model NAME ...] --dataset NAME [--dataset NAME ...]
      [--data-root DIR] [--weights DEFAULT|NONE|PATH] [--device cuda|cpu] [--batch-size N]
      [--workers N] [--limit N] [--download]

Writes /<model>/<dataset>/{train,test}/{X float32 [n, d], y int32 [n]}, the `class_names`
attribute on /<model>/<dataset> and the model's `lambda` (weight decay for ls/kls, the
reference's table) on /<model>: the store layout `imprint store` and every sweep read.

Models: any torchvision classification model by name (the paper's resnet18, resnet50, vit_b_16,
swin_b among them). The classification head is replaced by identity as in the reference
(ResNet `fc`, ViT-B/16 `heads`, Swin-B `head`: the pooled / class-token features); for other
families the last linear layer of their head (`fc`, `heads`, `head` or `classifier`), i.e. the
penultimate features. Preprocessing is the weights' own `weights.transforms()`; grayscale
datasets (MNIST, Fashion-MNIST, USPS) are first converted to 3 channels.

Datasets (the store's names): mnist, fmnist, cifar10, svhn, usps (torchvision's classes, read
from --data-root in torchvision's layout), imagenet (ImageFolders DATA_ROOT/imagenet/train and
DATA_ROOT/imagenet/val), and NAME=PATH (ImageFolders PATH/train and PATH/test or PATH/val).
fmnist without --data-root reads Debian's dataset-fashion-mnist files. Nothing is downloaded
unless --download is given.

Resuming: each split is embedded into a side file beside the store (STORE.MODEL.DATASET.SPLIT
.partial.h5), then copied into a temporary group of the store and renamed into place, so the
store only ever holds complete splits and is open for writing only for that short copy. A
rerun skips every split already in the store and starts at the first missing one. SIGTERM or
SIGINT (Slurm's time limit, scancel) stops between batches with exit 75; the copy into the
store is never interrupted by them.

Exit codes: 0 done, 2 bad usage or input (unknown model or dataset, missing data, an existing
entry with another dimension), 75 stopped early (run the same command again to resume),
1 other errors.
"""

import argparse
import gzip
import os
import signal
import struct
import sys
import time

EXIT_USAGE = 2
EXIT_STOPPED = 75

PAPER_MODELS = ["resnet18", "resnet50", "vit_b_16", "swin_b"]
# weight decay for ls/kls per backbone (docs/job-file.md, "lambda"); the same table as
# imp_default_lambda in src/data/store.c
LAMBDA = {"resnet18": 1e-4, "resnet50": 1e-4, "vit_b_16": 0.1, "swin_b": 0.05}
LAMBDA_OTHER = 0.05
DATASETS = ["mnist", "fmnist", "cifar10", "svhn", "usps", "imagenet"]
GRAYSCALE = {"mnist", "fmnist", "usps"}
SPLITS = ["test", "train"]  # the reference embeds the test split first
HEAD_ATTRS = ["fc", "heads", "head", "classifier"]
COPY_ROWS = 1 << 16


class UsageError(Exception):
    """Bad usage or bad input: reported on stderr, exit 2."""


class Stopped(Exception):
    """A stop signal arrived: exit 75, resumable."""


_stop = {"signal": None}


def _on_signal(sig, _frame):
    _stop["signal"] = sig


def say(msg):
    print(f"embed.py: {msg}", file=sys.stderr, flush=True)


class _LogLines:
    """tqdm target for a non-terminal stderr (a Slurm log): one plain line per update instead
    of carriage-return redraws."""

    def write(self, s):
        s = s.replace("\r", "").strip()
        if s:
            sys.stderr.write(s + "\n")

    def flush(self):
        sys.stderr.flush()


def progress(iterable, total, desc):
    from tqdm import tqdm

    if sys.stderr.isatty():
        return tqdm(iterable, total=total, desc=desc, unit="img", unit_scale=True)
    return tqdm(iterable, total=total, desc=desc, unit="img", unit_scale=True,
                file=_LogLines(), mininterval=30, ascii=True, ncols=100)


# ---- models ---------------------------------------------------------------------------------


def valid_models():
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def load_model(name, weights_opt):
    """The torchvision model with its head replaced by identity, in eval mode; returns
    (model, preprocessing transform, description)."""
    import torch
    import torchvision

    names = valid_models()
    if name not in names:
        raise UsageError(f"unknown model '{name}'; valid: {', '.join(names)}")
    enum = torchvision.models.get_model_weights(name)
    default = enum.DEFAULT
    if weights_opt == "DEFAULT":
        weights, wdesc = default, f"{default}"
    elif weights_opt == "NONE":
        weights, wdesc = None, "none (random init, seed 0)"
    else:
        if not os.path.isfile(weights_opt):
            raise UsageError(f"--weights '{weights_opt}': expected DEFAULT, NONE or a state-dict file")
        weights, wdesc = None, f"state dict {os.path.abspath(weights_opt)}"
    torch.manual_seed(0)  # --weights NONE: the same random model on every run
    try:
        model = torchvision.models.get_model(name, weights=weights)
    except Exception as e:  # a download that cannot happen (no network), a broken cache
        raise UsageError(f"model '{name}' with weights {wdesc}: {e} (on a node without network, "
                         "fetch the weights into TORCH_HOME first or pass --weights PATH)")
    if weights_opt not in ("DEFAULT", "NONE"):
        state = torch.load(weights_opt, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        try:
            model.load_state_dict(state)
        except Exception as e:
            raise UsageError(f"--weights '{weights_opt}': not a state dict of {name}: {e}")
    head = replace_head(model, name)
    model.eval()
    return model, default.transforms(), f"torchvision {name}, weights {wdesc}, {head} -> identity"


def replace_head(model, name):
    """Replace the classification head by identity (the reference's rule for ResNet `fc`,
    ViT `heads`, Swin `head`; for other families the last linear layer of the head)."""
    import torch.nn as nn

    for attr in HEAD_ATTRS:
        head = getattr(model, attr, None)
        if head is None:
            continue
        if isinstance(head, nn.Linear) or (isinstance(head, nn.Sequential) and len(head) == 1
                                           and isinstance(head[0], nn.Linear)):
            setattr(model, attr, nn.Identity())
            return attr
        last = None
        for sub_name, sub in head.named_modules():
            if isinstance(sub, nn.Linear):
                last = sub_name
        if last is None:
            break
        parent = head
        parts = last.split(".")
        for p in parts[:-1]:
            parent = getattr(parent, p)
        setattr(parent, parts[-1], nn.Identity())
        return f"{attr}.{last}"
    raise UsageError(f"model '{name}' has no linear classification head "
                     f"({' / '.join(HEAD_ATTRS)}) to replace by identity")


def model_dim(model, transform, device):
    """Embedding dimension: one forward pass of a blank image at the preset's crop size."""
    import torch

    crop = transform.crop_size
    crop = crop[0] if isinstance(crop, (list, tuple)) else crop
    with torch.no_grad():
        out = model(torch.zeros(1, 3, crop, crop, device=device))
    return int(out.reshape(1, -1).shape[1])


# ---- datasets -------------------------------------------------------------------------------


def debian_fmnist_dir():
    """Where Debian's dataset-fashion-mnist keeps its files (as src/data/ingest.c finds them)."""
    import subprocess

    base = "train-images-idx3-ubyte"
    try:
        out = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True,
                             text=True, check=False).stdout
        for line in out.splitlines():
            if os.path.basename(line).startswith(base):
                return os.path.dirname(line)
    except OSError:
        pass
    return "/usr/share/datasets/fashion-mnist"


def _idx_open(path):
    for p in (path + ".gz", path):
        if os.path.exists(p):
            return gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb"), p
    raise UsageError(f"{path}(.gz) not found: install Debian's dataset-fashion-mnist "
                     "(apt-get install dataset-fashion-mnist) or pass --data-root")


def _read_idx(path, ndim):
    import numpy as np

    f, real = _idx_open(path)
    with f:
        head = f.read(4)
        if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] != 8 or head[3] != ndim:
            raise UsageError(f"{real}: not an idx file of unsigned bytes with {ndim} dimensions")
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    if data.size != int(np.prod(dims)):
        raise UsageError(f"{real}: {data.size} bytes of data, expected {int(np.prod(dims))}")
    return data.reshape(dims)


class IdxImages:
    """Fashion-MNIST from idx files (Debian's dataset-fashion-mnist) as a torchvision-style
    dataset of grayscale PIL images."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

    def __init__(self, directory, split, transform):
        pre = "train" if split == "train" else "t10k"
        self.images = _read_idx(os.path.join(directory, f"{pre}-images-idx3-ubyte"), 3)
        self.labels = _read_idx(os.path.join(directory, f"{pre}-labels-idx1-ubyte"), 1)
        if len(self.images) != len(self.labels):
            raise UsageError(f"{directory}: {len(self.images)} {pre} images but "
                             f"{len(self.labels)} labels")
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def _image_folder(path, transform):
    import torchvision

    if not os.path.isdir(path):
        raise UsageError(f"{path}: no such directory (an ImageFolder: one folder per class)")
    return torchvision.datasets.ImageFolder(path, transform=transform)


def parse_dataset(spec):
    """'fmnist' -> ('fmnist', None); 'mine=/data/mine' -> ('mine', '/data/mine')."""
    if "=" in spec:
        name, path = spec.split("=", 1)
        if not name or "/" in name or not path:
            raise UsageError(f"--dataset '{spec}': expected NAME=PATH with a NAME without '/'")
        return name, path
    if spec not in DATASETS:
        raise UsageError(f"unknown dataset '{spec}'; valid: {', '.join(DATASETS)} or NAME=PATH "
                         "(an ImageFolder with train/ and test/ or val/)")
    return spec, None


def load_split(name, path, split, args, preset):
    """The dataset split with the model's preprocessing; returns (dataset, class names)."""
    import torchvision
    import torchvision.transforms as T

    transform = T.Compose([T.Grayscale(num_output_channels=3), preset]) if name in GRAYSCALE \
        else preset
    train = split == "train"
    root = args.data_root
    tv = torchvision.datasets
    try:
        if path is not None:
            sub = os.path.join(path, "train") if train else next(
                (os.path.join(path, s) for s in ("test", "val")
                 if os.path.isdir(os.path.join(path, s))), os.path.join(path, "test"))
            ds = _image_folder(sub, transform)
            return ds, list(ds.classes)
        if name == "fmnist" and root is None:
            ds = IdxImages(debian_fmnist_dir(), split, transform)
            return ds, list(ds.classes)
        if root is None:
            raise UsageError(f"dataset '{name}' needs --data-root DIR (torchvision's layout"
                             f"{', DIR/imagenet/{train,val}' if name == 'imagenet' else ''})")
        if name == "imagenet":
            ds = _image_folder(os.path.join(root, "imagenet", "train" if train else "val"),
                               transform)
            return ds, list(ds.classes)
        dl = args.download
        if name == "mnist":
            ds = tv.MNIST(root, train=train, transform=transform, download=dl)
        elif name == "fmnist":
            ds = tv.FashionMNIST(root, train=train, transform=transform, download=dl)
        elif name == "cifar10":
            ds = tv.CIFAR10(root, train=train, transform=transform, download=dl)
        elif name == "svhn":
            ds = tv.SVHN(root, split=split, transform=transform, download=dl)
        else:
            ds = tv.USPS(root, train=train, transform=transform, download=dl)
    except RuntimeError as e:  # torchvision: "Dataset not found. You can use download=True ..."
        raise UsageError(f"dataset '{name}' ({split}) under {root}: {e} (or pass --download)")
    classes = list(getattr(ds, "classes", [])) or [str(c) for c in range(10)]
    return ds, classes


# ---- the store ------------------------------------------------------------------------------


def split_path(model, dataset, split):
    return f"/{model}/{dataset}/{split}"


def check_store(store, model, dataset, d):
    """Splits of (model, dataset) already complete; exit 2 if an entry of the model has
    another embedding dimension than d."""
    import h5py

    done = []
    if not os.path.exists(store):
        return done
    try:
        f = h5py.File(store, "r")
    except OSError as e:
        raise UsageError(f"{store}: not an HDF5 file h5py can open ({e})")
    with f:
        if model not in f:
            return done
        for ds_name, grp in f[model].items():
            if not isinstance(grp, h5py.Group):
                continue
            for split in SPLITS:
                x = grp.get(f"{split}/X")
                if x is None:
                    continue
                if x.ndim != 2 or x.shape[1] != d:
                    raise UsageError(f"{store}: /{model}/{ds_name}/{split}/X has d = "
                                     f"{x.shape[1] if x.ndim == 2 else x.shape}, but {model} "
                                     f"embeds {dataset} with d = {d}")
                if ds_name == dataset and f"{split}/y" in grp:
                    done.append(split)
    return done


def embed_split(model, ds, device, args, side, d, desc):
    """Embed every image of ds into the side file (X float32 [n, d], y int32 [n])."""
    import h5py
    import numpy as np
    import torch

    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=False,
                                         num_workers=args.workers,
                                         pin_memory=device.type == "cuda")
    n = len(ds)
    with h5py.File(side, "w") as f:
        X = f.create_dataset("X", (n, d), dtype="<f4", chunks=(min(max(n, 1), 1024), d))
        y = f.create_dataset("y", (n,), dtype="<i4")
        row = 0
        bar = progress(None, n, desc)
        with torch.no_grad():
            for images, labels in loader:
                if _stop["signal"] is not None:
                    bar.close()
                    raise Stopped()
                out = model(images.to(device, non_blocking=True)).reshape(len(images), -1)
                X[row:row + len(images)] = out.float().cpu().numpy()
                y[row:row + len(images)] = np.asarray(labels, dtype=np.int32)
                row += len(images)
                bar.update(len(images))
        bar.close()
        if row != n:
            raise RuntimeError(f"{desc}: {row} rows embedded, expected {n}")


def commit_split(store, side, model, dataset, split, classes, lam, description):
    """Copy the side file's split into /<model>/<dataset>/<split>.partial and rename it to
    <split>; with the stop signals blocked, so the store never holds a half-written split."""
    import h5py

    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        with h5py.File(side, "r") as src, h5py.File(store, "a") as f:
            grp = f.require_group(f"/{model}/{dataset}")
            tmp = f"{split}.partial"
            if tmp in grp:
                del grp[tmp]
            g = grp.create_group(tmp)
            n, d = src["X"].shape
            X = g.create_dataset("X", (n, d), dtype="<f4",
                                 chunks=(min(max(n, 1), 1024), d) if n else None)
            g.create_dataset("y", data=src["y"][:], dtype="<i4")
            for r in range(0, n, COPY_ROWS):
                X[r:r + COPY_ROWS] = src["X"][r:r + COPY_ROWS]
            grp.move(tmp, split)
            if "class_names" not in grp.attrs:
                grp.attrs["class_names"] = classes
            mg = f[f"/{model}"]
            mg.attrs["lambda"] = float(lam)
            if "description" not in mg.attrs:
                mg.attrs["description"] = description
            f.flush()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    os.unlink(side)


# ---- main -----------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="embed.py",
        description="Embed datasets with frozen torchvision models into an imprint embedding "
                    "store (/<model>/<dataset>/{train,test}/{X,y}).",
        epilog="Exit codes: 0 done, 2 bad usage or input, 75 stopped early (rerun to resume), "
               "1 other errors.")
    p.add_argument("--store", required=True, help="the HDF5 store to create or extend")
    p.add_argument("--model", action="append", required=True,
                   help="torchvision classification model (resnet18, resnet50, vit_b_16, swin_b, "
                        "...); repeatable")
    p.add_argument("--dataset", action="append", required=True,
                   help=f"{', '.join(DATASETS)} or NAME=PATH (ImageFolder); repeatable")
    p.add_argument("--data-root", help="where the raw datasets are (torchvision's layout)")
    p.add_argument("--weights", default="DEFAULT",
                   help="DEFAULT (the model's default pretrained weights), NONE (random init, "
                        "for tests) or PATH of a state dict (offline clusters)")
    p.add_argument("--device", help="cuda or cpu (default: cuda if available)")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass (64)")
    p.add_argument("--workers", type=int, default=4, help="data-loader processes (4)")
    p.add_argument("--limit", type=int, help="at most N images per split (the first N)")
    p.add_argument("--download", action="store_true",
                   help="let torchvision download missing datasets into --data-root")
    p.add_argument("--stop-after-split", type=int, metavar="N",
                   help="test hook: exit 75 after committing N splits, as a stop signal would")
    args = p.parse_args(argv)
    if args.batch_size < 1 or args.workers < 0 or (args.limit is not None and args.limit < 1):
        p.error("--batch-size and --limit must be >= 1, --workers >= 0")
    return args


def run(args):
    import torch

    datasets = [parse_dataset(s) for s in args.dataset]
    names = valid_models()
    for m in args.model:
        if m not in names:
            raise UsageError(f"unknown model '{m}'; valid: {', '.join(names)}")
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device available (use --device cpu)")
    committed = 0
    for mname in args.model:
        model, preset, description = load_model(mname, args.weights)
        model.to(device)
        d = model_dim(model, preset, device)
        for dname, dpath in datasets:
            done = check_store(args.store, mname, dname, d)
            for split in SPLITS:
                if split in done:
                    say(f"{mname}/{dname}/{split} already in {args.store}: skipped")
                    continue
                ds, classes = load_split(dname, dpath, split, args, preset)
                if args.limit is not None and args.limit < len(ds):
                    ds = torch.utils.data.Subset(ds, range(args.limit))
                side = f"{args.store}.{mname}.{dname}.{split}.partial.h5"
                t0 = time.monotonic()
                embed_split(model, ds, device, args, side, d, f"{mname}/{dname}/{split}")
                commit_split(args.store, side, mname, dname, split, classes,
                             LAMBDA.get(mname, LAMBDA_OTHER), description)
                say(f"{mname}/{dname}/{split}: {len(ds)} x {d} in "
                    f"{time.monotonic() - t0:.1f} s -> {args.store}")
                committed += 1
                if args.stop_after_split is not None and committed >= args.stop_after_split:
                    say(f"stopping after {committed} split(s) (--stop-after-split)")
                    return EXIT_STOPPED
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        import h5py  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError as e:
        say(f"{e}: embed.py needs torch, torchvision, h5py and tqdm (Debian: apt-get install "
            "python3-torch python3-torchvision python3-h5py python3-tqdm; elsewhere pip or conda)")
        return EXIT_USAGE
    try:
        return run(args)
    except UsageError as e:
        say(str(e))
        return EXIT_USAGE
    except Stopped:
        say(f"stopped by signal {_stop['signal']}: run the same command again to resume at the "
            "first missing split")
        return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())
