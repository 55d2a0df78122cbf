#!/usr/bin/env bash
# gen-man.sh — the man page imprint(1) from the built binary's own help texts (`imprint --help`
# and `imprint CMD --help` for every command that lists) and from the marked regions of docs/*.md
# (JOB FILE, STRATEGIES, FILES, EXIT STATUS, SIGNALS, ENVIRONMENT; scripts/md2man.awk), so the
# page cannot drift from the tool or from the docs. Run by the build (CMake target `man`).
#
#   scripts/gen-man.sh path/to/imprint OUT.1
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 IMPRINT OUT.1" >&2
  exit 2
fi
bin="$1"
out="$2"
here="$(cd "$(dirname "$0")" && pwd)"
docs="$here/../docs"

# one marked region of a doc as roff (fails the build when the region is missing)
region() { awk -v section="$1" -f "$here/md2man.awk" "$docs/$2"; }

# help text as roff no-fill text: backslashes escaped, a leading . or ' made literal
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

version="$("$bin" --version)"
cmds="$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')"
if [ -z "$cmds" ]; then
  echo "gen-man.sh: '$bin --help' lists no commands" >&2
  exit 1
fi
{
  echo "'\\\" t"
  echo ".TH IMPRINT 1 \"\" \"${version}\" \"User Commands\""
  echo ".SH NAME"
  echo "imprint \\- weight-imprinting experiments at cluster scale"
  echo ".SH SYNOPSIS"
  echo ".B imprint"
  echo "[\\fB\\-\\-version\\fR] [\\fB\\-\\-help\\fR] \\fIcommand\\fR [\\fIargs\\fR]"
  echo ".br"
  echo ".B imprint help"
  echo "\\fIcommand\\fR"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$bin" --help | roff
  echo ".fi"
  echo ".SH COMMANDS"
  for c in $cmds; do
    echo ".SS imprint $c"
    echo ".nf"
    "$bin" "$c" --help | roff
    echo ".fi"
  done
  echo ".SH JOB FILE"
  region "JOB FILE" job-file.md
  echo ".SH STRATEGIES"
  region "SEMANTICS" semantics.md
  echo ".SH FILES"
  echo ".TP"
  echo ".I share/imprint/jobs/"
  echo "the demo job, the paper's jobs, and embed.py (torchvision embeddings into a store:"
  echo ".B python3 share/imprint/jobs/embed.py \\-\\-help\\fR)"
  echo ".TP"
  echo ".I share/imprint/slurm/"
  echo "batch scripts for embedding, sweeping and analysing on Slurm, and submit.sh"
  echo ".TP"
  echo ".I share/doc/imprint/docs/"
  echo "the documents the JOB FILE, STRATEGIES, FILES and later sections come from: job-file.md,"
  echo "formats.md, semantics.md, statistics.md, running.md"
  region "FILES" formats.md
  echo ".SH EXIT STATUS"
  region "EXIT STATUS" running.md
  echo ".SH SIGNALS"
  region "SIGNALS" running.md
  echo ".SH ENVIRONMENT"
  region "ENVIRONMENT" running.md
} >"$out.tmp"
mv "$out.tmp" "$out"
