/* journal.h — the append-only, checksummed journal of finished cells (CUBE.h5.journal), the
 * source of truth of a sweep (docs/formats.md "The journal"); the cube is rebuilt from it. */
#ifndef IMPRINT_JOURNAL_H
#define IMPRINT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/measure.h"
#include "imprint/status.h"

/* Longest failure message kept, including the terminating NUL; longer ones are cut. */
#define IMP_CELL_MSG_MAX 256

/* The result of one cell: what a worker reports and the journal stores; between MPI ranks
 * it travels in the journal's record encoding (imp_journal_rec_encode). Its measures
 * (accuracy, f1, timings, provenance, ...) are the rows of measure.h's table, in table
 * order. */
typedef struct imp_cell_result {
    uint64_t cell;        /* linear row-major index over [model, task, strategy, k, shot, seed]
                           * of the current grid (the journal stores the cell's key instead) */
    uint8_t status;       /* IMP_CELL_DONE or IMP_CELL_FAILED in a journal */
    IMP_MEASURE_RESULT_FIELDS
    char message[IMP_CELL_MSG_MAX]; /* failure message, NUL-terminated, may be empty */
} imp_cell_result;

/* Every measure of r unknown (NaN, -1, ""), cell, status and message untouched. */
void imp_cell_result_unknown(imp_cell_result *r);
/* Where measure id lives in r (a float, int32_t, double or char[IMP_HOST_MAX], by its kind). */
void *imp_cell_result_measure(imp_cell_result *r, imp_measure_id id);
const void *imp_cell_result_measure_c(const imp_cell_result *r, imp_measure_id id);

/* Longest cell key (cellkey.h), including the terminating NUL. */
#define IMP_JOURNAL_KEY_MAX 1024
/* The format this build writes. Version 3 records are version 2 records with an extension
 * (the measures after the first IMP_MEASURE__V2); version 2 journals are read as they are and
 * appended to in place (their header then says 3). Version 1 (imprint <= 0.1: records named
 * their cell by grid index under a grid hash) is still read, for conversion (cellkey.h
 * imp_cellkeys_convert_v1). */
#define IMP_JOURNAL_VERSION 3u
/* Versions whose records name their cell by value (2 and 3 share one record layout). */
#define IMP_JOURNAL_BY_VALUE(version) ((version) == 2u || (version) == 3u)
/* Size of a version 2 header: a journal this long holds no record. */
#define IMP_JOURNAL_HEADER_BYTES 64

/* One journal record as read: the result and the key of the cell it belongs to. */
typedef struct imp_journal_rec {
    imp_cell_result res; /* res.cell: UINT64_MAX in a version 2 record, the v1 grid index in v1 */
    uint64_t key_hash;   /* XXH64 of key; 0 in a v1 record */
    size_t key_len;
    char key[IMP_JOURNAL_KEY_MAX]; /* NUL-terminated; "" in a v1 record */
} imp_journal_rec;

/* What a version 2 header names: the grid (by value) that created the journal, and for a
 * shard journal its place I of N (0/0: the main journal). */
typedef struct imp_journal_id {
    uint64_t grid_id;
    uint32_t shard_i, shard_n;
    uint64_t basis; /* a shard: the main journal's length (bytes) when its split was made, so
                     * a rerun splits the same cells even after other shards were merged */
} imp_journal_id;

/* What a journal's header said and what reading it found. Filled as far as known even when
 * a function fails. */
typedef struct imp_journal_info {
    int exists;            /* the file exists */
    uint32_t version;      /* format version in the header (0: no header yet) */
    imp_journal_id id;     /* version 2 header */
    uint64_t v1_grid_hash; /* version 1 header: grid hash and cell count of that grid */
    uint64_t v1_n_cells;
    uint64_t n_records;    /* good records read, including ones later overridden */
    uint64_t good_end;     /* file offset just past the last good record (0: no header) */
    uint64_t torn_bytes;   /* bytes of a torn or corrupt last record that were dropped */
    size_t counts[IMP_CELL__NSTATUS]; /* by status, over all good records read */
    uint64_t n_unmatched;  /* records that named no cell of the cube (imp_cube_apply_journal) */
} imp_journal_info;

/* ---- one record: the journal's encoding, also a result's on the wire between ranks ---- */

/* The longest encoded record (a whole key and message and the longest extension read). */
#define IMP_JOURNAL_REC_MAX (4u + 29u + (IMP_JOURNAL_KEY_MAX - 1u) + (IMP_CELL_MSG_MAX - 1u) + \
                             4096u + 4u)
/* Encode rec (its key, its result's status, measures and message; not res.cell) as this
 * build's journal record, little-endian with its CRC, into buf (IMP_JOURNAL_REC_MAX bytes
 * at least). Returns the bytes written. */
size_t imp_journal_rec_encode(const imp_journal_rec *rec, unsigned char *buf);
/* Decode the record at the start of buf[0..avail) into *rec (res.cell UINT64_MAX). Returns
 * the bytes it took, or 0 when they are no whole record of this version (length, fields or
 * CRC wrong, or cut short). */
size_t imp_journal_rec_decode(const unsigned char *buf, size_t avail, imp_journal_rec *rec);

/* ---- reading ---- */

/* Called for every good record in file order; return 0 to go on, or a negative IMP_E*
 * (after filling err) to stop the scan with that code. */
typedef int (*imp_journal_record_fn)(const imp_journal_rec *rec, void *ud, imp_err *err);

/* Read the journal at path (version 1 or 2): verify the header, call fn for each good record
 * in file order. A torn or corrupt LAST record is dropped (counted in info->torn_bytes); a
 * corrupt record followed by more data is IMP_EINPUT naming its offset. Wrong magic:
 * IMP_EINPUT "not an imprint journal"; an unknown version: IMP_EINPUT naming it. A missing
 * file is not an error: 0 with info->exists = 0 and no records. info may be NULL; fn may be
 * NULL (just validate). */
int imp_journal_scan(const char *path, imp_journal_record_fn fn, void *ud,
                     imp_journal_info *info, imp_err *err);
/* The same, over the records that end at or before file offset limit only. */
int imp_journal_scan_prefix(const char *path, uint64_t limit, imp_journal_record_fn fn, void *ud,
                            imp_journal_info *info, imp_err *err);

/* The records of a journal with overrides applied: one per distinct key (v1: per cell), in
 * order of the key's first record, the LAST record of each winning (a failed cell retried
 * and done is done). For tests and small journals: every record is held in memory. */
typedef struct imp_journal_set {
    imp_journal_rec *rec; /* [n] */
    size_t n;
} imp_journal_set;

/* imp_journal_scan into a set. On success *out is a new set: caller frees it with
 * imp_journal_set_free. */
int imp_journal_load(const char *path, imp_journal_set **out, imp_journal_info *info,
                     imp_err *err);
void imp_journal_set_free(imp_journal_set *set);

/* ---- writing (one writer per journal, enforced with an advisory lock) ---- */

typedef struct imp_journal imp_journal;

/* The key of a grid cell: its text into buf (n bytes) and its hash into *hash; returns the
 * text's length, 0 if the cell has no key (n/a or outside the grid). imp_cellkeys_text. */
typedef size_t (*imp_journal_key_fn)(const void *ctx, uint64_t cell, char *buf, size_t n,
                                     uint64_t *hash);

/* Open path for appending, creating it with a version 2 header carrying *id if missing (or
 * empty, or only a torn header). An existing journal is scanned; a torn last record is cut
 * off (the file truncated back to the last good record), so new records follow good ones.
 * A main journal (id->shard_n == 0) of another grid is fine: records are by value. A shard
 * journal must carry the same id (else IMP_EINPUT naming both). A version 1 journal:
 * IMP_EINPUT saying how to convert it. fresh != 0 discards any existing content. key/key_ctx
 * map imp_journal_append's grid indices to keys. Another process holding the journal:
 * IMP_EEXIST. info (may be NULL) as for scan. On success *out is open: caller closes it with
 * imp_journal_close. */
int imp_journal_open(const char *path, const imp_journal_id *id, imp_journal_key_fn key,
                     const void *key_ctx, int fresh, imp_journal **out, imp_journal_info *info,
                     imp_err *err);
/* Append the result of grid cell rec->cell under its key (buffered: durable only after a
 * sync). status must be DONE or FAILED and the cell must have a key, else IMP_EINPUT. A
 * message longer than IMP_CELL_MSG_MAX-1 is cut. */
int imp_journal_append(imp_journal *j, const imp_cell_result *rec, imp_err *err);
/* Append a record by value as read from another journal (merge); rec->key must be set. */
int imp_journal_append_rec(imp_journal *j, const imp_journal_rec *rec, imp_err *err);
/* fflush + fsync: every record appended so far is on disk when this returns 0. */
int imp_journal_sync(imp_journal *j, imp_err *err);
/* Sync if records are waiting and now - (time of the last sync) >= IMP_JOURNAL_SYNC_SECONDS.
 * now comes from imp_clock_s() (clock.h). Returns 1 if it synced, 0 if not, or a negative IMP_E*. */
#define IMP_JOURNAL_SYNC_SECONDS 2.0
int imp_journal_maybe_sync(imp_journal *j, double now, imp_err *err);
/* Records appended through this handle, and by status. */
uint64_t imp_journal_appended(const imp_journal *j, size_t counts[IMP_CELL__NSTATUS]);
/* Sync, unlock and close; frees j (NULL is fine). Returns the sync's result. */
int imp_journal_close(imp_journal *j, imp_err *err);

/* 1 if another process holds path's writer lock (a sweep or shard still running), 0 if not
 * (or the file is missing). */
int imp_journal_busy(const char *path);

#endif
