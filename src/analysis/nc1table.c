/* nc1table.c — the NC1 table `imprint nc1 --all --csv` writes, read back for the figures and
 * the claims. */
#include "nc1table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void imp_nc1_table_free(imp_nc1_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->model[i]), free(t->dataset[i]);
    free(t->model), free(t->dataset), free(t->nc1);
    memset(t, 0, sizeof *t);
}

/* Split one CSV record (RFC 4180, no embedded newlines) in place into at most max fields. */
static size_t csv_split(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        field[n++] = p;
        if (*p == '"') {
            char *r = p + 1;
            for (;;) {
                if (!*r)
                    break;
                if (*r == '"' && r[1] == '"') {
                    *out++ = '"', r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *out++ = *r++;
                }
            }
            p = r;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        int more = *p == ',';
        *out = 0;
        if (!more)
            break;
        p++;
    }
    return n;
}

int imp_nc1_table_read(const char *path, imp_nc1_table *t, imp_err *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return imp_err_set(err, errno == ENOENT ? IMP_EINPUT : IMP_EIO, "%s: cannot open: %s",
                           path, strerror(errno));
    char line[4096], *fld[64];
    int rc = 0, cm = -1, cd = -1, cn = -1;
    size_t lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!*line)
            continue;
        size_t nf = csv_split(line, fld, 64);
        if (cm < 0) {
            for (size_t i = 0; i < nf; i++) {
                if (strcmp(fld[i], "model") == 0)
                    cm = (int)i;
                if (strcmp(fld[i], "dataset") == 0)
                    cd = (int)i;
                if (strcmp(fld[i], "nc1") == 0)
                    cn = (int)i;
            }
            if (cm < 0 || cd < 0 || cn < 0) {
                rc = imp_err_set(err, IMP_EINPUT, "%s: line %zu: expected a header with the "
                                 "columns model, dataset and nc1", path, lineno);
                break;
            }
            continue;
        }
        int need = cm > cd ? (cm > cn ? cm : cn) : (cd > cn ? cd : cn);
        char *end;
        double v = (size_t)need < nf ? strtod(fld[cn], &end) : NAN;
        if ((size_t)need >= nf || end == fld[cn] || *end) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: line %zu: expected %d fields with a number "
                             "in column nc1", path, lineno, need + 1);
            break;
        }
        char **nm = realloc(t->model, (t->n + 1) * sizeof *nm);
        if (nm)
            t->model = nm;
        char **nd = realloc(t->dataset, (t->n + 1) * sizeof *nd);
        if (nd)
            t->dataset = nd;
        double *nn = realloc(t->nc1, (t->n + 1) * sizeof *nn);
        if (nn)
            t->nc1 = nn;
        if (!nm || !nd || !nn) {
            rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
            break;
        }
        t->model[t->n] = strdup(fld[cm]);
        t->dataset[t->n] = strdup(fld[cd]);
        t->nc1[t->n] = v;
        t->n++;
        if (!t->model[t->n - 1] || !t->dataset[t->n - 1]) {
            rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
            break;
        }
    }
    if (!rc && ferror(f))
        rc = imp_err_set(err, IMP_EIO, "%s: read error", path);
    if (!rc && cm < 0)
        rc = imp_err_set(err, IMP_EINPUT, "%s: empty; expected a header with the columns "
                         "model, dataset and nc1", path);
    fclose(f);
    if (rc)
        imp_nc1_table_free(t);
    return rc;
}
