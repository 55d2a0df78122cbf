#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temporary prefix gives a working imprint (same
# --version as the build, naming the commit), a man page imprint(1) that `man -l` renders with
# every command's usage and that equals the page generated from the installed tool's help, and
# share/imprint/{jobs,slurm} plus the licence and docs/. Skipped (77) without man.
#   tests/test_install.sh BUILD_DIR SOURCE_DIR
set -u
build="$1"
src="$2"
fail=0
check() { # check WHAT COMMAND...: report and count a failed check
  local what="$1"
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}
if ! command -v man >/dev/null; then
  echo "test_install: skipped (no man; apt-get install man-db)"
  exit 77
fi
prefix="$(mktemp -d /tmp/imprint-install.XXXXXX)"
trap 'rm -rf "$prefix"' EXIT
if ! cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1; then
  cat "$prefix.log"
  rm -f "$prefix.log"
  echo "FAILED: cmake --install"
  exit 1
fi
rm -f "$prefix.log"
(cd "$prefix" && find . -type f | sort | sed 's/^/  /')

bin="$prefix/bin/imprint"
page="$prefix/share/man/man1/imprint.1"
v_inst="$("$bin" --version 2>&1)"
v_build="$("$build/imprint" --version 2>&1)"
check "installed --version ($v_inst) = the build's ($v_build)" test "$v_inst" = "$v_build"
check "--version names a git commit or says unknown" \
  grep -Eq '^imprint [0-9.]+ \(git ([0-9a-f]{12}(-dirty)?|unknown)\)$' <<<"$v_inst"
rendered="$(MANWIDTH=120 man -l "$page" 2>&1)"
check "man -l renders the NAME section" grep -q "imprint - weight-imprinting experiments" <<<"$rendered"
cmds="$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')"
check "imprint --help lists 9 or more commands" test "$(wc -w <<<"$cmds")" -ge 9
for c in $cmds; do
  check "man page has 'usage: imprint $c'" grep -q "usage: imprint $c" <<<"$rendered"
done
check "the page is the one the installed tool's help generates" \
  bash -c "bash '$src/scripts/gen-man.sh' '$bin' '$prefix/regen.1' && cmp -s '$prefix/regen.1' '$page'"
for f in jobs/embed.py slurm/submit.sh slurm/sweep.sbatch slurm/analyze.sbatch slurm/embed.sbatch; do
  check "share/imprint/$f is installed executable" test -x "$prefix/share/imprint/$f"
done
check "share/imprint/jobs/demo.yaml is installed" test -f "$prefix/share/imprint/jobs/demo.yaml"
for f in job-file.md formats.md semantics.md statistics.md running.md; do
  check "the README's docs/$f is installed beside it" test -f "$prefix/share/doc/imprint/docs/$f"
done
check "man -l renders the JOB FILE section from docs/job-file.md" grep -q "^JOB FILE" <<<"$rendered"
check "the MIT licence is installed" \
  grep -q "Copyright (c) 2026 the imprint developers" "$prefix/share/doc/imprint/LICENSE"
check "the installed tool plans an installed paper job without its store (valid cells: 1836)" \
  grep -qx "valid cells: 1836" <<<"$("$bin" plan "$prefix/share/imprint/jobs/paper-fig6.yaml" 2>&1)"
out="$("$bin" plan "$prefix/share/imprint/jobs/paper-fig6.yaml" 2>&1)"
check "plan says an installed job is a template to copy" \
  grep -q "is an example installed with imprint, a template to copy" <<<"$out"
out="$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$bin" sweep "$prefix/share/imprint/jobs/demo.yaml" 2>&1)"
check "sweep refuses an installed job (exit 2, nothing written in the prefix)" \
  test $? -eq 2 -a ! -e "$prefix/share/imprint/results"
out="$("$prefix/share/imprint/slurm/submit.sh" 2>&1)"
check "the installed submit.sh runs (usage, exit 2)" test $? -eq 2 -a -n "$out"
exit "$fail"
