/* claims.c — the paper's claims checked on a cube's done cells (see claims.h for each rule). */
#include "claims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "imprint/named.h"
#include "imprint/strategy.h"
#include "stats.h"

const char *imp_claim_text(imp_claim_id id)
{
    static const char *const text[IMP_CLAIM__COUNT] = {
        "Multi-proxy GEN beats the single mean",
        "L2 normalisation matters",
        "Ours ranks first among the named strategies",
        "The multi-proxy gain grows with NC1 (weaker collapse)"};
    return id < IMP_CLAIM__COUNT ? text[id] : "?";
}

const char *imp_claim_verdict(const imp_claim *c)
{
    return !c->testable ? "not testable here" : c->holds ? "holds" : "does not hold";
}

const char *imp_claim_evidence(const imp_claim *c, char *buf, size_t n)
{
    if (!c->testable) {
        snprintf(buf, n, "%s", c->why);
        return buf;
    }
    switch (c->id) {
    case IMP_CLAIM_MULTI:
    case IMP_CLAIM_L2:
        snprintf(buf, n, "%s: %+.2f pp (sd %.2f) over %zu voter%s, positive on %zu",
                 c->id == IMP_CLAIM_MULTI ? "best k>1 minus best k=1 imprinting"
                                          : "best all-L2 minus best L2-free imprinting at equal "
                                            "GEN and k",
                 c->gain, c->sd, c->n, c->n == 1 ? "" : "s", c->n_pos);
        break;
    case IMP_CLAIM_OURS:
        snprintf(buf, n, "Ours (k=%lld%s) mean rank %.2f over %zu voters: %zu of %zu named "
                 "strategies, %zu of the imprinting ones (best other: %s, %.2f)",
                 (long long)c->ours_k, c->ours_k == 20 ? "" : ", the cube's nearest to 20",
                 c->ours_rank, c->n, c->ours_pos, c->n_ranked, c->ours_pos_imprint,
                 c->best_other[0] ? c->best_other : "none", c->best_other_rank);
        break;
    case IMP_CLAIM_NC1:
        snprintf(buf, n, "Spearman \xcf\x81 = %.2f (p = %.3g) between NC1 and the multi-proxy "
                 "gain over %zu voters", c->rho, c->p, c->n);
        break;
    default: snprintf(buf, n, "?");
    }
    return buf;
}

/* Mean, sample std and positive count of g[0..n-1] into c; holds as claims.h says. */
static void gains(imp_claim *c, const double *g, size_t n, const char *none)
{
    c->n = n;
    if (!n) {
        snprintf(c->why, sizeof c->why, "%s", none);
        return;
    }
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        m += g[i] / (double)n, c->n_pos += g[i] > 0;
    for (size_t i = 0; i < n; i++)
        ss += (g[i] - m) * (g[i] - m);
    c->gain = m;
    c->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    c->testable = 1;
    c->holds = m > 0 && 2 * c->n_pos > n;
}

/* L2 at every stage (1), at none (0), or mixed (-1). */
static int l2_class(const char *text)
{
    imp_strategy s;
    if (imp_strategy_parse(text, &s, NULL) != 0)
        return -1;
    int n = (s.pre == IMP_NORM_L2) + (s.post == IMP_NORM_L2) + (s.inf == IMP_NORM_L2);
    return n == 3 ? 1 : n == 0 ? 0 : -1;
}

/* The L2 gain of one voter: the mean over (GEN, k) of best all-L2 minus best L2-free; NaN
 * when no (GEN, k) has both. */
static double l2_gain(const imp_cube *cube, size_t mo, size_t ta, size_t sh, const int *imprint,
                      const int *cls, const int *gen, double *vals)
{
    const imp_axes *a = &cube->axes;
    double sum = 0;
    size_t pairs = 0;
    for (size_t k = 0; k < a->n_k; k++)
        for (size_t g = 0; g < a->n_strategy; g++) {
            int seen = 0; /* each GEN once: at its first strategy */
            for (size_t t = 0; t < g && !seen; t++)
                seen = imprint[t] && gen[t] == gen[g];
            if (!imprint[g] || seen)
                continue;
            double best[2] = {-INFINITY, -INFINITY};
            for (size_t st = 0; st < a->n_strategy; st++) {
                double md, mn, mx;
                if (!imprint[st] || gen[st] != gen[g] || cls[st] < 0 ||
                    !imp_fig_voter_value(cube, mo, ta, st, k, sh, vals, &md, &mn, &mx))
                    continue;
                best[cls[st]] = fmax(best[cls[st]], md);
            }
            if (isfinite(best[0]) && isfinite(best[1]))
                sum += best[1] - best[0], pairs++;
        }
    return pairs ? sum / (double)pairs : NAN;
}

static long strategy_index(const imp_axes *a, const char *text)
{
    for (size_t i = 0; i < a->n_strategy; i++)
        if (strcmp(a->strategy[i], text) == 0)
            return (long)i;
    return -1;
}

/* Does (strategy st, k index k) have a done cell at shot sh? */
static int has_done(const imp_cube *cube, size_t st, size_t k, size_t sh)
{
    const imp_axes *a = &cube->axes;
    for (size_t mo = 0; mo < a->n_model; mo++)
        for (size_t ta = 0; ta < a->n_task; ta++)
            for (size_t se = 0; se < a->n_seed; se++) {
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = mo, [IMP_AX_TASK] = ta,
                                              [IMP_AX_STRATEGY] = st, [IMP_AX_K] = k,
                                              [IMP_AX_SHOT] = sh, [IMP_AX_SEED] = se};
                if (cube->status[imp_axes_cell_index(a, idx)] == IMP_CELL_DONE)
                    return 1;
            }
    return 0;
}

/* The OURS claim: rank the named strategies the cube has with imprint analyze's code. */
static int claim_ours(const imp_cube *cube, size_t sh, imp_claim *c, imp_err *err)
{
    const imp_axes *a = &cube->axes;
    size_t nn;
    const imp_named_strategy *named = imp_named_strategies(&nn);
    char list[2048] = "", shot[64], kb[32];
    long ours_st = -1;
    for (size_t i = 0; i < nn; i++) {
        long st = strategy_index(a, named[i].strategy);
        if (st < 0)
            continue;
        if (named[i].k == 0) {
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? "," : "",
                     named[i].strategy);
            continue;
        }
        /* Ours: k = named k, else the nearest k > 1 with a done cell (ties: the larger) */
        long best = -1;
        for (size_t k = 0; k < a->n_k; k++) {
            if (a->k[k] <= 1 || !has_done(cube, (size_t)st, k, sh))
                continue;
            int64_t d = llabs(a->k[k] - named[i].k), bd = best < 0 ? 0 : llabs(a->k[best] - named[i].k);
            if (best < 0 || d < bd || (d == bd && a->k[k] > a->k[best]))
                best = (long)k;
        }
        if (best < 0)
            continue;
        ours_st = st;
        c->ours_k = a->k[best];
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s@k=%s", *list ? "," : "",
                 named[i].strategy, imp_axis_value(a, IMP_AX_K, (size_t)best, kb, sizeof kb));
    }
    if (ours_st < 0 || !strchr(list, ',')) { /* Ours and at least one other named */
        snprintf(c->why, sizeof c->why, ours_st < 0 ? "the cube has no l2/kmeans/l2/l2/max "
                 "result at k > 1 (Ours)" : "the cube has no other named strategy than Ours");
        return 0;
    }
    snprintf(shot, sizeof shot, "shot=%s", imp_axis_value(a, IMP_AX_SHOT, sh, kb, sizeof kb));
    const char *where[1] = {shot};
    imp_analyze_spec spec = {where, 1, list, NULL, 0, NULL, IMP_VALUE_ACCURACY};
    imp_analyze_opts ao = {0};
    imp_analyze_matrix mat;
    int rc = imp_analyze_select(cube, &spec, &ao, &mat, NULL, NULL, err);
    if (rc)
        return rc;
    long ours_row = -1;
    for (size_t i = 0; i < mat.m; i++)
        if (mat.comp[mat.row[i]].strategy == (size_t)ours_st)
            ours_row = (long)i;
    if (mat.m < 2 || mat.N < 2 || ours_row < 0) {
        snprintf(c->why, sizeof c->why, "%zu named strategies with results on %zu common "
                 "voters; Ours and another on 2 voters are needed", mat.m, mat.N);
        imp_analyze_matrix_free(&mat);
        return 0;
    }
    imp_analysis an;
    if ((rc = imp_analyze_table(&mat, &ao, &an, err))) {
        imp_analyze_matrix_free(&mat);
        return rc;
    }
    c->testable = 1;
    c->n = an.N;
    c->n_ranked = an.m;
    c->ours_rank = an.rank[ours_row];
    c->best_other_rank = INFINITY;
    size_t pos = 1, pos_imp = 1;
    for (size_t i = 0; i < an.m; i++) {
        if ((long)i == ours_row)
            continue;
        imp_strategy s;
        const char *text = a->strategy[mat.comp[mat.row[i]].strategy];
        int imprinting = imp_strategy_parse(text, &s, NULL) == 0 && !imp_gen_info_of(s.gen)->lsq;
        pos += an.rank[i] < c->ours_rank;
        if (!imprinting)
            continue;
        pos_imp += an.rank[i] < c->ours_rank;
        if (an.rank[i] < c->best_other_rank) {
            const char *pn = imp_analyze_paper_name(text, NULL);
            c->best_other_rank = an.rank[i];
            snprintf(c->best_other, sizeof c->best_other, "%s", pn ? pn : text);
        }
    }
    c->ours_pos = pos, c->ours_pos_imprint = pos_imp;
    /* first: no imprinting rival ranks as well (a tie is not a first place) */
    c->holds = !(c->best_other_rank <= c->ours_rank);
    imp_analysis_free(&an);
    imp_analyze_matrix_free(&mat);
    return 0;
}

int imp_claims_compute(const imp_cube *cube, const imp_nc1_table *nc1,
                       imp_claim out[IMP_CLAIM__COUNT], imp_err *err)
{
    const imp_axes *a = &cube->axes;
    memset(out, 0, IMP_CLAIM__COUNT * sizeof *out);
    for (int i = 0; i < IMP_CLAIM__COUNT; i++)
        out[i].id = (imp_claim_id)i, out[i].rho = out[i].p = NAN;
    size_t sh = imp_fig_main_shot(cube), nv = a->n_model * a->n_task;
    double *vals = malloc(a->n_seed * sizeof *vals);
    double *g1 = malloc(nv * sizeof *g1), *g2 = malloc(nv * sizeof *g2);
    int *imprint = imp_fig_imprinting(a);
    int *cls = malloc(a->n_strategy * sizeof *cls), *gen = malloc(a->n_strategy * sizeof *gen);
    int rc = 0;
    if (!vals || !g1 || !g2 || !imprint || !cls || !gen) {
        rc = imp_err_set(err, IMP_ENOMEM, "claims: out of memory");
        goto out;
    }
    for (size_t st = 0; st < a->n_strategy; st++) {
        imp_strategy s;
        cls[st] = l2_class(a->strategy[st]);
        gen[st] = imp_strategy_parse(a->strategy[st], &s, NULL) == 0 ? (int)s.gen : -1;
    }
    size_t n1 = 0, n2 = 0;
    for (size_t mo = 0; mo < a->n_model; mo++)
        for (size_t ta = 0; ta < a->n_task; ta++) {
            double g = imp_fig_multi_gain(cube, mo, ta, sh, imprint, vals);
            if (isfinite(g))
                g1[n1++] = g;
            g = l2_gain(cube, mo, ta, sh, imprint, cls, gen, vals);
            if (isfinite(g))
                g2[n2++] = g;
        }
    gains(&out[IMP_CLAIM_MULTI], g1, n1, "no voter has imprinting results at both k = 1 and "
          "k > 1");
    gains(&out[IMP_CLAIM_L2], g2, n2, "no voter has an all-L2 and an L2-free imprinting "
          "strategy of the same GEN at the same k");
    if ((rc = claim_ours(cube, sh, &out[IMP_CLAIM_OURS], err)))
        goto out;
    imp_claim *c = &out[IMP_CLAIM_NC1];
    if (!nc1) {
        snprintf(c->why, sizeof c->why, "no NC1 table (--nc1, from imprint nc1 --all --csv)");
    } else {
        imp_fig f;
        imp_err ferr;
        double rho;
        int frc = imp_fig_nc1_gain(cube, nc1, &f, &rho, &ferr);
        if (frc && frc != IMP_ENOTFOUND) {
            *err = ferr;
            rc = frc;
            goto out;
        }
        for (size_t s = 0; !frc && s < f.n_series; s++)
            c->n += f.series[s].n;
        if (!frc)
            imp_fig_free(&f);
        c->rho = rho;
        if (frc)
            snprintf(c->why, sizeof c->why, "%s", ferr.msg);
        else if (!isfinite(rho))
            snprintf(c->why, sizeof c->why, "Spearman's \xcf\x81 needs 3 voters or more with "
                     "different NC1 and gains (%zu here)", c->n);
        else {
            /* two-sided p of ρ ≠ 0, t with n − 2 df as scipy's spearmanr: with
             * t² = ρ²(n−2)/(1−ρ²), P(|T| > t) = I_{1−ρ²}((n−2)/2, 1/2) */
            c->p = c->n > 2 ? imp_stats_betainc((double)(c->n - 2) / 2, 0.5, 1 - rho * rho) : 1;
            c->testable = 1, c->holds = rho > 0 && c->p < IMP_CLAIM_ALPHA;
        }
    }
out:
    free(vals), free(g1), free(g2), free(imprint), free(cls), free(gen);
    return rc;
}
