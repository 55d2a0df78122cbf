/* matrix.c — the competitors × voters matrix of a selection (median over seeds, scores with
 * higher always better), the names of its rows and their short labels. */
#include "matrix.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/named.h"
#include "imprint/strategy.h"
#include "stats.h"

/* ---- The matrix ---- */

void imp_analyze_matrix_free(imp_analyze_matrix *mat)
{
    for (size_t c = 0; mat->comp && c < mat->n_comp; c++)
        free(mat->comp[c].name);
    free(mat->comp);
    free(mat->A);
    free(mat->row);
    free(mat->voter_model);
    free(mat->voter_task);
    memset(mat, 0, sizeof *mat);
}

/* malloc(0) may return NULL: ask for at least one element. */
static size_t nz(size_t n) { return n ? n : 1; }

static char *comp_name(const imp_axes *a, size_t s, size_t k, size_t h)
{
    char kb[32], hb[32];
    const char *str = a->strategy[s];
    const char *kt = imp_axis_value(a, IMP_AX_K, k, kb, sizeof kb);
    const char *ht = imp_axis_value(a, IMP_AX_SHOT, h, hb, sizeof hb);
    size_t n = strlen(str) + strlen(kt) + strlen(ht) + 10;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "%s k=%s shot=%s", str, kt, ht);
    return name;
}

int imp_analyze_build(const imp_cube *cube, const imp_analyze_sel *sel, imp_analyze_matrix *out,
                      imp_err *err)
{
    memset(out, 0, sizeof *out);
    const imp_axes *a = &cube->axes;
    size_t nm = a->n_model, nt = a->n_task, nk = a->n_k, nh = a->n_shot, ns = a->n_seed;
    size_t nvall = nm * nt, ncol = a->n_strategy * nk * nh;
    int rc = 0;
    size_t nsel_seed = 0;
    for (size_t e = 0; e < ns; e++)
        nsel_seed += sel->keep[IMP_AX_SEED][e] != 0;
    out->n_seeds = nsel_seed;
    out->value = sel->value;
    /* The one place that knows which way a value is better (matrix.h). */
    out->sign = imp_analyze_value_higher_better(sel->value) ? 1 : -1;
    const float *val = imp_analyze_values(cube, sel->value);

    /* Candidates first (a pass over the status only), then values for them alone. */
    size_t *cols = malloc((ncol ? ncol : 1) * sizeof *cols);
    double *buf = malloc((ns ? ns : 1) * sizeof *buf);
    double *V = NULL;      /* [n_comp × nvall], NaN = missing */
    unsigned char *full = NULL; /* [n_comp × nvall] every selected seed done */
    unsigned char *vsel = malloc(nvall ? nvall : 1), *vcand = calloc(nvall ? nvall : 1, 1);
    if (!cols || !buf || !vsel || !vcand)
        goto nomem;
    for (size_t mi = 0; mi < nm; mi++)
        for (size_t ti = 0; ti < nt; ti++)
            vsel[mi * nt + ti] = sel->keep[IMP_AX_MODEL][mi] && sel->keep[IMP_AX_TASK][ti];

    size_t nc = 0;
    for (size_t col = 0; col < ncol; col++) {
        size_t s = col / (nk * nh), k = (col / nh) % nk, h = col % nh;
        if (!sel->col[col] || !sel->keep[IMP_AX_STRATEGY][s] || !sel->keep[IMP_AX_K][k] ||
            !sel->keep[IMP_AX_SHOT][h])
            continue;
        int valid = 0;
        for (size_t v = 0; v < nvall && !valid; v++) {
            if (!vsel[v])
                continue;
            for (size_t e = 0; e < ns && !valid; e++) {
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / nt, [IMP_AX_TASK] = v % nt,
                                              [IMP_AX_STRATEGY] = s, [IMP_AX_K] = k,
                                              [IMP_AX_SHOT] = h, [IMP_AX_SEED] = e};
                valid = sel->keep[IMP_AX_SEED][e] &&
                        cube->status[imp_axes_cell_index(a, idx)] != IMP_CELL_NA;
            }
        }
        if (valid)
            cols[nc++] = col;
    }
    out->n_comp = nc;
    out->comp = calloc(nc ? nc : 1, sizeof *out->comp);
    V = malloc(nz(nc * nvall) * sizeof *V);
    full = calloc(nz(nc * nvall), 1);
    if (!out->comp || !V || !full)
        goto nomem;
    for (size_t c = 0; c < nc; c++) {
        imp_analyze_comp *cp = &out->comp[c];
        cp->strategy = cols[c] / (nk * nh);
        cp->k = (cols[c] / nh) % nk;
        cp->shot = cols[c] % nh;
        if (!(cp->name = comp_name(a, cp->strategy, cp->k, cp->shot)))
            goto nomem;
        for (size_t v = 0; v < nvall; v++) {
            size_t n = 0;
            for (size_t e = 0; vsel[v] && e < ns; e++) {
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / nt, [IMP_AX_TASK] = v % nt,
                                              [IMP_AX_STRATEGY] = cp->strategy, [IMP_AX_K] = cp->k,
                                              [IMP_AX_SHOT] = cp->shot, [IMP_AX_SEED] = e};
                uint64_t cell = imp_axes_cell_index(a, idx);
                if (sel->keep[IMP_AX_SEED][e] && cube->status[cell] == IMP_CELL_DONE &&
                    isfinite(val[cell]))
                    buf[n++] = (double)val[cell];
            }
            V[c * nvall + v] = n ? imp_analyze_score(out, imp_stats_median(buf, n)) : NAN;
            full[c * nvall + v] = n == nsel_seed;
            if (n) {
                cp->n_voters++;
                vcand[v] = 1;
            }
        }
        cp->kept = cp->n_voters > 0;
    }

    /* Voters: candidates on which every kept competitor has a value. */
    size_t m = 0, N = 0;
    for (size_t c = 0; c < nc; c++)
        m += (size_t)out->comp[c].kept;
    for (size_t v = 0; v < nvall; v++) {
        out->n_cand_voters += vcand[v];
        out->n_empty_voters += vsel[v] && !vcand[v];
        int all = vcand[v];
        for (size_t c = 0; c < nc && all; c++)
            all = !out->comp[c].kept || !isnan(V[c * nvall + v]);
        vcand[v] = (unsigned char)all; /* from here: is a voter of the matrix */
        N += (size_t)all;
    }
    out->m = m;
    out->N = N;
    out->A = malloc(nz(m * N) * sizeof *out->A);
    out->row = malloc((m ? m : 1) * sizeof *out->row);
    out->voter_model = malloc((N ? N : 1) * sizeof *out->voter_model);
    out->voter_task = malloc((N ? N : 1) * sizeof *out->voter_task);
    if (!out->A || !out->row || !out->voter_model || !out->voter_task)
        goto nomem;
    for (size_t v = 0, j = 0; v < nvall; v++)
        if (vcand[v]) {
            out->voter_model[j] = v / nt;
            out->voter_task[j++] = v % nt;
        }
    for (size_t c = 0, i = 0; c < nc; c++) {
        if (!out->comp[c].kept)
            continue;
        out->row[i] = c;
        for (size_t v = 0, j = 0; v < nvall; v++)
            if (vcand[v]) {
                out->A[i * N + j++] = V[c * nvall + v];
                out->n_partial += !full[c * nvall + v];
            }
        i++;
    }
    goto out;
nomem:
    rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the matrix");
    imp_analyze_matrix_free(out);
out:
    free(cols);
    free(buf);
    free(V);
    free(full);
    free(vsel);
    free(vcand);
    return rc;
}

int imp_analyze_keep_rows(imp_analyze_matrix *mat, const size_t *rows, size_t n, imp_err *err)
{
    size_t m = mat->m, N = mat->N;
    double *A = malloc(nz(n * N) * sizeof *A);
    size_t *row = malloc((n ? n : 1) * sizeof *row);
    unsigned char *seen = calloc(m ? m : 1, 1);
    if (!A || !row || !seen) {
        free(A), free(row), free(seen);
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
    }
    for (size_t t = 0; t < n; t++) {
        if (rows[t] >= m || seen[rows[t]]) {
            free(A), free(row), free(seen);
            return imp_err_set(err, IMP_EINPUT, "analyze: row %zu out of range or repeated",
                               rows[t]);
        }
        seen[rows[t]] = 1;
        memcpy(A + t * N, mat->A + rows[t] * N, N * sizeof *A);
        row[t] = mat->row[rows[t]];
    }
    for (size_t i = 0; i < m; i++)
        if (!seen[i])
            mat->comp[mat->row[i]].kept = 0;
    free(seen);
    free(mat->A);
    free(mat->row);
    mat->A = A;
    mat->row = row;
    mat->m = n;
    return 0;
}

/* ---- Names ---- */

/* Name the competitors of mat that item (NAME=STR[@k=K][@shot=S] or a paper name) matches. */
static int name_item(imp_analyze_matrix *mat, const imp_axes *a, const char *name,
                     const char *item, imp_err *err)
{
    size_t ncol = a->n_strategy * a->n_k * a->n_shot;
    unsigned char *hit = calloc(ncol ? ncol : 1, 1);
    char *copy = strdup(item);
    int rc = 0;
    if (!hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
        goto out;
    }
    if ((rc = imp_analyze_match_item(a, copy, hit, err)))
        goto out;
    size_t n = 0, k0 = 0, h0 = 0;
    int diff_k = 0, diff_h = 0;
    for (size_t c = 0; c < mat->n_comp; c++) {
        const imp_analyze_comp *cp = &mat->comp[c];
        if (!hit[(cp->strategy * a->n_k + cp->k) * a->n_shot + cp->shot])
            continue;
        if (n++ == 0)
            k0 = cp->k, h0 = cp->shot;
        diff_k |= cp->k != k0;
        diff_h |= cp->shot != h0;
    }
    for (size_t c = 0; c < mat->n_comp; c++) {
        imp_analyze_comp *cp = &mat->comp[c];
        if (!hit[(cp->strategy * a->n_k + cp->k) * a->n_shot + cp->shot])
            continue;
        char kb[32], hb[32];
        const char *kt = imp_axis_value(a, IMP_AX_K, cp->k, kb, sizeof kb);
        const char *ht = imp_axis_value(a, IMP_AX_SHOT, cp->shot, hb, sizeof hb);
        size_t len = strlen(name) + strlen(kt) + strlen(ht) + 12;
        char *nm = malloc(len);
        if (!nm) {
            rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
            goto out;
        }
        snprintf(nm, len, "%s%s%s%s%s", name, diff_k ? " k=" : "", diff_k ? kt : "",
                 diff_h ? " shot=" : "", diff_h ? ht : "");
        free(cp->name);
        cp->name = nm;
        cp->named = 1;
    }
out:
    free(hit);
    free(copy);
    return rc;
}

int imp_analyze_names(imp_analyze_matrix *mat, const imp_axes *axes, const char *defs,
                      int paper, imp_err *err)
{
    size_t n_named;
    const imp_named_strategy *named = imp_named_strategies(&n_named);
    for (size_t i = 0; paper && i < n_named; i++) {
        imp_err ignore; /* a cube without the paper's strategy simply has no such name */
        int rc = name_item(mat, axes, named[i].name, named[i].name, &ignore);
        if (rc == IMP_ENOMEM)
            return imp_err_set(err, rc, "%s", ignore.msg);
    }
    if (!defs)
        return 0;
    char *copy = strdup(defs);
    if (!copy)
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
    int rc = 0;
    char *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
        char *e = strchr(it, '='), *at = strpbrk(it, "@ ");
        if (!e || e == it || (at && at < e)) {
            rc = imp_err_set(err, IMP_EUSAGE, "--name '%s': expected NAME=STRATEGY[@k=K][@shot=S]",
                             it);
            break;
        }
        *e = '\0';
        rc = name_item(mat, axes, it, e + 1, err);
        if (rc)
            imp_err_prefix(err, "--name %s", it);
    }
    free(copy);
    return rc;
}

/* ---- Labels ---- */

/* Is k fixed by the strategy's GEN (mean, ls: 1; all: -1), so that naming it adds nothing? */
static int k_implied(const char *strategy, int64_t k)
{
    imp_strategy st;
    if (imp_strategy_parse(strategy, &st, NULL) != 0)
        return 0;
    int fixed = imp_gen_info_of(st.gen)->fixed_k;
    return fixed && k == fixed;
}

void imp_analyze_labels_free(char **labels, size_t m, char *common)
{
    for (size_t i = 0; labels && i < m; i++)
        free(labels[i]);
    free(labels);
    free(common);
}

int imp_analyze_labels(const imp_axes *axes, const imp_analyze_matrix *mat, char ***labels,
                       char **common, imp_err *err)
{
    return imp_analyze_labels_rows(axes, mat, NULL, mat->m, labels, common, err);
}

int imp_analyze_labels_rows(const imp_axes *axes, const imp_analyze_matrix *mat,
                            const size_t *rows, size_t m, char ***labels, char **common,
                            imp_err *err)
{
#define ROW(i) (rows ? rows[i] : (i))
    *labels = NULL;
    *common = NULL;
    char **L = calloc(m ? m : 1, sizeof *L);
    int *imp = calloc(m ? m : 1, sizeof *imp);
    if (!L || !imp)
        goto nomem;
    /* The shot is dropped when every row shares it; the k when every row where it is not
     * implied shares it and there are at least two such rows (with one, "k=20" is clearer
     * in the label than in the title). */
    int same_shot = 1, same_k = 1;
    size_t n_free_k = 0, k0 = 0, h0 = m ? mat->comp[mat->row[ROW(0)]].shot : 0;
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[ROW(i)]];
        imp[i] = k_implied(axes->strategy[c->strategy], axes->k[c->k]);
        same_shot &= c->shot == h0;
        if (!imp[i]) {
            if (n_free_k++ == 0)
                k0 = c->k;
            same_k &= c->k == k0;
        }
    }
    int drop_k = same_k && n_free_k >= 2;
    char kb[32], hb[32];
    const char *kt = imp_axis_value(axes, IMP_AX_K, k0, kb, sizeof kb);
    const char *ht = imp_axis_value(axes, IMP_AX_SHOT, h0, hb, sizeof hb);
    size_t cl = strlen(kt) + strlen(ht) + 16;
    if (!(*common = malloc(cl)))
        goto nomem;
    snprintf(*common, cl, "%s%s%s%s%s", drop_k ? "k=" : "", drop_k ? kt : "",
             drop_k && same_shot && m ? ", " : "", same_shot && m ? "shot=" : "",
             same_shot && m ? ht : "");
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[ROW(i)]];
        const char *s = axes->strategy[c->strategy];
        const char *ki = imp_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb);
        const char *hi = imp_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb);
        size_t n = strlen(s) + strlen(ki) + strlen(hi) + strlen(c->name) + 12;
        if (!(L[i] = malloc(n)))
            goto nomem;
        if (c->named) {
            snprintf(L[i], n, "%s", c->name);
            continue;
        }
        int show_k = !imp[i] && !drop_k;
        snprintf(L[i], n, "%s%s%s%s%s", s, show_k ? " k=" : "", show_k ? ki : "",
                 same_shot ? "" : " shot=", same_shot ? "" : hi);
    }
    free(imp);
    *labels = L;
    return 0;
nomem:
    imp_analyze_labels_free(L, m, *common);
    *common = NULL;
    free(imp);
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the labels");
#undef ROW
}
