/* acctable.c — competitors × (model, task) value table, mean ± std over seeds (acctable.h). */
#include "acctable.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(IMP_AX_SEED == IMP_AX__COUNT - 1, "a competitor's seeds are neighbours");

void imp_acc_table_free(imp_acc_table *t)
{
    for (size_t c = 0; t->col_name && c < t->n_col; c++)
        free(t->col_name[c]);
    free(t->col_name), free(t->row_model), free(t->row_task);
    free(t->mean), free(t->sd), free(t->best), free(t->n);
    memset(t, 0, sizeof *t);
}

/* The printed form of a mean, the one bold compares ("%.1f"). */
static const char *fmt1(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%.1f", v);
    return buf;
}

int imp_acc_table_build(const imp_cube *cube, const imp_analyze_matrix *mat, const size_t *rows,
                        size_t n_cols, imp_acc_table *t, imp_err *err)
{
    const imp_axes *a = &cube->axes;
    memset(t, 0, sizeof *t);
    size_t cap = a->n_model * a->n_task, cells = cap * (n_cols ? n_cols : 1);
    t->n_col = n_cols;
    t->value = mat->value;
    t->col_name = calloc(n_cols ? n_cols : 1, sizeof *t->col_name);
    t->row_model = malloc(cap * sizeof *t->row_model);
    t->row_task = malloc(cap * sizeof *t->row_task);
    t->mean = malloc(cells * sizeof *t->mean);
    t->sd = malloc(cells * sizeof *t->sd);
    t->n = malloc(cells * sizeof *t->n);
    t->best = malloc(cap * sizeof *t->best);
    int ok = t->col_name && t->row_model && t->row_task && t->mean && t->sd && t->n && t->best;
    for (size_t c = 0; ok && c < n_cols; c++)
        ok = (t->col_name[c] = strdup(mat->comp[mat->row[rows[c]]].name)) != NULL;
    if (!ok) {
        imp_acc_table_free(t);
        return imp_err_set(err, IMP_ENOMEM, "results table: out of memory");
    }
    const float *val = imp_analyze_values(cube, mat->value);
    for (size_t mo = 0; mo < a->n_model; mo++)
        for (size_t ta = 0; ta < a->n_task; ta++) {
            size_t r = t->n_row, any = 0;
            double best = NAN, best_score = -INFINITY; /* the best mean by its score */
            for (size_t c = 0; c < n_cols; c++) {
                const imp_analyze_comp *cp = &mat->comp[mat->row[rows[c]]];
                double s = 0, ss = 0;
                size_t n = 0;
                /* seed is the last axis (axis.h), so this competitor's seeds are the cells
                 * seed0 + se */
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = mo, [IMP_AX_TASK] = ta,
                                              [IMP_AX_STRATEGY] = cp->strategy,
                                              [IMP_AX_K] = cp->k, [IMP_AX_SHOT] = cp->shot};
                uint64_t seed0 = imp_axes_cell_index(a, idx);
                for (size_t se = 0; se < a->n_seed; se++) {
                    uint64_t i = seed0 + se;
                    if (cube->status[i] == IMP_CELL_DONE && isfinite(val[i]))
                        s += val[i], n++;
                }
                double m = n ? s / (double)n : NAN;
                for (size_t se = 0; n && se < a->n_seed; se++) {
                    uint64_t i = seed0 + se;
                    if (cube->status[i] == IMP_CELL_DONE && isfinite(val[i]))
                        ss += (val[i] - m) * (val[i] - m);
                }
                t->mean[r * n_cols + c] = m;
                t->sd[r * n_cols + c] = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
                t->n[r * n_cols + c] = n;
                any += n > 0;
                if (n && imp_analyze_score(mat, m) > best_score)
                    best_score = imp_analyze_score(mat, m), best = m;
            }
            if (!any)
                continue; /* a pair without any value is no row */
            t->row_model[r] = mo, t->row_task[r] = ta, t->best[r] = best;
            t->n_row++;
        }
    return 0;
}

static int is_best(const imp_acc_table *t, size_t r, size_t c)
{
    char a[64], b[64];
    size_t i = r * t->n_col + c;
    return t->n[i] && strcmp(fmt1(t->mean[i], a, sizeof a), fmt1(t->best[r], b, sizeof b)) == 0;
}

int imp_acc_table_write(FILE *out, imp_report_format format, const imp_acc_table *t,
                        const imp_axes *axes, imp_err *err)
{
    char b1[64];
    if (format == IMP_REPORT_CSV) {
        fputs("model,task,competitor,mean,std,seeds,best\n", out);
        for (size_t r = 0; r < t->n_row; r++)
            for (size_t c = 0; c < t->n_col; c++) {
                size_t i = r * t->n_col + c;
                imp_csv_field(out, axes->model[t->row_model[r]]);
                putc(',', out);
                imp_csv_field(out, axes->task[t->row_task[r]]);
                putc(',', out);
                imp_csv_field(out, t->col_name[c]);
                if (t->n[i])
                    fprintf(out, ",%.17g,", t->mean[i]);
                else
                    fputs(",,", out);
                if (isfinite(t->sd[i]))
                    fprintf(out, "%.17g", t->sd[i]);
                fprintf(out, ",%zu,%s\n", t->n[i], is_best(t, r, c) ? "yes" : "no");
            }
        return ferror(out) ? imp_err_set(err, IMP_EIO, "write failed") : 0;
    }
    int md = format == IMP_REPORT_MD, tex = format == IMP_REPORT_LATEX;
    int html = !md && !tex;
    if (tex) {
        fputs("% mean \\pm std over seeds; best of each row in bold\n"
              "% needs \\usepackage{booktabs,graphicx}; scaled down to \\linewidth when wider\n"
              "\\noindent\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
              "\\begin{tabular}{ll", out);
        for (size_t c = 0; c < t->n_col; c++)
            putc('r', out);
        fputs("}\n\\toprule\nmodel & task", out);
    } else if (md) {
        fputs("| model | task |", out);
    } else {
        fputs("<table id=\"acc-table\"><tr><th>model</th><th>task</th>", out);
    }
    for (size_t c = 0; c < t->n_col; c++) {
        if (tex) {
            fputs(" & ", out);
            imp_analyze_tex_text(out, t->col_name[c]);
        } else if (md) {
            putc(' ', out);
            imp_analyze_md_text(out, t->col_name[c]);
            fputs(" |", out);
        } else {
            fputs("<th>", out);
            imp_analyze_html_text(out, t->col_name[c]);
            fputs("</th>", out);
        }
    }
    if (tex)
        fputs(" \\\\\n\\midrule\n", out);
    else if (md) {
        fputs("\n|---|---|", out);
        for (size_t c = 0; c < t->n_col; c++)
            fputs("---:|", out);
        putc('\n', out);
    } else {
        fputs("</tr>\n", out);
    }
    for (size_t r = 0; r < t->n_row; r++) {
        const char *mo = axes->model[t->row_model[r]], *ta = axes->task[t->row_task[r]];
        if (tex) {
            imp_analyze_tex_text(out, mo);
            fputs(" & ", out);
            imp_analyze_tex_text(out, ta);
        } else if (md) {
            fputs("| ", out);
            imp_analyze_md_text(out, mo);
            fputs(" | ", out);
            imp_analyze_md_text(out, ta);
            fputs(" |", out);
        } else {
            fputs("<tr><td>", out);
            imp_analyze_html_text(out, mo);
            fputs("</td><td>", out);
            imp_analyze_html_text(out, ta);
            fputs("</td>", out);
        }
        for (size_t c = 0; c < t->n_col; c++) {
            size_t i = r * t->n_col + c;
            char cell[128] = "–";
            if (t->n[i] && isfinite(t->sd[i]))
                snprintf(cell, sizeof cell, "%s%s%.1f", fmt1(t->mean[i], b1, sizeof b1),
                         tex ? " $\\pm$ " : " ± ", t->sd[i]);
            else if (t->n[i])
                snprintf(cell, sizeof cell, "%s", fmt1(t->mean[i], b1, sizeof b1));
            else if (tex)
                snprintf(cell, sizeof cell, "--");
            int bold = is_best(t, r, c);
            /* only the mean is bold: the spread is no merit */
            char *pm = strstr(cell, tex ? " $\\pm$" : " ±");
            size_t head = bold ? (pm ? (size_t)(pm - cell) : strlen(cell)) : 0;
            const char *open = tex ? " & " : md ? " " : "<td>";
            const char *close = tex ? "" : md ? " |" : "</td>";
            const char *bo = !bold ? "" : tex ? "\\textbf{" : md ? "**" : "<b>";
            const char *bc = !bold ? "" : tex ? "}" : md ? "**" : "</b>";
            fprintf(out, "%s%s%.*s%s%s%s", open, bo, (int)head, cell, bc, cell + head, close);
        }
        fputs(tex ? " \\\\\n" : md ? "\n" : "</tr>\n", out);
    }
    if (tex)
        fputs("\\bottomrule\n\\end{tabular}}\n", out);
    else if (html)
        fputs("</table>\n", out);
    return ferror(out) ? imp_err_set(err, IMP_EIO, "write failed") : 0;
}
