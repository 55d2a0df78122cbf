/* err.c — error table lookups and message formatting. */
#include "imprint/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *imp_strerror(int code)
{
    switch (code) {
    case 0: return "ok";
#define IMP__ERR_STR(name, val, exitc, text) case (val): return (text);
        IMP_ERRNO_MAP(IMP__ERR_STR)
#undef IMP__ERR_STR
    default: return "unknown error";
    }
}

int imp_exit_code(int code)
{
    switch (code) {
    case 0: return 0;
#define IMP__ERR_EXIT(name, val, exitc, text) case (val): return (exitc);
        IMP_ERRNO_MAP(IMP__ERR_EXIT)
#undef IMP__ERR_EXIT
    default: return 1;
    }
}

void imp_err_clear(imp_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int imp_err_set(imp_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int imp_err_prefix(imp_err *err, const char *fmt, ...)
{
    if (!err)
        return IMP_EINTERNAL;
    char old[IMP_ERR_MSG_MAX];
    char pre[IMP_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(err->msg, sizeof err->msg, "%s: %s", pre, old);
    return err->code;
}
