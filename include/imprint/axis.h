/* axis.h — the axes of the grid, once: job parsing, the grid and its hash, the cube, its HDF5
 * and CSV files and every printed name expand IMP_AXIS_MAP; one axes type and one cell index. */
#ifndef IMPRINT_AXIS_H
#define IMPRINT_AXIS_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

/* X(ID, name, key, kind, min, max, minus1, rule, dflt), in the order of the cube's dimensions
 * (the last axis varies fastest in a cell index; never reorder: cube files and grid hashes
 * follow it; a new row goes before SEED, which stays last so that the same cell at another
 * seed is a neighbour — grid.c and plan.c assert it):
 *   name    the axis's name: HDF5 dimension scale, CSV column, hash line, printed labels;
 *   key     the job file's list of its values (docs/job-file.md);
 *   kind    STR (names; HDF5 variable-length UTF-8 strings) or INT (int64_t; HDF5 int64);
 *   min, max  the range of an INT value in a job (unused for STR);
 *   minus1  how an INT axis writes the value -1 when it has a meaning (k: every training row a
 *           proxy, "-1"; shot: every training row, "all"), NULL when -1 is no value; a job
 *           spells -1 with this text;
 *   rule    the range in words, for the job's error messages;
 *   dflt    the one value an INT axis takes when it is absent (a job without its key, an axes
 *           struct whose n_<name> is 0 and <name> NULL), or IMP_AXIS_REQUIRED. A new axis has
 *           one — the value the code used before the axis existed — so code that does not
 *           name it (hand-built axes, jobs written before it) keeps working.
 *           A STR axis is always IMP_AXIS_REQUIRED (there is no default name; axis.c asserts).
 * Strings are validated where their meaning is (job.c: names, tasks, strategies). */
#define IMP_AXIS_REQUIRED INT64_MIN
#define IMP_AXIS_MAP(X)                                                                         \
    X(MODEL, model, "models", STR, 0, 0, NULL, "a model name", IMP_AXIS_REQUIRED)               \
    X(TASK, task, "tasks", STR, 0, 0, NULL, "a task name", IMP_AXIS_REQUIRED)                   \
    X(STRATEGY, strategy, "strategies", STR, 0, 0, NULL, "a strategy", IMP_AXIS_REQUIRED)       \
    X(K, k, "ks", INT, 1, INT32_MAX, "-1", ">= 1 or -1 (every row a proxy)", IMP_AXIS_REQUIRED) \
    X(SHOT, shot, "shots", INT, 1, INT32_MAX, "all", ">= 1 or all", -1)                         \
    X(SEED, seed, "seeds", INT, 0, INT64_MAX, NULL, ">= 0", IMP_AXIS_REQUIRED)

/* Axis numbers, in the order of the arrays' dimensions. */
enum {
#define IMP__AX_ENUM(ID, name, key, kind, min, max, minus1, rule, dflt) IMP_AX_##ID,
    IMP_AXIS_MAP(IMP__AX_ENUM)
#undef IMP__AX_ENUM
    IMP_AX__COUNT
};

typedef enum { IMP_AXK_STR, IMP_AXK_INT } imp_axis_kind;
#define IMP__AXK_STR_T char *
#define IMP__AXK_INT_T int64_t

/* The values of every axis: n_<name> values in <name>[] (char ** for STR, int64_t * for INT),
 * e.g. n_model and model, n_k and k. Every length >= 1 in a grid or cube; shot -1 means "all",
 * k -1 every training row a proxy. An axes struct filled by imp_axes_copy (or a reader) owns its
 * arrays and strings (free with imp_axes_free); one the caller fills is the caller's.
 * IMP_AXES_FIELDS lets a struct hold the same fields in an anonymous member (imp_grid). */
#define IMP__AX_LEN_FIELD(ID, name, key, kind, min, max, minus1, rule, dflt) size_t n_##name;
#define IMP__AX_VAL_FIELD(ID, name, key, kind, min, max, minus1, rule, dflt)                    \
    IMP__AXK_##kind##_T *name;
#define IMP_AXES_FIELDS IMP_AXIS_MAP(IMP__AX_LEN_FIELD) IMP_AXIS_MAP(IMP__AX_VAL_FIELD)
typedef struct imp_axes {
    IMP_AXES_FIELDS
} imp_axes;

/* What the table says of one axis. */
typedef struct imp_axis_info {
    const char *name, *key;
    imp_axis_kind kind;
    int64_t min, max;
    const char *minus1;
    const char *rule;
    int64_t dflt; /* IMP_AXIS_REQUIRED: none */
} imp_axis_info;
const imp_axis_info *imp_axis_info_of(int axis); /* NULL outside [0, IMP_AX__COUNT) */

/* The axis's name ("model", …, "seed"; "?" outside the table), and its number (-1 if none). */
const char *imp_axis_name(int axis);
int imp_axis_find(const char *name);
/* Every axis's name in table order, joined by sep as imp_words_join_all does ("model, task,
 * …, seed" for ", "; a buf too small stops the program), into buf (returned). */
const char *imp_axis_names(char *buf, size_t n, const char *sep);
/* Length of one axis (0 outside the table; 1 for an absent axis with a default). */
size_t imp_axis_len(const imp_axes *a, int axis);
/* The values of a STR axis (NULL for an INT axis), of an INT axis (NULL for a STR axis, and
 * for an absent axis: read that with imp_axis_int). */
char *const *imp_axis_strs(const imp_axes *a, int axis);
const int64_t *imp_axis_ints(const imp_axes *a, int axis);
/* Where an axis's values live, for code that fills an axes struct (a reader): its length in
 * *len and its array pointer in *strs (STR) or *ints (INT), the other set to NULL. */
void imp_axes_slot(imp_axes *a, int axis, size_t **len, char ****strs, int64_t ***ints);
/* Value i of a STR axis (NULL for an INT axis), of an INT axis (0 for a STR axis). */
const char *imp_axis_str(const imp_axes *a, int axis, size_t i);
int64_t imp_axis_int(const imp_axes *a, int axis, size_t i);
/* Text of an INT value: the axis's minus1 text for -1 when it has one, else the integer, into
 * buf (24 bytes suffice), which is returned. The grid hash, CSV and labels all write it so. */
const char *imp_axis_int_text(int axis, int64_t v, char *buf, size_t n);
/* Text of value i: the string itself, or imp_axis_int_text into buf. */
const char *imp_axis_value(const imp_axes *a, int axis, size_t i, char *buf, size_t n);
/* A job's text for an INT value: 1 if text is the axis's minus1 spelling (the value is then
 * -1), else 0 (the text is a decimal integer, checked with imp_axis_check_int). */
int imp_axis_is_minus1(int axis, const char *text);
/* 0 if v is in the INT axis's range [min, max], else -1 with the reason, "<name> must be
 * <rule>, got <v>" or "<name> <v> is too large", in why (n bytes). */
int imp_axis_check_int(int axis, int64_t v, char *why, size_t n);

/* Number of cells (product of lengths); 0 if an axis is empty or the product overflows. */
uint64_t imp_axes_n_cells(const imp_axes *a);
/* The cell index: row-major over the axes in table order (the last axis fastest), the layout
 * of every cube array and of the grid's cells, and back. idx has IMP_AX__COUNT entries. */
uint64_t imp_axes_cell_index(const imp_axes *a, const size_t idx[IMP_AX__COUNT]);
void imp_axes_cell_coords(const imp_axes *a, uint64_t cell, size_t idx[IMP_AX__COUNT]);
/* Deep copy src into *dst (dst then owns its memory); an absent axis with a default becomes
 * that one value. An empty axis, or more cells than a uint64_t counts: IMP_EINPUT. */
int imp_axes_copy(imp_axes *dst, const imp_axes *src, imp_err *err);
/* Free what an owned axes struct points to and zero it. */
void imp_axes_free(imp_axes *a);

#endif
