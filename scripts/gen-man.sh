#!/usr/bin/env bash
# gen-man.sh — the man page imprint(1) from the built binary's own help texts (`imprint --help`
# and `imprint CMD --help` for every command that lists), so the page cannot drift from the
# tool. Run by the build (CMake target `man`).
#
#   scripts/gen-man.sh path/to/imprint OUT.1
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 IMPRINT OUT.1" >&2
  exit 2
fi
bin="$1"
out="$2"

# help text as roff no-fill text: backslashes escaped, a leading . or ' made literal
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

version="$("$bin" --version)"
cmds="$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')"
if [ -z "$cmds" ]; then
  echo "gen-man.sh: '$bin --help' lists no commands" >&2
  exit 1
fi
{
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
  echo ".SH FILES"
  echo ".TP"
  echo ".I share/imprint/jobs/"
  echo "the demo job, the paper's jobs, and embed.py (torchvision embeddings into a store:"
  echo ".B python3 share/imprint/jobs/embed.py \\-\\-help\\fR)"
  echo ".TP"
  echo ".I share/imprint/slurm/"
  echo "batch scripts for embedding, sweeping and analysing on Slurm, and submit.sh"
  echo ".SH EXIT STATUS"
  echo "0 ok, 2 bad usage or input, 4 a sweep finished with failed cells, 75 stopped early"
  echo "(run the same command again to resume), 1 other errors."
} >"$out.tmp"
mv "$out.tmp" "$out"
