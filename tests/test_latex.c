/* test_latex.c — the rank table `imprint analyze --tex` writes compiles with pdflatex,
 * booktabs and tabularx, no wider than the text (ctest label "latex"; SKIP, exit 77, when pdflatex or booktabs is missing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imprint/cube.h"
#include "testutil.h"

/* A 2 models × 2 tasks cube of three strategies (one seed, all done) with names that need
 * escaping in TeX: underscores in the model names do not reach the table, but the user name
 * "A_1&b" and the strategy slashes do. */
static const char *make_cube(void)
{
    static char *models[] = {"m_1", "m_2"}, *tasks[] = {"t1", "t2"};
    static char *strategies[] = {"l2/mean/l2/l2/max", "l2/kmeans/l2/l2/max",
                                 "none/mean/quantile/none/mnn:3:mahalanobis:distance"};
    static int64_t ks[] = {1}, shots[] = {-1}, seeds[] = {1};
    imp_axes a = {.n_model = 2, .model = models, .n_task = 2, .task = tasks, .n_strategy = 3,
                       .strategy = strategies, .n_k = 1, .k = ks, .n_shot = 1, .shot = shots,
                       .n_seed = 1, .seed = seeds};
    imp_err err;
    imp_err_clear(&err);
    imp_cube *cube;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, NULL, &cube, &err), 0);
    const float acc[3][4] = {{80, 81, 82, 83}, {85, 86, 87, 88}, {70, 90, 71, 72}};
    for (size_t s = 0; s < 3; s++)
        for (size_t v = 0; v < 4; v++) {
            imp_cell_result r;
            memset(&r, 0, sizeof r);
            size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / 2, [IMP_AX_TASK] = v % 2,
                                         [IMP_AX_STRATEGY] = s, [IMP_AX_K] = 0, [IMP_AX_SHOT] = 0,
                                         [IMP_AX_SEED] = 0};
            r.cell = imp_axes_cell_index(&a, idx);
            r.status = IMP_CELL_DONE;
            r.accuracy = acc[s][v];
            r.gen_seconds = r.inf_seconds = 0.1f;
            r.n_proxies = 1;
            IMP_ASSERT_INT_EQ(imp_cube_apply(cube, &r, &err), 0);
        }
    const char *path = imp_test_path("latex.h5");
    IMP_ASSERT_INT_EQ(imp_cube_write(cube, path, &err), 0);
    imp_cube_free(cube);
    return path;
}

static void test_pdflatex(void)
{
    const char *cube = make_cube();
    char dir[512], tex[600], doc[600];
    snprintf(dir, sizeof dir, "%s", imp_test_tmpdir());
    snprintf(tex, sizeof tex, "%s/ranks.tex", dir);
    snprintf(doc, sizeof doc, "%s/doc.tex", dir);
    char *out = NULL;
    int rc = imp_test_tool(&out, "analyze %s --name 'A_1&b=l2/kmeans/l2/l2/max' --tex %s", cube,
                           tex);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "analyze --tex: exit %d\n%s", rc, out ? out : "");
    free(out);
    /* the report's results table of the same cube, with every competitor's long name */
    rc = imp_test_tool(&out, "report %s --out %s/rep --name 'A_1&b=l2/kmeans/l2/l2/max' "
                       "--name 'Mahalanobis-kNN=none/mean/quantile/none/mnn:3:mahalanobis:"
                       "distance'", cube, dir);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "report: exit %d\n%s", rc, out ? out : "");
    free(out);
    FILE *f = fopen(doc, "w");
    IMP_ASSERT_INT_EQ(f != NULL, 1);
    if (!f)
        return;
    fprintf(f, "\\documentclass{article}\n\\usepackage{booktabs,tabularx,graphicx}\n"
               "\\begin{document}\n\\input{ranks.tex}\n\n\\input{rep/acc-table.tex}\n"
               "\\end{document}\n");
    fclose(f);
    out = NULL;
    rc = imp_test_sh(&out, "cd '%s' && pdflatex -interaction=nonstopmode -halt-on-error doc.tex",
                     dir);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "pdflatex: exit %d\n%s", rc, out ? out : "");
    IMP_ASSERT_STR_CONTAINS(out, "Output written on doc.pdf (1 page");
    /* the table fits the plain article's text width: TeX reports any box wider than its line
     * (the former tabular was 200 pt too wide with the paper's strategy names) */
    const char *over = out ? strstr(out, "Overfull \\hbox") : NULL;
    imp__assert_msg(over == NULL, __LINE__, __FILE__, "ranks.tex wider than \\linewidth: %.300s",
                    over ? over : "");
    free(out);
    /* the page shows the name as written (pdftotext, when there is one) */
    out = NULL;
    if (imp_test_sh(NULL, "command -v pdftotext >/dev/null") == 0) {
        IMP_ASSERT_INT_EQ(imp_test_sh(&out, "pdftotext '%s/doc.pdf' -", dir), 0);
        IMP_ASSERT_STR_CONTAINS(out, "1&b"); /* \_ comes out as a space or an underscore */
        IMP_ASSERT_STR_CONTAINS(out, "2.250");
        free(out);
    }
}

int main(void)
{
    if (imp_test_sh(NULL, "command -v pdflatex >/dev/null && kpsewhich booktabs.sty tabularx.sty >/dev/null") !=
        0) {
        printf("test_latex: SKIP (pdflatex or booktabs.sty missing: apt-get install "
               "texlive-latex-base texlive-latex-recommended)\n");
        return 77;
    }
    static const imp_test tests[] = {{"pdflatex", test_pdflatex}, {NULL, NULL}};
    return imp_test_main("latex", tests);
}
