#!/usr/bin/env python3
"""test_docs.py — the repository documents itself: links, citations and examples in docs/ hold.

Checks, over the source tree:
  1. every relative link [text](path#anchor) in every *.md names a file that exists, and an
     anchor names a heading of that file (GitHub's slugs);
  2. every document path cited in a text file (docs/…, jobs/…, scripts/…, slurm/…, bench/…)
     exists (a * in it is a glob that must match);
  3. no file cites the developers' contract or spec folder, which a clone does not have;
  4. the job files of docs/job-file.md marked `# valid cells: N` give exactly N in
     `imprint plan --json`;
  5. the h5py / xarray / pandas snippets of docs/formats.md run against a store the first
     snippet writes and a cube a sweep makes from it, and print the values the cube holds;
  6. the man page has the sections generated from docs/ (JOB FILE, FILES, EXIT STATUS,
     SIGNALS, ENVIRONMENT);
  7. the strategy vocabulary the docs list (docs/job-file.md's table of parts and seed-shared
     GENs, docs/semantics.md's GEN and AGG headings and GEN table, the README's steps) is exactly
     the rows of the X-macro tables of include/imprint/strategy.h, with each GEN's k and seed
     use as its row says.
Checks 1–3 are first run on a small tree with one fault of each kind, which they must find.

usage: test_docs.py SOURCE_DIR IMPRINT MAN_PAGE
Exit 0 when everything holds, 1 with one line per fault, 77 when python modules the snippets
need are missing.
"""
import csv
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

# Built from pieces so that this file does not cite what it forbids.
FORBIDDEN = [re.compile(r"DESIGN" r"\.md"), re.compile(r"(?<![\w.-])spec" r"/"),
             re.compile(r"(?<![\w.-])spec" r" (?:§|E\.\d)")]
CITED_PREFIXES = ("docs", "jobs", "scripts", "slurm", "bench")
CITED = re.compile(r"(?<![\w./-])((?:" + "|".join(CITED_PREFIXES) + r")/[\w.*+/-]*[\w*/])")
TEXT_EXT = {".md", ".c", ".h", ".yaml", ".yml", ".sh", ".py", ".txt", ".cmake", ".awk", ".in",
            ".supp"}
SKIP_DIRS = {".git", "__pycache__"}
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def text_files(root):
    """Every text file of the tree (build folders and .git left out)."""
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
        for f in files:
            p = os.path.join(d, f)
            if os.path.splitext(f)[1] in TEXT_EXT or f in ("CMakeLists.txt", "run"):
                yield p


def strip_code(md):
    """Markdown without fenced blocks and `inline code`, where links are not links."""
    md = re.sub(r"^```.*?^```", "", md, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", md)


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, blanks to '-'."""
    h = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    out, seen = set(), {}
    with open(path, encoding="utf-8") as f:
        md = re.sub(r"^```.*?^```", "", f.read(), flags=re.S | re.M)
    for m in re.finditer(r"^#{1,6}\s+(.*)$", md, flags=re.M):
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else f"{s}-{n}")
    return out


def check_links(root):
    faults = []
    for p in text_files(root):
        if not p.endswith(".md"):
            continue
        rel = os.path.relpath(p, root)
        with open(p, encoding="utf-8") as f:
            md = strip_code(f.read())
        for m in LINK.finditer(md):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:, …
                continue
            path, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(p), path)) if path else p
            if not os.path.exists(dest):
                faults.append(f"{rel}: broken link '{target}': {os.path.relpath(dest, root)} does not exist")
            elif frag and dest.endswith(".md") and frag not in anchors(dest):
                faults.append(f"{rel}: broken link '{target}': no heading '#{frag}' in "
                              f"{os.path.relpath(dest, root)}")
    return faults


def check_citations(root):
    faults = []
    for p in text_files(root):
        rel = os.path.relpath(p, root)
        # test sources make job files of their own in temporary folders: paths, not citations
        fixtures = rel.startswith("tests" + os.sep)
        with open(p, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        for no, line in enumerate(lines, 1):
            for rx in FORBIDDEN:
                if rx.search(line):
                    faults.append(f"{rel}:{no}: cites a document outside the repository: {line.strip()}")
            for m in CITED.finditer(line):
                cited = m.group(1).rstrip(".")
                templated = line[m.end():].lstrip("-_.")[:1] in ("$", "{", "<")  # x-$j.yaml
                if fixtures or templated or ".." in cited.split("/"):
                    continue
                if not glob.glob(os.path.join(root, cited)):
                    faults.append(f"{rel}:{no}: cites {cited}, which does not exist")
    return faults


def self_test():
    """The checkers must find one fault of each kind in a tree made to have them."""
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "docs"))
        with open(os.path.join(t, "docs", "a.md"), "w") as f:
            f.write("# A\n## Real heading\n[ok](b.md) [ok](#real-heading) [gone](missing.md)\n"
                    "[bad anchor](b.md#nowhere) see docs/b.md and jobs/nothing.yaml\n")
        with open(os.path.join(t, "docs", "b.md"), "w") as f:
            f.write("# B\nthe formats are in " + "DESIGN" + ".md\n`[code](not-a-link.md)`\n")
        got = check_links(t) + check_citations(t)
    expect = ["missing.md", "#nowhere", "jobs/nothing.yaml", "outside the repository"]
    missed = [e for e in expect if not any(e in g for g in got)]
    if missed or len(got) != len(expect):
        return [f"self-test: the checkers found {got}, expected one fault each for {expect}"]
    return []


def yaml_blocks(md, lang):
    return re.findall(r"^```" + lang + r"\n(.*?)^```", md, flags=re.S | re.M)


def check_job_examples(root, tool):
    faults, n = [], 0
    with open(os.path.join(root, "docs", "job-file.md"), encoding="utf-8") as f:
        md = f.read()
    for block in yaml_blocks(md, "yaml"):
        m = re.search(r"^# valid cells: (\d+)$", block, flags=re.M)
        if not m:
            continue
        n += 1
        with tempfile.TemporaryDirectory() as t:
            job = os.path.join(t, "job.yaml")
            with open(job, "w") as f:
                f.write(block)
            r = subprocess.run([tool, "plan", job, "--json"], capture_output=True, text=True)
            if r.returncode != 0:
                faults.append(f"docs/job-file.md example {n}: plan exit {r.returncode}: {r.stderr.strip()}")
                continue
            got = json.loads(r.stdout)["valid_cells"]
            if got != int(m.group(1)):
                faults.append(f"docs/job-file.md example {n}: says {m.group(1)} valid cells, plan says {got}")
    if n < 3:
        faults.append(f"docs/job-file.md: {n} examples marked '# valid cells: N', expected 3")
    return faults


FORMATS_JOB = """store: store.h5
cube: cube.h5
models: [mymodel]
tasks:
  - {name: all3, dataset: mydata}
strategies: [l2/mean/l2/l2/max, l2/kmeans/l2/l2/max]
ks: [1, 2]
seeds: [1, 2, 3]
"""


def run(cmd, cwd, what, faults):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        faults.append(f"docs/formats.md: {what}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
        return None
    return r.stdout


def check_format_snippets(root, tool):
    faults = []
    with open(os.path.join(root, "docs", "formats.md"), encoding="utf-8") as f:
        blocks = yaml_blocks(f.read(), "python")
    if len(blocks) != 4:
        return [f"docs/formats.md: {len(blocks)} python snippets, expected 4 (store, h5py, xarray, pandas)"]
    with tempfile.TemporaryDirectory() as t:
        for i, b in enumerate(blocks):
            with open(os.path.join(t, f"s{i}.py"), "w") as f:
                f.write(b)
        if run([sys.executable, "s0.py"], t, "the store snippet", faults) is None:
            return faults
        out = run([tool, "store", "store.h5"], t, "imprint store", faults) or ""
        row = [ln.split() for ln in out.splitlines() if ln.startswith("mymodel") and " train " in ln]
        if not row or row[0][3:6] != ["300", "16", "3"]:
            faults.append(f"docs/formats.md: the store snippet's store lists as {out!r}, "
                          "expected mymodel/mydata train with n 300, d 16, 3 classes")
        with open(os.path.join(t, "job.yaml"), "w") as f:
            f.write(FORMATS_JOB)
        if run([tool, "sweep", "job.yaml", "--quiet", "--threads", "1"], t, "sweep", faults) is None:
            return faults
        run([tool, "export", "cube.h5", "--csv", "cube.csv"], t, "export", faults)
        # the oracle: imprint's own CSV, read without pandas
        with open(os.path.join(t, "cube.csv")) as f:
            rows = list(csv.DictReader(f))
        accs = [float(r["accuracy"]) for r in rows
                if r["strategy"] == "l2/kmeans/l2/l2/max" and r["k"] == "2" and r["status"] == "done"]
        if len(accs) != 3:
            return faults + [f"docs/formats.md: the sweep gave {len(accs)} done kmeans k=2 cells, expected 3"]
        med = statistics.median(accs)
        out = run([sys.executable, "s1.py"], t, "the h5py snippet", faults) or ""
        if "['model', 'task', 'strategy', 'k', 'shot', 'seed']" not in out or \
           "['l2/mean/l2/l2/max', 'l2/kmeans/l2/l2/max']" not in out:
            faults.append(f"docs/formats.md: the h5py snippet printed {out!r}, expected the six "
                          "dimension labels and both strategies")
        for i, name in ((2, "xarray"), (3, "pandas")):
            out = run([sys.executable, f"s{i}.py"], t, f"the {name} snippet", faults) or ""
            nums = [float(x) for x in re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", out)]
            if not any(abs(x - med) < 1e-4 for x in nums):
                faults.append(f"docs/formats.md: the {name} snippet printed {out!r}, which lacks "
                              f"the median over seeds of kmeans k=2, {med} (from the CSV)")
    return faults


def check_man(path):
    with open(path, encoding="utf-8") as f:
        page = f.read()
    faults = []
    for sec, word in (("JOB FILE", "strategy_grid"), ("STRATEGIES", "kmedoids"),
                      ("FILES", "IMPJRNL"), ("EXIT STATUS", "75"), ("SIGNALS", "SIGUSR1"),
                      ("ENVIRONMENT", "HDF5_USE_FILE_LOCKING")):
        m = re.search(r'^\.SH "?' + sec + r'"?\n(.*?)(?=^\.SH |\Z)', page, flags=re.S | re.M)
        if not m or word not in m.group(1):
            faults.append(f"{path}: section {sec} missing or without '{word}' (from docs/)")
    return faults


def x_rows(header, macro):
    """The rows X(a, b, …) of one X-macro table of a header, as lists of stripped fields."""
    m = re.search(r"#define " + macro + r"\(X\)(.*?)\n(?!\s*X\()", header, flags=re.S)
    rows = []
    for row in re.findall(r"X\(([^()]*(?:\([^()]*\)[^()]*)*)\)", m.group(1) if m else ""):
        rows.append([f.strip().strip('"') for f in row.split(",")])
    return rows


def check_strategy_docs(root):
    """Check 7: the docs' strategy vocabulary is the tables' rows."""
    with open(os.path.join(root, "include", "imprint", "strategy.h"), encoding="utf-8") as f:
        h = f.read()
    gens = x_rows(h, "IMP_GEN_MAP")  # ENUM, name, fixed_k, seed, lsq, cost, kernel
    metrics = x_rows(h, "IMP_METRIC_MAP")  # ENUM, name, for_nn, space, form, pair_cost
    norms = x_rows(h, "IMP_NORM_MAP")  # ENUM, name, parts
    aggs = x_rows(h, "IMP_AGG_MAP")  # ENUM, name, m, metric, weighted
    weights = x_rows(h, "IMP_WEIGHT_MAP")  # ENUM, name
    faults = []
    if not (gens and metrics and norms and aggs and weights):
        return ["include/imprint/strategy.h: an X-macro table of strategy parts was not found"]

    def agg_form(r):
        return r[1] + (":M" if r[2] == "-1" else "") + (":METRIC" if r[3] == "-1" else "") + \
            (":WEIGHT" if r[4] == "1" else "")
    want = {
        "PRE": [r[1] for r in norms if "IMP_PART_PRE" in r[2]],
        "GEN": [r[1] for r in gens],
        "POST": [r[1] for r in norms if "IMP_PART_POST" in r[2]],
        "INF": [r[1] for r in norms if "IMP_PART_INF" in r[2]],
        "AGG": [agg_form(r) for r in aggs],
    }
    with open(os.path.join(root, "docs", "job-file.md"), encoding="utf-8") as f:
        job = f.read()
    for part, names in want.items():
        m = re.search(r"^\| " + part + r"\b[^|]*\| (.*) \|$", job, flags=re.M)
        got = re.findall(r"`([^`]+)`", m.group(1)) if m else None
        if got != names:
            faults.append(f"docs/job-file.md: the {part} row of the strategies table lists {got}, "
                          f"the table in include/imprint/strategy.h has {names}")
    for word, names in (("METRIC", [r[1] for r in metrics if r[2] == "1"]),
                        ("WEIGHT", [r[1] for r in weights])):
        m = re.search(word + r"\s+is\s+((?:`\w+`(?:,\s+|\s+or\s+)?)+)", job)
        got = re.findall(r"`(\w+)`", m.group(1)) if m else None
        if got != names:
            faults.append(f"docs/job-file.md: '{word} is …' lists {got}, the table has {names}")
    # which GENs share a result over seeds at shot all: the seed column
    never = {r[1] for r in gens if r[3] == "IMP_SEED_NEVER"}
    unless_k1 = {r[1] for r in gens if r[3] == "IMP_SEED_UNLESS_K1"}
    always = {r[1] for r in gens if r[3] == "IMP_SEED_ALWAYS"}
    for pattern, names in ((r"give one result for\s+every seed: (.*?)\.\n", never | unless_k1),
                           (r"\n((?:`\w+`[^`\n]*)+) at k ≥ 2 always depend on the seed",
                            always | unless_k1)):
        m = re.search(pattern, job, flags=re.S)
        got = set(re.findall(r"`(\w+)`", m.group(1))) if m else None
        if got != names:
            faults.append(f"docs/job-file.md: the seed-shared GENs list {got}, the seed column of "
                          f"the GEN table says {sorted(names)}")
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for pattern, names in ((r"GEN makes k proxies per class: (.*?)\.\n", want["GEN"]),
                           (r"NORMpost normalises the proxies: (.*?)\.\n", want["POST"])):
        m = re.search(pattern, readme)
        got = re.split(r",\s+|\s+or\s+", m.group(1)) if m else None
        if got != names:
            faults.append(f"README.md: '{pattern[:20]}…' lists {got}, the table has {names}")
    with open(os.path.join(root, "docs", "semantics.md"), encoding="utf-8") as f:
        sem = f.read()
    for head, names in (("GEN", [r[1] for r in gens]), ("AGG", [r[1] for r in aggs])):
        m = re.search(r"^## " + head + r": (.*)$", sem, flags=re.M)
        got = [w.strip() for w in m.group(1).split(",")] if m else None
        if got != names:
            faults.append(f"docs/semantics.md: the heading '## {head}: …' lists {got}, the table "
                          f"has {names}")
    rows = re.findall(r"^\| `(\w+)` \| [^|]* \| ([^|]*) \| ([^|]*) \|$", sem, flags=re.M)
    doc = {name: (k.strip(), draws.strip()) for name, k, draws in rows}
    for r in gens:
        k = {"1": "1 only", "-1": "−1 only", "0": "free"}[r[2]]
        draws = "no" if r[3] == "IMP_SEED_NEVER" else "yes"
        got = doc.get(r[1])
        if not got or got[0] != k or not got[1].startswith(draws):
            faults.append(f"docs/semantics.md: the GEN table's row of {r[1]} is {got}, its row in "
                          f"include/imprint/strategy.h says k {k!r}, draws {draws!r}")
    if len(doc) != len(gens):
        faults.append(f"docs/semantics.md: the GEN table has {len(doc)} rows, the GEN table of "
                      f"include/imprint/strategy.h {len(gens)}")
    return faults


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    root, tool, man = (os.path.abspath(a) for a in sys.argv[1:])
    faults = self_test() + check_links(root) + check_citations(root) + \
        check_job_examples(root, tool) + check_man(man) + check_strategy_docs(root)
    try:
        import h5py, numpy, pandas, xarray, h5netcdf  # noqa: F401  (the snippets' modules)
    except ImportError as e:
        for f in faults:
            print(f)
        print(f"SKIP the formats.md snippets: {e}")
        return 1 if faults else 77
    faults += check_format_snippets(root, tool)
    for f in faults:
        print(f)
    print("test_docs: " + ("FAILED, %d fault(s)" % len(faults) if faults else "PASSED"))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
