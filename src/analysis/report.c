/* report.c — an analysis as text: the rank table and the tests for a terminal or Markdown,
 * the rank table as CSV or LaTeX, the pairs as CSV, and the escapes of each format. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *thousands(size_t n, char *buf, size_t len)
{
    char d[32];
    int nd = snprintf(d, sizeof d, "%zu", n);
    size_t k = 0;
    for (int i = 0; i < nd && k + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = d[i];
    }
    buf[k] = '\0';
    return buf;
}

const char *imp_analyze_tested_text(const imp_analysis *an, char *buf, size_t n)
{
    char a[32], b[32];
    thousands(an->n_tested, a, sizeof a);
    thousands(an->m, b, sizeof b);
    const char *by = an->rank_dense ? "mean dense rank" : "mean rank";
    switch (an->why) {
    case IMP_TESTED_ALL:
        snprintf(buf, n, "all %s competitors", b);
        break;
    case IMP_TESTED_NAMED:
        snprintf(buf, n, "all %s competitors named with --competitors", b);
        break;
    case IMP_TESTED_DEFAULT_TOP:
        snprintf(buf, n, "the %s best of %s competitors by %s (the default when there are more "
                 "than %d; choose the set with --top N or --competitors)", a, b, by,
                 IMP_ANALYZE_DEFAULT_TOP);
        break;
    case IMP_TESTED_TOP:
        if (an->n_tested == an->m)
            snprintf(buf, n, "all %s competitors (--top %zu)", b, an->top_asked);
        else
            snprintf(buf, n, "the %s best of %s competitors by %s (--top %zu)", a, b, by,
                     an->top_asked);
        break;
    case IMP_TESTED_CAPPED:
        snprintf(buf, n, "the %s best of %s competitors by %s (at most %d are tested pairwise; "
                 "narrow the set with --where, --competitors or --top)", a, b, by,
                 IMP_ANALYZE_MAX_TESTED);
        break;
    }
    return buf;
}

/* ---- Reports ---- */

static const char *method_name(imp_wilcoxon_method m)
{
    return m == IMP_WILCOXON_EXACT ? "exact" : m == IMP_WILCOXON_APPROX ? "approx" : "identical";
}

/* Markdown cell text: '|' escaped. */
void imp_analyze_html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: putc(*s, out);
        }
    }
}

void imp_analyze_md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            putc('\\', out);
        putc(*s, out);
    }
}

void imp_analyze_tex_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            putc('\\', out);
            putc(*s, out);
            break;
        case '~': fputs("\\textasciitilde{}", out); break;
        case '^': fputs("\\textasciicircum{}", out); break;
        case '\\': fputs("\\textbackslash{}", out); break;
        case '/': fputs("/\\allowbreak{}", out); break; /* a strategy may wrap after a part */
        case ':': fputs(":\\allowbreak{}", out); break; /* … or within mnn:M:METRIC:WEIGHT */
        default: putc(*s, out);
        }
    }
}

static const char *row_name(const imp_analyze_matrix *mat, size_t row)
{
    return mat->comp[mat->row[row]].name;
}

static double se(double sd, size_t N) { return sd / sqrt((double)N); }

/* The value's name in sentences and CSV headers. */
static const char *value_name(const imp_analysis *an) { return imp_analyze_value_name(an->value); }

static void report_csv(FILE *out, const imp_axes *axes, const imp_analyze_matrix *mat,
                       const imp_analysis *an)
{
    fprintf(out, "rank,competitor,strategy,k,shot,avg_rank,dense_rank,rank_std,rank_se,mean_%s,"
            "std,se,wins,voters,tested\n", value_name(an));
    char kb[32], hb[32];
    for (size_t t = 0; t < an->m; t++) {
        size_t i = an->order[t];
        const imp_analyze_comp *c = &mat->comp[mat->row[i]];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *shown = an->rank_dense ? &an->dense[i] : s;
        fprintf(out, "%zu,", t + 1);
        imp_csv_field(out, c->name);
        putc(',', out);
        imp_csv_field(out, axes->strategy[c->strategy]);
        fprintf(out, ",%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%zu,%zu,%s\n",
                imp_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb),
                imp_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb), s->mean_rank,
                an->dense[i].mean_rank, shown->rank_std, se(shown->rank_std, an->N), s->mean,
                s->std, se(s->std, an->N), s->wins, an->N,
                imp_analysis_is_tested(an, i) ? "yes" : "no");
    }
}

/* The pairs of the tested set: a ranked above b, in rank order. */
static void report_pairs_csv(FILE *out, const imp_analyze_matrix *mat, const imp_analysis *an)
{
    fputs("competitor_a,competitor_b,p,holm_threshold,significant,statistic,method,n,n_zero\n",
          out);
    if (!an->tested_done)
        return;
    const imp_cd_result *cd = &an->cd;
    size_t m = cd->m;
    for (size_t ta = 0; ta < m; ta++)
        for (size_t tb = ta + 1; tb < m; tb++) {
            size_t i = cd->order[ta], j = cd->order[tb];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, m);
            const imp_wilcoxon *w = &cd->pair[k];
            imp_csv_field(out, row_name(mat, an->tested[i]));
            putc(',', out);
            imp_csv_field(out, row_name(mat, an->tested[j]));
            fprintf(out, ",%.17g,%.17g,%s,%.17g,%s,%zu,%zu\n", w->p, cd->threshold[k],
                    cd->significant[k] ? "yes" : "no", w->statistic, method_name(w->method),
                    w->n, w->n_zero);
        }
}

/* Rows of the human tables: all, or the first max_rows. */
static size_t rows_shown(const imp_report_opts *ro, size_t m)
{
    return ro->max_rows && ro->max_rows < m ? ro->max_rows : m;
}

/* "best" marks for LaTeX: the best of each column that has a best — mean rank (lowest), mean
 * value, wins — among all rows. A spread (std) has no best: the lowest std is no merit. */
typedef struct best_vals {
    double rank, mean;
    size_t wins;
} best_vals;

static best_vals find_best(const imp_analyze_matrix *mat, const imp_analysis *an)
{
    /* the best mean is the one of the best score (matrix.h), printed in the value's units */
    best_vals b = {INFINITY, NAN, 0};
    double best_score = -INFINITY;
    for (size_t i = 0; i < an->m; i++) {
        const imp_rank_summary *s = &an->summary[i];
        b.rank = fmin(b.rank, an->rank[i]);
        if (imp_analyze_score(mat, s->mean) > best_score)
            best_score = imp_analyze_score(mat, s->mean), b.mean = s->mean;
        b.wins = s->wins > b.wins ? s->wins : b.wins;
    }
    return b;
}

/* One number for LaTeX, bold when it equals the best one as printed. */
static void tex_num(FILE *out, const char *fmt, double v, double best)
{
    char a[64], b[64];
    snprintf(a, sizeof a, fmt, v);
    snprintf(b, sizeof b, fmt, best);
    fprintf(out, strcmp(a, b) == 0 ? " & \\textbf{%s}" : " & %s", a);
}

/* The rank table as a booktabs tabularx exactly \linewidth wide: the competitor column (X)
 * takes what the numbers leave and wraps (after each '/' of a strategy), so no name makes
 * the table wider than the text. The standard errors stay in the CSV and Markdown (std/√N,
 * with N in the voters column): nine numeric columns do not fit a one-column paper. */
static void report_latex(FILE *out, const imp_report_opts *ro, const imp_analyze_matrix *mat,
                         const imp_analysis *an)
{
    size_t shown = rows_shown(ro, an->m);
    best_vals b = find_best(mat, an);
    const char *val = imp_analyze_value_header(an->value, 1);
    fprintf(out, "%% %zu competitors ranked on %zu voters (model, task); best mean rank, mean "
            "value and wins in bold%s\n%% needs \\usepackage{booktabs,tabularx}\n", an->m, an->N,
            shown < an->m ? "; best rows only" : "");
    /* \noindent: a paragraph's indent would push a \linewidth table 15 pt over */
    fputs("\\noindent\\begin{tabularx}{\\linewidth}{@{}rXrrrrrr@{}}\n\\toprule\n", out);
    fprintf(out, "\\# & competitor & %s & std & %s & std & wins & voters \\\\\n\\midrule\n",
            an->rank_dense ? "dense rank" : "mean rank", val);
    for (size_t t = 0; t < shown; t++) {
        size_t i = an->order[t];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *sh = an->rank_dense ? &an->dense[i] : s;
        fprintf(out, "%zu & ", t + 1);
        imp_analyze_tex_text(out, row_name(mat, i));
        tex_num(out, "%.3f", an->rank[i], b.rank);
        fprintf(out, " & %.3f", sh->rank_std);
        tex_num(out, "%.3f", s->mean, b.mean);
        fprintf(out, " & %.3f", s->std);
        tex_num(out, "%.0f", (double)s->wins, (double)b.wins);
        fprintf(out, " & %zu \\\\\n", an->N);
    }
    fputs("\\bottomrule\n\\end{tabularx}\n", out);
}

/* The groups (cliques, runs or Nemenyi bars) of the tested rows, one line each. */
static void print_groups(FILE *out, int md, const imp_cliques *g, const imp_analyze_matrix *mat,
                         const imp_analysis *an, const char *none)
{
    if (g->n == 0)
        fprintf(out, md ? "- %s\n" : "  %s\n", none);
    for (size_t c = 0; c < g->n; c++) {
        fprintf(out, md ? "%zu. " : "  %zu: ", c + 1);
        for (size_t t = g->off[c]; t < g->off[c + 1]; t++) {
            if (t > g->off[c])
                fputs(md ? ", " : " | ", out);
            const char *name = row_name(mat, an->tested[g->members[t]]);
            if (md)
                imp_analyze_md_text(out, name);
            else
                fputs(name, out);
        }
        putc('\n', out);
    }
}

static void report_friedman(FILE *out, size_t m, const imp_friedman *f, double F, double p)
{
    fprintf(out, "Friedman: chi2 = %.6f, df = %zu, p = %.6g ", f->statistic, m - 1, f->p);
    if (isinf(F)) /* the statistic's denominator is 0: a sentence, not "F = inf, p = 0" */
        fputs("(every voter ranks the competitors in the same order: the agreement is perfect, "
              "so the Iman-Davenport F has no finite value and is not reported)", out);
    else
        fprintf(out, "(Iman-Davenport F = %.6g, p = %.6g)", F, p);
}

/* The rank table and Friedman over all rows. */
static void report_table(FILE *out, int md, const imp_report_opts *ro,
                         const imp_analyze_matrix *mat, const imp_analysis *an)
{
    size_t m = an->m, shown = rows_shown(ro, m), w = strlen("competitor");
    for (size_t t = 0; t < shown; t++) {
        size_t l = strlen(row_name(mat, an->order[t]));
        w = l > w ? l : w;
    }
    const char *rank_hdr = an->rank_dense ? "dense rank" : "mean rank";
    const char *val = imp_analyze_value_header(an->value, 0);
    char what[64];
    snprintf(what, sizeof what, "median %s", value_name(an));
    char cm[32];
    thousands(m, cm, sizeof cm);
    if (md) {
        fprintf(out, "## Ranks\n\n%s competitors (strategy, k, shot) ranked on %zu voters "
                "(model, task); a voter's value is the %s over its seeds%s.\n\n", cm, an->N,
                what, mat->sign < 0 ? ", lower is better" : "");
        fprintf(out, "| rank | competitor | %s | rank std | rank se | %s | std | se | wins | "
                "voters |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", rank_hdr, val);
    } else {
        fprintf(out, "%s competitors (strategy, k, shot) ranked on %zu voters (model, task); "
                "value = %s over seeds%s\n\n", cm, an->N, what,
                mat->sign < 0 ? ", lower is better" : "");
        fprintf(out, "rank  %-*s  %10s  %8s  %7s  %8s  %7s  %6s  %4s  %6s\n", (int)w,
                "competitor", rank_hdr, "rank std", "rank se", val, "std", "se", "wins",
                "voters");
    }
    for (size_t t = 0; t < shown; t++) {
        size_t i = an->order[t];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *sh = an->rank_dense ? &an->dense[i] : s;
        if (md) {
            fprintf(out, "| %zu | ", t + 1);
            imp_analyze_md_text(out, row_name(mat, i));
            fprintf(out, " | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %zu | %zu |\n",
                    an->rank[i], sh->rank_std, se(sh->rank_std, an->N), s->mean, s->std,
                    se(s->std, an->N), s->wins, an->N);
        } else {
            fprintf(out, "%4zu  %-*s  %10.4f  %8.3f  %7.3f  %8.3f  %7.3f  %6.3f  %4zu  %6zu\n",
                    t + 1, (int)w, row_name(mat, i), an->rank[i], sh->rank_std,
                    se(sh->rank_std, an->N), s->mean, s->std, se(s->std, an->N), s->wins, an->N);
        }
    }
    if (shown < m) {
        char rest[32];
        thousands(m - shown, rest, sizeof rest);
        if (ro->full_table)
            fprintf(out, "%s… %s more; the full table of %s competitors is in %s\n",
                    md ? "\n" : "", rest, cm, ro->full_table);
        else
            fprintf(out, "%s… %s more; write the full table with --csv FILE or --md FILE, or "
                    "show it with --rows all\n", md ? "\n" : "", rest);
    }
    fputs(md ? "\n## Friedman\n\n" : "\n", out);
    if (m < 3) {
        fputs("Friedman: skipped (it needs at least 3 competitors); the Wilcoxon test below "
              "decides alone.\n", out);
    } else {
        report_friedman(out, m, &an->friedman, an->id_F, an->id_p);
        fprintf(out, "%s\n", an->n_tested < m ? " over all competitors" : "");
    }
}

/* Which rows were tested, Friedman on them, the pairs, the groups and Nemenyi. */
static void report_tests(FILE *out, int md, const imp_analyze_matrix *mat,
                         const imp_analysis *an)
{
    const imp_cd_result *cd = &an->cd;
    size_t m = cd->m, w = strlen("competitor A");
    for (size_t i = 0; i < m; i++) {
        size_t l = strlen(row_name(mat, an->tested[i]));
        w = l > w ? l : w;
    }
    char why[512];
    imp_analyze_tested_text(an, why, sizeof why);
    if (an->n_tested < an->m) {
        fprintf(out, md ? "\n## Tested set\n\nPairwise tests on %s. Below they are ranked "
                          "again among themselves (as the CD diagram shows them).\n\n"
                        : "\nPairwise tests on %s.\nBelow they are ranked again among "
                          "themselves (as the CD diagram shows them).\n", why);
        if (m < 3) {
            fputs("Friedman on them: skipped (it needs at least 3 competitors); the Wilcoxon "
                  "test below decides alone.\n", out);
        } else {
            report_friedman(out, m, &cd->friedman, an->cd_id_F, an->cd_id_p);
            fputs(" on the tested competitors\n", out);
        }
    }
    if (m >= 3) {
        if (an->gated)
            fprintf(out, "%sp >= alpha = %g: no difference between the competitors is "
                    "significant.%s The reference stops here; the pairwise p-values below are "
                    "for information only and no pair is declared significant.\n",
                    md ? "**" : "", cd->alpha, md ? "**" : "");
        else
            fprintf(out, "p < alpha = %g: the competitors differ; pairwise tests follow.\n",
                    cd->alpha);
    }
    if (an->n_tested == an->m) /* the set said above when it is smaller */
        fprintf(out, "%sPairwise tests on %s.\n", md ? "\n" : "", why);

    fprintf(out, md ? "\n## Pairwise Wilcoxon signed-rank tests\n\nTwo-sided, zero_method "
                      "pratt; Holm step-down at alpha = %g over %zu pair%s.\n\n"
                    : "\nPairwise Wilcoxon signed-rank (two-sided, Pratt), Holm at alpha = %g "
                      "over %zu pair%s:\n",
            cd->alpha, cd->K, cd->K == 1 ? "" : "s");
    if (md)
        fputs("| competitor A | competitor B | p | Holm threshold | significant | method |\n"
              "|---|---|---:|---:|---|---|\n", out);
    else
        fprintf(out, "  %-*s  %-*s  %12s  %12s  %11s  %s\n", (int)w, "competitor A", (int)w,
                "competitor B", "p", "holm thresh.", "significant", "method");
    for (size_t ta = 0; ta < m; ta++)
        for (size_t tb = ta + 1; tb < m; tb++) {
            size_t i = cd->order[ta], j = cd->order[tb];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, m);
            const imp_wilcoxon *pw = &cd->pair[k];
            const char *sig = cd->significant[k] ? "yes" : "no";
            const char *na = row_name(mat, an->tested[i]), *nb = row_name(mat, an->tested[j]);
            if (md) {
                fputs("| ", out);
                imp_analyze_md_text(out, na);
                fputs(" | ", out);
                imp_analyze_md_text(out, nb);
                fprintf(out, " | %.6g | %.6g | %s | %s |\n", pw->p, cd->threshold[k], sig,
                        method_name(pw->method));
            } else {
                fprintf(out, "  %-*s  %-*s  %12.6g  %12.6g  %11s  %s\n", (int)w, na, (int)w, nb,
                        pw->p, cd->threshold[k], sig, method_name(pw->method));
            }
        }

    int runs = cd->groups == IMP_GROUPS_INTERVALS;
    if (cd->groups_fallback)
        fprintf(out, "\n%s%zu competitors have more than %d maximal cliques of non-significant "
                "pairs: the groups below are runs in rank order instead (--groups "
                "intervals).%s\n", md ? "**" : "", m, IMP_STATS_MAX_CLIQUES, md ? "**" : "");
    if (md)
        fprintf(out, "\n## %s\n\n%s without a significant difference (the bars of the CD "
                "diagram):\n\n", runs ? "Groups" : "Cliques",
                runs ? "Maximal runs in rank order" : "Maximal groups");
    else
        fprintf(out, "\n%s\n", runs ? "Groups (maximal runs in rank order without a significant "
                                      "difference):"
                                    : "Cliques (maximal groups without a significant "
                                      "difference):");
    print_groups(out, md, &cd->cliques, mat, an, "none: every pair differs significantly");

    if (an->nemenyi) {
        fprintf(out, md ? "\n## Nemenyi\n\nCD = %.6f (q = %.6f, alpha = %g, %zu competitors, "
                          "%zu voters)%s\n\n"
                        : "\nNemenyi: CD = %.6f (q = %.6f, alpha = %g, %zu competitors, %zu "
                          "voters)%s\n",
                an->nemenyi_cd, an->nemenyi_q, cd->alpha, m, cd->N,
                an->rank_dense ? "; groups on dense ranks" : "");
        print_groups(out, md, &an->nemenyi_bars, mat, an, "no two competitors within CD");
    }
}

int imp_analyze_report_ex(FILE *out, const imp_report_opts *ro, const imp_axes *axes,
                          const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    int md = ro->format == IMP_REPORT_MD;
    switch (ro->format) {
    case IMP_REPORT_TEXT:
    case IMP_REPORT_MD:
        if (!ro->sections || (ro->sections & IMP_REPORT_TABLE))
            report_table(out, md, ro, mat, an);
        if (an->tested_done && (!ro->sections || (ro->sections & IMP_REPORT_TESTS)))
            report_tests(out, md, mat, an);
        break;
    case IMP_REPORT_CSV: report_csv(out, axes, mat, an); break;
    case IMP_REPORT_PAIRS_CSV: report_pairs_csv(out, mat, an); break;
    case IMP_REPORT_LATEX: report_latex(out, ro, mat, an); break;
    default: return imp_err_set(err, IMP_EINPUT, "analyze: unknown report format %d", ro->format);
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "analyze: write error");
    return 0;
}

