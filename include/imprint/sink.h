/* sink.h — where a sweep's results go (rank 0): the journal (appended at once, fsynced at least
 * every IMP_JOURNAL_SYNC_SECONDS), the cube rebuilt from it on a cadence, and the progress
 * line and CUBE.h5.progress.json. Not MPI-facing. */
#ifndef IMPRINT_SINK_H
#define IMPRINT_SINK_H

#include <stddef.h>
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

#endif
