#!/usr/bin/env python3
"""check-exports.py — every function the library exports has a caller.

An export is a function declared in a header (include/imprint/*.h, src/<layer>/*.h) whose name
starts with imp_. It has a caller when its name appears in some .c file of src/, tests/ or
bench/ other than on the line that defines it. An export with no caller is dead code the
headers still promise: delete it (or make it static where its own file uses it).

  scripts/check-exports.py [ROOT]       check the tree (default: the repository); exit 1 when
                                        an export has no caller
  scripts/check-exports.py --self-test  show that a dead export is caught and a called one,
                                        a static inline one and a multi-line one are not

A declaration is a line that starts (in column 0) with a type and then `imp_name(`; macros and
types are not functions and are not checked. docs/hacking.md explains the layers.
"""
import glob
import os
import re
import sys
import tempfile

DECL = re.compile(r"^(?!typedef\b|#|return\b)[A-Za-z_][\w \*]*?\b(imp_\w+)\s*\(", re.M)


def headers(root):
    return sorted(glob.glob(os.path.join(root, "include", "imprint", "*.h")) +
                  glob.glob(os.path.join(root, "src", "*", "*.h")))


def sources(root):
    return sorted(f for d in ("src", "tests", "bench")
                  for f in glob.glob(os.path.join(root, d, "**", "*.c"), recursive=True))


def check(root):
    """(faults, number of exports checked)."""
    exports = {}
    for h in headers(root):
        with open(h, errors="replace") as fh:
            for name in DECL.findall(fh.read()):
                exports.setdefault(name, os.path.relpath(h, root))
    texts = []
    for f in sources(root):
        with open(f, errors="replace") as fh:
            texts.append(fh.read())
    used = set()
    for text in texts:
        for m in re.finditer(r"\bimp_\w+\b", text):
            name = m.group(0)
            if name in used or name not in exports:
                continue
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            line = text[start:end if end >= 0 else len(text)]
            # the definition: the name right after the return type, at column 0
            if DECL.match(line) and DECL.match(line).group(1) == name:
                continue
            used.add(name)
    faults = ["%s: %s is exported but nothing calls it (delete it, or make it static)" %
              (exports[n], n) for n in sorted(exports) if n not in used]
    return faults, len(exports)


def self_test():
    """A tiny tree: a called export, a dead one, a static inline one, a multi-line one."""
    with tempfile.TemporaryDirectory() as root:
        for d in ("include/imprint", "src/util", "src/data", "tests"):
            os.makedirs(os.path.join(root, d))

        def write(name, text):
            with open(os.path.join(root, name), "w") as fh:
                fh.write(text)

        write("include/imprint/err.h",
              "int imp_err_set(int code);\n"
              "const char *imp_err_name(int code,\n                         int flags);\n"
              "static inline int imp_err_ok(int code) { return code == 0; }\n"
              "typedef int (*imp_err_fn)(int);\n#define imp_err_macro(x) (x)\n")
        write("src/util/err.c",
              "int imp_err_set(int code)\n{\n    return code;\n}\n"
              "const char *imp_err_name(int code,\n                         int flags)\n"
              "{\n    return imp_err_ok(code) ? \"ok\" : \"no\";\n}\n")
        write("src/data/store.c", "int f(void) { return imp_err_set(1); }\n")
        write("tests/test_err.c", "int g(void) { return imp_err_name(0, 0) != 0; }\n")
        faults, n = check(root)
        assert faults == [] and n == 3, (faults, n)
        write("tests/test_err.c", "int g(void) { return 0; }\n")
        faults, _ = check(root)
        assert faults == ["include/imprint/err.h: imp_err_name is exported but nothing calls it "
                          "(delete it, or make it static)"], faults
    print("check-exports self-test: a dead export is caught; a called, a static inline and a "
          "multi-line export are not")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    faults, n = check(root)
    for f in faults:
        print(f)
    if faults:
        print("check-exports: %d of %d exports have no caller" % (len(faults), n))
        return 1
    print("check-exports: %d exports, each with a caller" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
