/* h5util.c — the HDF5 boundary (quiet error stack, innermost message into imp_err). */
#include "imprint/h5util.h"

#include <stdio.h>

void imp_h5_quiet_on(imp_h5quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void imp_h5_quiet_off(const imp_h5quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *ud)
{
    if (n == 0 && e->desc)
        snprintf(ud, 256, "%s", e->desc);
    return 0;
}

const char *imp_h5_detail(char buf[256])
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, buf);
    return buf;
}

int imp_h5_fail(imp_err *err, int code, const char *path, const char *obj, const char *what)
{
    char d[256];
    imp_h5_detail(d);
    return imp_err_set(err, code, "%s: %s: %s%s%s%s", path, obj, what, d[0] ? " (HDF5: " : "",
                       d, d[0] ? ")" : "");
}
