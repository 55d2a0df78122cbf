/* analyze.c — cube slice → competitors × voters matrix → CD statistics → reports. */
#include "analyze.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/strategy.h"

/* ---- Selection ---- */

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_cube_axes *axes, imp_err *err)
{
    memset(sel, 0, sizeof *sel);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        size_t n = imp_cube_axis_len(axes, ax);
        sel->keep[ax] = malloc(n ? n : 1);
        if (!sel->keep[ax])
            goto nomem;
        memset(sel->keep[ax], 1, n);
    }
    sel->n_col = axes->n_strategy * axes->n_k * axes->n_shot;
    sel->col = malloc(sel->n_col ? sel->n_col : 1);
    if (!sel->col)
        goto nomem;
    memset(sel->col, 1, sel->n_col);
    return 0;
nomem:
    imp_analyze_sel_free(sel);
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the selection");
}

void imp_analyze_sel_free(imp_analyze_sel *sel)
{
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        free(sel->keep[ax]);
    free(sel->col);
    memset(sel, 0, sizeof *sel);
}

static int is_int_axis(int ax) { return ax == IMP_AX_K || ax == IMP_AX_SHOT || ax == IMP_AX_SEED; }

static const int64_t *int_axis(const imp_cube_axes *a, int ax)
{
    return ax == IMP_AX_K ? a->k : ax == IMP_AX_SHOT ? a->shot : a->seed;
}

/* Parse a whole int64 (also "all" = -1 for shot); returns 0 or -1. */
static int parse_axis_int(int ax, const char *s, int64_t *v)
{
    if (ax == IMP_AX_SHOT && strcmp(s, "all") == 0) {
        *v = -1;
        return 0;
    }
    if (!*s)
        return -1;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (*end)
        return -1;
    *v = (int64_t)x;
    return 0;
}

/* Does text v name value i of axis ax? */
static int axis_matches(const imp_cube_axes *a, int ax, size_t i, const char *v)
{
    char b1[128];
    if (is_int_axis(ax)) {
        int64_t x;
        return parse_axis_int(ax, v, &x) == 0 && int_axis(a, ax)[i] == x;
    }
    return strcmp(imp_cube_axis_value(a, ax, i, b1, sizeof b1), v) == 0;
}

/* "(values: a, b, c)" of an axis into buf, cut after a few hundred characters. */
static const char *axis_values_text(const imp_cube_axes *a, int ax, char *buf, size_t n)
{
    size_t len = imp_cube_axis_len(a, ax), used = 0;
    char vb[64];
    buf[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        const char *v = imp_cube_axis_value(a, ax, i, vb, sizeof vb);
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", v);
        if (w < 0 || used + (size_t)w + 8 >= n) {
            snprintf(buf + used, n - used, ", …");
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

/* Mark in hit[] the values of axis ax matching v; returns how many matched. */
static size_t match_values(const imp_cube_axes *a, int ax, const char *v, unsigned char *hit)
{
    size_t n = 0, len = imp_cube_axis_len(a, ax);
    for (size_t i = 0; i < len; i++)
        if (axis_matches(a, ax, i, v)) {
            hit[i] = 1;
            n++;
        }
    return n;
}

int imp_analyze_where(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *expr,
                      imp_err *err)
{
    const char *eq = strchr(expr, '=');
    if (!eq || eq == expr || !eq[1])
        return imp_err_set(err, IMP_EUSAGE, "--where '%s': expected AXIS=V1,V2,…", expr);
    int ax = -1;
    for (int a = 0; a < IMP_AX__COUNT; a++)
        if (strlen(imp_cube_axis_name(a)) == (size_t)(eq - expr) &&
            strncmp(expr, imp_cube_axis_name(a), (size_t)(eq - expr)) == 0)
            ax = a;
    if (ax < 0)
        return imp_err_set(err, IMP_EUSAGE,
                           "--where '%s': unknown axis (model, task, strategy, k, shot or seed)",
                           expr);
    size_t len = imp_cube_axis_len(axes, ax);
    unsigned char *hit = calloc(len ? len : 1, 1);
    char *copy = strdup(eq + 1);
    int rc = 0;
    if (!hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "--where: out of memory");
        goto out;
    }
    char *save = NULL;
    size_t nv = 0;
    for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save), nv++) {
        if (match_values(axes, ax, v, hit) == 0) {
            char list[400];
            rc = imp_err_set(err, IMP_EUSAGE, "--where %s=%s: the cube has no such %s (values: %s)",
                             imp_cube_axis_name(ax), v, imp_cube_axis_name(ax),
                             axis_values_text(axes, ax, list, sizeof list));
            goto out;
        }
    }
    if (!nv) {
        rc = imp_err_set(err, IMP_EUSAGE, "--where '%s': no value given", expr);
        goto out;
    }
    for (size_t i = 0; i < len; i++)
        sel->keep[ax][i] &= hit[i];
out:
    free(hit);
    free(copy);
    return rc;
}

/* The paper's named strategies (spec/reference-semantics.md §8). */
static const struct {
    const char *name, *strategy;
    int64_t k; /* 0: any */
} paper_names[] = {
    {"Qi", "l2/mean/l2/l2/max", 0},
    {"Hosoda", "none/mean/quantile/none/max", 0},
    {"Janson", "none/mean/none/none/nn:euclidean", 0},
    {"Ours", "l2/kmeans/l2/l2/max", 20},
    {"Oracle", "none/ls/none/none/max", 0},
};

/* Mark the columns one competitor item matches in hit[]; IMP_EUSAGE if none. */
static int match_item(const imp_cube_axes *a, char *item, unsigned char *hit, imp_err *err)
{
    char *save = NULL, *tok = strtok_r(item, "@ ", &save);
    if (!tok)
        return imp_err_set(err, IMP_EUSAGE, "--competitors: empty item");
    char text[512];
    snprintf(text, sizeof text, "%s", tok);
    const char *str = tok, *kv = NULL, *shotv = NULL;
    char kbuf[32];
    for (size_t i = 0; i < sizeof paper_names / sizeof paper_names[0]; i++)
        if (strcmp(tok, paper_names[i].name) == 0) {
            str = paper_names[i].strategy;
            if (paper_names[i].k) {
                snprintf(kbuf, sizeof kbuf, "%lld", (long long)paper_names[i].k);
                kv = kbuf;
            }
        }
    for (tok = strtok_r(NULL, "@ ", &save); tok; tok = strtok_r(NULL, "@ ", &save)) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "@%s", tok);
        if (strncmp(tok, "k=", 2) == 0)
            kv = tok + 2;
        else if (strncmp(tok, "shot=", 5) == 0)
            shotv = tok + 5;
        else
            return imp_err_set(err, IMP_EUSAGE,
                               "--competitors '%s': '%s' is neither k=K nor shot=S", text, tok);
    }
    unsigned char *hs = calloc(a->n_strategy, 1), *hk = calloc(a->n_k, 1),
                  *hh = calloc(a->n_shot, 1);
    int rc = 0;
    if (!hs || !hk || !hh) {
        rc = imp_err_set(err, IMP_ENOMEM, "--competitors: out of memory");
        goto out;
    }
    char list[400];
    if (!match_values(a, IMP_AX_STRATEGY, str, hs)) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors '%s': the cube has no strategy %s "
                         "(strategies: %s)", text, str,
                         axis_values_text(a, IMP_AX_STRATEGY, list, sizeof list));
        goto out;
    }
    if (kv ? !match_values(a, IMP_AX_K, kv, hk) : (memset(hk, 1, a->n_k), 0)) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors '%s': the cube has no k = %s (k: %s)",
                         text, kv, axis_values_text(a, IMP_AX_K, list, sizeof list));
        goto out;
    }
    if (shotv ? !match_values(a, IMP_AX_SHOT, shotv, hh) : (memset(hh, 1, a->n_shot), 0)) {
        rc = imp_err_set(err, IMP_EUSAGE,
                         "--competitors '%s': the cube has no shot = %s (shot: %s)", text,
                         shotv, axis_values_text(a, IMP_AX_SHOT, list, sizeof list));
        goto out;
    }
    for (size_t s = 0; s < a->n_strategy; s++)
        for (size_t k = 0; k < a->n_k; k++)
            for (size_t h = 0; h < a->n_shot; h++)
                if (hs[s] && hk[k] && hh[h])
                    hit[(s * a->n_k + k) * a->n_shot + h] = 1;
out:
    free(hs);
    free(hk);
    free(hh);
    return rc;
}

int imp_analyze_competitors(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *list,
                            imp_err *err)
{
    unsigned char *hit = calloc(sel->n_col ? sel->n_col : 1, 1);
    char *copy = strdup(list);
    int rc = 0;
    if (!hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "--competitors: out of memory");
        goto out;
    }
    char *save = NULL;
    size_t items = 0;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save), items++)
        if ((rc = match_item(axes, it, hit, err)))
            goto out;
    if (!items) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors: empty list");
        goto out;
    }
    for (size_t c = 0; c < sel->n_col; c++)
        sel->col[c] &= hit[c];
out:
    free(hit);
    free(copy);
    return rc;
}

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1] (sorted in place), n ≥ 1. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static char *comp_name(const imp_cube_axes *a, size_t s, size_t k, size_t h)
{
    char kb[32], hb[32];
    const char *str = a->strategy[s];
    const char *kt = imp_cube_axis_value(a, IMP_AX_K, k, kb, sizeof kb);
    const char *ht = imp_cube_axis_value(a, IMP_AX_SHOT, h, hb, sizeof hb);
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
    const imp_cube_axes *a = &cube->axes;
    size_t nm = a->n_model, nt = a->n_task, nk = a->n_k, nh = a->n_shot, ns = a->n_seed;
    size_t nvall = nm * nt, ncol = a->n_strategy * nk * nh;
    int rc = 0;
    size_t nsel_seed = 0;
    for (size_t e = 0; e < ns; e++)
        nsel_seed += sel->keep[IMP_AX_SEED][e] != 0;
    out->n_seeds = nsel_seed;

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
                size_t idx[IMP_AX__COUNT] = {v / nt, v % nt, s, k, h, e};
                valid = sel->keep[IMP_AX_SEED][e] &&
                        cube->status[imp_cube_cell_index(a, idx)] != IMP_CELL_NA;
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
                size_t idx[IMP_AX__COUNT] = {v / nt, v % nt, cp->strategy, cp->k, cp->shot, e};
                uint64_t cell = imp_cube_cell_index(a, idx);
                if (sel->keep[IMP_AX_SEED][e] && cube->status[cell] == IMP_CELL_DONE &&
                    isfinite(cube->accuracy[cell]))
                    buf[n++] = (double)cube->accuracy[cell];
            }
            V[c * nvall + v] = n ? median(buf, n) : NAN;
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

/* ---- Labels ---- */

/* Is k fixed by the strategy's GEN (mean, ls: 1; all: -1), so that naming it adds nothing? */
static int k_implied(const char *strategy, int64_t k)
{
    imp_strategy st;
    if (imp_strategy_parse(strategy, &st, NULL) != 0)
        return 0;
    if (st.gen == IMP_GEN_MEAN || st.gen == IMP_GEN_LS)
        return k == 1;
    return st.gen == IMP_GEN_ALL && k == -1;
}

void imp_analyze_labels_free(char **labels, size_t m, char *common)
{
    for (size_t i = 0; labels && i < m; i++)
        free(labels[i]);
    free(labels);
    free(common);
}

int imp_analyze_labels(const imp_cube_axes *axes, const imp_analyze_matrix *mat, char ***labels,
                       char **common, imp_err *err)
{
    size_t m = mat->m;
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
    size_t n_free_k = 0, k0 = 0, h0 = mat->m ? mat->comp[mat->row[0]].shot : 0;
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[i]];
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
    const char *kt = imp_cube_axis_value(axes, IMP_AX_K, k0, kb, sizeof kb);
    const char *ht = imp_cube_axis_value(axes, IMP_AX_SHOT, h0, hb, sizeof hb);
    size_t cl = strlen(kt) + strlen(ht) + 16;
    if (!(*common = malloc(cl)))
        goto nomem;
    snprintf(*common, cl, "%s%s%s%s%s", drop_k ? "k=" : "", drop_k ? kt : "",
             drop_k && same_shot && m ? ", " : "", same_shot && m ? "shot=" : "",
             same_shot && m ? ht : "");
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[i]];
        const char *s = axes->strategy[c->strategy];
        const char *ki = imp_cube_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb);
        const char *hi = imp_cube_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb);
        size_t n = strlen(s) + strlen(ki) + strlen(hi) + 12;
        if (!(L[i] = malloc(n)))
            goto nomem;
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
}

/* ---- Statistics ---- */

void imp_analysis_free(imp_analysis *an)
{
    imp_cd_result_free(&an->cd);
    free(an->dense);
    free(an->holm);
    imp_cliques_free(&an->nemenyi_bars);
    memset(an, 0, sizeof *an);
}

int imp_analyze_run(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                    imp_analysis *out, imp_err *err)
{
    imp_analyze_opts o = opts ? *opts : (imp_analyze_opts){0};
    memset(out, 0, sizeof *out);
    size_t m = mat->m, N = mat->N;
    if (m < 2 || N < 2)
        return imp_err_set(err, IMP_EINPUT,
                           "analyze: need at least 2 competitors and 2 voters, have %zu and %zu",
                           m, N);
    imp_cd_opts co = {o.alpha, o.rank_method, o.compat_identical_significant};
    int rc = imp_cd_run(mat->A, m, N, &co, &out->cd, err);
    if (rc)
        return rc;
    size_t K = out->cd.K;
    out->rank_dense = o.rank_method == IMP_RANK_DENSE;
    out->dense = malloc(m * sizeof *out->dense);
    out->holm = malloc(K * sizeof *out->holm);
    if (!out->dense || !out->holm) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
        goto fail;
    }
    if ((rc = imp_stats_rank_summary(mat->A, m, N, IMP_RANK_DENSE, out->dense, err)))
        goto fail;
    memcpy(out->holm, out->cd.significant, K * sizeof *out->holm);
    out->id_F = out->id_p = NAN;
    if (m >= 3) {
        if ((rc = imp_stats_iman_davenport(out->cd.friedman.statistic, m, N, &out->id_F,
                                           &out->id_p, err)))
            goto fail;
        if (!out->cd.friedman_significant) {
            /* §5.2 step 2: the reference stops here. We go on, but declare nothing. */
            out->gated = 1;
            memset(out->cd.significant, 0, K * sizeof *out->cd.significant);
            imp_cliques_free(&out->cd.cliques);
            imp_cliques *c = &out->cd.cliques;
            c->off = malloc(2 * sizeof *c->off);
            c->members = malloc(m * sizeof *c->members);
            if (!c->off || !c->members) {
                rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
                goto fail;
            }
            c->n = 1;
            c->off[0] = 0;
            c->off[1] = m;
            memcpy(c->members, out->cd.order, m * sizeof *c->members);
        }
    }
    if (o.nemenyi) {
        out->nemenyi = 1;
        if ((rc = imp_stats_nemenyi_q(m, out->cd.alpha, &out->nemenyi_q, err)))
            goto fail;
        out->nemenyi_cd = imp_stats_nemenyi_cd(out->nemenyi_q, m, N);
        if ((rc = imp_stats_nemenyi_bars(out->cd.rank, m, out->nemenyi_cd, &out->nemenyi_bars,
                                         err)))
            goto fail;
    }
    return 0;
fail:
    imp_analysis_free(out);
    return rc;
}

/* ---- Reports ---- */

static const char *method_name(imp_wilcoxon_method m)
{
    return m == IMP_WILCOXON_EXACT ? "exact" : m == IMP_WILCOXON_APPROX ? "approx" : "identical";
}

/* Markdown cell text: '|' escaped. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            putc('\\', out);
        putc(*s, out);
    }
}

static const char *name_of(const imp_analyze_matrix *mat, size_t i)
{
    return mat->comp[mat->row[i]].name;
}

static void report_csv(FILE *out, const imp_cube_axes *axes, const imp_analyze_matrix *mat,
                       const imp_analysis *an)
{
    fputs("rank,competitor,strategy,k,shot,avg_rank,dense_rank,mean_accuracy,std,wins,voters\n",
          out);
    char kb[32], hb[32];
    for (size_t t = 0; t < mat->m; t++) {
        size_t i = an->cd.order[t];
        const imp_analyze_comp *c = &mat->comp[mat->row[i]];
        const imp_rank_summary *s = &an->cd.summary[i];
        fprintf(out, "%zu,", t + 1);
        imp_csv_field(out, c->name);
        putc(',', out);
        imp_csv_field(out, axes->strategy[c->strategy]);
        fprintf(out, ",%s,%s,%.17g,%.17g,%.17g,%.17g,%zu,%zu\n",
                imp_cube_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb),
                imp_cube_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb), s->mean_rank,
                an->dense[i].mean_rank, s->mean, s->std, s->wins, mat->N);
    }
}

static void report_pairs_csv(FILE *out, const imp_analyze_matrix *mat, const imp_analysis *an)
{
    fputs("competitor_a,competitor_b,p,holm_threshold,significant,statistic,method,n,n_zero\n",
          out);
    size_t m = mat->m;
    for (size_t ta = 0; ta < m; ta++)
        for (size_t tb = ta + 1; tb < m; tb++) {
            size_t i = an->cd.order[ta], j = an->cd.order[tb];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, m);
            const imp_wilcoxon *w = &an->cd.pair[k];
            imp_csv_field(out, name_of(mat, i));
            putc(',', out);
            imp_csv_field(out, name_of(mat, j));
            fprintf(out, ",%.17g,%.17g,%s,%.17g,%s,%zu,%zu\n", w->p, an->cd.threshold[k],
                    an->cd.significant[k] ? "yes" : "no", w->statistic, method_name(w->method),
                    w->n, w->n_zero);
        }
}

/* Text and Markdown share one walk; md selects the markup. */
static void report_human(FILE *out, int md, const imp_analyze_matrix *mat,
                         const imp_analysis *an)
{
    size_t m = mat->m, w = strlen("competitor");
    for (size_t i = 0; i < m; i++) {
        size_t l = strlen(name_of(mat, i));
        w = l > w ? l : w;
    }
    const imp_cd_result *cd = &an->cd;
    const char *rank_hdr = an->rank_dense ? "dense rank" : "mean rank";
    if (md) {
        fprintf(out, "## Ranks\n\n%zu competitors (strategy, k, shot) ranked on %zu voters "
                "(model, task); a voter's value is the median accuracy over its seeds.\n\n",
                m, mat->N);
        fprintf(out, "| rank | competitor | %s | mean acc | std | wins | voters |\n"
                     "|---:|---|---:|---:|---:|---:|---:|\n", rank_hdr);
    } else {
        fprintf(out, "%zu competitors (strategy, k, shot) ranked on %zu voters (model, task); "
                "value = median accuracy over seeds\n\n", m, mat->N);
        fprintf(out, "rank  %-*s  %10s  %8s  %7s  %4s  %6s\n", (int)w, "competitor", rank_hdr,
                "mean acc", "std", "wins", "voters");
    }
    for (size_t t = 0; t < m; t++) {
        size_t i = cd->order[t];
        const imp_rank_summary *s = &cd->summary[i];
        if (md) {
            fprintf(out, "| %zu | ", t + 1);
            md_cell(out, name_of(mat, i));
            fprintf(out, " | %.4f | %.3f | %.3f | %zu | %zu |\n", cd->rank[i], s->mean, s->std,
                    s->wins, mat->N);
        } else {
            fprintf(out, "%4zu  %-*s  %10.4f  %8.3f  %7.3f  %4zu  %6zu\n", t + 1, (int)w,
                    name_of(mat, i), cd->rank[i], s->mean, s->std, s->wins, mat->N);
        }
    }
    fputs(md ? "\n## Friedman\n\n" : "\n", out);
    if (m < 3) {
        fputs("Friedman: skipped (it needs at least 3 competitors); the Wilcoxon test below "
              "decides alone.\n", out);
    } else {
        fprintf(out, "Friedman: chi2 = %.6f, df = %zu, p = %.6g (Iman-Davenport F = %.6g, p = "
                "%.6g)\n", cd->friedman.statistic, m - 1, cd->friedman.p, an->id_F, an->id_p);
        if (an->gated)
            fprintf(out, "%sp >= alpha = %g: no difference between the competitors is "
                    "significant.%s The reference stops here; the pairwise p-values below are "
                    "for information only and no pair is declared significant.\n",
                    md ? "**" : "", cd->alpha, md ? "**" : "");
        else
            fprintf(out, "p < alpha = %g: the competitors differ; pairwise tests follow.\n",
                    cd->alpha);
    }

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
            if (md) {
                fputs("| ", out);
                md_cell(out, name_of(mat, i));
                fputs(" | ", out);
                md_cell(out, name_of(mat, j));
                fprintf(out, " | %.6g | %.6g | %s | %s |\n", pw->p, cd->threshold[k], sig,
                        method_name(pw->method));
            } else {
                fprintf(out, "  %-*s  %-*s  %12.6g  %12.6g  %11s  %s\n", (int)w, name_of(mat, i),
                        (int)w, name_of(mat, j), pw->p, cd->threshold[k], sig,
                        method_name(pw->method));
            }
        }

    fputs(md ? "\n## Cliques\n\nMaximal groups without a significant difference (the bars of "
               "the CD diagram):\n\n"
             : "\nCliques (maximal groups without a significant difference):\n", out);
    if (cd->cliques.n == 0)
        fputs(md ? "- none: every pair differs significantly\n"
                 : "  none: every pair differs significantly\n", out);
    for (size_t c = 0; c < cd->cliques.n; c++) {
        fprintf(out, md ? "%zu. " : "  %zu: ", c + 1);
        for (size_t t = cd->cliques.off[c]; t < cd->cliques.off[c + 1]; t++) {
            if (t > cd->cliques.off[c])
                fputs(md ? ", " : " | ", out);
            if (md)
                md_cell(out, name_of(mat, cd->cliques.members[t]));
            else
                fputs(name_of(mat, cd->cliques.members[t]), out);
        }
        putc('\n', out);
    }

    if (an->nemenyi) {
        fprintf(out, md ? "\n## Nemenyi\n\nCD = %.6f (q = %.6f, alpha = %g, %zu competitors, "
                          "%zu voters)%s\n\n"
                        : "\nNemenyi: CD = %.6f (q = %.6f, alpha = %g, %zu competitors, %zu "
                          "voters)%s\n",
                an->nemenyi_cd, an->nemenyi_q, cd->alpha, m, mat->N,
                an->rank_dense ? "; groups on dense ranks" : "");
        const imp_cliques *b = &an->nemenyi_bars;
        if (b->n == 0)
            fputs(md ? "- no two competitors within CD\n" : "  no two competitors within CD\n",
                  out);
        for (size_t c = 0; c < b->n; c++) {
            fprintf(out, md ? "%zu. " : "  %zu: ", c + 1);
            for (size_t t = b->off[c]; t < b->off[c + 1]; t++) {
                if (t > b->off[c])
                    fputs(md ? ", " : " | ", out);
                if (md)
                    md_cell(out, name_of(mat, b->members[t]));
                else
                    fputs(name_of(mat, b->members[t]), out);
            }
            putc('\n', out);
        }
    }
}

int imp_analyze_report(FILE *out, imp_report_format format, const imp_cube_axes *axes,
                       const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    switch (format) {
    case IMP_REPORT_TEXT: report_human(out, 0, mat, an); break;
    case IMP_REPORT_MD: report_human(out, 1, mat, an); break;
    case IMP_REPORT_CSV: report_csv(out, axes, mat, an); break;
    case IMP_REPORT_PAIRS_CSV: report_pairs_csv(out, mat, an); break;
    default: return imp_err_set(err, IMP_EINPUT, "analyze: unknown report format %d", format);
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "analyze: write error");
    return 0;
}
