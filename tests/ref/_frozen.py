"""_frozen.py — shared by the reference scripts that print a frozen file: skip without numpy,
and compare what a script prints with the file it froze (not a test itself: CMake registers
tests/ref/*.py but for the _-prefixed helpers)."""
import os
import sys


def need_numpy():
    """numpy, or exit 77 (ctest reads it as skipped; CI installs python3-numpy)."""
    try:
        import numpy
        return numpy
    except ImportError as e:
        print(f"SKIP: {e}")
        sys.exit(77)


def check(lines, frozen_name, rel=1e-9):
    """Print lines (so the script still writes its reference: `script > file`), then compare
    them with tests/ref/<frozen_name> word by word: words equal, or numbers within rel (BLAS
    and numpy versions move the last digits). Exits 0 when they agree, 1 naming the first
    difference."""
    for line in lines:
        print(line)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), frozen_name)
    with open(path) as f:
        frozen = f.read().splitlines()
    bad = None
    if len(frozen) != len(lines):
        bad = f"{len(lines)} lines, {path} has {len(frozen)}"
    for i, (a, b) in enumerate(zip(lines, frozen)):
        wa, wb = a.split(), b.split()
        ok = len(wa) == len(wb)
        for x, y in zip(wa, wb):
            if x == y:
                continue
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                ok = False
                break
            if abs(fx - fy) > rel * max(abs(fx), abs(fy), 1e-300):
                ok = False
        if not ok and bad is None:
            bad = f"line {i + 1}: computed '{a}', {path} has '{b}'"
    if bad:
        print(f"FAIL {bad}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {len(lines)} lines agree with {path} (relative {rel:g})", file=sys.stderr)
    sys.exit(0)
