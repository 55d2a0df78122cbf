/* pipeline.c — every (POST, INF, AGG) cell of one proxy set: shared distances, one selection. */
#include "imprint/pipeline.h"
#include "imprint/clock.h"

#include "imprint/blas.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/distance.h"
#include "imprint/norm.h"
#include "imprint/pool.h"

/* test rows per Manhattan kernel call: enough to reuse each L2-sized chunk of proxies; per
 * float64 Gram call: a DGEMM of 64 rows runs near full rate and its 64 × P doubles stay small */
enum { L1_ROWS = 32, G64_ROWS = 256 };

typedef struct nb {
    double dist;
    size_t idx;
} nb;

/* One proxy set after one NORMpost, as every metric sees it. Invariant: the float64 Gram
 * forms (per space) and the packed form exist iff some cell of the POST group needs them and
 * they could be made. */
typedef struct post_view {
    imp_proxies px;     /* after NORMpost (px.W owned iff owned) */
    int owned;
    double *wn;         /* ‖w_j‖² */
    int32_t *pcls;      /* class of proxy j */
    imp_gram64 *g64[2]; /* per IMP_SPACE_*: euclidean (raw), mahalanobis (whitened) */
    float *l1;          /* packed for the Manhattan kernel */
    int g64_rc[2];      /* why g64[space] is missing when it was wanted */
    imp_err g64_err[2];
} post_view;

/* One (POST, INF) group: its cells and what every block reports. */
typedef struct group {
    const post_view *v;
    const imp_data *test;
    imp_norm inf;
    size_t B, nblocks;
    size_t nc;                          /* cells of the group */
    const imp_strategy **cs;            /* [nc] */
    int32_t *const *pred;               /* [nc], entries may be NULL */
    int need[IMP_METRIC__COUNT];
    size_t M[IMP_METRIC__COUNT];        /* longest neighbour list per metric, <= P */
    size_t *correct;                    /* [nblocks × nc] */
    int *brc;                           /* [nblocks × IMP_METRIC__COUNT]: 0, ENUMERIC, ENOMEM */
    size_t *bad_row;                    /* [nblocks × IMP_METRIC__COUNT] */
} group;

/* Keep the m smallest (dist, index) pairs of a row, sorted; j runs in ascending order and a
 * strict < keeps the lower index first among equal distances (the reference's tie rule). */
static size_t select_nearest(const double *dist, size_t P, size_t m, nb *best)
{
    size_t have = 0;
    for (size_t j = 0; j < P; j++) {
        double d = dist[j];
        if (have < m || d < best[have - 1].dist) {
            size_t pos = have < m ? have++ : have - 1;
            while (pos > 0 && d < best[pos - 1].dist) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos].dist = d;
            best[pos].idx = j;
        }
    }
    return have;
}

/* Vote over the first m of the sorted neighbours; the lowest class wins ties. */
static int32_t vote(const nb *best, size_t m, const int32_t *pcls, size_t C, imp_weight w,
                    double *votes)
{
    for (size_t c = 0; c < C; c++)
        votes[c] = 0;
    for (size_t q = 0; q < m; q++)
        votes[pcls[best[q].idx]] += w == IMP_WEIGHT_DISTANCE ? 1.0 / (best[q].dist + 1e-10) : 1.0;
    int32_t p = 0;
    for (size_t c = 1; c < C; c++)
        if (votes[c] > votes[p])
            p = (int32_t)c;
    return p;
}

/* max: the class whose best proxy has the largest inner product; ties → the lowest class.
 * Returns -1 if that score is not finite. Precision (issue 17's audit): the scores come from a
 * float32 SGEMM, |fl(x·w) − x·w| ≤ γ_d‖x‖‖w‖ with γ_d = d·2⁻²⁴ (worst case; ~√d·2⁻²⁴ in
 * practice), so two classes whose best scores are closer than that may swap. Kept in float32:
 * the reference scores in float32 itself (torch matmul), the SGEMM is shared with cosine, and a
 * common offset R only matters once the score differences fall below γ_d·R², i.e. at offsets
 * of ~100× the spread at d = 2048 — beyond which the float32 store has already rounded the rows
 * (ulp(R)) to the same order (measured: tests/ref/oracle_distances.py, digits + 1000). */
static int32_t max_class(const float *srow, const size_t *offset, size_t C)
{
    double bestv = -INFINITY;
    int32_t p = 0;
    for (size_t c = 0; c < C; c++) {
        double v = -INFINITY;
        for (size_t j = offset[c]; j < offset[c + 1]; j++)
            if (srow[j] > v)
                v = srow[j];
        if (v > bestv || c == 0) {
            bestv = v;
            p = (int32_t)c;
        }
    }
    return isfinite(bestv) ? p : -1;
}

static void group_block(size_t b, void *arg)
{
    group *g = arg;
    const post_view *v = g->v;
    size_t P = v->px.P, d = v->px.d, C = (size_t)v->px.n_classes;
    size_t r0 = b * g->B, nr = g->test->n - r0 < g->B ? g->test->n - r0 : g->B;
    int *brc = g->brc + b * IMP_METRIC__COUNT;
    size_t *bad = g->bad_row + b * IMP_METRIC__COUNT, *correct = g->correct + b * g->nc;
    /* which distance passes this block needs, from the metric table */
    int gram = 0, l1 = 0, g64[2] = {0, 0};
    for (int m = 0; m < IMP_METRIC__COUNT; m++) {
        if (!g->need[m])
            continue;
        const imp_metric_info *mi = imp_metric_info_of((imp_metric)m);
        l1 |= mi->form == IMP_FORM_L1;
        gram |= mi->form == IMP_FORM_GRAM_INNER || mi->form == IMP_FORM_GRAM_COSINE;
        if (mi->form == IMP_FORM_EUCLID64)
            g64[mi->space] = v->g64[mi->space] != NULL;
    }
    size_t Mmax = 1;
    for (int m = 0; m < IMP_METRIC__COUNT; m++)
        Mmax = g->M[m] > Mmax ? g->M[m] : Mmax;
    size_t Pa = P ? P : 1;
    float *xb = malloc(nr * d * sizeof *xb), *S = gram ? malloc(nr * Pa * sizeof *S) : NULL;
    double *D64[2] = {g64[0] ? malloc(G64_ROWS * Pa * sizeof(double)) : NULL,
                      g64[1] ? malloc(G64_ROWS * Pa * sizeof(double)) : NULL};
    double *xn = malloc(nr * sizeof *xn);
    double *dist = malloc(Pa * sizeof *dist);
    double *DL = l1 ? malloc(L1_ROWS * Pa * sizeof *DL) : NULL;
    double *votes = malloc((C ? C : 1) * sizeof *votes);
    nb *best = malloc(Mmax * sizeof *best);
    if (!xb || (gram && !S) || (g64[0] && !D64[0]) || (g64[1] && !D64[1]) || !xn || !dist ||
        (l1 && !DL) || !votes || !best) {
        for (int m = 0; m < IMP_METRIC__COUNT; m++)
            brc[m] = IMP_ENOMEM;
        goto out;
    }
    const float *X = g->test->X + r0 * d;
    if (g->inf == IMP_NORM_L2)
        imp_l2_rows(xb, X, nr, d);
    else
        memcpy(xb, X, nr * d * sizeof(float));
    /* one single-threaded SGEMM per block and space, exactly as one cell on its own did */
    if (gram)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)P, (int)d, 1.0f, xb,
                    (int)d, v->px.W, (int)d, 0.0f, S, (int)P);
    imp_sqnorms(xb, nr, d, xn);
    size_t cls = 0;
    for (size_t i = 0; i < nr; i++) {
        size_t row = r0 + i;
        while (cls + 1 < C && row >= g->test->offset[cls + 1])
            cls++;
        if (l1 && i % L1_ROWS == 0)
            imp_l1_block(xb + i * d, nr - i < L1_ROWS ? nr - i : L1_ROWS, v->l1, P, d, DL, P);
        for (int sp = 0; sp < 2; sp++)
            if (g64[sp] && i % G64_ROWS == 0 &&
                imp_gram64_block(v->g64[sp], xb + i * d, nr - i < G64_ROWS ? nr - i : G64_ROWS,
                                 D64[sp], P)) {
                for (int m = 0; m < IMP_METRIC__COUNT; m++)
                    if (imp_metric_info_of((imp_metric)m)->form == IMP_FORM_EUCLID64 &&
                        imp_metric_info_of((imp_metric)m)->space == sp && !brc[m]) {
                        brc[m] = IMP_ENOMEM;
                        bad[m] = row;
                    }
                g64[sp] = 0;
            }
        int32_t pmax = -1; /* max reads the inner product (IMP_FORM_GRAM_INNER, raw space) */
        if (g->need[IMP_METRIC_INNER] && !brc[IMP_METRIC_INNER]) {
            pmax = max_class(S + i * P, v->px.offset, C);
            if (pmax < 0) {
                brc[IMP_METRIC_INNER] = IMP_ENUMERIC;
                bad[IMP_METRIC_INNER] = row;
            }
        }
        for (int m = 0; m < IMP_METRIC__COUNT; m++) {
            if (m == IMP_METRIC_INNER || !g->need[m] || brc[m])
                continue;
            const imp_metric_info *mi = imp_metric_info_of((imp_metric)m);
            if (mi->form == IMP_FORM_L1) {
                memcpy(dist, DL + (i % L1_ROWS) * P, P * sizeof *dist);
            } else if (mi->form == IMP_FORM_EUCLID64) {
                if (!g64[mi->space])
                    continue; /* failed before: brc or the view's g64_rc says why */
                const double *Dr = D64[mi->space] + (i % G64_ROWS) * P;
                for (size_t j = 0; j < P; j++)
                    dist[j] = sqrt(Dr[j]);
            } else {
                imp_gram_dist_row(mi->form, S + i * P, xn[i], v->wn, P, dist);
            }
            size_t j = 0;
            while (j < P && isfinite(dist[j]))
                j++;
            if (j < P) {
                brc[m] = IMP_ENUMERIC;
                bad[m] = row;
                continue;
            }
            size_t have = select_nearest(dist, P, g->M[m], best);
            for (size_t q = 0; q < g->nc; q++) {
                const imp_strategy *s = g->cs[q];
                if (s->m == 0 || s->metric != (imp_metric)m) /* m = 0: scores (max), no vote */
                    continue;
                size_t me = (size_t)s->m < have ? (size_t)s->m : have;
                int32_t p = vote(best, me, v->pcls, C, s->weight, votes);
                correct[q] += (size_t)p == cls;
                if (g->pred[q])
                    g->pred[q][row] = p;
            }
        }
        if (pmax >= 0)
            for (size_t q = 0; q < g->nc; q++)
                if (g->cs[q]->m == 0) {
                    correct[q] += (size_t)pmax == cls;
                    if (g->pred[q])
                        g->pred[q][row] = pmax;
                }
    }
out:
    free(xb), free(S), free(D64[0]), free(D64[1]), free(xn), free(dist), free(DL);
    free(votes), free(best);
}

/* Fail cell i with code rc (recorded when codes is not NULL). */
static void fail(imp_cell_result *res, int *codes, size_t i, int rc, const char *msg)
{
    imp_cell_result *r = &res[i];
    if (codes)
        codes[i] = rc;
    r->status = IMP_CELL_FAILED;
    r->accuracy = NAN;
    r->f1 = NAN;
    r->inf_seconds = NAN;
    snprintf(r->message, sizeof r->message, "%s", msg);
}

static void view_free(post_view *v)
{
    if (v->owned)
        imp_proxies_free(&v->px);
    free(v->wn), free(v->pcls), free(v->l1);
    imp_gram64_destroy(v->g64[0]), imp_gram64_destroy(v->g64[1]);
    memset(v, 0, sizeof *v);
}

/* NORMpost on a copy (none: the proxies themselves), and the forms the cells need. Returns 0
 * or an error for every cell of the POST group; a Mahalanobis failure only marks the view. */
static int view_make(const imp_proxies *px, imp_norm post, const int want_g64[2], int want_l1,
                     post_view *v, imp_err *err)
{
    memset(v, 0, sizeof *v);
    int rc = 0;
    if (post == IMP_NORM_NONE) {
        v->px = *px;
    } else {
        rc = imp_proxies_copy(px, &v->px, err);
        if (rc)
            return rc;
        v->owned = 1;
        rc = imp_norm_post(v->px.W, v->px.offset, v->px.n_classes, v->px.d, post, err);
        if (rc)
            return rc;
    }
    size_t P = v->px.P, d = v->px.d, Pa = P ? P : 1;
    v->wn = malloc(Pa * sizeof *v->wn);
    v->pcls = malloc(Pa * sizeof *v->pcls);
    if (!v->wn || !v->pcls)
        return imp_err_set(err, IMP_ENOMEM, "inference: out of memory (%zu proxies)", P);
    imp_sqnorms(v->px.W, P, d, v->wn);
    for (int c = 0; c < v->px.n_classes; c++)
        for (size_t j = v->px.offset[c]; j < v->px.offset[c + 1]; j++)
            v->pcls[j] = (int32_t)c;
    if (want_l1) {
        v->l1 = malloc(imp_l1_packed_size(P, d) * sizeof *v->l1);
        if (!v->l1)
            return imp_err_set(err, IMP_ENOMEM, "manhattan: out of memory (%zu proxies)", P);
        imp_l1_pack(v->px.W, P, d, v->l1);
    }
    for (int sp = 0; sp < 2; sp++)
        if (want_g64[sp]) {
            imp_err_clear(&v->g64_err[sp]);
            v->g64_rc[sp] = imp_gram64_create(v->px.W, P, d, sp == IMP_SPACE_WHITENED,
                                              &v->g64[sp], &v->g64_err[sp]);
        }
    return 0;
}

/* Run one (POST, INF) group over the test rows and fill its cells' results. */
static void group_run(group *g, const size_t *ci, imp_cell_result *res, int *codes, int threads)
{
    const post_view *v = g->v;
    size_t P = v->px.P;
    double t0 = imp_clock_s();
    g->B = (8u << 20) / (P ? P : 1);
    g->B = g->B < 1 ? 1 : g->B > 2048 ? 2048 : g->B;
    g->nblocks = (g->test->n + g->B - 1) / g->B;
    size_t nbk = g->nblocks ? g->nblocks : 1;
    g->correct = calloc(nbk * g->nc, sizeof *g->correct);
    g->brc = calloc(nbk * IMP_METRIC__COUNT, sizeof *g->brc);
    g->bad_row = calloc(nbk * IMP_METRIC__COUNT, sizeof *g->bad_row);
    if (!g->correct || !g->brc || !g->bad_row) {
        for (size_t q = 0; q < g->nc; q++)
            fail(res, codes, ci[q], IMP_ENOMEM, "inference: out of memory");
        goto out;
    }
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    imp_parallel_for(g->nblocks, threads, group_block, g);
    imp_blas_set_threads(blas_threads);
    double share = (imp_clock_s() - t0) / (double)g->nc;
    for (size_t q = 0; q < g->nc; q++) {
        imp_cell_result *r = &res[ci[q]];
        int m = imp_strategy_metric(g->cs[q]);
        const imp_metric_info *mi = imp_metric_info_of((imp_metric)m);
        if (mi->form == IMP_FORM_EUCLID64 && !v->g64[mi->space]) {
            fail(res, codes, ci[q], v->g64_rc[mi->space], v->g64_err[mi->space].msg);
            continue;
        }
        size_t correct = 0, b = 0;
        while (b < g->nblocks && !g->brc[b * IMP_METRIC__COUNT + m])
            b++;
        if (b < g->nblocks) {
            char msg[128];
            int brc = g->brc[b * IMP_METRIC__COUNT + m];
            if (brc == IMP_ENOMEM)
                snprintf(msg, sizeof msg, "inference: out of memory (%zu proxies)", P);
            else
                snprintf(msg, sizeof msg,
                         "inference: non-finite score or distance for test row %zu",
                         g->bad_row[b * IMP_METRIC__COUNT + m]);
            fail(res, codes, ci[q], brc, msg);
            continue;
        }
        for (b = 0; b < g->nblocks; b++)
            correct += g->correct[b * g->nc + q];
        size_t n = g->test->n;
        r->status = IMP_CELL_DONE;
        r->accuracy = n ? (float)(100.0 * (double)correct / (double)n) : 0.0f;
        r->f1 = (float)imp_pipeline_macro_f1(g->test, g->pred[q]);
        r->inf_seconds = (float)share;
        r->message[0] = '\0';
    }
out:
    free(g->correct), free(g->brc), free(g->bad_row);
}

int imp_pipeline_eval_pred(const imp_proxies *px, const imp_data *test,
                           const imp_strategy *const *cells, size_t n, int threads,
                           imp_cell_result *res, int32_t *const *pred, int *codes, imp_err *err)
{
    for (size_t i = 0; i < n; i++) {
        res[i].n_proxies = (int32_t)px->P;
        res[i].status = IMP_CELL_PENDING;
        if (codes)
            codes[i] = 0;
    }
    if (test->d != px->d || test->n_classes != px->n_classes) {
        int rc = test->d != px->d
                     ? imp_err_set(err, IMP_EINPUT, "test rows have d = %zu but proxies d = %zu",
                                   test->d, px->d)
                     : imp_err_set(err, IMP_EINPUT, "test has %d classes, proxies %d",
                                   test->n_classes, px->n_classes);
        for (size_t i = 0; i < n; i++)
            fail(res, codes, i, rc, err ? err->msg : "test rows do not match the proxies");
        return rc;
    }
    size_t *ci = malloc((n ? n : 1) * sizeof *ci);
    const imp_strategy **cs = malloc((n ? n : 1) * sizeof *cs);
    int32_t **pr = malloc((n ? n : 1) * sizeof *pr);
    if (!ci || !cs || !pr) {
        free(ci), free(cs), free(pr);
        for (size_t i = 0; i < n; i++)
            fail(res, codes, i, IMP_ENOMEM, "inference: out of memory");
        return 0;
    }
    for (int post = 0; post < IMP_NORM__COUNT; post++) {
        int any = 0, want_g64[2] = {0, 0}, want_l1 = 0;
        for (size_t i = 0; i < n; i++)
            if (cells[i]->post == (imp_norm)post) {
                const imp_metric_info *mi = imp_metric_info_of(imp_strategy_metric(cells[i]));
                any = 1;
                if (mi->form == IMP_FORM_EUCLID64)
                    want_g64[mi->space] = 1;
                want_l1 |= mi->form == IMP_FORM_L1;
            }
        if (!any)
            continue;
        post_view v;
        imp_err verr;
        imp_err_clear(&verr);
        int vrc = view_make(px, (imp_norm)post, want_g64, want_l1, &v, &verr);
        for (int inf = 0; inf < IMP_NORM__COUNT; inf++) {
            group g = {.v = &v, .test = test, .inf = (imp_norm)inf, .cs = cs, .pred = pr};
            for (size_t i = 0; i < n; i++)
                if (cells[i]->post == (imp_norm)post && cells[i]->inf == (imp_norm)inf) {
                    if (vrc) {
                        fail(res, codes, i, vrc, verr.msg);
                        continue;
                    }
                    const imp_strategy *s = cells[i];
                    int m = imp_strategy_metric(s);
                    size_t want = (size_t)s->m; /* 0 for max */
                    want = want < v.px.P ? want : v.px.P;
                    g.need[m] = 1;
                    g.M[m] = want > g.M[m] ? want : g.M[m];
                    ci[g.nc] = i;
                    cs[g.nc] = s;
                    pr[g.nc] = pred ? pred[i] : NULL;
                    g.nc++;
                }
            /* every cell's predictions, for its F1: the caller's rows, or ours */
            size_t own = 0;
            for (size_t q = 0; q < g.nc; q++)
                own += pr[q] == NULL;
            int32_t *scratch = own ? malloc(own * (test->n ? test->n : 1) * sizeof *scratch)
                                   : NULL;
            if (own && !scratch) {
                for (size_t q = 0; q < g.nc; q++)
                    fail(res, codes, ci[q], IMP_ENOMEM, "inference: out of memory");
                continue;
            }
            for (size_t q = 0, o = 0; q < g.nc; q++)
                if (!pr[q])
                    pr[q] = scratch + (o++) * test->n;
            if (g.nc)
                group_run(&g, ci, res, codes, threads);
            free(scratch);
        }
        view_free(&v);
    }
    free(ci), free(cs), free(pr);
    return 0;
}

int imp_pipeline_eval(const imp_proxies *px, const imp_data *test,
                      const imp_strategy *const *cells, size_t n, int threads,
                      imp_cell_result *res, imp_err *err)
{
    return imp_pipeline_eval_pred(px, test, cells, n, threads, res, NULL, NULL, err);
}

int imp_pipeline_one(const imp_proxies *px, const imp_data *test, const imp_strategy *s,
                     int threads, int32_t *pred, float *accuracy, double *seconds, imp_err *err)
{
    imp_cell_result r = {0};
    int code = 0;
    int rc = imp_pipeline_eval_pred(px, test, &s, 1, threads, &r, &pred, &code, err);
    if (rc)
        return rc;
    if (code)
        return imp_err_set(err, code, "%s", r.message);
    *accuracy = r.accuracy;
    *seconds = r.inf_seconds;
    return 0;
}

size_t imp_pipeline_correct(const imp_data *test, const int32_t *pred)
{
    size_t correct = 0, cls = 0, C = (size_t)test->n_classes;
    for (size_t row = 0; row < test->n; row++) {
        while (cls + 1 < C && row >= test->offset[cls + 1])
            cls++;
        correct += (size_t)pred[row] == cls;
    }
    return correct;
}

double imp_pipeline_macro_f1(const imp_data *test, const int32_t *pred)
{
    size_t C = (size_t)test->n_classes;
    if (C == 0 || test->n == 0)
        return 0.0;
    size_t *tp = calloc(2 * C, sizeof *tp), *npred = tp + C;
    if (!tp)
        return NAN;
    size_t cls = 0;
    for (size_t row = 0; row < test->n; row++) {
        while (cls + 1 < C && row >= test->offset[cls + 1])
            cls++;
        if (pred[row] >= 0 && (size_t)pred[row] < C) {
            npred[pred[row]]++;
            tp[cls] += (size_t)pred[row] == cls;
        }
    }
    /* F1_c = 2 TP / (2 TP + FP + FN) = 2 TP / (predicted c + truly c); 0 when both are 0 */
    double sum = 0.0;
    for (size_t c = 0; c < C; c++) {
        size_t truly = test->offset[c + 1] - test->offset[c], den = npred[c] + truly;
        sum += den ? 2.0 * (double)tp[c] / (double)den : 0.0;
    }
    free(tp);
    return 100.0 * sum / (double)C;
}
