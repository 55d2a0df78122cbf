/* cmd_report_run.c — writing one file of a report run: DIR/NAME through the output-path rule
 * (atomic.h imp_outfile: a regular file replaced atomically), named in the error when its writer fails. */
#include "cmd_report_run.h"

#include <stdlib.h>
#include <string.h>

#include "imprint/atomic.h"

static char *out_path(const ctx *c, const char *name)
{
    size_t n = strlen(c->o->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->o->dir, name);
    return p;
}

int imp__report_write_file(const ctx *c, const char *name, imp__report_writer fn,
                           const void *arg, imp_err *err)
{
    char *path = out_path(c, name);
    if (!path)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    imp_outfile of;
    int rc = imp_outfile_open(&of, path, err);
    if (!rc) {
        rc = fn(of.f, c, arg, err);
        if (rc) {
            imp_err_prefix(err, "%s", path);
            imp_outfile_abort(&of);
        } else {
            rc = imp_outfile_commit(&of, err);
        }
    }
    free(path);
    return rc;
}
