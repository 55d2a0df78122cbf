/* stats.c — ranks, Friedman, Wilcoxon signed-rank, Holm, Bron–Kerbosch cliques and Nemenyi CD
 * for the critical-difference analysis (docs/statistics.md). */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Distributions                                                                              */

#define IMP__TINY 1e-300
#define IMP__ITMAX 100000

/* Power series of P(a,x); converges quickly for x < a+1. */
static double igam_series(double a, double x)
{
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < IMP__ITMAX; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * DBL_EPSILON)
            break;
    }
    return sum * exp(a * log(x) - x - lgamma(a));
}

/* Continued fraction of Q(a,x) (modified Lentz); converges for x ≥ a+1 and keeps relative
 * precision far into the tail (tiny p-values). */
static double igamc_cf(double a, double x)
{
    double b = x + 1.0 - a, c = 1.0 / IMP__TINY, d = 1.0 / b, h = d;
    for (int i = 1; i < IMP__ITMAX; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < IMP__TINY)
            d = IMP__TINY;
        c = b + an / c;
        if (fabs(c) < IMP__TINY)
            c = IMP__TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < DBL_EPSILON)
            break;
    }
    return exp(a * log(x) - x - lgamma(a)) * h;
}

double imp_stats_igam(double a, double x)
{
    if (!(a > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 0.0;
    if (isinf(x))
        return 1.0;
    return x < a + 1.0 ? igam_series(a, x) : 1.0 - igamc_cf(a, x);
}

double imp_stats_igamc(double a, double x)
{
    if (!(a > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    return x < a + 1.0 ? 1.0 - igam_series(a, x) : igamc_cf(a, x);
}

double imp_stats_chi2_sf(double x, double df) { return imp_stats_igamc(0.5 * df, 0.5 * x); }

/* Continued fraction for I_x(a,b) (modified Lentz), good for x < (a+1)/(a+b+2). */
static double betacf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < IMP__TINY)
        d = IMP__TINY;
    d = 1.0 / d;
    double h = d;
    for (int mi = 1; mi < IMP__ITMAX; mi++) {
        double m = mi, m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < IMP__TINY)
            d = IMP__TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < IMP__TINY)
            c = IMP__TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < IMP__TINY)
            d = IMP__TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < IMP__TINY)
            c = IMP__TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < DBL_EPSILON)
            break;
    }
    return h;
}

double imp_stats_betainc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 0.0;
    if (x >= 1)
        return 1.0;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double imp_stats_f_sf(double x, double d1, double d2)
{
    if (isnan(x) || !(d1 > 0) || !(d2 > 0))
        return NAN;
    if (x <= 0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    /* P(F > x) = I_{d2/(d2 + d1 x)}(d2/2, d1/2). */
    return imp_stats_betainc(0.5 * d2, 0.5 * d1, d2 / (d2 + d1 * x));
}

double imp_stats_range_cdf(double q, size_t k)
{
    if (k < 2 || !(q > 0))
        return 0.0;
    if (isinf(q))
        return 1.0;
    /* Composite Simpson on [-8.5, 8.5]; φ is below 1e-15 outside, the integrand is smooth. */
    const int nint = 2000;
    const double lo = -8.5, hi = 8.5, h = (hi - lo) / nint;
    double s = 0;
    for (int i = 0; i <= nint; i++) {
        double z = lo + i * h;
        double phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
        double inside = 0.5 * (erfc(-z / sqrt(2.0)) - erfc((q - z) / sqrt(2.0)));
        double f = phi * pow(inside > 0 ? inside : 0.0, (double)(k - 1));
        s += f * (i == 0 || i == nint ? 1.0 : (i % 2 ? 4.0 : 2.0));
    }
    double p = (double)k * s * h / 3.0;
    return p > 1.0 ? 1.0 : p;
}

/* ------------------------------------------------------------------------------------------ */
/* Ranks                                                                                      */

typedef struct vi {
    double v;
    size_t i;
} vi;

static int vi_cmp(const void *pa, const void *pb)
{
    const vi *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Ascending average ranks (1-based, ties averaged: scipy rankdata) of v[n] into r; s is
 * scratch for n entries. Returns Σ t(t²−1) over tie groups, skipping the group of zeros when
 * skip_zero is set (Wilcoxon/Pratt excludes it from the tie correction). */
static double rank_average(const double *v, size_t n, double *r, vi *s, int skip_zero)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (vi){v[i], i};
    qsort(s, n, sizeof *s, vi_cmp);
    double ties = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && s[b].v == s[a].v)
            b++;
        double avg = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1 .. b */
        for (size_t t = a; t < b; t++)
            r[s[t].i] = avg;
        double t = (double)(b - a);
        if (!(skip_zero && s[a].v == 0))
            ties += t * (t * t - 1.0);
        a = b;
    }
    return ties;
}

static int check_matrix(const double *A, size_t m, size_t N, size_t min_m, const char *what,
                        imp_err *err)
{
    if (!A || m < min_m || N < 1)
        return imp_err_set(err, IMP_EINPUT,
                           "%s: need at least %zu competitors and 1 voter (got %zu x %zu)", what,
                           min_m, m, N);
    for (size_t i = 0; i < m * N; i++)
        if (!isfinite(A[i]))
            return imp_err_set(err, IMP_EINPUT,
                               "%s: score of competitor %zu on voter %zu is not finite", what,
                               i / N, i % N);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double imp_stats_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int imp_stats_ranks(const double *A, size_t m, size_t N, imp_rank_method method, double *R,
                    imp_err *err)
{
    int rc = check_matrix(A, m, N, 1, "ranks", err);
    if (rc)
        return rc;
    double *col = malloc(m * sizeof *col), *r = malloc(m * sizeof *r);
    vi *s = malloc(m * sizeof *s);
    if (!col || !r || !s) {
        free(col), free(r), free(s);
        return imp_err_set(err, IMP_ENOMEM, "ranks: out of memory for %zu competitors", m);
    }
    for (size_t v = 0; v < N; v++) {
        for (size_t i = 0; i < m; i++)
            col[i] = -A[i * N + v]; /* higher score = better = smaller rank */
        if (method == IMP_RANK_DENSE) {
            for (size_t i = 0; i < m; i++)
                s[i] = (vi){col[i], i};
            qsort(s, m, sizeof *s, vi_cmp);
            double dr = 0;
            for (size_t t = 0; t < m; t++) {
                if (t == 0 || s[t].v != s[t - 1].v)
                    dr += 1.0;
                r[s[t].i] = dr;
            }
        } else {
            rank_average(col, m, r, s, 0);
        }
        for (size_t i = 0; i < m; i++)
            R[i * N + v] = r[i];
    }
    free(col), free(r), free(s);
    return 0;
}

int imp_stats_rank_summary(const double *A, size_t m, size_t N, imp_rank_method method,
                           imp_rank_summary *out, imp_err *err)
{
    int rc = check_matrix(A, m, N, 1, "rank summary", err);
    if (rc)
        return rc;
    double *R = malloc(m * N * sizeof *R);
    if (!R)
        return imp_err_set(err, IMP_ENOMEM, "rank summary: out of memory (%zu x %zu)", m, N);
    rc = imp_stats_ranks(A, m, N, method, R, err);
    if (rc) {
        free(R);
        return rc;
    }
    for (size_t i = 0; i < m; i++) {
        double sr = 0, sa = 0;
        for (size_t v = 0; v < N; v++)
            sr += R[i * N + v], sa += A[i * N + v];
        double mean = sa / (double)N, mr = sr / (double)N, ss = 0, sq = 0;
        for (size_t v = 0; v < N; v++) {
            ss += (A[i * N + v] - mean) * (A[i * N + v] - mean);
            sq += (R[i * N + v] - mr) * (R[i * N + v] - mr);
        }
        out[i].mean_rank = mr;
        out[i].rank_std = N > 1 ? sqrt(sq / (double)(N - 1)) : NAN;
        out[i].mean = mean;
        out[i].std = N > 1 ? sqrt(ss / (double)(N - 1)) : NAN;
        out[i].wins = 0;
    }
    for (size_t v = 0; v < N; v++) {
        double best = A[v];
        for (size_t i = 1; i < m; i++)
            if (A[i * N + v] > best)
                best = A[i * N + v];
        for (size_t i = 0; i < m; i++)
            if (A[i * N + v] == best)
                out[i].wins++;
    }
    free(R);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Friedman                                                                                   */

int imp_stats_friedman(const double *A, size_t m, size_t N, imp_friedman *out, imp_err *err)
{
    int rc = check_matrix(A, m, N, 3, "Friedman test", err);
    if (rc)
        return rc;
    double *col = calloc(m, sizeof *col), *r = malloc(m * sizeof *r);
    double *Rsum = calloc(m, sizeof *Rsum);
    vi *s = malloc(m * sizeof *s);
    if (!col || !r || !s || !Rsum) {
        free(col), free(r), free(s), free(Rsum);
        return imp_err_set(err, IMP_ENOMEM, "Friedman test: out of memory");
    }
    double ties = 0;
    for (size_t v = 0; v < N; v++) {
        for (size_t i = 0; i < m; i++)
            col[i] = A[i * N + v];
        ties += rank_average(col, m, r, s, 0);
        for (size_t i = 0; i < m; i++)
            Rsum[i] += r[i];
    }
    double k = (double)m, n = (double)N, ssq = 0;
    for (size_t i = 0; i < m; i++)
        ssq += Rsum[i] * Rsum[i];
    free(col), free(r), free(s), free(Rsum);
    double c = 1.0 - ties / (k * (k * k - 1.0) * n);
    if (c <= 1e-12) { /* every voter ties every competitor */
        out->statistic = 0.0;
        out->p = 1.0;
        return 0;
    }
    double q = (12.0 / (k * n * (k + 1.0)) * ssq - 3.0 * n * (k + 1.0)) / c;
    if (q < 0)
        q = 0; /* rounding below the exact minimum 0 */
    out->statistic = q;
    out->p = imp_stats_chi2_sf(q, k - 1.0);
    return 0;
}

int imp_stats_iman_davenport(double chi2, size_t k, size_t N, double *F, double *p,
                             imp_err *err)
{
    if (k < 2 || N < 2 || !(chi2 >= 0))
        return imp_err_set(err, IMP_EINPUT,
                           "Iman-Davenport: need k >= 2, N >= 2 and chi2 >= 0 (got %zu, %zu, %g)",
                           k, N, chi2);
    double kk = (double)k, nn = (double)N, den = nn * (kk - 1.0) - chi2;
    if (den <= 0) {
        *F = INFINITY;
        *p = 0.0;
        return 0;
    }
    *F = (nn - 1.0) * chi2 / den;
    *p = imp_stats_f_sf(*F, kk - 1.0, (kk - 1.0) * (nn - 1.0));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Wilcoxon signed-rank                                                                       */

/* Two-sided exact p of R+ = r (integer) for n untied nonzero differences: the null counts
 * c[s] = #subsets of {1..n} with sum s are integers ≤ 2^50, exact in double, and so are the
 * tail sums; the one division by 2^n is exact too. */
static double wilcoxon_exact_p(size_t n, long r)
{
    long top = (long)(n * (n + 1) / 2);
    /* The counts depend on n alone: kept per thread for the next call (an analysis tests
     * many pairs on the same voters; the values are the same as recomputed). */
    static _Thread_local double c[IMP_WILCOXON_EXACT_MAX * (IMP_WILCOXON_EXACT_MAX + 1) / 2 + 1];
    static _Thread_local size_t c_n;
    if (c_n != n) {
        memset(c, 0, (size_t)(top + 1) * sizeof c[0]);
        c[0] = 1;
        for (long k = 1; k <= (long)n; k++) {
            long hi = k * (k + 1) / 2;
            for (long s = hi; s >= k; s--)
                c[s] += c[s - k];
        }
        c_n = n;
    }
    if (2 * r == top)
        return 1.0;
    double lower = 0, upper = 0;
    for (long s = 0; s <= r; s++)
        lower += c[s];
    for (long s = r; s <= top; s++)
        upper += c[s];
    double p = ldexp(2.0 * (lower < upper ? lower : upper), -(int)n);
    return p > 1.0 ? 1.0 : p;
}

int imp_stats_wilcoxon(const double *x, const double *y, size_t n,
                       int compat_identical_significant, imp_wilcoxon *out, imp_err *err)
{
    if (!x || !y || n < 1)
        return imp_err_set(err, IMP_EINPUT, "Wilcoxon test: need at least one pair");
    double *d = malloc(n * sizeof *d), *ad = malloc(n * sizeof *ad), *r = malloc(n * sizeof *r);
    vi *s = malloc(n * sizeof *s);
    if (!d || !ad || !r || !s) {
        free(d), free(ad), free(r), free(s);
        return imp_err_set(err, IMP_ENOMEM, "Wilcoxon test: out of memory for %zu pairs", n);
    }
    size_t n0 = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        d[i] = x[i] - y[i];
        if (!isfinite(d[i])) {
            rc = imp_err_set(err, IMP_EINPUT, "Wilcoxon test: pair %zu is not finite", i);
            goto out;
        }
        ad[i] = fabs(d[i]);
        n0 += d[i] == 0;
    }
    *out = (imp_wilcoxon){.z = NAN, .n = n, .n_zero = n0};
    if (n0 == n) {
        out->method = IMP_WILCOXON_IDENTICAL;
        out->statistic = 0;
        out->r_plus = 0;
        out->p = compat_identical_significant ? 0.0 : 1.0;
        goto out;
    }
    double ties = rank_average(ad, n, r, s, 1);
    double rp = 0, rm = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] > 0)
            rp += r[i];
        else if (d[i] < 0)
            rm += r[i];
    }
    out->r_plus = rp;
    out->statistic = rp < rm ? rp : rm;
    if (n <= IMP_WILCOXON_EXACT_MAX && n0 == 0 && ties == 0) {
        out->method = IMP_WILCOXON_EXACT;
        out->p = wilcoxon_exact_p(n, lround(rp));
        goto out;
    }
    out->method = IMP_WILCOXON_APPROX;
    double nn = (double)n, z0 = (double)n0;
    double mn = nn * (nn + 1.0) / 4.0 - z0 * (z0 + 1.0) / 4.0;
    double var24 = nn * (nn + 1.0) * (2.0 * nn + 1.0) - z0 * (z0 + 1.0) * (2.0 * z0 + 1.0) -
                   0.5 * ties;
    if (!(var24 > 0)) {
        out->z = 0;
        out->p = 1.0;
        goto out;
    }
    out->z = (rp - mn) / sqrt(var24 / 24.0);
    out->p = erfc(fabs(out->z) / sqrt(2.0));
    if (out->p > 1.0)
        out->p = 1.0;
out:
    free(d), free(ad), free(r), free(s);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Holm                                                                                       */

size_t imp_stats_pair_index(size_t i, size_t j, size_t m)
{
    return i * m - i * (i + 1) / 2 + (j - i - 1);
}

int imp_stats_holm(const double *p, size_t K, double alpha, int *significant, double *threshold,
                   imp_err *err)
{
    if (!(alpha > 0 && alpha < 1))
        return imp_err_set(err, IMP_EINPUT, "Holm: alpha must be in (0,1), got %g", alpha);
    for (size_t j = 0; j < K; j++)
        if (isnan(p[j]))
            return imp_err_set(err, IMP_EINPUT, "Holm: p-value %zu is NaN", j);
    vi *s = malloc((K ? K : 1) * sizeof *s);
    if (!s)
        return imp_err_set(err, IMP_ENOMEM, "Holm: out of memory for %zu p-values", K);
    for (size_t j = 0; j < K; j++)
        s[j] = (vi){p[j], j};
    qsort(s, K, sizeof *s, vi_cmp); /* (p, index) order = a stable sort by p */
    int going = 1;
    for (size_t i = 0; i < K; i++) {
        double t = alpha / (double)(K - i);
        if (threshold)
            threshold[s[i].i] = t;
        going = going && s[i].v <= t;
        significant[s[i].i] = going;
    }
    free(s);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Cliques (Bron–Kerbosch with pivoting on bitsets)                                           */

#define IMP__MAX_CLIQUES 1000000

void imp_cliques_free(imp_cliques *c)
{
    if (!c)
        return;
    free(c->off);
    free(c->members);
    memset(c, 0, sizeof *c);
}

typedef struct bk_state {
    size_t m, W, min_size, max_cliques;
    unsigned long long work, max_work; /* word operations spent / allowed */
    const uint64_t *nb; /* m rows of W words: neighbours */
    uint64_t *buf;      /* per depth: P, X, candidates (3W words) */
    size_t *R, rn;
    size_t *members, nmem, capmem; /* output, cliques separated through off */
    size_t *off, n, capoff;
    int rc;
} bk_state;

#define BK_EXCEEDED 1 /* internal: a bound was hit */

static int bits_empty(const uint64_t *a, size_t W)
{
    for (size_t w = 0; w < W; w++)
        if (a[w])
            return 0;
    return 1;
}

static int bk_report(bk_state *b)
{
    if (b->rn < b->min_size)
        return 0;
    if (b->n >= b->max_cliques)
        return BK_EXCEEDED;
    if (b->nmem + b->rn > b->capmem) {
        size_t cap = b->capmem ? 2 * b->capmem : 256;
        while (cap < b->nmem + b->rn)
            cap *= 2;
        size_t *p = realloc(b->members, cap * sizeof *p);
        if (!p)
            return IMP_ENOMEM;
        b->members = p, b->capmem = cap;
    }
    if (b->n + 2 > b->capoff) {
        size_t cap = b->capoff ? 2 * b->capoff : 64;
        size_t *p = realloc(b->off, cap * sizeof *p);
        if (!p)
            return IMP_ENOMEM;
        b->off = p, b->capoff = cap;
    }
    if (b->n == 0)
        b->off[0] = 0;
    memcpy(b->members + b->nmem, b->R, b->rn * sizeof *b->R);
    b->nmem += b->rn;
    b->off[++b->n] = b->nmem;
    return 0;
}

/* P, X live at depth `depth` of b->buf; children use depth+1. */
static void bk_rec(bk_state *b, size_t depth)
{
    size_t W = b->W;
    uint64_t *P = b->buf + depth * 3 * W, *X = P + W, *cand = X + W;
    if (b->rc)
        return;
    b->work += (unsigned long long)b->m * W;
    if (b->work > b->max_work) {
        b->rc = BK_EXCEEDED;
        return;
    }
    if (bits_empty(P, W)) {
        if (bits_empty(X, W))
            b->rc = bk_report(b);
        return;
    }
    /* Pivot u ∈ P ∪ X with the most neighbours in P (Tomita): only P \ N(u) is branched on. */
    size_t best = 0, best_cnt = 0;
    int have = 0;
    for (size_t u = 0; u < b->m; u++) {
        uint64_t bit = 1ULL << (u % 64);
        if (!((P[u / 64] | X[u / 64]) & bit))
            continue;
        size_t cnt = 0;
        for (size_t w = 0; w < W; w++)
            cnt += (size_t)__builtin_popcountll(P[w] & b->nb[u * W + w]);
        if (!have || cnt > best_cnt)
            best = u, best_cnt = cnt, have = 1;
    }
    for (size_t w = 0; w < W; w++)
        cand[w] = P[w] & ~b->nb[best * W + w];
    uint64_t *P2 = b->buf + (depth + 1) * 3 * W, *X2 = P2 + W;
    for (size_t v = 0; v < b->m && !b->rc; v++) {
        uint64_t bit = 1ULL << (v % 64);
        if (!(cand[v / 64] & bit))
            continue;
        const uint64_t *nv = b->nb + v * W;
        for (size_t w = 0; w < W; w++)
            P2[w] = P[w] & nv[w], X2[w] = X[w] & nv[w];
        b->R[b->rn++] = v;
        bk_rec(b, depth + 1);
        b->rn--;
        P[v / 64] &= ~bit;
        X[v / 64] |= bit;
    }
}

typedef struct clq_ref {
    const size_t *mem;
    size_t len;
} clq_ref;

static int size_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

static int clq_cmp(const void *pa, const void *pb)
{
    const clq_ref *a = pa, *b = pb;
    for (size_t t = 0; t < a->len && t < b->len; t++)
        if (a->mem[t] != b->mem[t])
            return a->mem[t] < b->mem[t] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* Sort members inside each set, then the sets lexicographically; rebuilds c in place. */
static int cliques_canonical(imp_cliques *c)
{
    if (c->n == 0)
        return 0;
    for (size_t q = 0; q < c->n; q++)
        qsort(c->members + c->off[q], c->off[q + 1] - c->off[q], sizeof(size_t), size_cmp);
    clq_ref *ref = malloc(c->n * sizeof *ref);
    size_t *mem = malloc(c->off[c->n] * sizeof *mem);
    if (!ref || !mem) {
        free(ref), free(mem);
        return IMP_ENOMEM;
    }
    for (size_t q = 0; q < c->n; q++)
        ref[q] = (clq_ref){c->members + c->off[q], c->off[q + 1] - c->off[q]};
    qsort(ref, c->n, sizeof *ref, clq_cmp);
    size_t k = 0;
    for (size_t q = 0; q < c->n; q++) {
        memcpy(mem + k, ref[q].mem, ref[q].len * sizeof *mem);
        k += ref[q].len;
        c->off[q + 1] = k;
    }
    free(c->members);
    c->members = mem;
    free(ref);
    return 0;
}

int imp_stats_cliques_bounded(const unsigned char *adj, size_t m, size_t min_size,
                              size_t max_cliques, unsigned long long max_work, imp_cliques *out,
                              int *exceeded, imp_err *err)
{
    memset(out, 0, sizeof *out);
    *exceeded = 0;
    if (m == 0)
        return 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < i; j++)
            if (!adj[i * m + j] != !adj[j * m + i])
                return imp_err_set(err, IMP_EINPUT,
                                   "cliques: adjacency is not symmetric at (%zu, %zu)", i, j);
    bk_state b = {.m = m, .W = (m + 63) / 64, .min_size = min_size,
                  .max_cliques = max_cliques ? max_cliques : IMP_STATS_MAX_CLIQUES,
                  .max_work = max_work ? max_work : IMP_STATS_MAX_CLIQUE_WORK};
    uint64_t *nb = calloc(m * b.W, sizeof *nb);
    b.buf = calloc((m + 2) * 3 * b.W, sizeof *b.buf);
    b.R = malloc(m * sizeof *b.R);
    if (!nb || !b.buf || !b.R) {
        free(nb), free(b.buf), free(b.R);
        return imp_err_set(err, IMP_ENOMEM, "cliques: out of memory for %zu nodes", m);
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            if (i != j && adj[i * m + j])
                nb[i * b.W + j / 64] |= 1ULL << (j % 64);
    b.nb = nb;
    for (size_t v = 0; v < m; v++)
        b.buf[v / 64] |= 1ULL << (v % 64); /* P = all nodes, X = ∅ at depth 0 */
    bk_rec(&b, 0);
    free(nb), free(b.buf), free(b.R);
    out->n = b.n, out->off = b.off, out->members = b.members;
    if (b.rc == BK_EXCEEDED) {
        imp_cliques_free(out);
        *exceeded = 1;
        return 0;
    }
    int rc = b.rc ? b.rc : cliques_canonical(out);
    if (rc) {
        imp_cliques_free(out);
        return imp_err_set(err, rc, "cliques: out of memory for %zu nodes", m);
    }
    return 0;
}

int imp_stats_cliques(const unsigned char *adj, size_t m, size_t min_size, imp_cliques *out,
                      imp_err *err)
{
    int exceeded;
    int rc = imp_stats_cliques_bounded(adj, m, min_size, IMP__MAX_CLIQUES, ~0ULL, out,
                                       &exceeded, err);
    if (!rc && exceeded)
        return imp_err_set(err, IMP_EINPUT, "cliques: more than %d maximal cliques on %zu nodes",
                           IMP__MAX_CLIQUES, m);
    return rc;
}

int imp_stats_interval_groups(const unsigned char *adj, size_t m, imp_cliques *out,
                              imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (m < 2)
        return 0;
    size_t *far = malloc(m * sizeof *far);
    if (!far)
        return imp_err_set(err, IMP_ENOMEM, "interval groups: out of memory for %zu nodes", m);
    /* far[i] = last j with every pair of i..j joined. If i..j is such a run so is i+1..j,
     * hence far[i] <= far[i+1]: from the right, node i only has to reach up to far[i+1]. */
    far[m - 1] = m - 1;
    size_t total = 0;
    for (size_t i = m - 1; i-- > 0;) {
        size_t j = i;
        while (j < far[i + 1] && adj[i * m + j + 1])
            j++;
        far[i] = j;
    }
    for (size_t i = 0; i < m; i++)
        if (far[i] > i && (i == 0 || far[i - 1] != far[i]))
            total += far[i] - i + 1, out->n++;
    if (out->n) {
        out->off = malloc((out->n + 1) * sizeof *out->off);
        out->members = malloc(total * sizeof *out->members);
        if (!out->off || !out->members) {
            free(far);
            imp_cliques_free(out);
            return imp_err_set(err, IMP_ENOMEM, "interval groups: out of memory");
        }
        size_t q = 0, k = 0;
        out->off[0] = 0;
        for (size_t i = 0; i < m; i++) {
            if (!(far[i] > i && (i == 0 || far[i - 1] != far[i])))
                continue;
            for (size_t t = i; t <= far[i]; t++)
                out->members[k++] = t;
            out->off[++q] = k;
        }
    }
    free(far);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Nemenyi                                                                                    */

/* Orange's compute_CD table, k = 2..20 (Demšar 2006). */
static const double nemenyi_q05[19] = {
    1.959964, 2.343701, 2.569032, 2.727774, 2.849705, 2.94832, 3.030879,
    3.101730, 3.163684, 3.218654, 3.268004, 3.312739, 3.353618, 3.39123,
    3.426041, 3.458425, 3.488685, 3.517073, 3.543799};
static const double nemenyi_q10[19] = {
    1.644854, 2.052293, 2.291341, 2.459516, 2.588521, 2.692732, 2.779884,
    2.854606, 2.919889, 2.977768, 3.029694, 3.076733, 3.119693, 3.159199,
    3.195743, 3.229723, 3.261461, 3.291224, 3.319233};

int imp_stats_nemenyi_q(size_t k, double alpha, double *q, imp_err *err)
{
    if (k < 2 || !(alpha > 0 && alpha < 1))
        return imp_err_set(err, IMP_EINPUT,
                           "Nemenyi: need k >= 2 and alpha in (0,1) (got k=%zu, alpha=%g)", k,
                           alpha);
    if (k <= 20 && fabs(alpha - 0.05) < 1e-12) {
        *q = nemenyi_q05[k - 2];
        return 0;
    }
    if (k <= 20 && fabs(alpha - 0.10) < 1e-12) {
        *q = nemenyi_q10[k - 2];
        return 0;
    }
    /* The range CDF increases in q: bisect P(range ≤ q) = 1 − alpha on [0, 40]. */
    double lo = 0, hi = 40, target = 1.0 - alpha;
    for (int it = 0; it < 80 && hi - lo > 1e-12; it++) {
        double mid = 0.5 * (lo + hi);
        if (imp_stats_range_cdf(mid, k) < target)
            lo = mid;
        else
            hi = mid;
    }
    *q = 0.5 * (lo + hi) / sqrt(2.0);
    return 0;
}

double imp_stats_nemenyi_cd(double q, size_t k, size_t N)
{
    return q * sqrt((double)k * (double)(k + 1) / (6.0 * (double)N));
}

/* Indices of v[m] sorted ascending by value, ties by index. */
static int order_by_value(const double *v, size_t m, size_t *order)
{
    vi *s = malloc((m ? m : 1) * sizeof *s);
    if (!s)
        return IMP_ENOMEM;
    for (size_t i = 0; i < m; i++)
        s[i] = (vi){v[i], i};
    qsort(s, m, sizeof *s, vi_cmp);
    for (size_t i = 0; i < m; i++)
        order[i] = s[i].i;
    free(s);
    return 0;
}

int imp_stats_nemenyi_bars(const double *mean_rank, size_t m, double cd, imp_cliques *out,
                           imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (m < 2)
        return 0;
    size_t *order = malloc(m * sizeof *order), *far = malloc(m * sizeof *far);
    out->off = malloc((m + 1) * sizeof *out->off);
    out->members = malloc(m * m * sizeof *out->members);
    if (!order || !far || !out->off || !out->members || order_by_value(mean_rank, m, order)) {
        free(order), free(far);
        imp_cliques_free(out);
        return imp_err_set(err, IMP_ENOMEM, "Nemenyi bars: out of memory for %zu methods", m);
    }
    /* far[i] is nondecreasing in i, so [i, far[i]] is nested in [i−1, far[i−1]] exactly when
     * far[i−1] == far[i]; intervals [i, j < far[i]] are nested in [i, far[i]]. */
    for (size_t i = 0, j = 0; i < m; i++) {
        if (j < i)
            j = i;
        while (j + 1 < m && mean_rank[order[j + 1]] - mean_rank[order[i]] <= cd)
            j++;
        far[i] = j;
    }
    out->off[0] = 0;
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (far[i] == i || (i > 0 && far[i - 1] == far[i]))
            continue;
        for (size_t t = i; t <= far[i]; t++)
            out->members[k++] = order[t];
        out->off[++out->n] = k;
    }
    free(order), free(far);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The whole CD analysis                                                                      */

void imp_cd_result_free(imp_cd_result *res)
{
    if (!res)
        return;
    free(res->summary);
    free(res->rank);
    free(res->order);
    free(res->pair);
    free(res->threshold);
    free(res->significant);
    imp_cliques_free(&res->cliques);
    memset(res, 0, sizeof *res);
}

int imp_cd_run(const double *A, size_t m, size_t N, const imp_cd_opts *opts, imp_cd_result *res,
               imp_err *err)
{
    imp_cd_opts o = opts ? *opts : (imp_cd_opts){0};
    memset(res, 0, sizeof *res);
    if (o.alpha == 0)
        o.alpha = 0.05;
    int rc = check_matrix(A, m, N, 2, "CD analysis", err);
    if (rc)
        return rc;
    if (!(o.alpha > 0 && o.alpha < 1))
        return imp_err_set(err, IMP_EINPUT, "CD analysis: alpha must be in (0,1), got %g",
                           o.alpha);
    size_t K = m * (m - 1) / 2;
    res->m = m, res->N = N, res->K = K, res->alpha = o.alpha;
    res->summary = malloc(m * sizeof *res->summary);
    res->rank = malloc(m * sizeof *res->rank);
    res->order = malloc(m * sizeof *res->order);
    res->pair = malloc(K * sizeof *res->pair);
    res->threshold = malloc(K * sizeof *res->threshold);
    res->significant = malloc(K * sizeof *res->significant);
    size_t *pos = malloc(m * sizeof *pos);
    unsigned char *adj = calloc(m * m, 1);
    double *p = calloc(K, sizeof *p);
    imp_rank_summary *dense = malloc(m * sizeof *dense);
    if (!res->summary || !res->rank || !res->order || !res->pair || !res->threshold ||
        !res->significant || !pos || !adj || !p || !dense) {
        rc = imp_err_set(err, IMP_ENOMEM, "CD analysis: out of memory for %zu x %zu", m, N);
        goto out;
    }

    if (m >= 3) {
        if ((rc = imp_stats_friedman(A, m, N, &res->friedman, err)))
            goto out;
        res->friedman_significant = res->friedman.p < o.alpha;
    } else {
        res->friedman = (imp_friedman){NAN, NAN};
    }
    if ((rc = imp_stats_rank_summary(A, m, N, IMP_RANK_AVERAGE, res->summary, err)))
        goto out;
    if (o.rank_method == IMP_RANK_DENSE) {
        if ((rc = imp_stats_rank_summary(A, m, N, IMP_RANK_DENSE, dense, err)))
            goto out;
        for (size_t i = 0; i < m; i++)
            res->rank[i] = dense[i].mean_rank;
    } else {
        for (size_t i = 0; i < m; i++)
            res->rank[i] = res->summary[i].mean_rank;
    }
    if (order_by_value(res->rank, m, res->order)) {
        rc = imp_err_set(err, IMP_ENOMEM, "CD analysis: out of memory");
        goto out;
    }

    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            size_t k = imp_stats_pair_index(i, j, m);
            rc = imp_stats_wilcoxon(A + i * N, A + j * N, N, o.compat_identical_significant,
                                    &res->pair[k], err);
            if (rc) {
                imp_err_prefix(err, "competitors %zu and %zu", i, j);
                goto out;
            }
            p[k] = res->pair[k].p;
        }
    if ((rc = imp_stats_holm(p, K, o.alpha, res->significant, res->threshold, err)))
        goto out;

    /* Non-significance graph on rank positions, so the canonical clique order follows the axis. */
    for (size_t t = 0; t < m; t++)
        pos[res->order[t]] = t;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (!res->significant[imp_stats_pair_index(i, j, m)])
                adj[pos[i] * m + pos[j]] = adj[pos[j] * m + pos[i]] = 1;
    res->groups = o.groups;
    if (o.groups == IMP_GROUPS_CLIQUES) {
        int exceeded;
        if ((rc = imp_stats_cliques_bounded(adj, m, 2, o.max_cliques, 0, &res->cliques,
                                            &exceeded, err)))
            goto out;
        if (exceeded)
            res->groups = IMP_GROUPS_INTERVALS, res->groups_fallback = 1;
    }
    if (res->groups == IMP_GROUPS_INTERVALS &&
        (rc = imp_stats_interval_groups(adj, m, &res->cliques, err)))
        goto out;
    size_t nmem = res->cliques.n ? res->cliques.off[res->cliques.n] : 0;
    for (size_t t = 0; t < nmem; t++)
        res->cliques.members[t] = res->order[res->cliques.members[t]];

out:
    free(pos), free(adj), free(p), free(dense);
    if (rc)
        imp_cd_result_free(res);
    return rc;
}
