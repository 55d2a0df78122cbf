/* err.h — one error-code table for all of imprint, and the caller-owned error buffer. */
#ifndef IMPRINT_ERR_H
#define IMPRINT_ERR_H

#include <stddef.h>

/* X(name, value, exit code, short text). Functions return 0 or a negative IMP_E* code and
 * write the human message (file, object, what was expected) into a caller's imp_err. */
#define IMP_ERRNO_MAP(X)                                                        \
    X(USAGE,    -1, 2, "bad usage")                                             \
    X(INPUT,    -2, 2, "bad input")                                             \
    X(EXIST,    -3, 2, "already exists")                                        \
    X(NOTFOUND, -4, 2, "not found")                                             \
    X(IO,       -5, 1, "I/O error")                                             \
    X(NOMEM,    -6, 1, "out of memory")                                         \
    X(HDF5,     -7, 1, "HDF5 error")                                            \
    X(NUMERIC,  -8, 1, "numerical failure")                                     \
    X(MPI,      -9, 1, "MPI error")                                             \
    X(STOPPED, -10, 75, "stopped early")                                        \
    X(INTERNAL,-11, 1, "internal error")

enum {
#define IMP__ERR_ENUM(name, val, exitc, text) IMP_E##name = (val),
    IMP_ERRNO_MAP(IMP__ERR_ENUM)
#undef IMP__ERR_ENUM
};

#define IMP_ERR_MSG_MAX 1024

/* Error buffer owned by the caller. code is 0 or the last IMP_E* set; msg is NUL-terminated. */
typedef struct imp_err {
    int code;
    char msg[IMP_ERR_MSG_MAX];
} imp_err;

/* Short text of a code ("bad input"); "unknown error" for anything else. */
const char *imp_strerror(int code);
/* Process exit code for an error code (0 for 0). */
int imp_exit_code(int code);
/* Clear an error buffer (err may be NULL). */
void imp_err_clear(imp_err *err);
/* Format msg into err (err may be NULL) and return code, so callers write
 * `return imp_err_set(err, IMP_EINPUT, "%s: ...", path);`. */
int imp_err_set(imp_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "<prefix>: <old msg>". Returns err->code. */
int imp_err_prefix(imp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
