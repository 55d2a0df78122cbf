/* sink.h — the one writer of results on disk: with resume.h's conversion of a version 1
 * journal, the only code that appends a journal or publishes a cube. For a sweep (rank 0):
 * the journal (appended at once, fsynced at least every IMP_JOURNAL_SYNC_SECONDS), the cube
 * rebuilt from it on a cadence, and the progress line and CUBE.h5.progress.json. For merge:
 * the shard journals folded into the main journal and the cube published. Not MPI-facing. */
#ifndef IMPRINT_SINK_H
#define IMPRINT_SINK_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/journal.h"

typedef struct imp_sink_opts {
    const char *job_path;    /* for messages and the progress file */
    int fresh;               /* discard the journal */
    double progress_seconds; /* progress line + JSON cadence */
    double cube_seconds;     /* cube rewrite cadence */
    int quiet;               /* no periodic progress lines (the final one is printed) */
    void (*lock)(void), (*unlock)(void); /* optional, held around every HDF5 call */
    uint32_t shard_i, shard_n; /* a shard (shard_n > 0): its own journal, no cube writes */
} imp_sink_opts;

/* What the sweep tells the progress report besides the counts the sink keeps. */
typedef struct imp_sink_state {
    int ranks, busy_ranks, threads;
    int stopping, finished;
} imp_sink_state;

typedef struct imp_sink imp_sink;

/* A cube over the grid (valid cells pending, the others n/a) filled by value from the journal
 * at CUBE.h5.journal (resume.h: kept unless fresh; a version 1 journal converted; a grown or
 * shrunk grid keeps its cells), and the journal open for appending — for a shard its own
 * CUBE.h5.shard-I-of-N.journal, whose results are applied too, and the cube is never
 * written. job and grid are borrowed and must outlive the sink. */
int imp_sink_open(const imp_job *job, const imp_grid *grid, const imp_sink_opts *o,
                  imp_sink **out, imp_err *err);
/* A shard: the status its split is made from (the main journal when the shard first ran);
 * otherwise the same as imp_sink_status. Owned by the sink. */
const uint8_t *imp_sink_split_status(const imp_sink *s);
/* Status of every cell (IMP_CELL_*), in cell order; owned by the sink. */
const uint8_t *imp_sink_status(const imp_sink *s);
/* Cells by status now, counts[IMP_CELL__NSTATUS]. */
void imp_sink_counts(const imp_sink *s, size_t counts[IMP_CELL__NSTATUS]);
/* Cells this run means to record (for rate and ETA). */
void imp_sink_set_todo(imp_sink *s, size_t todo);
size_t imp_sink_recorded(const imp_sink *s);
/* Record one result: the cube's cell and a journal record. */
int imp_sink_record(imp_sink *s, const imp_cell_result *rec, imp_err *err);
/* Periodic duties at time now (imp_clock_s): journal sync every 2 s, progress and cube
 * on their cadences. force = 1 does all three now. A failed cube write is a warning (the
 * journal stays the truth); a failed journal sync is an error. */
int imp_sink_tick(imp_sink *s, double now, const imp_sink_state *st, int force, imp_err *err);
/* Sync the journal (durable when this returns 0). */
int imp_sink_sync(imp_sink *s, imp_err *err);
/* Close the journal (synced) and free; NULL is fine. */
int imp_sink_close(imp_sink *s, imp_err *err);

/* ---- merge ---- */

/* What imp_merge did. */
typedef struct imp_merge_report {
    size_t folded;    /* shard journals with records (not emptied by an earlier merge) */
    size_t skipped;   /* shard journals still being written (their shard running) */
    uint64_t records; /* records read from the shard journals folded */
    uint64_t added;   /* of those, the ones the main journal did not hold yet */
    size_t counts[IMP_CELL__NSTATUS]; /* the cube's cells by status after the merge */
    uint64_t n_cells;
} imp_merge_report;

/* Fold every shard journal beside job's cube (CUBE.h5.shard-I-of-N.journal) into the main
 * journal, then empty them (down to the header while cells are pending, deleted once the
 * grid is complete), remove their progress files and publish the cube rebuilt from the main
 * journal (its creation time kept). Idempotent: a record the cube already holds exactly is
 * not appended again. One merge of a cube at a time (CUBE.h5.merge.lock, removed at the end:
 * a second merge waits). A shard journal whose writer still holds it is skipped; one of
 * another grid or store content is IMP_EINPUT and nothing is merged. v1_job (may be NULL) as
 * for imp_results_open, which converts a version 1 main journal. note (may be NULL) gets the
 * waits, warnings and what imp_results_open did. job and grid are borrowed. Not collective:
 * a single process. */
int imp_merge(const imp_job *job, const imp_grid *grid, const char *v1_job, FILE *note,
              imp_merge_report *rep, imp_err *err);

#endif
