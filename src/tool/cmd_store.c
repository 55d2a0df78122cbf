/* cmd_store.c — `imprint store S.h5`: list models, datasets, splits, sizes, dims, classes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/store.h"
#include "imprint/strategy.h"
#include "opts.h"

int imp_cmd_store(int argc, char **argv)
{
    const char *path = NULL;
    static const imp_opt opts[] = {{NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "store", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        if (o == IMP_OPT_HELP) {
            printf("usage: imprint store S.h5\n\n"
                   "List every model and dataset of an embedding store with the rows of each\n"
                   "split, the embedding dimension, the number of classes and lambda (%s).\n"
                   "Every entry is validated (X float32 [n,d], y int32 [n], same d in both splits).\n",
                   imp_gen_names_lsq("/"));
            return 0;
        }
        if (o == IMP_OPT_ERR)
            return 2;
        if (path)
            return imp_tool_usage("store", "one store at a time");
        path = op.val;
    }
    if (!path)
        return imp_tool_usage("store", "which store? imprint store S.h5");
    imp_err err;
    imp_err_clear(&err);
    imp_store *s;
    if (imp_store_open(path, &s, &err))
        return imp_tool_fail(&err);
    imp_store_entry *e;
    size_t n;
    int rc = imp_store_list(s, &e, &n, &err);
    if (rc) {
        imp_store_close(s);
        return imp_tool_fail(&err);
    }
    printf("%-16s %-12s %-6s %9s %6s %8s %9s\n", "model", "dataset", "split", "n", "d", "classes",
           "lambda");
    for (size_t i = 0; i < n; i++) {
        double lam = imp_store_lambda(s, e[i].model);
        printf("%-16s %-12s %-6s %9zu %6zu %8d %9.3g\n", e[i].model, e[i].dataset, "train",
               e[i].n_train, e[i].d, e[i].n_classes, lam);
        printf("%-16s %-12s %-6s %9zu %6zu %8s %9s\n", e[i].model, e[i].dataset, "test", e[i].n_test,
               e[i].d, "", "");
    }
    if (n == 0)
        printf("(empty store)\n");
    free(e);
    imp_store_close(s);
    return 0;
}
