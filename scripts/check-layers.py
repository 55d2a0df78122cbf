#!/usr/bin/env python3
"""check-layers.py — the include rule of the library: no include runs up a layer, and no two
modules include each other (directly or round a longer circle).

A module is a .c file and the headers of the same name (src/x.c, include/imprint/x.h,
src/x_priv.h): x_priv.h belongs to x. Each module sits on one layer of LAYERS below; a module
may include its own layer (without a circle) and every layer beneath it, never one above. A
module missing from the table is an error, so a new file takes a place on purpose.

  scripts/check-layers.py [ROOT]     check the tree (default: the repository); exit 1 on a fault
  scripts/check-layers.py --self-test   show that an upward include and a circle are caught

docs/hacking.md explains the layers.
"""
import os
import re
import sys
import tempfile

# Bottom first. The tool's commands (src/tool/) sit above everything and are not listed.
LAYERS = [
    ("util", "err clock crash rng le hash64 pool named version h5util h5conv atomic outpath "
             "measure status blas cost_calib"),
    ("numeric", "strategy norm distance kmeans"),
    ("data", "store storefp store_write idx ingest job journal taskload"),
    ("model", "proxy pipeline cell infer grid cube cube_hdf5 cubeio cellkey piece"),
    ("engine", "sched worker resume sink sweep"),
    ("analysis", "stats plot cdplot nc1 analyze plotfig acctable claims"),
]
SOURCE_DIRS = ["src", "analysis", "include/imprint"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    base = os.path.splitext(os.path.basename(path))[0]
    return base[:-5] if base.endswith("_priv") else base


def layer_table():
    table = {}
    for rank, (name, mods) in enumerate(LAYERS):
        for m in mods.split():
            table[m] = (rank, name)
    return table


def read_graph(root):
    """Module -> {included module: first 'file:line' that includes it}."""
    graph = {}
    for d in SOURCE_DIRS:
        top = os.path.join(root, d)
        if not os.path.isdir(top):
            continue
        for f in sorted(os.listdir(top)):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(top, f)
            m = module_of(f)
            edges = graph.setdefault(m, {})
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for match in INCLUDE.finditer(text):
                target = module_of(match.group(1))
                line = text.count("\n", 0, match.start()) + 1
                if target != m:
                    edges.setdefault(target, "%s:%d" % (os.path.relpath(path, root), line))
    # includes of files that are no module of the library (generated, system) drop out
    for m in graph:
        graph[m] = {t: w for t, w in graph[m].items() if t in graph}
    return graph


def circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(root):
    table = layer_table()
    graph = read_graph(root)
    faults = []
    for m in sorted(graph):
        if m not in table:
            faults.append("%s: not in the layer table of scripts/check-layers.py (give it a "
                          "layer)" % m)
    for m in sorted(graph):
        for t, where in sorted(graph[m].items()):
            if m in table and t in table and table[t][0] > table[m][0]:
                faults.append("%s: %s (layer %s) includes %s (layer %s, above it)" %
                              (where, m, table[m][1], t, table[t][1]))
    for comp in circles(graph):
        faults.append("circle: %s include each other (%s)" % (", ".join(comp), "; ".join(
            "%s -> %s at %s" % (a, b, graph[a][b]) for a in comp for b in comp
            if b in graph[a])))
    return faults, len(graph)


def self_test():
    """A tiny tree: clean, then with an upward include, then with a circle."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "src"))

        def write(name, *includes):
            with open(os.path.join(root, "src", name), "w") as fh:
                fh.write("".join('#include "imprint/%s"\n' % i for i in includes))

        write("err.c")
        write("store.c", "err.h")
        write("grid.c", "store.h", "err.h")
        faults, n = check(root)
        assert faults == [] and n == 3, faults
        write("store.c", "err.h", "grid.h")  # data includes model: up, and a circle
        faults, _ = check(root)
        assert any("store (layer data) includes grid (layer model, above it)" in f
                   for f in faults), faults
        assert any(f.startswith("circle: grid, store") for f in faults), faults
        write("store.c", "err.h")
        write("newthing.c", "err.h")
        faults, _ = check(root)
        assert faults == ["newthing: not in the layer table of scripts/check-layers.py (give "
                          "it a layer)"], faults
    print("check-layers self-test: an upward include, a circle and an unplaced module are "
          "caught")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    faults, n = check(root)
    for f in faults:
        print("check-layers: " + f)
    if faults:
        print("check-layers: %d fault(s) in %d modules" % (len(faults), n))
        return 1
    print("check-layers: %d modules on %d layers, no include runs up, no circle" %
          (n, len(LAYERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
