# md2man.awk — the man-page text of one marked region of a docs/*.md file, as roff.
#
#   awk -v section="JOB FILE" -f scripts/md2man.awk docs/job-file.md
#
# prints the lines between `<!-- man:JOB FILE -->` and `<!-- /man -->` converted from the
# Markdown subset the docs use: ## and ### headings, paragraphs, - and 1. lists, ``` code
# blocks, | tables | (through tbl), **bold**, *italic*, `code` and [links](…). The docs are
# the one source; gen-man.sh assembles the page from these regions, so the two cannot drift.
# Exits 1 if the region is missing (a renamed marker must break the build, not empty a section).

function esc(s) {              # roff escapes of literal text
    gsub(/\\/, "\\e", s)
    return s
}
function lead(s) {             # a line must not start with a control character
    if (s ~ /^[.']/)
        return "\\&" s
    return s
}
function style(s,    out, at, len) {   # **bold** and *italic* in non-code text
    out = ""
    while (match(s, /\*\*[^*]+\*\*/)) {
        at = RSTART; len = RLENGTH          # italic() below runs match() again
        out = out italic(substr(s, 1, at - 1)) "\\fB" substr(s, at + 2, len - 4) "\\fR"
        s = substr(s, at + len)
    }
    return out italic(s)
}
function italic(s,    out) {
    out = ""
    while (match(s, /\*[^* ][^*]*\*/)) {
        out = out substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR"
        s = substr(s, RSTART + RLENGTH)
    }
    return out s
}
function inline(s,    out, n, i, parts, t) {  # `code` → bold literal; the rest styled
    while (match(s, /\[[^\]]*\]\([^)]*\)/)) {   # [text](link) → text
        t = substr(s, RSTART, RLENGTH)
        sub(/\]\(.*$/, "", t)
        s = substr(s, 1, RSTART - 1) substr(t, 2) substr(s, RSTART + RLENGTH)
    }
    s = esc(s)
    n = split(s, parts, "`")
    out = ""
    for (i = 1; i <= n; i++)
        out = out (i % 2 ? style(parts[i]) : "\\fB" parts[i] "\\fR")
    return out
}
function cells(line, arr,    n, i) {         # the cells of a | table | row, trimmed
    sub(/^[ \t]*\|/, "", line)
    sub(/\|[ \t]*$/, "", line)
    gsub(/\\\|/, "\001", line)               # an escaped \| stays inside its cell
    n = split(line, arr, "|")
    for (i = 1; i <= n; i++) {
        gsub(/\001/, "|", arr[i])
        gsub(/^[ \t]+|[ \t]+$/, "", arr[i])
    }
    return n
}
function flush_table(    i, j, n, spec, row, arr) {
    if (!ntab)
        return
    n = cells(tab[1], arr)
    print ".TS"
    print "tab(\002);"
    spec = ""
    for (j = 1; j <= n; j++)
        spec = spec (j > 1 ? " " : "") "lb"
    print spec
    spec = ""
    for (j = 1; j <= n; j++)
        spec = spec (j > 1 ? " " : "") (j == n ? "lx" : "l")
    print spec "."
    for (i = 1; i <= ntab; i++) {
        if (tab[i] ~ /^[ \t]*\|[ \t:|-]+\|[ \t]*$/) {
            print "_"
            continue
        }
        cells(tab[i], arr)
        row = ""
        for (j = 1; j <= n; j++)
            row = row (j > 1 ? "\002" : "") "T{\n" lead(inline(arr[j])) "\nT}"
        print row
    }
    print ".TE"
    ntab = 0
}

BEGIN { on = 0; found = 0; code = 0; ntab = 0 }

$0 == "<!-- man:" section " -->" { on = 1; found = 1; next }
on && $0 == "<!-- /man -->" { flush_table(); on = 0; next }
!on { next }

code {
    if ($0 ~ /^```/) { print ".fi"; print ".RE"; code = 0; next }
    print lead(esc($0))
    next
}
/^```/ { flush_table(); print ".PP"; print ".RS 4"; print ".nf"; code = 1; next }
/^[ \t]*\|/ { tab[++ntab] = $0; next }
{ flush_table() }
/^<!--/ { next }
/^### / { sub(/^### /, ""); print ".PP"; print "\\fB" inline($0) "\\fR"; print ".br"; next }
/^## / { sub(/^## /, ""); print ".SS " inline($0); next }
/^[ \t]*$/ { print ".PP"; next }
/^- / { sub(/^- /, ""); print ".IP \\(bu 2"; print lead(inline($0)); next }
/^[0-9]+\. / { n = $0; sub(/\. .*/, "", n); sub(/^[0-9]+\. /, ""); print ".IP " n ". 4"; print lead(inline($0)); next }
{ sub(/^[ \t]+/, ""); print lead(inline($0)) }

END {
    if (!found) {
        print "md2man.awk: no region <!-- man:" section " --> in " FILENAME > "/dev/stderr"
        exit 1
    }
}
