/* axis.c — the axis table (axis.h), one axis at a time: names, values, ranges, the cell index. */
#include "imprint/axis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/words.h"

static const imp_axis_info axes_info[IMP_AX__COUNT] = {
#define ROW(ID, name, key, kind, min, max, minus1, rule, dflt)                                     \
    {#name, key, IMP_AXK_##kind, min, max, minus1, rule, dflt},
    IMP_AXIS_MAP(ROW)
#undef ROW
};

const imp_axis_info *imp_axis_info_of(int axis)
{
    return axis >= 0 && axis < IMP_AX__COUNT ? &axes_info[axis] : NULL;
}

const char *imp_axis_name(int axis)
{
    return axis >= 0 && axis < IMP_AX__COUNT ? axes_info[axis].name : "?";
}

const char *imp_axis_names(char *buf, size_t n, const char *sep)
{
    const char *w[IMP_AX__COUNT];
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        w[ax] = axes_info[ax].name;
    return imp_words_join_all(buf, n, w, IMP_AX__COUNT, sep);
}

int imp_axis_find(const char *name)
{
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        if (strcmp(axes_info[ax].name, name) == 0)
            return ax;
    return -1;
}

/* Only an INT axis may have a default: an absent STR axis would have length 1 and no array to
 * read its one name from (imp_axis_str, imp_axes_copy). */
#define STR_REQUIRED(ID, name, key, kind, min, max, minus1, rule, dflt)                            \
    _Static_assert(IMP_AXK_##kind == IMP_AXK_INT || (dflt) == IMP_AXIS_REQUIRED,                 \
                   "STR axis " #name " has a default");
IMP_AXIS_MAP(STR_REQUIRED)
#undef STR_REQUIRED

/* 1 if an axis is absent (no values, no array) and has a default value. */
static int absent(int axis, size_t n, const void *values)
{
    return n == 0 && values == NULL && axes_info[axis].dflt != IMP_AXIS_REQUIRED;
}

size_t imp_axis_len(const imp_axes *a, int axis)
{
    switch (axis) {
#define LEN(ID, name, key, kind, min, max, minus1, rule, dflt)                                     \
    case IMP_AX_##ID: return absent(axis, a->n_##name, a->name) ? 1 : a->n_##name;
        IMP_AXIS_MAP(LEN)
#undef LEN
    default: return 0;
    }
}

void imp_axes_slot(imp_axes *a, int axis, size_t **len, char ****strs, int64_t ***ints)
{
    *len = NULL;
    *strs = NULL;
    *ints = NULL;
#define PICK_STR(name) *strs = &a->name
#define PICK_INT(name) *ints = &a->name
    switch (axis) {
#define SLOT(ID, name, key, kind, min, max, minus1, rule, dflt)                                    \
    case IMP_AX_##ID:                                                                              \
        *len = &a->n_##name;                                                                       \
        PICK_##kind(name);                                                                         \
        break;
        IMP_AXIS_MAP(SLOT)
#undef SLOT
    default: break;
    }
#undef PICK_STR
#undef PICK_INT
}

char *const *imp_axis_strs(const imp_axes *a, int axis)
{
    size_t *len;
    char ***s;
    int64_t **v;
    imp_axes_slot((imp_axes *)a, axis, &len, &s, &v); /* read only */
    return s ? *s : NULL;
}

const int64_t *imp_axis_ints(const imp_axes *a, int axis)
{
    size_t *len;
    char ***s;
    int64_t **v;
    imp_axes_slot((imp_axes *)a, axis, &len, &s, &v); /* read only */
    return v ? *v : NULL;
}

const char *imp_axis_str(const imp_axes *a, int axis, size_t i)
{
    char *const *s = imp_axis_strs(a, axis);
    return s ? s[i] : NULL;
}

int64_t imp_axis_int(const imp_axes *a, int axis, size_t i)
{
    const int64_t *v = imp_axis_ints(a, axis);
    if (!v && imp_axis_len(a, axis) == 1 && axes_info[axis].kind == IMP_AXK_INT)
        return axes_info[axis].dflt; /* absent: its default */
    return v ? v[i] : 0;
}

const char *imp_axis_int_text(int axis, int64_t v, char *buf, size_t n)
{
    const imp_axis_info *in = imp_axis_info_of(axis);
    if (v == -1 && in && in->minus1)
        snprintf(buf, n, "%s", in->minus1);
    else
        snprintf(buf, n, "%" PRId64, v);
    return buf;
}

const char *imp_axis_value(const imp_axes *a, int axis, size_t i, char *buf, size_t n)
{
    const imp_axis_info *in = imp_axis_info_of(axis);
    if (!in)
        return "?";
    if (in->kind == IMP_AXK_STR)
        return imp_axis_str(a, axis, i); /* never truncated */
    return imp_axis_int_text(axis, imp_axis_int(a, axis, i), buf, n);
}

int imp_axis_is_minus1(int axis, const char *text)
{
    const imp_axis_info *in = imp_axis_info_of(axis);
    return in && in->kind == IMP_AXK_INT && in->minus1 && strcmp(in->minus1, text) == 0;
}

int imp_axis_check_int(int axis, int64_t v, char *why, size_t n)
{
    const imp_axis_info *in = imp_axis_info_of(axis);
    if (!in || in->kind != IMP_AXK_INT)
        snprintf(why, n, "%s is not an integer axis", imp_axis_name(axis));
    else if (v < in->min)
        snprintf(why, n, "%s must be %s, got %" PRId64, in->name, in->rule, v);
    else if (v > in->max)
        snprintf(why, n, "%s %" PRId64 " is too large", in->name, v);
    else
        return 0;
    return -1;
}

uint64_t imp_axes_n_cells(const imp_axes *a)
{
    uint64_t n = 1;
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        uint64_t len = imp_axis_len(a, ax);
        if (len == 0 || n > UINT64_MAX / len)
            return 0;
        n *= len;
    }
    return n;
}

uint64_t imp_axes_cell_index(const imp_axes *a, const size_t idx[IMP_AX__COUNT])
{
    uint64_t c = 0;
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        c = c * imp_axis_len(a, ax) + idx[ax];
    return c;
}

void imp_axes_cell_coords(const imp_axes *a, uint64_t cell, size_t idx[IMP_AX__COUNT])
{
    for (int ax = IMP_AX__COUNT - 1; ax >= 0; ax--) {
        uint64_t len = imp_axis_len(a, ax);
        idx[ax] = (size_t)(cell % len);
        cell /= len;
    }
}

static char **copy_strings(char *const *src, size_t n)
{
    char **dst = calloc(n ? n : 1, sizeof *dst);
    for (size_t i = 0; dst && i < n; i++) {
        dst[i] = strdup(src[i] ? src[i] : "");
        if (!dst[i]) {
            for (size_t j = 0; j < i; j++)
                free(dst[j]);
            free(dst);
            return NULL;
        }
    }
    return dst;
}

static int64_t *copy_ints(const int64_t *src, size_t n)
{
    int64_t *dst = malloc((n ? n : 1) * sizeof *dst);
    if (dst && n)
        memcpy(dst, src, n * sizeof *dst);
    return dst;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

int imp_axes_copy(imp_axes *dst, const imp_axes *src, imp_err *err)
{
    memset(dst, 0, sizeof *dst);
    if (imp_axes_n_cells(src) == 0) { /* an empty axis, or a product past 2^64 */
        char lens[256];
        size_t at = 0;
        int empty = 0;
        for (int ax = 0; ax < IMP_AX__COUNT && at < sizeof lens; ax++) {
            empty |= imp_axis_len(src, ax) == 0;
            at += (size_t)snprintf(lens + at, sizeof lens - at, "%s%s %zu", ax ? ", " : "",
                                   imp_axis_name(ax), imp_axis_len(src, ax));
        }
        return imp_err_set(err, IMP_EINPUT, "cube axes: %s (%s)",
                           empty ? "every axis needs at least one value"
                                 : "more cells than a 64-bit index counts",
                           lens);
    }
    int ok = 1;
#define COPY_STR(name, dflt) ok &= (dst->name = copy_strings(src->name, dst->n_##name)) != NULL
#define COPY_INT(name, dflt)                                                                       \
    ok &= (dst->name = copy_ints(src->name ? src->name : &(int64_t){dflt}, dst->n_##name)) != NULL
#define COPY(ID, name, key, kind, min, max, minus1, rule, dflt)                                    \
    dst->n_##name = imp_axis_len(src, IMP_AX_##ID);                                                \
    COPY_##kind(name, dflt);
    IMP_AXIS_MAP(COPY)
#undef COPY
#undef COPY_STR
#undef COPY_INT
    if (!ok) {
        imp_axes_free(dst);
        return imp_err_set(err, IMP_ENOMEM, "cube axes: out of memory");
    }
    return 0;
}

void imp_axes_free(imp_axes *a)
{
    if (!a)
        return;
#define FREE_STR(name) free_strings(a->name, a->n_##name)
#define FREE_INT(name) free(a->name)
#define FREE(ID, name, key, kind, min, max, minus1, rule, dflt) FREE_##kind(name);
    IMP_AXIS_MAP(FREE)
#undef FREE
#undef FREE_STR
#undef FREE_INT
    memset(a, 0, sizeof *a);
}
