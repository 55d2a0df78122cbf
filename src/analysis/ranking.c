/* ranking.c — the statistics run on a matrix: the rank table and Friedman over every row,
 * the tested set, the pairwise tests on it, and the best row of each group. */
#include "ranking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- The rank table, the tested set, the tests ---- */

void imp_analysis_free(imp_analysis *an)
{
    free(an->summary);
    free(an->dense);
    free(an->rank);
    free(an->order);
    free(an->tested);
    imp_cd_result_free(&an->cd);
    free(an->holm);
    imp_cliques_free(&an->nemenyi_bars);
    memset(an, 0, sizeof *an);
}

typedef struct rank_key {
    double r;
    size_t i;
} rank_key;

static int rank_key_cmp(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    if (a->r != b->r)
        return a->r < b->r ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int size_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

/* The means of n rank summaries of scores back in the value's units (matrix.h): the mean of
 * −x is −mean(x), exactly; a std has no sign. */
static void means_in_units(const imp_analyze_matrix *mat, imp_rank_summary *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i].mean = imp_analyze_score(mat, s[i].mean);
}

int imp_analyze_table(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                      imp_analysis *out, imp_err *err)
{
    imp_analyze_opts o = opts ? *opts : (imp_analyze_opts){0};
    memset(out, 0, sizeof *out);
    size_t m = mat->m, N = mat->N;
    if (m < 2 || N < 2)
        return imp_err_set(err, IMP_EINPUT,
                           "analyze: need at least 2 competitors and 2 voters, have %zu and %zu",
                           m, N);
    const double *A = mat->A;
    out->m = m, out->N = N;
    out->rank_dense = o.rank_method == IMP_RANK_DENSE;
    out->value = mat->value;
    out->top_asked = o.top;
    out->summary = malloc(m * sizeof *out->summary);
    out->dense = malloc(m * sizeof *out->dense);
    out->rank = malloc(m * sizeof *out->rank);
    out->order = malloc(m * sizeof *out->order);
    rank_key *key = malloc(m * sizeof *key);
    int rc = 0;
    if (!out->summary || !out->dense || !out->rank || !out->order || !key) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the table of %zu rows", m);
        goto fail;
    }
    if ((rc = imp_stats_rank_summary(A, m, N, IMP_RANK_AVERAGE, out->summary, err)) ||
        (rc = imp_stats_rank_summary(A, m, N, IMP_RANK_DENSE, out->dense, err)))
        goto fail;
    means_in_units(mat, out->summary, m);
    means_in_units(mat, out->dense, m);
    for (size_t i = 0; i < m; i++) {
        out->rank[i] = out->rank_dense ? out->dense[i].mean_rank : out->summary[i].mean_rank;
        key[i] = (rank_key){out->rank[i], i};
    }
    qsort(key, m, sizeof *key, rank_key_cmp);
    for (size_t t = 0; t < m; t++)
        out->order[t] = key[t].i;
    out->friedman = (imp_friedman){NAN, NAN};
    out->id_F = out->id_p = NAN;
    if (m >= 3) {
        if ((rc = imp_stats_friedman(A, m, N, &out->friedman, err)) ||
            (rc = imp_stats_iman_davenport(out->friedman.statistic, m, N, &out->id_F, &out->id_p,
                                           err)))
            goto fail;
    }

    /* Step 2: the tested set. */
    size_t n = m;
    if (o.top) {
        out->why = IMP_TESTED_TOP;
        n = o.top < m ? o.top : m;
    } else if (o.test_all) {
        out->why = IMP_TESTED_NAMED;
    } else if (m > IMP_ANALYZE_DEFAULT_TOP) {
        out->why = IMP_TESTED_DEFAULT_TOP;
        n = IMP_ANALYZE_DEFAULT_TOP;
    }
    if (n > IMP_ANALYZE_MAX_TESTED) {
        out->why = IMP_TESTED_CAPPED;
        n = IMP_ANALYZE_MAX_TESTED;
    }
    if (!(out->tested = malloc(n * sizeof *out->tested))) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
        goto fail;
    }
    memcpy(out->tested, out->order, n * sizeof *out->tested);
    qsort(out->tested, n, sizeof *out->tested, size_cmp);
    out->n_tested = n;
    free(key);
    return 0;
fail:
    free(key);
    imp_analysis_free(out);
    return rc;
}

int imp_analyze_test(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                     imp_analysis *an, imp_err *err)
{
    imp_analyze_opts o = opts ? *opts : (imp_analyze_opts){0};
    size_t n = an->n_tested, N = mat->N;
    if (n < 2)
        return imp_err_set(err, IMP_EINPUT, "analyze: need at least 2 tested competitors, have %zu",
                           n);
    double *S = malloc(n * N * sizeof *S);
    if (!S)
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for %zu x %zu", n, N);
    for (size_t i = 0; i < n; i++)
        memcpy(S + i * N, mat->A + an->tested[i] * N, N * sizeof *S);
    imp_cd_opts co = {o.alpha, o.rank_method, o.compat_identical_significant, o.groups, 0};
    int rc = imp_cd_run(S, n, N, &co, &an->cd, err);
    if (rc) {
        free(S);
        return rc;
    }
    size_t K = an->cd.K;
    means_in_units(mat, an->cd.summary, n);
    if (!(an->holm = malloc((K ? K : 1) * sizeof *an->holm))) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
        goto fail;
    }
    memcpy(an->holm, an->cd.significant, K * sizeof *an->holm);
    an->cd_id_F = an->cd_id_p = NAN;
    an->gated = 0;
    if (n >= 3) {
        if ((rc = imp_stats_iman_davenport(an->cd.friedman.statistic, n, N, &an->cd_id_F,
                                           &an->cd_id_p, err)))
            goto fail;
        if (!an->cd.friedman_significant) {
            /* The Friedman gate: the reference stops here. We go on, but declare nothing. */
            an->gated = 1;
            memset(an->cd.significant, 0, K * sizeof *an->cd.significant);
            imp_cliques_free(&an->cd.cliques);
            imp_cliques *c = &an->cd.cliques;
            c->off = malloc(2 * sizeof *c->off);
            c->members = malloc(n * sizeof *c->members);
            if (!c->off || !c->members) {
                rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
                goto fail;
            }
            c->n = 1;
            c->off[0] = 0;
            c->off[1] = n;
            memcpy(c->members, an->cd.order, n * sizeof *c->members);
        }
    }
    if (o.nemenyi) {
        an->nemenyi = 1;
        if ((rc = imp_stats_nemenyi_q(n, an->cd.alpha, &an->nemenyi_q, err)))
            goto fail;
        an->nemenyi_cd = imp_stats_nemenyi_cd(an->nemenyi_q, n, N);
        if ((rc = imp_stats_nemenyi_bars(an->cd.rank, n, an->nemenyi_cd, &an->nemenyi_bars,
                                         err)))
            goto fail;
    }
    free(S);
    an->tested_done = 1;
    return 0;
fail:
    free(S);
    imp_cd_result_free(&an->cd);
    free(an->holm);
    an->holm = NULL;
    imp_cliques_free(&an->nemenyi_bars);
    an->nemenyi = an->gated = 0;
    return rc;
}

int imp_analysis_is_tested(const imp_analysis *an, size_t row)
{
    /* tested is ascending: a binary search */
    return bsearch(&row, an->tested, an->n_tested, sizeof row, size_cmp) != NULL;
}

int imp_analyze_run(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                    imp_analysis *out, imp_err *err)
{
    int rc = imp_analyze_table(mat, opts, out, err);
    if (!rc && (rc = imp_analyze_test(mat, opts, out, err)))
        imp_analysis_free(out);
    return rc;
}

/* ---- Best of groups ---- */

int imp_analyze_group_keys(const char *list, int *keys, size_t max_keys, size_t *n_keys,
                           imp_err *err)
{
    *n_keys = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int key = imp_analyze_component_from_name(p, len);
        const int axes[] = {IMP_AX_K, IMP_AX_SHOT}; /* a competitor's axes besides strategy */
        for (size_t a = 0; key < 0 && a < sizeof axes / sizeof axes[0]; a++)
            if (strlen(imp_axis_name(axes[a])) == len &&
                strncmp(p, imp_axis_name(axes[a]), len) == 0)
                key = IMP_COMP__COUNT + axes[a];
        if (key < 0) {
            char comps[128];
            return imp_err_set(err, IMP_EUSAGE, "--group-by '%s': unknown key '%.*s' (%s, %s, %s)",
                               list, (int)len, p,
                               imp_analyze_component_names(comps, sizeof comps, ", "),
                               imp_axis_name(IMP_AX_K), imp_axis_name(IMP_AX_SHOT));
        }
        if (*n_keys == max_keys)
            return imp_err_set(err, IMP_EUSAGE, "--group-by '%s': at most %zu keys", list,
                               max_keys);
        keys[(*n_keys)++] = key;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!*n_keys)
        return imp_err_set(err, IMP_EUSAGE, "--group-by: no key given");
    return 0;
}

/* Does row j share every key's value with row i? */
static int same_group(const imp_analyze_matrix *mat, const imp_axes *a, size_t i, size_t j,
                      const int *keys, size_t n_keys)
{
    const imp_analyze_comp *ci = &mat->comp[mat->row[i]], *cj = &mat->comp[mat->row[j]];
    for (size_t q = 0; q < n_keys; q++) {
        if (keys[q] == IMP_COMP__COUNT + IMP_AX_K) {
            if (ci->k != cj->k)
                return 0;
        } else if (keys[q] == IMP_COMP__COUNT + IMP_AX_SHOT) {
            if (ci->shot != cj->shot)
                return 0;
        } else {
            char bi[64], bj[64];
            const char *ti =
                imp_analyze_component(a->strategy[ci->strategy], keys[q], bi, sizeof bi);
            const char *tj =
                imp_analyze_component(a->strategy[cj->strategy], keys[q], bj, sizeof bj);
            if (!ti || !tj || strcmp(ti, tj) != 0)
                return 0;
        }
    }
    return 1;
}

int imp_analyze_best_of_groups(const imp_analyze_matrix *mat, const imp_axes *axes,
                               const imp_analysis *an, const int *keys, size_t n_keys,
                               size_t **rows, size_t *n, imp_err *err)
{
    /* Walk the rows best first; a row opens a group unless an earlier (better) kept row
     * shares its keys. O(m · groups), and groups are few (the values of a few components). */
    *n = 0;
    *rows = malloc((an->m ? an->m : 1) * sizeof **rows);
    if (!*rows)
        return imp_err_set(err, IMP_ENOMEM, "--group-by: out of memory");
    for (size_t t = 0; t < an->m; t++) {
        size_t i = an->order[t];
        int seen = 0;
        for (size_t g = 0; g < *n && !seen; g++)
            seen = same_group(mat, axes, (*rows)[g], i, keys, n_keys);
        if (!seen)
            (*rows)[(*n)++] = i;
    }
    return 0;
}
