#!/usr/bin/env python3
"""check-layers.py — the include rule of the library: no include runs up a layer, and no two
modules include each other (directly or round a longer circle).

The folder is the layer. A module is a .c file of src/<layer>/ and the headers of the same name
(src/<layer>/x.c, src/<layer>/x_priv.h, include/imprint/x.h); a module made of a header alone
(include/imprint/le.h) takes its layer from HEADER_ONLY below. Layers, bottom first, are LAYERS;
a module may include its own layer (without a circle) and every layer beneath it, never one
above. A folder that is no layer, or a public header that belongs to no module and is not
placed in HEADER_ONLY, is an error, so a new file takes its place on purpose. The tool's
commands (src/tool/) sit above everything and are not checked.

  scripts/check-layers.py [ROOT]     check the tree (default: the repository); exit 1 on a fault
  scripts/check-layers.py --self-test   show that an upward include and a circle are caught

docs/hacking.md explains the layers.
"""
import os
import re
import sys
import tempfile

# Bottom first: the folders of src/ that hold the library.
LAYERS = ["util", "numeric", "data", "model", "engine", "analysis"]
# Modules that are a public header and nothing else, and their layer.
HEADER_ONLY = {"le": "util", "version": "util", "status": "util"}
ABOVE = {"tool"}  # folders of src/ above every layer, not checked
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    base = os.path.splitext(os.path.basename(path))[0]
    return base[:-5] if base.endswith("_priv") else base


def sources(root):
    """(path, module, layer or None) of every library file; faults for unknown folders."""
    files, faults = [], []
    src = os.path.join(root, "src")
    for d in sorted(os.listdir(src)) if os.path.isdir(src) else []:
        full = os.path.join(src, d)
        if not os.path.isdir(full) or d in ABOVE:
            if not os.path.isdir(full) and full.endswith((".c", ".h")):
                faults.append("src/%s: a library file must sit in a layer's folder (%s)" %
                              (d, ", ".join(LAYERS)))
            continue
        if d not in LAYERS:
            faults.append("src/%s/: not a layer (layers: %s; scripts/check-layers.py)" %
                          (d, ", ".join(LAYERS)))
            continue
        for f in sorted(os.listdir(full)):
            if f.endswith((".c", ".h")):
                files.append((os.path.join(full, f), module_of(f), d))
    inc = os.path.join(root, "include", "imprint")
    for f in sorted(os.listdir(inc)) if os.path.isdir(inc) else []:
        if f.endswith(".h"):
            files.append((os.path.join(inc, f), module_of(f), None))
    return files, faults


def layer_table(files, faults):
    table = {}
    for path, m, d in files:
        if d is None:
            continue
        if m in table and table[m] != d:
            faults.append("%s: module %s is in two layers (%s and %s)" % (path, m, table[m], d))
        table[m] = d
    for m, d in HEADER_ONLY.items():
        table.setdefault(m, d)
    return {m: (LAYERS.index(d), d) for m, d in table.items()}


def read_graph(root, files):
    """Module -> {included module: first 'file:line' that includes it}."""
    graph = {}
    for path, m, _ in files:
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
    files, faults = sources(root)
    table = layer_table(files, faults)
    graph = read_graph(root, files)
    for m in sorted(graph):
        if m not in table:
            faults.append("%s: a public header with no module in src/<layer>/ (add its .c, or "
                          "place it in HEADER_ONLY of scripts/check-layers.py)" % m)
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
    """A tiny tree: clean, then with an upward include, then a circle, a stray folder."""
    with tempfile.TemporaryDirectory() as root:
        for d in ("src/util", "src/data", "src/model", "include/imprint"):
            os.makedirs(os.path.join(root, d))

        def write(name, *includes):
            with open(os.path.join(root, name), "w") as fh:
                fh.write("".join('#include "imprint/%s"\n' % i for i in includes))

        write("src/util/err.c")
        write("include/imprint/err.h")
        write("src/data/store.c", "err.h")
        write("include/imprint/store.h", "err.h")
        write("src/model/grid.c", "store.h", "err.h", "le.h")
        write("include/imprint/le.h")
        faults, n = check(root)
        assert faults == [] and n == 4, (faults, n)
        write("src/data/store.c", "err.h", "grid.h")  # data includes model: up, and a circle
        faults, _ = check(root)
        assert any("store (layer data) includes grid (layer model, above it)" in f
                   for f in faults), faults
        assert any(f.startswith("circle: grid, store") for f in faults), faults
        write("src/data/store.c", "err.h")
        os.makedirs(os.path.join(root, "src", "misc"))
        write("src/misc/newthing.c", "err.h")
        write("include/imprint/orphan.h")
        faults, _ = check(root)
        assert len(faults) == 2 and "src/misc/: not a layer" in faults[0] and \
            faults[1].startswith("orphan: a public header with no module"), faults
    print("check-layers self-test: an upward include, a circle, a folder that is no layer "
          "and an unplaced header are caught")
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
