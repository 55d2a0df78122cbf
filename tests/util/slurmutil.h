/* slurmutil.h — what the tests against a real local Slurm (test_slurm, test_cluster) share:
 * starting and stopping scripts/slurm-local.sh, reading job fields and logs, waiting on job
 * states, comparing a cube with a reference cube cell by cell. */
#ifndef IMPRINT_SLURMUTIL_H
#define IMPRINT_SLURMUTIL_H

#include <stddef.h>

/* Seconds on the monotonic clock (imp_clock_s). */
double imp_slurm_now(void);

/* Start a local cluster in a fresh directory under /tmp (its path into dir, n bytes) with
 * `scripts/slurm-local.sh start [--nodes N] DIR` (nodes 0: the single-node loopback mode) on
 * the given slurmctld port and, for nodes > 0, subnet; set SLURM_CONF for the clients and
 * register its stop (and the directory's removal) at exit. Returns 0, or -1 with the script's
 * output printed. */
int imp_slurm_start(char *dir, size_t n, int nodes, const char *port, const char *subnet);

/* One field of `scontrol show job -o ID` (e.g. JobState, Restarts, ExitCode, EndTime) into
 * buf; "" if the job or field is unknown. */
const char *imp_slurm_job_field(long id, const char *field, char *buf, size_t n);

/* Wait until job id has ended for good (or timeout_s passed), its state into state; returns
 * the seconds waited. */
double imp_slurm_wait_final(long id, double timeout_s, char *state, size_t n);

/* The file NAME of the test directory (a job log), malloc'd; NULL if unreadable. */
char *imp_slurm_read_log(const char *name);

/* How often needle occurs in hay (0 for NULL hay). */
int imp_slurm_count(const char *hay, const char *needle);

/* Cells whose status or accuracy differ between cubes a and b, or -1 if either cannot be
 * read or their shapes differ (printed). */
long imp_slurm_cube_diff(const char *a, const char *b);

/* The cube at cube_path has n_cells cells done, and its journal (cube_path.journal) exactly
 * n_cells records of as many cells: the grid is complete and no cell was computed twice.
 * CUnit assertions. */
void imp_slurm_assert_done_once(const char *cube_path, size_t n_cells);

#endif
