/* pipecube.c — the saved cube's grid (tests/data/pipeline-cube.csv): its rows, its cells, and
 * their evaluation the two ways (one imp_cell_run per cell; the sweep's one pipeline call per
 * proxy set), shared by test_pipeline (which compares) and pipeline_cube_write (which writes
 * the file; tests/data/README.md). */
#include "pipecube.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/cell.h"
#include "imprint/norm.h"
#include "imprint/pipeline.h"
#include "imprint/rng.h"
#include "imprint/strategy.h"
#include "testutil.h"

/* The grid (kept in step with tests/data/pipeline-cube.csv; see tests/data/README.md):
 * GEN all/mean/kmeans/kls/ls, every valid (PRE, POST, INF) of {none,l2} × {none,l2,quantile}
 * × {none,l2}, the paper's 45 aggregation rows, k ∈ {-1,1,5,20}, shot ∈ {all,10}, 2 seeds,
 * through the reference's row rules (imp_strategy_row) and rule 12's duplicate removal. */
static const char *const gens[] = {"all", "mean", "kmeans", "kls", "ls"};
static const char *const pres[] = {"none", "l2"};
static const char *const posts[] = {"none", "l2", "quantile"};
static const char *const infs[] = {"none", "l2"};
static const int ks[] = {-1, 1, 5, 20};
static const int shots[] = {-1, 10};
static const uint64_t seeds[] = {17121997, 123987};
static const char *const metrics[] = {"cosine", "euclidean", "manhattan", "mahalanobis"};
static const int ms[] = {1, 3, 5, 20, 50};
#define N_AGG 45

static void agg_text(int a, char *buf, size_t n)
{
    if (a == 0) {
        snprintf(buf, n, "max");
    } else if (a <= 4) {
        snprintf(buf, n, "nn:%s", metrics[a - 1]);
    } else {
        int q = a - 5; /* m-major, then metric, then weighting: the paper's listing */
        snprintf(buf, n, "mnn:%d:%s:%s", ms[q / 8], metrics[(q / 2) % 4],
                 q % 2 ? "distance" : "uniform");
    }
}

/* The rows: 4 unbalanced classes in 12-d, values on a 1/4 grid so that many distances
 * tie exactly (the tie rules then decide predictions). Deterministic: imprint's own RNG. */
enum { C = 4, D = IMP_PIPECUBE_D };
static const size_t ntr[C] = {40, 50, 30, 60}, nte[C] = {25, 25, 25, 25};

static void make_split(imp_data *out, const size_t *per, uint64_t stream)
{
    size_t n = 0;
    for (int c = 0; c < C; c++)
        n += per[c];
    out->n = n;
    out->d = D;
    out->n_classes = C;
    out->offset = malloc((C + 1) * sizeof *out->offset);
    out->X = malloc(n * D * sizeof *out->X);
    imp_rng r;
    imp_rng_init(&r, 99, stream, 0, 0);
    size_t row = 0;
    out->offset[0] = 0;
    for (int c = 0; c < C; c++) {
        for (size_t i = 0; i < per[c]; i++, row++)
            for (int j = 0; j < D; j++) {
                double mu = (j % C == c ? 1.5 : 0.0) + 0.25 * (double)(j % 3);
                out->X[row * D + j] = (float)(round(4.0 * (mu + imp_rng_normal(&r))) / 4.0);
            }
        out->offset[c + 1] = row;
    }
}

size_t imp_pipecube_cells(imp_pipecube_cell **out)
{
    size_t cap = 32768, n = 0;
    imp_pipecube_cell *v = calloc(cap, sizeof *v);
    for (size_t g = 0; g < sizeof gens / sizeof *gens; g++)
        for (size_t p = 0; p < 2; p++)
            for (size_t q = 0; q < 3; q++)
                for (size_t f = 0; f < 2; f++)
                    for (int a = 0; a < N_AGG; a++)
                        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                            for (size_t si = 0; si < 2; si++) {
                                char agg[48], text[96];
                                agg_text(a, agg, sizeof agg);
                                snprintf(text, sizeof text, "%s/%s/%s/%s/%s", pres[p], gens[g],
                                         posts[q], infs[f], agg);
                                imp_strategy s;
                                if (imp_strategy_parse(text, &s, NULL))
                                    abort();
                                int64_t ke;
                                if (!imp_strategy_row(&s, ks[ki], shots[si], &ke, NULL))
                                    continue;
                                int dup = 0;
                                for (size_t i = n; i-- > 0 && !dup;)
                                    dup = strcmp(v[i].strat, text) == 0 && v[i].k == (int)ke &&
                                          v[i].shot == shots[si];
                                if (dup)
                                    continue;
                                for (size_t e = 0; e < 2; e++) {
                                    imp_pipecube_cell *c = &v[n++];
                                    snprintf(c->strat, sizeof c->strat, "%s", text);
                                    c->k = (int)ke;
                                    c->shot = shots[si];
                                    c->seed = seeds[e];
                                }
                            }
    *out = v;
    return n;
}

static const uint64_t TASK_HASH = 0x5eedu;

void imp_pipecube_eval_one_by_one(const imp_data *train, const imp_data *test,
                                  imp_pipecube_cell *v, size_t n, int threads)
{
    for (size_t i = 0; i < n; i++) {
        imp_cell_spec sp = {.k = v[i].k, .shot = v[i].shot, .seed = v[i].seed,
                            .task_hash = TASK_HASH, .lambda = 1e-3, .threads = threads};
        imp_strategy_parse(v[i].strat, &sp.strat, NULL);
        imp_cell_out o;
        imp_err err;
        imp_err_clear(&err);
        v[i].status = imp_cell_run(train, test, &sp, &o, &err);
        v[i].correct = o.correct;
        v[i].total = o.total;
        v[i].n_proxies = o.n_proxies;
        v[i].accuracy = o.accuracy;
    }
}

/* Files DIR/gen-I-POST.bin (imp_test_write_predictions: the proxies after NORMpost POST and
 * the predictions of that POST's cells) and DIR/gen-I-POST.txt (their cells, one per line).
 * Returns the number of files that could not be written. */
static size_t dump_gen(const char *dir, size_t id, const imp_proxies *px, const imp_data *test,
                       const imp_pipecube_cell *v, const size_t *members, const imp_strategy *st,
                       int32_t *const *pred, const int *codes, size_t nm)
{
    int32_t **pp = malloc(nm * sizeof *pp);
    int *cc = malloc(nm * sizeof *cc);
    size_t bad = 0;
    for (int post = IMP_NORM_NONE; post <= IMP_NORM_QUANTILE; post++) {
        size_t np = 0;
        char path[4096];
        snprintf(path, sizeof path, "%s/gen-%zu-%d.txt", dir, id, post);
        FILE *f = fopen(path, "w");
        for (size_t q = 0; f && q < nm; q++)
            if (st[members[q]].post == (imp_norm)post) {
                pp[np] = pred[q];
                cc[np++] = codes[q];
                fprintf(f, "%s,%d,%d,%llu\n", v[members[q]].strat, v[members[q]].k,
                        v[members[q]].shot, (unsigned long long)v[members[q]].seed);
            }
        if (!f || fclose(f) != 0)
            bad++;
        imp_proxies pc;
        imp_err err;
        if (!np || imp_proxies_copy(px, &pc, &err))
            continue;
        if (!imp_norm_post(pc.W, pc.offset, pc.n_classes, pc.d, (imp_norm)post, &err)) {
            snprintf(path, sizeof path, "%s/gen-%zu-%d.bin", dir, id, post);
            bad += imp_test_write_predictions(path, &pc, test, np, pp, cc) != 0;
        }
        imp_proxies_free(&pc);
    }
    free(pp), free(cc);
    return bad;
}

size_t imp_pipecube_eval_shared(const imp_data *train, const imp_data *test,
                                imp_pipecube_cell *v, size_t n, int threads, const char *dump)
{
    size_t bad = 0;
    char *done = calloc(n, 1);
    size_t *members = malloc(n * sizeof *members);
    imp_strategy *st = malloc(n * sizeof *st);
    const imp_strategy **cs = malloc(n * sizeof *cs);
    int32_t **pred = malloc(n * sizeof *pred);
    imp_cell_result *res = malloc(n * sizeof *res);
    int *codes = malloc(n * sizeof *codes);
    for (size_t i = 0; i < n; i++)
        imp_strategy_parse(v[i].strat, &st[i], NULL);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t nm = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && st[j].pre == st[i].pre && st[j].gen == st[i].gen &&
                v[j].k == v[i].k && v[j].shot == v[i].shot && v[j].seed == v[i].seed) {
                done[j] = 1;
                cs[nm] = &st[j];
                pred[nm] = malloc(test->n * sizeof **pred);
                members[nm++] = j;
            }
        imp_gen_params gp = {.pre = st[i].pre, .gen = st[i].gen, .k = v[i].k, .shot = v[i].shot,
                             .seed = v[i].seed, .task_hash = TASK_HASH, .lambda = 1e-3,
                             .threads = threads};
        imp_proxies px;
        imp_err err;
        imp_err_clear(&err);
        int rc = imp_gen_run(train, &gp, &px, &err);
        int prc = rc ? 0 : imp_pipeline_eval_pred(&px, test, cs, nm, threads, res, pred, codes,
                                                   &err);
        if (prc) { /* a failed call is a failed pipeline, not a failed cell: reported */
            fprintf(stderr, "imp_pipeline_eval_pred: %s\n", err.msg);
            bad++;
        }
        if (dump && !rc)
            bad += dump_gen(dump, i, &px, test, v, members, st, pred, codes, nm);
        for (size_t q = 0; q < nm; q++) {
            imp_pipecube_cell *c = &v[members[q]];
            c->status = rc ? rc : prc ? prc : codes[q];
            if (!c->status) {
                bad += res[q].status != IMP_CELL_DONE;
                c->correct = imp_pipeline_correct(test, pred[q]);
                c->total = test->n;
                c->n_proxies = res[q].n_proxies;
                c->accuracy = res[q].accuracy;
            }
            free(pred[q]);
        }
        if (!rc)
            imp_proxies_free(&px);
    }
    free(done), free(members), free(st), free(cs), free(pred), free(res), free(codes);
    return bad;
}

void imp_pipecube_format(const imp_pipecube_cell *c, char *buf, size_t n)
{
    if (c->status)
        snprintf(buf, n, "%s,%d,%d,%llu,failed %d,,,,", c->strat, c->k, c->shot,
                 (unsigned long long)c->seed, c->status);
    else
        snprintf(buf, n, "%s,%d,%d,%llu,done,%zu,%zu,%d,%.9g", c->strat, c->k, c->shot,
                 (unsigned long long)c->seed, c->correct, c->total, c->n_proxies,
                 (double)c->accuracy);
}

void imp_pipecube_splits(imp_data *train, imp_data *test)
{
    make_split(train, ntr, 1);
    make_split(test, nte, 2);
}
