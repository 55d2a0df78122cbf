/* measure.h — the per-cell measures: one table that the result record, the journal codec, the
 * cube's arrays, its HDF5 datasets and the CSV columns all expand, so a new measure is one row. */
#ifndef IMPRINT_MEASURE_H
#define IMPRINT_MEASURE_H

#include <stddef.h>
#include <stdint.h>

/* How a measure is held. F32 / F64: a float, "unknown" is NaN. I32: an integer, "unknown"
 * is -1. HOST: a host name in a result record (char[IMP_HOST_MAX], "" unknown) and, in the
 * cube, an int32 index into the cube's host-name list (-1 unknown). */
typedef enum imp_measure_kind { IMP_MK_F32, IMP_MK_I32, IMP_MK_F64, IMP_MK_HOST } imp_measure_kind;

/* Longest host name kept, including the terminating NUL (POSIX HOST_NAME_MAX is 64 on Linux;
 * longer names are cut). */
#define IMP_HOST_MAX 64

/* X(ID, name, kind, units, description); units NULL for a count or an index. The order is
 * the journal's wire order: rows are only ever appended. The first IMP_MEASURE__V2 rows are
 * the fixed fields of a version 2 journal record; the rest travel in its extension
 * (journal.c), so a journal written before a row existed reads with that measure unknown, and
 * a newer writer's extra rows are skipped. accuracy and f1 are NaN unless the cell is done; a
 * failed cell keeps its timings and provenance. */
#define IMP_MEASURE_MAP(X)                                                                      \
    X(ACCURACY, accuracy, F32, "percent", "test accuracy, percent of the task's test rows")    \
    X(GEN_SECONDS, gen_seconds, F32, "s", "seconds spent in GEN (the proxy set's, shared)")     \
    X(INF_SECONDS, inf_seconds, F32, "s", "inference seconds (the cell's share of its group)") \
    X(N_PROXIES, n_proxies, I32, NULL, "proxies of the classifier, all classes together")      \
    X(F1, f1, F32, "percent", "macro-F1: one-vs-rest F1 per task class, averaged")             \
    X(HOST, host, HOST, NULL, "host that computed the cell (index into /host_name)")            \
    X(RANK, rank, I32, NULL, "MPI rank that computed the cell (0 for a single process)")       \
    X(FINISHED, finished, F64, "seconds since 1970-01-01 00:00:00", "when the cell finished (UTC)")

typedef enum imp_measure_id {
#define IMP__MEASURE_ENUM(ID, name, kind, units, doc) IMP_MEASURE_##ID,
    IMP_MEASURE_MAP(IMP__MEASURE_ENUM)
#undef IMP__MEASURE_ENUM
    IMP_MEASURE__COUNT
} imp_measure_id;

/* The version 2 journal record's fixed measures: accuracy, gen_seconds, inf_seconds, n_proxies. */
#define IMP_MEASURE__V2 4

/* Field declarations, one per measure, for a result record and for the cube's arrays. */
#define IMP__MEASURE_RES_F32(name) float name
#define IMP__MEASURE_RES_I32(name) int32_t name
#define IMP__MEASURE_RES_F64(name) double name
#define IMP__MEASURE_RES_HOST(name) char name[IMP_HOST_MAX]
#define IMP__MEASURE_ARR_F32(name) float *name
#define IMP__MEASURE_ARR_I32(name) int32_t *name
#define IMP__MEASURE_ARR_F64(name) double *name
#define IMP__MEASURE_ARR_HOST(name) int32_t *name
#define IMP_MEASURE_RESULT_FIELDS                                                               \
    IMP_MEASURE_MAP(IMP__MEASURE_RES_FIELD)
#define IMP__MEASURE_RES_FIELD(ID, name, kind, units, doc) IMP__MEASURE_RES_##kind(name);
#define IMP_MEASURE_ARRAY_FIELDS IMP_MEASURE_MAP(IMP__MEASURE_ARR_FIELD)
#define IMP__MEASURE_ARR_FIELD(ID, name, kind, units, doc) IMP__MEASURE_ARR_##kind(name);

/* One row of the table, for code that walks every measure. */
typedef struct imp_measure_info {
    const char *name;      /* the cube's dataset name and the CSV column */
    imp_measure_kind kind;
    const char *units;     /* the HDF5 "units" attribute; NULL: none */
    const char *doc;
} imp_measure_info;

const imp_measure_info *imp_measure_info_of(imp_measure_id id);
/* The measure called name, or -1. */
int imp_measure_by_name(const char *name);
/* Bytes of one value in a cube array (4 for F32, I32 and HOST, 8 for F64). */
size_t imp_measure_cube_size(imp_measure_kind kind);

#endif
