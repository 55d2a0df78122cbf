#!/usr/bin/env python3
"""check-owners.py — what one module alone may do: append a journal, publish a cube, read the
clock, rename a file over another.

Each rule is a pattern of calls and the files of src/ allowed to make them (docs/hacking.md
"One writer of results, one clock"): the journal is appended and the cube published only by
the writer of results (src/engine/sink.c, src/engine/resume.c) and the modules that define
those calls; the clock is read only in src/util/clock.c; a file is renamed into place only by
src/util/atomic.c. Comments and string literals do not count.

  scripts/check-owners.py [ROOT]      check the tree (default: the repository); exit 1 on a fault
  scripts/check-owners.py --self-test show that a call outside its owners is caught
"""
import os
import re
import sys
import tempfile

RULES = [
    ("appends a journal", r"\bimp_journal_append(_rec)?\s*\(",
     {"src/data/journal.c", "src/engine/sink.c", "src/engine/resume.c"}),
    ("publishes a cube", r"\bimp_cube_write\s*\(",
     {"src/model/cube_hdf5.c", "src/engine/sink.c"}),
    ("reads the clock", r"\b(clock_gettime|gettimeofday|gmtime(_r)?|localtime(_r)?|strftime)\s*\(|"
     r"\btime\s*\(\s*(NULL|0)?\s*\)", {"src/util/clock.c"}),
    ("renames a file into place", r"(?<![\w.>])rename\s*\(", {"src/util/atomic.c"}),
]

COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                               re.S)


def blank(m):
    """A comment or literal as spaces, its newlines kept (line numbers stay right)."""
    return re.sub(r"[^\n]", " ", m.group(0))


def check(root):
    faults = []
    src = os.path.join(root, "src")
    for d, _, names in sorted(os.walk(src)):
        for n in sorted(names):
            if not n.endswith((".c", ".h")):
                continue
            path = os.path.join(d, n)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as f:
                code = COMMENT_OR_STRING.sub(blank, f.read())
            for what, pattern, owners in RULES:
                if rel in owners:
                    continue
                for m in re.finditer(pattern, code):
                    line = code.count("\n", 0, m.start()) + 1
                    faults.append(f"{rel}:{line}: {what} ({m.group(0).rstrip('( ')}): only "
                                  f"{', '.join(sorted(owners))} may")
    return faults


def self_test():
    """A tree with one call of each kind outside its owners, and the same calls in comments,
    strings and at their owners: exactly the four faults must be found."""
    with tempfile.TemporaryDirectory() as root:
        def put(rel, text):
            p = os.path.join(root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
        put("src/util/clock.c", "double f(void) { clock_gettime(CLOCK_MONOTONIC, &ts); }\n")
        put("src/engine/sink.c", "int g(void) { return imp_cube_write(c, p, e); }\n")
        put("src/tool/cmd_x.c",
            "/* imp_cube_write(c) in a comment */\n"
            "const char *s = \"rename(a, b) in a string\";\n"
            "int h(void) { return imp_journal_append_rec(j, r, e); }\n"
            "int k(void) { t = time(NULL); return rename(a, b); }\n"
            "int m(void) { return imp_cube_write(c, p, e) + x.rename(1); }\n")
        got = check(root)
        want = ["src/tool/cmd_x.c:3: appends a journal", "src/tool/cmd_x.c:4: reads the clock",
                "src/tool/cmd_x.c:4: renames a file", "src/tool/cmd_x.c:5: publishes a cube"]
        ok = len(got) == len(want) and all(any(g.startswith(w) for g in got) for w in want)
        print("check-owners self-test: " + ("caught " + str(len(got)) + " of 4" if ok else
                                            "FAILED, found:\n  " + "\n  ".join(got)))
        return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    faults = check(root)
    for f in faults:
        print(f)
    if not faults:
        print(f"check-owners: {len(RULES)} rules, every call at its owner")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
