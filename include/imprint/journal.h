/* journal.h — the append-only, checksummed journal of finished cells (CUBE.h5.journal), the
 * source of truth of a sweep (DESIGN.md "Result cube"); the cube is rebuilt from it. */
#ifndef IMPRINT_JOURNAL_H
#define IMPRINT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

/* Status of a cell, as stored in the cube's /status. */
enum {
    IMP_CELL_PENDING = 0,
    IMP_CELL_DONE = 1,
    IMP_CELL_FAILED = 2,
    IMP_CELL_NA = 3, /* not a valid cell of the grid: never computed */
    IMP_CELL__NSTATUS = 4
};

/* Longest failure message kept, including the terminating NUL; longer ones are cut. */
#define IMP_CELL_MSG_MAX 256

/* The result of one cell: what a worker reports and the journal stores. Fixed size and
 * pointer-free, so it can travel between MPI ranks as bytes. */
typedef struct imp_cell_result {
    uint64_t cell;        /* linear row-major index over [model, task, strategy, k, shot, seed] */
    uint8_t status;       /* IMP_CELL_DONE or IMP_CELL_FAILED in a journal */
    float accuracy;       /* percent on the test split; NaN when failed */
    float gen_seconds;    /* GEN time */
    float inf_seconds;    /* inference time */
    int32_t n_proxies;    /* proxies of the classifier (all classes) */
    char message[IMP_CELL_MSG_MAX]; /* failure message, NUL-terminated, may be empty */
} imp_cell_result;

/* What a journal's header said and what reading it found. Filled as far as known even when
 * a function fails (so grid_mismatch is set when the error was a grid mismatch). */
typedef struct imp_journal_info {
    int exists;            /* the file exists */
    int grid_mismatch;     /* header's grid_hash/n_cells differ from the expected ones */
    uint32_t version;      /* format version in the header */
    uint64_t grid_hash;    /* from the header */
    uint64_t n_cells;      /* from the header */
    uint64_t n_records;    /* good records read, including ones later overridden */
    uint64_t good_end;     /* file offset just past the last good record (0: no header) */
    uint64_t torn_bytes;   /* bytes of a torn or corrupt last record that were dropped */
    size_t counts[IMP_CELL__NSTATUS]; /* by status, over all good records read */
} imp_journal_info;

/* ---- reading ---- */

/* Called for every good record in file order; return 0 to go on, or a negative IMP_E*
 * (after filling err) to stop the scan with that code. */
typedef int (*imp_journal_record_fn)(const imp_cell_result *rec, void *ud, imp_err *err);

/* Read the journal at path: verify the header, call fn for each good record in file order.
 * If n_cells != 0 the header must carry this grid_hash and n_cells (else IMP_EINPUT "journal
 * from another grid" with info->grid_mismatch = 1) and every record's cell must be < n_cells;
 * n_cells == 0 skips those checks. A torn or corrupt LAST record is dropped (counted in
 * info->torn_bytes); a corrupt record followed by more data is IMP_EINPUT naming its offset.
 * Wrong magic: IMP_EINPUT "not an imprint journal". A missing file is not an error: 0 with
 * info->exists = 0 and no records. info may be NULL; fn may be NULL (just validate). */
int imp_journal_scan(const char *path, uint64_t grid_hash, uint64_t n_cells,
                     imp_journal_record_fn fn, void *ud, imp_journal_info *info, imp_err *err);

/* The records of a journal with overrides applied: one per distinct cell, ascending by cell,
 * the LAST record of each cell winning (a failed cell retried and done is done). */
typedef struct imp_journal_set {
    imp_cell_result *rec; /* [n] */
    size_t n;
} imp_journal_set;

/* imp_journal_scan into a set. On success *out is a new set: caller frees it with
 * imp_journal_set_free. */
int imp_journal_load(const char *path, uint64_t grid_hash, uint64_t n_cells,
                     imp_journal_set **out, imp_journal_info *info, imp_err *err);
void imp_journal_set_free(imp_journal_set *set);
/* Count a set's records by status into counts[IMP_CELL__NSTATUS]. */
void imp_journal_set_counts(const imp_journal_set *set, size_t counts[IMP_CELL__NSTATUS]);

/* ---- writing (rank 0 only; one writer per journal, enforced with an advisory lock) ---- */

typedef struct imp_journal imp_journal;

/* Open path for appending, creating it with a header if missing (or empty, or only a torn
 * header). An existing journal is scanned as by imp_journal_scan with (grid_hash, n_cells);
 * a torn last record is cut off (the file truncated back to the last good record), so new
 * records follow good ones. fresh != 0 discards any existing content and starts over.
 * Another process holding the journal: IMP_EEXIST. info (may be NULL) as for scan.
 * On success *out is open: caller closes it with imp_journal_close. */
int imp_journal_open(const char *path, uint64_t grid_hash, uint64_t n_cells, int fresh,
                     imp_journal **out, imp_journal_info *info, imp_err *err);
/* Append one record (buffered: durable only after a sync). status must be DONE or FAILED
 * and cell < n_cells, else IMP_EINPUT. A message longer than IMP_CELL_MSG_MAX-1 is cut. */
int imp_journal_append(imp_journal *j, const imp_cell_result *rec, imp_err *err);
/* fflush + fsync: every record appended so far is on disk when this returns 0. */
int imp_journal_sync(imp_journal *j, imp_err *err);
/* Sync if records are waiting and now - (time of the last sync) >= IMP_JOURNAL_SYNC_SECONDS.
 * now comes from imp_journal_clock(). Returns 1 if it synced, 0 if not, or a negative IMP_E*. */
#define IMP_JOURNAL_SYNC_SECONDS 2.0
int imp_journal_maybe_sync(imp_journal *j, double now, imp_err *err);
/* Seconds on a monotonic clock (CLOCK_MONOTONIC), the time base of imp_journal_maybe_sync. */
double imp_journal_clock(void);
/* Records appended through this handle, and by status. */
uint64_t imp_journal_appended(const imp_journal *j, size_t counts[IMP_CELL__NSTATUS]);
/* Sync, unlock and close; frees j (NULL is fine). Returns the sync's result. */
int imp_journal_close(imp_journal *j, imp_err *err);

#endif
