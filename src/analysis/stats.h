/* stats.h — rank statistics behind `imprint analyze`: ranks, Friedman, Wilcoxon signed-rank,
 * Holm, maximal cliques of the non-significance graph, Nemenyi CD (docs/statistics.md). */
#ifndef IMPRINT_ANALYSIS_STATS_H
#define IMPRINT_ANALYSIS_STATS_H

#include <stddef.h>

#include "imprint/err.h"

/* Score matrices: A is m competitors × N voters, row-major, A[i*N + v] = score of competitor i
 * on voter v; higher is better. Every entry must be finite (callers drop voters with failed
 * cells first, as the reference keeps only voters present for every competitor). */

/* ---- Distributions (double precision) ---- */

/* Regularised lower / upper incomplete gamma P(a,x), Q(a,x) = 1 − P(a,x); a > 0, x ≥ 0.
 * Series for x < a+1, continued fraction otherwise, so Q keeps relative precision in the tail. */
double imp_stats_igam(double a, double x);
double imp_stats_igamc(double a, double x);
/* Chi-square survival function P(χ²_df > x) = Q(df/2, x/2). */
double imp_stats_chi2_sf(double x, double df);
/* Regularised incomplete beta I_x(a,b). */
double imp_stats_betainc(double a, double b, double x);
/* F survival function P(F_{d1,d2} > x). */
double imp_stats_f_sf(double x, double d1, double d2);
/* P(range of k iid N(0,1) ≤ q) = k ∫ φ(z) [Φ(z) − Φ(z−q)]^{k−1} dz (studentized range, ∞ df). */
double imp_stats_range_cdf(double q, size_t k);

/* Median of v[0..n-1], n >= 1, sorting v in place; an even n gives the mean of the two middle
 * values (numpy). A voter's value over its seeds, in the matrix and in every figure. */
double imp_stats_median(double *v, size_t n);

/* ---- Ranks ---- */

typedef enum {
    IMP_RANK_AVERAGE = 0, /* pandas rank(ascending=False): best = 1, ties get the mean rank */
    IMP_RANK_DENSE        /* rank(method="dense"): ties share a rank, next distinct value +1 */
} imp_rank_method;

/* Per-voter ranks of the m competitors into R (m × N, same layout as A). */
int imp_stats_ranks(const double *A, size_t m, size_t N, imp_rank_method method, double *R,
                    imp_err *err);

typedef struct imp_rank_summary {
    double mean_rank; /* mean over voters of the rank (method as requested) */
    double rank_std;  /* sample std of the ranks over voters (ddof 1); NaN when N == 1 */
    double mean;      /* mean score over voters */
    double std;       /* sample std of the scores (ddof 1); NaN when N == 1 */
    size_t wins;      /* voters where this competitor has the maximal score. A first place
                       * shared by t competitors is a win for each of them (= dense rank 1);
                       * pandas' `rank == 1` on average ranks would count none of them. */
} imp_rank_summary;

/* One summary per competitor into out[m]. */
int imp_stats_rank_summary(const double *A, size_t m, size_t N, imp_rank_method method,
                           imp_rank_summary *out, imp_err *err);

/* ---- Friedman ---- */

typedef struct imp_friedman {
    double statistic; /* tie-corrected χ²_F (scipy.stats.friedmanchisquare) */
    double p;         /* χ²_{m−1} survival function of statistic */
} imp_friedman;

/* Friedman test with the m competitors as treatments and the N voters as blocks; needs m ≥ 3
 * and N ≥ 1 (IMP_EINPUT otherwise). If every voter ties all competitors the tie correction is
 * 0 and scipy returns NaN; we return statistic 0, p 1 (no evidence of a difference). */
int imp_stats_friedman(const double *A, size_t m, size_t N, imp_friedman *out, imp_err *err);

/* Iman–Davenport F = (N−1)χ² / (N(k−1) − χ²) ~ F(k−1, (k−1)(N−1)) from a Friedman χ² (Demšar
 * 2006). F = +inf and p = 0 when the denominator is ≤ 0 (perfect agreement of all voters). */
int imp_stats_iman_davenport(double chi2, size_t k, size_t N, double *F, double *p,
                             imp_err *err);

/* ---- Wilcoxon signed-rank, two-sided, zero_method='pratt' ---- */

typedef enum {
    IMP_WILCOXON_EXACT = 0, /* exact null distribution of R+ */
    IMP_WILCOXON_APPROX,    /* normal approximation with tie and Pratt corrections */
    IMP_WILCOXON_IDENTICAL  /* every difference is 0 */
} imp_wilcoxon_method;

/* Largest n for which the exact distribution is used (when there are no zeros and no ties). */
#define IMP_WILCOXON_EXACT_MAX 50

typedef struct imp_wilcoxon {
    double statistic; /* min(R+, R−) (scipy's two-sided statistic) */
    double r_plus;    /* sum of the ranks of |d| over d > 0 (zeros are ranked, Pratt) */
    double z;         /* standardised R+ (approx only; NaN otherwise) */
    double p;         /* two-sided p-value */
    imp_wilcoxon_method method;
    size_t n, n_zero; /* pairs (zeros included) and zero differences */
} imp_wilcoxon;

/* Test d = x − y (n pairs, n ≥ 1). Method: exact iff n ≤ IMP_WILCOXON_EXACT_MAX, no d == 0 and
 * no tied |d|; otherwise the normal approximation (scipy's `approx`: Cureton's Pratt
 * adjustment of mean and variance, tie correction excluding the zero group, no continuity
 * correction). scipy 1.14's `auto` would use the exact distribution with ties too (with
 * rounded R+); we follow the issue and approximate. Identical vectors (all d == 0): scipy raises;
 * we return p = 1 (docs/statistics.md), or p = 0 when compat_identical_significant is set, which
 * reproduces the reference's "(c1, c2, 0.0, True)" marking once the p-values go through Holm. */
int imp_stats_wilcoxon(const double *x, const double *y, size_t n,
                       int compat_identical_significant, imp_wilcoxon *out, imp_err *err);

/* ---- Holm step-down ---- */

/* Pairs (i, j), i < j < m, are numbered in the order (0,1), (0,2), …, (0,m−1), (1,2), …;
 * K = m(m−1)/2. */
size_t imp_stats_pair_index(size_t i, size_t j, size_t m);

/* Holm on p[K]: sort ascending (stable: equal p keep their input order); walking i = 0..K−1,
 * p_(i) ≤ alpha/(K−i) marks that pair significant; the first failure stops and every later
 * pair stays not significant. threshold[j] = alpha/(K − position of j in the sorted order),
 * for every pair (also those after the stop). threshold may be NULL. */
int imp_stats_holm(const double *p, size_t K, double alpha, int *significant, double *threshold,
                   imp_err *err);

/* ---- Cliques ---- */

/* A list of node sets. Set c has members[off[c] .. off[c+1]−1]. Owned by the struct; free with
 * imp_cliques_free (which also zeroes it). */
typedef struct imp_cliques {
    size_t n;
    size_t *off; /* n + 1 entries (NULL when n == 0) */
    size_t *members;
} imp_cliques;

void imp_cliques_free(imp_cliques *c);

/* Maximal cliques (Bron–Kerbosch with Tomita pivoting) of the undirected graph on m nodes with
 * an edge (i,j) iff adj[i*m + j] != 0 (adj must be symmetric; the diagonal is ignored).
 * Only cliques with ≥ min_size members are kept. Deterministic order: members ascending within
 * a clique, cliques sorted lexicographically by their member lists. Number the nodes in rank
 * order (best first) to get the cliques ordered along the CD axis. Fails with IMP_EINPUT past
 * 1,000,000 maximal cliques. */
int imp_stats_cliques(const unsigned char *adj, size_t m, size_t min_size, imp_cliques *out,
                      imp_err *err);

/* The same with bounds, for sets a user may make large: stops once more than max_cliques
 * maximal cliques are found or the search has cost more than max_work word operations
 * (about m·⌈m/64⌉ per Bron–Kerbosch call), and then returns 0 with *exceeded = 1 and out
 * empty (the caller falls back to imp_stats_interval_groups). 0 means the defaults
 * IMP_STATS_MAX_CLIQUES and IMP_STATS_MAX_CLIQUE_WORK. */
#define IMP_STATS_MAX_CLIQUES 10000
#define IMP_STATS_MAX_CLIQUE_WORK 500000000ULL
int imp_stats_cliques_bounded(const unsigned char *adj, size_t m, size_t min_size,
                              size_t max_cliques, unsigned long long max_work, imp_cliques *out,
                              int *exceeded, imp_err *err);

/* Demšar's groups: the maximal runs i..j (j > i) of consecutive nodes in which no two nodes
 * differ, i.e. adj[a*m + b] != 0 for all i <= a < b <= j. Number the nodes in rank order
 * (best first) and these are the bars of Demšar's drawing for any pairwise test. Members
 * ascending within a run, runs ordered by their first node; O(m · widest run). */
int imp_stats_interval_groups(const unsigned char *adj, size_t m, imp_cliques *out,
                              imp_err *err);

/* ---- Nemenyi ---- */

/* q_alpha = studentized range quantile (∞ df) / √2 for k competitors. alpha 0.05 and 0.10 with
 * k ≤ 20 come from Orange's compute_CD table (Demšar 2006); anything else (k > 20, other alpha in
 * (0,1)) is solved numerically from imp_stats_range_cdf (|error| < 1e-6). Needs k ≥ 2. */
int imp_stats_nemenyi_q(size_t k, double alpha, double *q, imp_err *err);
/* CD = q·sqrt(k(k+1)/(6N)). */
double imp_stats_nemenyi_cd(double q, size_t k, size_t N);
/* Orange graph_ranks' Nemenyi bars: sort the mean ranks ascending (ties by index); for each i
 * the farthest j with r_j − r_i ≤ cd; keep the maximal, non-nested intervals with ≥ 2 members.
 * Each bar is returned as its members (competitor indices, best first), bars ordered by their
 * best member. */
int imp_stats_nemenyi_bars(const double *mean_rank, size_t m, double cd, imp_cliques *out,
                           imp_err *err);

/* ---- The whole CD analysis ---- */

/* How the non-significant groups are found. */
typedef enum {
    IMP_GROUPS_CLIQUES = 0, /* maximal cliques (networkx.find_cliques, the reference) */
    IMP_GROUPS_INTERVALS    /* maximal runs in rank order (Demšar's drawing) */
} imp_groups_kind;

typedef struct imp_cd_opts {
    double alpha;                     /* 0 means 0.05 */
    imp_rank_method rank_method;      /* ranks of the diagram: AVERAGE (Demšar, default) or
                                       * DENSE (the paper's cd_diag.py) */
    int compat_identical_significant; /* see imp_stats_wilcoxon */
    imp_groups_kind groups;           /* cliques (default) or intervals */
    size_t max_cliques;               /* bound of imp_stats_cliques_bounded (0: default); past
                                       * it the groups fall back to intervals */
} imp_cd_opts;

typedef struct imp_cd_result {
    size_t m, N, K;
    double alpha;
    imp_friedman friedman;     /* NaN/NaN when m == 2 (Friedman needs 3 treatments) */
    int friedman_significant;  /* friedman.p < alpha; the reference stops here when not */
    imp_rank_summary *summary; /* [m] average ranks, mean, std, wins (the rank table) */
    double *rank;              /* [m] mean rank by opts.rank_method (the diagram's positions) */
    size_t *order;             /* [m] competitors by rank ascending (best first), ties by index */
    imp_wilcoxon *pair;        /* [K] pairs in imp_stats_pair_index order */
    double *threshold;         /* [K] Holm threshold alpha/(K−i) */
    int *significant;          /* [K] Holm decision */
    imp_cliques cliques;       /* the groups (≥ 2 members) of the non-significance graph, as
                                * competitor indices, members best first: maximal cliques
                                * ordered lexicographically by rank position, or runs */
    imp_groups_kind groups;    /* what cliques holds */
    int groups_fallback;       /* cliques were asked for but exceeded the bound: intervals */
} imp_cd_result;

/* Run Friedman, all pairwise Wilcoxon tests, Holm, ranks and groups on A (m ≥ 2, N ≥ 1).
 * Memory: O(m² + m·N); call it on a bounded set (imprint analyze tests at most
 * IMP_ANALYZE_MAX_TESTED competitors).
 * Everything is computed even when Friedman is not significant (the caller decides what to
 * print). On success the caller frees res with imp_cd_result_free; on error res is freed. */
int imp_cd_run(const double *A, size_t m, size_t N, const imp_cd_opts *opts, imp_cd_result *res,
               imp_err *err);
void imp_cd_result_free(imp_cd_result *res);

#endif
