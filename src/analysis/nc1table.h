/* nc1table.h — the NC1 table `imprint nc1 --all --csv` writes, read back for the NC1 figure
 * and the claims. */
#ifndef IMPRINT_ANALYSIS_NC1TABLE_H
#define IMPRINT_ANALYSIS_NC1TABLE_H

#include <stddef.h>

#include "imprint/err.h"

/* An NC1 table as written by `imprint nc1 --all --csv`: one row per (model, dataset);
 * datasets of a concatenation joined by ','. Owned: imp_nc1_table_free. */
typedef struct imp_nc1_table {
    size_t n;
    char **model, **dataset;
    double *nc1;
} imp_nc1_table;

/* Read a CSV with a header naming at least the columns model, dataset and nc1 (any order,
 * other columns ignored, RFC 4180 quotes). Errors name the file, line and column. */
int imp_nc1_table_read(const char *path, imp_nc1_table *t, imp_err *err);
void imp_nc1_table_free(imp_nc1_table *t);

#endif
