/* plotfig.c — computes the paper's figures from a cube and hands them to the chart. */
#include "plotfig.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdplot.h"
#include "fig_priv.h"
#include "imprint/job.h"
#include "imprint/strategy.h"
#include "stats.h"

/* ---- small numerics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile of sorted v[0..n-1] by linear interpolation (numpy's default). */
static double quantile(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

double imp_t_quantile(double p, double df)
{
    /* P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2), decreasing in t: bisection. */
    double lo = 0, hi = 1e4;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        double tail = imp_stats_betainc(df / 2, 0.5, df / (df + mid * mid));
        if (tail > p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void avg_ranks(const double *v, size_t n, double *r)
{
    for (size_t i = 0; i < n; i++) {
        double less = 0, eq = 0;
        for (size_t j = 0; j < n; j++)
            less += v[j] < v[i], eq += v[j] == v[i];
        r[i] = less + (eq + 1) / 2;
    }
}

double imp_spearman(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    if (!rx || !ry) {
        free(rx), free(ry);
        return NAN;
    }
    avg_ranks(x, n, rx), avg_ranks(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        mx += rx[i] / (double)n, my += ry[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx), free(ry);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* Indices of v[0..n-1] ascending, -1 (all) last. Caller frees. */
static size_t *sorted_axis(const int64_t *v, size_t n)
{
    size_t *o = malloc((n ? n : 1) * sizeof *o);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t t = i;
        uint64_t key = (uint64_t)v[i]; /* -1 becomes the largest */
        for (; t > 0 && (uint64_t)v[o[t - 1]] > key; t--)
            o[t] = o[t - 1];
        o[t] = i;
    }
    return o;
}

size_t imp_fig_main_shot(const imp_cube *cube)
{
    const imp_axes *a = &cube->axes;
    unsigned char *done = calloc(a->n_shot, 1);
    size_t any = 0;
    for (uint64_t i = 0; done && i < cube->n_cells; i++)
        if (cube->status[i] == IMP_CELL_DONE) {
            size_t idx[IMP_AX__COUNT];
            imp_axes_cell_coords(a, i, idx);
            any += !done[idx[IMP_AX_SHOT]];
            done[idx[IMP_AX_SHOT]] = 1;
        }
    size_t best = a->n_shot;
    for (size_t i = 0; i < a->n_shot; i++) {
        if (any && !done[i])
            continue; /* a selection without this shot (--where shot=10) */
        if (a->shot[i] == -1) {
            best = i;
            break;
        }
        if (best == a->n_shot || a->shot[i] > a->shot[best])
            best = i;
    }
    free(done);
    return best < a->n_shot ? best : 0;
}

static uint64_t cell_of(const imp_cube *c, size_t mo, size_t ta, size_t st, size_t k, size_t sh,
                        size_t se)
{
    size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = mo, [IMP_AX_TASK] = ta, [IMP_AX_STRATEGY] = st,
                                  [IMP_AX_K] = k, [IMP_AX_SHOT] = sh, [IMP_AX_SEED] = se};
    return imp_axes_cell_index(&c->axes, idx);
}

size_t imp_fig_voter_value(const imp_cube *c, size_t mo, size_t ta, size_t st, size_t k,
                          size_t sh, double *vals, double *med, double *mn, double *mx)
{
    size_t n = 0;
    for (size_t se = 0; se < c->axes.n_seed; se++) {
        uint64_t i = cell_of(c, mo, ta, st, k, sh, se);
        if (c->status[i] == IMP_CELL_DONE && isfinite(c->accuracy[i]))
            vals[n++] = c->accuracy[i];
    }
    if (!n)
        return 0;
    *med = imp_stats_median(vals, n); /* sorts vals */
    *mn = vals[0], *mx = vals[n - 1];
    return n;
}

/* k as the figures show it: "all" for -1 (GEN all keeps every point), else the number. */
static const char *k_text(const imp_axes *a, size_t k, char *buf, size_t n)
{
    if (a->k[k] == -1) {
        snprintf(buf, n, "all");
        return buf;
    }
    return imp_axis_value(a, IMP_AX_K, k, buf, n);
}

static const char *shot_text(const imp_axes *a, size_t sh, char *buf, size_t n)
{
    return imp_axis_value(a, IMP_AX_SHOT, sh, buf, n);
}

static int oom(imp_fig *f, imp_err *err)
{
    imp_fig_free(f);
    return imp_err_set(err, IMP_ENOMEM, "figure: out of memory");
}

/* ---- accuracy against k ---- */

/* The legend text of a strategy's line over k: its paper name ("Qi"), the strategy with the
 * k its name holds for when the cube has that k ("l2/kmeans/l2/l2/max (Ours at k=20)"), or
 * the strategy. */
static const char *line_name(const imp_axes *a, const char *strategy, char *buf, size_t n)
{
    int64_t k;
    const char *paper = imp_analyze_paper_name(strategy, &k);
    int has_k = 0;
    for (size_t i = 0; paper && i < a->n_k; i++)
        has_k |= a->k[i] == k;
    if (paper && k == 0)
        snprintf(buf, n, "%s", paper);
    else if (paper && has_k)
        snprintf(buf, n, "%s (%s at k=%lld)", strategy, paper, (long long)k);
    else
        snprintf(buf, n, "%s", strategy);
    return buf;
}

int imp_fig_acc_vs_k(const imp_cube *cube, imp_fig *f, imp_err *err)
{
    memset(f, 0, sizeof *f);
    const imp_axes *a = &cube->axes;
    if (a->n_k < 2)
        return imp_err_set(err, IMP_ENOTFOUND, "accuracy against k: the cube has one k (%lld)",
                           (long long)a->k[0]);
    size_t sh = imp_fig_main_shot(cube);
    size_t *ko = sorted_axis(a->k, a->n_k);
    double *vals = malloc(a->n_seed * sizeof *vals);
    if (!ko || !vals) {
        free(ko), free(vals);
        return oom(f, err);
    }
    char buf[32];
    f->kind = IMP_SERIES_LINE;
    snprintf(f->group_what, sizeof f->group_what, "GEN");
    snprintf(f->title, sizeof f->title, "Accuracy against k%s%s", a->shot[sh] == -1 ? "" : ", shot ",
             a->shot[sh] == -1 ? "" : shot_text(a, sh, buf, sizeof buf));
    snprintf(f->xlabel, sizeof f->xlabel, "k (proxies per class)");
    snprintf(f->ylabel, sizeof f->ylabel, "accuracy (%%), mean over voters");
    int rc = 0, two = 0;
    for (size_t i = 0; i < a->n_k && !rc; i++)
        rc = imp__fig_add_cat(f, k_text(a, ko[i], buf, sizeof buf));
    for (size_t st = 0; st < a->n_strategy && !rc; st++) {
        double y[a->n_k], lo[a->n_k], hi[a->n_k];
        size_t npts = 0;
        for (size_t i = 0; i < a->n_k; i++) {
            double sy = 0, slo = 0, shi = 0;
            size_t nv = 0;
            for (size_t mo = 0; mo < a->n_model; mo++)
                for (size_t ta = 0; ta < a->n_task; ta++) {
                    double md, mn, mx;
                    if (imp_fig_voter_value(cube, mo, ta, st, ko[i], sh, vals, &md, &mn, &mx)) {
                        sy += md, slo += mn, shi += mx;
                        nv++;
                    }
                }
            y[i] = nv ? sy / (double)nv : NAN;
            lo[i] = nv ? slo / (double)nv : NAN;
            hi[i] = nv ? shi / (double)nv : NAN;
            npts += nv > 0;
        }
        if (!npts)
            continue;
        two |= npts >= 2;
        char name[600];
        imp_fig_series *S = imp__fig_add_series(f, line_name(a, a->strategy[st], name, sizeof name),
                                       a->n_k, 1, 0);
        if (!S) {
            rc = -1;
            break;
        }
        imp_strategy ps;
        if (imp_strategy_parse(a->strategy[st], &ps, NULL) == 0)
            S->group = (int)ps.gen;
        memcpy(S->y, y, sizeof y), memcpy(S->lo, lo, sizeof lo), memcpy(S->hi, hi, sizeof hi);
    }
    free(ko), free(vals);
    if (rc)
        return oom(f, err);
    if (!two) {
        imp_fig_free(f);
        return imp_err_set(err, IMP_ENOTFOUND, "accuracy against k: no strategy has results "
                           "at two values of k");
    }
    return 0;
}

/* ---- accuracy against shot ---- */

int imp_fig_acc_vs_shot(const imp_cube *cube, imp_fig *f, imp_err *err)
{
    memset(f, 0, sizeof *f);
    const imp_axes *a = &cube->axes;
    if (a->n_shot < 2)
        return imp_err_set(err, IMP_ENOTFOUND, "accuracy against shot: the cube has one shot");
    size_t *so = sorted_axis(a->shot, a->n_shot);
    double *per_seed = malloc(a->n_seed * sizeof *per_seed);
    if (!so || !per_seed) {
        free(so), free(per_seed);
        return oom(f, err);
    }
    char buf[32], name[600];
    f->kind = IMP_SERIES_LINE;
    size_t min_seeds = SIZE_MAX; /* fewest seeds behind a point */
    snprintf(f->xlabel, sizeof f->xlabel, "shot (training samples per class)");
    snprintf(f->ylabel, sizeof f->ylabel, "accuracy (%%), mean over voters");
    int rc = 0;
    for (size_t i = 0; i < a->n_shot && !rc; i++)
        rc = imp__fig_add_cat(f, shot_text(a, so[i], buf, sizeof buf));
    for (size_t st = 0; st < a->n_strategy && !rc; st++)
        for (size_t k = 0; k < a->n_k && !rc; k++) {
            double y[a->n_shot], lo[a->n_shot], hi[a->n_shot];
            size_t npts = 0;
            for (size_t i = 0; i < a->n_shot; i++) {
                size_t ns = 0;
                for (size_t se = 0; se < a->n_seed; se++) {
                    double s = 0;
                    size_t nv = 0;
                    for (size_t mo = 0; mo < a->n_model; mo++)
                        for (size_t ta = 0; ta < a->n_task; ta++) {
                            uint64_t c = cell_of(cube, mo, ta, st, k, so[i], se);
                            if (cube->status[c] == IMP_CELL_DONE && isfinite(cube->accuracy[c]))
                                s += cube->accuracy[c], nv++;
                        }
                    if (nv)
                        per_seed[ns++] = s / (double)nv;
                }
                y[i] = lo[i] = hi[i] = NAN;
                if (!ns)
                    continue;
                double m = 0, ss = 0;
                for (size_t t = 0; t < ns; t++)
                    m += per_seed[t] / (double)ns;
                for (size_t t = 0; t < ns; t++)
                    ss += (per_seed[t] - m) * (per_seed[t] - m);
                y[i] = m;
                min_seeds = ns < min_seeds ? ns : min_seeds;
                if (ns >= IMP_FIG_MIN_BAND_SEEDS) {
                    double h = imp_t_quantile(0.05, (double)(ns - 1)) *
                               sqrt(ss / (double)(ns - 1)) / sqrt((double)ns);
                    lo[i] = m - h, hi[i] = m + h;
                }
                npts++;
            }
            if (npts < 2)
                continue;
            int64_t pk;
            const char *paper = imp_analyze_paper_name(a->strategy[st], &pk);
            if (paper && (pk == 0 || pk == a->k[k]))
                snprintf(name, sizeof name, "%s", paper);
            else if (a->n_k > 1)
                snprintf(name, sizeof name, "%s k=%s", a->strategy[st],
                         k_text(a, k, buf, sizeof buf));
            else
                snprintf(name, sizeof name, "%s", a->strategy[st]);
            imp_fig_series *S = imp__fig_add_series(f, name, a->n_shot, 1, 0);
            if (!S) {
                rc = -1;
                break;
            }
            memcpy(S->y, y, sizeof y), memcpy(S->lo, lo, sizeof lo), memcpy(S->hi, hi, sizeof hi);
        }
    free(so), free(per_seed);
    if (rc)
        return oom(f, err);
    if (!f->n_series) {
        imp_fig_free(f);
        return imp_err_set(err, IMP_ENOTFOUND, "accuracy against shot: no competitor has "
                           "results at two shots");
    }
    if (min_seeds >= IMP_FIG_MIN_BAND_SEEDS)
        snprintf(f->title, sizeof f->title, "Accuracy against shot (95%% CI over seeds)");
    else {
        f->no_band = 1;
        snprintf(f->title, sizeof f->title, "Accuracy against shot (%zu seed%s: no band)",
                 min_seeds, min_seeds == 1 ? "" : "s");
    }
    return 0;
}

/* ---- GEN seconds ---- */

static int gen_fixes_k(int gen) { return imp_gen_info_of((imp_gen)gen)->fixed_k != 0; }

int imp_fig_gen_seconds(const imp_cube *cube, imp_fig *f, imp_err *err)
{
    memset(f, 0, sizeof *f);
    const imp_axes *a = &cube->axes;
    int *pre = malloc(a->n_strategy * sizeof *pre), *gen = malloc(a->n_strategy * sizeof *gen);
    imp_strategy *strat = calloc(a->n_strategy ? a->n_strategy : 1, sizeof *strat);
    size_t cap = 1024, nv = 0;
    double *v = malloc(cap * sizeof *v);
    if (!pre || !gen || !v || !strat) {
        free(pre), free(gen), free(v), free(strat);
        return oom(f, err);
    }
    for (size_t st = 0; st < a->n_strategy; st++) {
        if (imp_strategy_parse(a->strategy[st], &strat[st], NULL) == 0)
            pre[st] = (int)strat[st].pre, gen[st] = (int)strat[st].gen;
        else
            pre[st] = gen[st] = -1;
    }
    size_t *ko = sorted_axis(a->k, a->n_k);
    int rc = ko ? 0 : -1;
    char buf[32], name[160];
    double total = 0;
    f->kind = IMP_SERIES_BOX;
    f->ylog = 1;
    snprintf(f->title, sizeof f->title, "GEN time per method");
    snprintf(f->xlabel, sizeof f->xlabel, "GEN");
    snprintf(f->ylabel, sizeof f->ylabel, "GEN seconds (log scale)");
    imp_fig_series *S = NULL;
    /* Strategies grouped by (GEN, NORMpre) in cube order (imp_strategy_same_gen, the plan's
     * rule): a group's strategies share one GEN computation per (model, task, k, shot, seed),
     * so the first done one gives its time. Every cell is looked at once at most. */
    size_t *grp = malloc((a->n_strategy ? a->n_strategy : 1) * sizeof *grp), ng = 0;
    if (!grp)
        rc = -1;
    for (int g = 0; g < IMP_GEN__COUNT && !rc; g++)
        for (int p = 0; p < IMP_NORM__COUNT; p++)
            for (size_t st = 0; st < a->n_strategy; st++)
                if (gen[st] == g && pre[st] == p)
                    grp[ng++] = st;
    for (int g = 0; g < IMP_GEN__COUNT && !rc; g++)
        for (size_t ki = 0; ki < (gen_fixes_k(g) ? 1 : a->n_k) && !rc; ki++) {
            nv = 0;
            for (size_t g0 = 0, g1; g0 < ng; g0 = g1) {
                for (g1 = g0; g1 < ng && imp_strategy_same_gen(&strat[grp[g1]], &strat[grp[g0]]);)
                    g1++;
                if (gen[grp[g0]] != g)
                    continue;
                for (size_t kk = gen_fixes_k(g) ? 0 : ki; kk < (gen_fixes_k(g) ? a->n_k : ki + 1);
                     kk++)
                    for (size_t mo = 0; mo < a->n_model; mo++)
                        for (size_t ta = 0; ta < a->n_task; ta++)
                            for (size_t sh = 0; sh < a->n_shot; sh++) {
                                /* a GEN that draws no random numbers here is computed once
                                 * for every seed (the grid's seed_shared, as plan counts) */
                                int shared = !imp_strategy_uses_seed(
                                    &strat[grp[g0]], (int)a->k[ko[kk]],
                                    a->shot[sh] < 0 ? -1 : (int)a->shot[sh]);
                                size_t nv_before = nv;
                                for (size_t se = 0; se < a->n_seed && !(shared && nv > nv_before);
                                     se++)
                                    for (size_t j = g0; j < g1; j++) {
                                        uint64_t c = cell_of(cube, mo, ta, grp[j], ko[kk], sh, se);
                                        float t = cube->gen_seconds[c];
                                        if (cube->status[c] != IMP_CELL_DONE || !(t > 0) ||
                                            !isfinite(t))
                                            continue;
                                        if (nv == cap) {
                                            double *nvp = realloc(v, 2 * cap * sizeof *v);
                                            if (!nvp) {
                                                rc = -1;
                                                goto done;
                                            }
                                            v = nvp, cap *= 2;
                                        }
                                        v[nv++] = t;
                                        break; /* one value per distinct GEN computation */
                                    }
                            }
            }
            if (!nv)
                continue;
            if (gen_fixes_k(g))
                snprintf(name, sizeof name, "%s", imp_gen_name((imp_gen)g));
            else
                snprintf(name, sizeof name, "%s k=%s", imp_gen_name((imp_gen)g),
                         k_text(a, ko[ki], buf, sizeof buf));
            if (imp__fig_add_cat(f, name)) {
                rc = -1;
                break;
            }
            qsort(v, nv, sizeof *v, cmp_double);
            if (!S) {
                if (!(S = imp__fig_add_series(f, NULL, 0, 1, 1))) {
                    rc = -1;
                    break;
                }
            }
            size_t n = S->n + 1;
            double **arr[] = {&S->x, &S->y, &S->lo, &S->hi, &S->wlo, &S->whi};
            double val[] = {(double)(f->n_xcat - 1), quantile(v, nv, 0.5), quantile(v, nv, 0.25),
                            quantile(v, nv, 0.75), v[0], v[nv - 1]};
            for (int k2 = 0; k2 < 6 && !rc; k2++) {
                double *np = realloc(*arr[k2], n * sizeof *np);
                if (!np)
                    rc = -1;
                else
                    *arr[k2] = np, np[n - 1] = val[k2];
            }
            S->n = n;
            total += (double)nv;
        }
done:
    free(pre), free(gen), free(v), free(ko), free(grp), free(strat);
    if (rc)
        return oom(f, err);
    if (!f->n_xcat) {
        imp_fig_free(f);
        return imp_err_set(err, IMP_ENOTFOUND, "GEN time: no done cell has a GEN time");
    }
    snprintf(f->note, sizeof f->note, "%.0f GEN computations", total);
    return 0;
}

static double nc1_lookup(const imp_nc1_table *t, const char *model, const char *dataset)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->model[i], model) == 0 && strcmp(t->dataset[i], dataset) == 0)
            return t->nc1[i];
    return NAN;
}

/* ---- NC1 against the multi-proxy gain ---- */

int *imp_fig_imprinting(const imp_axes *a)
{
    int *imprint = malloc((a->n_strategy ? a->n_strategy : 1) * sizeof *imprint);
    for (size_t st = 0; imprint && st < a->n_strategy; st++) {
        imp_strategy s;
        imprint[st] = imp_strategy_parse(a->strategy[st], &s, NULL) == 0 &&
                      !imp_gen_info_of(s.gen)->lsq;
    }
    return imprint;
}

double imp_fig_multi_gain(const imp_cube *cube, size_t mo, size_t ta, size_t sh,
                          const int *imprint, double *vals)
{
    const imp_axes *a = &cube->axes;
    double best1 = -INFINITY, bestm = -INFINITY;
    for (size_t st = 0; st < a->n_strategy; st++) {
        if (!imprint[st])
            continue;
        for (size_t k = 0; k < a->n_k; k++) {
            double md, mn, mx;
            if (!imp_fig_voter_value(cube, mo, ta, st, k, sh, vals, &md, &mn, &mx))
                continue;
            if (a->k[k] == 1)
                best1 = fmax(best1, md);
            else
                bestm = fmax(bestm, md);
        }
    }
    return isfinite(best1) && isfinite(bestm) ? bestm - best1 : NAN;
}

int imp_fig_nc1_gain(const imp_cube *cube, const imp_nc1_table *t, imp_fig *f, double *rho,
                     imp_err *err)
{
    memset(f, 0, sizeof *f);
    *rho = NAN;
    const imp_axes *a = &cube->axes;
    imp_job *job = NULL;
    if (cube->job && *cube->job && imp_job_parse(cube->job, strlen(cube->job), "cube job", NULL,
                                                 &job, NULL) != 0)
        job = NULL;
    size_t sh = imp_fig_main_shot(cube), np = 0, cap = a->n_model * a->n_task;
    double *vals = malloc(a->n_seed * sizeof *vals);
    double *px = malloc((cap ? cap : 1) * sizeof *px), *py = malloc((cap ? cap : 1) * sizeof *py);
    int *imprint = imp_fig_imprinting(a);
    int rc = vals && px && py && imprint ? 0 : -1;
    f->kind = IMP_SERIES_POINTS;
    f->xlog = 1;
    snprintf(f->title, sizeof f->title, "NC1 against the multi-proxy gain");
    snprintf(f->xlabel, sizeof f->xlabel, "NC1 (log scale)");
    snprintf(f->ylabel, sizeof f->ylabel, "best k>1 minus best k=1 (acc. points)");
    for (size_t mo = 0; !rc && mo < a->n_model; mo++) {
        imp_fig_series *S = NULL;
        for (size_t ta = 0; ta < a->n_task; ta++) {
            double gain = imp_fig_multi_gain(cube, mo, ta, sh, imprint, vals);
            if (!isfinite(gain))
                continue;
            double nc1 = nc1_lookup(t, a->model[mo], a->task[ta]);
            int ti = job ? imp_job_task_index(job, a->task[ta]) : -1;
            if (!isfinite(nc1) && ti >= 0) {
                char ds[1024] = "";
                const imp_task *tk = &job->tasks[ti];
                for (size_t d = 0; d < tk->n_datasets; d++)
                    snprintf(ds + strlen(ds), sizeof ds - strlen(ds), "%s%s", d ? "," : "",
                             tk->datasets[d]);
                nc1 = nc1_lookup(t, a->model[mo], ds);
            }
            if (!(nc1 > 0) || !isfinite(nc1))
                continue;
            if (!S && !(S = imp__fig_add_series(f, a->model[mo], 0, 0, 0))) {
                rc = -1;
                break;
            }
            double *nx = realloc(S->x, (S->n + 1) * sizeof *nx);
            if (nx)
                S->x = nx;
            double *ny = realloc(S->y, (S->n + 1) * sizeof *ny);
            if (ny)
                S->y = ny;
            if (!nx || !ny) {
                rc = -1;
                break;
            }
            S->x[S->n] = px[np] = nc1;
            S->y[S->n] = py[np] = gain;
            S->n++, np++;
        }
    }
    if (!rc) {
        *rho = np >= 3 ? imp_spearman(px, py, np) : NAN;
        if (isfinite(*rho))
            snprintf(f->note, sizeof f->note, "Spearman \xcf\x81 = %.2f (n = %zu)", *rho, np);
        else
            snprintf(f->note, sizeof f->note, "n = %zu", np);
    }
    free(vals), free(px), free(py), free(imprint);
    imp_job_free(job);
    if (rc)
        return oom(f, err);
    if (!np) {
        imp_fig_free(f);
        return imp_err_set(err, IMP_ENOTFOUND, "NC1 against gain: no voter has both a gain "
                           "(results at k = 1 and k > 1) and a row in the NC1 table");
    }
    return 0;
}

/* ---- CD diagram of an analysis ---- */

int imp_fig_cd(FILE *out, imp_plot_format fmt, const imp_axes *axes,
               const imp_analyze_matrix *mat, const imp_analysis *an, double *width,
               imp_err *err)
{
    char **labels, *common;
    int rc = imp_analyze_labels_rows(axes, mat, an->tested, an->n_tested, &labels, &common, err);
    if (rc)
        return rc;
    char title[512], part[128] = "";
    if (an->n_tested < an->m)
        snprintf(part, sizeof part, "%zu best of %zu", an->n_tested, an->m);
    snprintf(title, sizeof title, "%s%s%s%s%s%s", an->rank_dense ? "Average dense rank"
                                                                 : "Average rank",
             part[0] || common[0] ? " (" : "", part, part[0] && common[0] ? "; " : "", common,
             part[0] || common[0] ? ")" : "");
    imp_cdplot_opts po = {title, an->nemenyi ? an->nemenyi_cd : 0};
    imp_cdplot_layout L;
    rc = imp_cdplot_write(out, fmt, an->n_tested, (const char *const *)labels, an->cd.rank,
                          an->nemenyi ? &an->nemenyi_bars : &an->cd.cliques, &po, &L, err);
    if (!rc) {
        if (width)
            *width = ceil(L.width);
        imp_cdplot_layout_free(&L);
    }
    imp_analyze_labels_free(labels, an->n_tested, common);
    return rc;
}
