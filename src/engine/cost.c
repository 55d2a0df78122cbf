/* cost.c — the cost formulas of cost.h, from the GEN table's cost terms. */
#include "imprint/cost.h"

enum { COST_ITERS = 30 };

typedef struct sizes {
    double n, d, c, t, p;
} sizes;

static sizes cost_sizes(int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z;
    z.n = h && h->n_per_class > 0 ? h->n_per_class : 5000;
    z.d = h && h->dim > 0 ? h->dim : 512;
    z.c = h && h->n_classes > 0 ? h->n_classes : 10;
    z.t = h && h->n_test > 0 ? h->n_test : 1000 * z.c;
    if (shot > 0 && (double)shot < z.n)
        z.n = (double)shot;
    z.p = (k_eff < 0 || (double)k_eff > z.n) ? z.n : (double)k_eff;
    return z;
}

double imp_gen_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    unsigned t = imp_gen_info_of(s->gen)->cost;
    double cost = 0;
    if (t & IMP_COST_CND)
        cost += z.c * z.n * z.d;
    if (t & IMP_COST_CPD)
        cost += z.c * z.p * z.d;
    if (t & IMP_COST_CNPD)
        cost += z.c * z.n * z.p * z.d;
    if (t & IMP_COST_KMEANS)
        cost += z.c * z.n * z.d * z.p * COST_ITERS;
    if (t & IMP_COST_CN2D)
        cost += z.c * z.n * z.n * z.d;
    if (t & IMP_COST_LS)
        cost += z.c * z.n * z.d * z.d + z.d * z.d * z.d;
    return cost;
}

double imp_cell_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    double proxies = z.c * z.p;
    const imp_metric_info *m = imp_metric_info_of(imp_strategy_metric(s));
    double cost = z.t * proxies * z.d * m->pair_cost;
    if (m->space == IMP_SPACE_WHITENED)
        cost += (z.t + proxies) * z.d * z.d + z.d * z.d * z.d;
    return cost;
}

double imp_cells_cost(const imp_strategy *const *cells, size_t n, int64_t k_eff, int64_t shot,
                      const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    double proxies = z.c * z.p, cost = 0;
    /* distances once per (POST, INF, metric); whitening once per POST (proxies) and per
     * (POST, INF) (test rows); the selection and votes per cell are T·(P + m), counted as T·P */
    int post_white[IMP_NORM__COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const imp_strategy *s = cells[i];
        imp_metric m = imp_strategy_metric(s);
        int first = 1;
        for (size_t j = 0; j < i && first; j++) {
            const imp_strategy *t = cells[j];
            first = !(t->post == s->post && t->inf == s->inf && imp_strategy_metric(t) == m);
        }
        const imp_metric_info *mi = imp_metric_info_of(m);
        if (first) {
            cost += z.t * proxies * z.d * mi->pair_cost;
            if (mi->space == IMP_SPACE_WHITENED) {
                cost += z.t * z.d * z.d;
                if (!post_white[s->post]++)
                    cost += proxies * z.d * z.d + z.d * z.d * z.d;
            }
        }
        cost += z.t * proxies;
    }
    return cost;
}
