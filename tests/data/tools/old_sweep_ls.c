/* l2/ls cells at shot = all through the OLD sweep worker's path: NORMpre applied to the whole
 * training set first (imp_l2_rows_noeps), GEN with pre = none, then NORMpost and imp_infer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "imprint/infer.h"
#include "imprint/norm.h"
#include "imprint/proxy.h"
#include "imprint/rng.h"
enum { C = 4, D = 20 };
static const size_t ntr[C] = {40, 50, 30, 60}, nte[C] = {25, 25, 25, 25};
static void make_split(imp_data *out, const size_t *per, uint64_t stream)
{
    size_t n = 0;
    for (int c = 0; c < C; c++) n += per[c];
    out->n = n; out->d = D; out->n_classes = C;
    out->offset = malloc((C + 1) * sizeof *out->offset);
    out->X = malloc(n * D * sizeof *out->X);
    imp_rng r; imp_rng_init(&r, 99, stream, 0, 0);
    size_t row = 0; out->offset[0] = 0;
    for (int c = 0; c < C; c++) {
        for (size_t i = 0; i < per[c]; i++, row++)
            for (int j = 0; j < D; j++) {
                double mu = (j % C == c ? 1.5 : 0.0) + 0.25 * (double)(j % 3);
                out->X[row * D + j] = (float)(round(4.0 * (mu + imp_rng_normal(&r))) / 4.0);
            }
        out->offset[c + 1] = row;
    }
}
int main(int argc, char **argv)
{
    imp_data tr, te; make_split(&tr, ntr, 1); make_split(&te, nte, 2);
    imp_l2_rows_noeps(tr.X, tr.n, tr.d);
    char line[512];
    FILE *f = fopen(argv[1], "r"); /* the saved cube: rewrite matching lines */
    while (fgets(line, sizeof line, f)) {
        char strat[128]; int k, shot; unsigned long long seed;
        if (sscanf(line, "%127[^,],%d,%d,%llu,", strat, &k, &shot, &seed) != 4 ||
            strncmp(strat, "l2/ls/", 6) != 0 || shot != -1) { fputs(line, stdout); continue; }
        imp_strategy s; imp_strategy_parse(strat, &s, NULL);
        imp_gen_params gp = {.pre = IMP_NORM_NONE, .gen = s.gen, .k = k, .shot = shot,
                             .seed = seed, .task_hash = 0x5eedu, .lambda = 1e-3, .threads = 1};
        imp_proxies px; imp_err e; imp_infer_result ir;
        int rc = imp_gen_run(&tr, &gp, &px, &e);
        if (!rc) rc = imp_post_apply(&px, s.post, &e);
        if (!rc) rc = imp_infer(&px, &te, &s, 1, NULL, &ir, &e);
        if (rc) printf("%s,%d,%d,%llu,failed %d,,,,\n", strat, k, shot, seed, rc);
        else printf("%s,%d,%d,%llu,done,%zu,%zu,%d,%.9g\n", strat, k, shot, seed, ir.correct, ir.total, (int)px.P, (double)ir.accuracy);
        imp_proxies_free(&px);
    }
    return 0;
}
