/* cmd_merge.c — `imprint merge JOB.yaml`: fold every shard journal into the main journal and
 * rebuild the cube (idempotent; one merge at a time). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "imprint/resume.h"
#include "imprint/sweep.h"

static void help(void)
{
    printf("usage: imprint merge JOB.yaml [--v1-job OLD.yaml]\n"
           "\n"
           "Fold every shard journal beside the cube (CUBE.h5.shard-I-of-N.journal, written by\n"
           "`imprint sweep JOB.yaml --shard I/N`) into the main journal CUBE.h5.journal, empty\n"
           "the shard journals it folded (down to the header, which a rerun of that shard needs\n"
           "for the same split; deleted once the grid is complete), and rebuild CUBE.h5 from\n"
           "the main journal. Records\n"
           "already in the main journal are not written again, so merging twice changes nothing.\n"
           "A shard journal of another grid or store content is refused (exit 2, nothing\n"
           "merged); a shard still running (its journal is locked) is skipped with a warning.\n"
           "A second merge of the same cube waits for the first. It also converts a version 1\n"
           "journal (cells by grid index): by the job text in the cube, or the job file given\n"
           "with --v1-job, which must describe the grid that wrote it.\n"
           "\n"
           "Exit codes: 0 merged (the cube may still have pending cells: `imprint status`),\n"
           "2 bad job or a foreign shard journal, 1 other errors.\n");
}

/* One shard journal being merged: its path, and the descriptor holding its lock. */
typedef struct shard {
    char *path;
    int fd;
    uint64_t records, added;
} shard;

typedef struct fold_ctx {
    imp_cube *cube;
    imp_cube_keyindex *idx;
    imp_journal *main;
    shard *sh;
} fold_ctx;

/* A shard record goes to the main journal unless the cube already holds exactly it. */
static int fold_fn(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    fold_ctx *f = ud;
    f->sh->records++;
    int64_t cell = imp_cube_keyindex_find(f->idx, rec->key_hash);
    if (cell >= 0) {
        const imp_cube *c = f->cube;
        float acc = rec->res.status == IMP_CELL_DONE ? rec->res.accuracy : NAN;
        if (c->status[cell] == rec->res.status && memcmp(&c->accuracy[cell], &acc, 4) == 0 &&
            c->n_proxies[cell] == rec->res.n_proxies &&
            strcmp(c->message[cell] ? c->message[cell] : "", rec->res.message) == 0)
            return 0;
    }
    int rc = imp_journal_append_rec(f->main, rec, err);
    if (!rc && cell >= 0) {
        imp_cell_result r = rec->res;
        r.cell = (uint64_t)cell;
        rc = imp_cube_apply(f->cube, &r, err);
    }
    f->sh->added += !rc;
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int merge(const char *path, const char *v1_job, imp_err *err)
{
    double t0 = now_s();
    imp_job *job = NULL;
    imp_grid *g = NULL;
    int rc = imp_sweep_setup(path, &job, &g, err);
    if (rc)
        return rc;
    /* one merge at a time: the second waits for the lock */
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.merge.lock", job->cube_path);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) {
        rc = imp_err_set(err, IMP_EIO, "%s: cannot create the merge lock: %s", lock,
                         strerror(errno));
        goto out;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        fprintf(stderr, "merge: another merge of %s is running; waiting for it\n",
                job->cube_path);
        flock(lfd, LOCK_EX);
    }
    imp_results *res = NULL;
    char **paths = NULL;
    size_t n_paths = 0;
    shard *sh = NULL;
    size_t n_sh = 0, skipped = 0;
    imp_journal *mj = NULL;
    imp_cube_keyindex *idx = NULL;
    rc = imp_results_open(job, g, IMP_FP_WRITE_CACHE, 0, v1_job, stderr, &res, err);
    if (!rc)
        rc = imp_shard_list(job->cube_path, &paths, &n_paths, err);
    if (!rc && !(sh = calloc(n_paths ? n_paths : 1, sizeof *sh)))
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    uint64_t grid_id = res ? imp_cellkeys_grid_id(res->keys) : 0;
    /* take every shard that is not running, and check them all before folding any */
    for (size_t i = 0; !rc && i < n_paths; i++) {
        int fd = open(paths[i], O_RDWR | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile (merged by the merge we waited for) */
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            fprintf(stderr, "merge: warning: %s is still being written (a shard is running): "
                    "skipped; merge again when it has finished\n", paths[i]);
            close(fd);
            skipped++;
            continue;
        }
        sh[n_sh].path = paths[i];
        sh[n_sh++].fd = fd;
        imp_journal_info info;
        rc = imp_journal_scan(paths[i], NULL, NULL, &info, err);
        /* emptied by an earlier merge: it keeps only its split's basis (for a rerun of that
         * shard), whatever grid it was of */
        if (!rc && info.n_records == 0)
            continue;
        if (!rc && info.exists && info.version != 0 &&
            (!IMP_JOURNAL_BY_VALUE(info.version) || info.id.shard_n == 0 ||
             info.id.grid_id != grid_id))
            rc = imp_err_set(err, IMP_EINPUT, "%s: a shard journal of another grid or store "
                             "content (grid %016llx; %s describes %016llx): nothing merged; "
                             "merge it with the job that wrote it, or delete it", paths[i],
                             (unsigned long long)info.id.grid_id, path,
                             (unsigned long long)grid_id);
    }
    imp_journal_id id = {grid_id, 0, 0, 0};
    if (!rc)
        rc = imp_journal_open(res->journal_path, &id, imp_cellkeys_text, res->keys, 0, &mj, NULL,
                              err);
    if (!rc)
        rc = imp_cube_keyindex_build(res->cube, &idx, err);
    uint64_t records = 0, added = 0;
    size_t folded = 0; /* shard journals with records (not emptied by an earlier merge) */
    for (size_t i = 0; !rc && i < n_sh; i++) {
        fold_ctx f = {res->cube, idx, mj, &sh[i]};
        rc = imp_journal_scan(sh[i].path, fold_fn, &f, NULL, err);
        records += sh[i].records;
        added += sh[i].added;
        folded += sh[i].records > 0;
    }
    if (mj) {
        int crc = imp_journal_close(mj, rc ? NULL : err);
        rc = rc ? rc : crc;
    }
    /* The main journal is synced: the shard journals are in it now. Each is emptied down to
     * its header, whose basis lets a rerun of that shard split the same cells; once the grid
     * is complete nothing will rerun, and they are deleted. */
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(res->cube, counts);
    for (size_t i = 0; !rc && i < n_sh; i++) {
        int gone = counts[IMP_CELL_PENDING] == 0 ? unlink(sh[i].path)
                                                 : ftruncate(sh[i].fd, IMP_JOURNAL_HEADER_BYTES);
        if (gone != 0 && errno != ENOENT)
            fprintf(stderr, "merge: warning: cannot empty %s: %s (merging again is harmless)\n",
                    sh[i].path, strerror(errno));
        else if (counts[IMP_CELL_PENDING])
            fsync(sh[i].fd);
    }
    if (!rc) {
        imp_cube *old = NULL;
        imp_err e;
        if (imp_cube_read(res->cube_path, &old, &e) == 0 && old->created[0]) {
            free(res->cube->created);
            res->cube->created = strdup(old->created);
        }
        imp_cube_free(old);
        rc = imp_cube_write(res->cube, res->cube_path, err);
    }
    if (!rc) {
        size_t c[IMP_CELL__NSTATUS];
        imp_cube_count(res->cube, c);
        fprintf(stderr, "merge: %zu shard journal%s folded (%llu records, %llu new, %llu already "
                "in the journal)%s in %.2f s; cube %s: %zu of %zu cells done, %zu failed, %zu "
                "pending\n", folded, folded == 1 ? "" : "s", (unsigned long long)records,
                (unsigned long long)added, (unsigned long long)(records - added),
                skipped ? ", running shards skipped" : "", now_s() - t0, res->cube_path,
                c[IMP_CELL_DONE], res->cube->n_cells - c[IMP_CELL_NA], c[IMP_CELL_FAILED],
                c[IMP_CELL_PENDING]);
    }
    for (size_t i = 0; i < n_sh; i++)
        close(sh[i].fd);
    free(sh);
    imp_cube_keyindex_free(idx);
    imp_shard_paths_free(paths, n_paths);
    imp_results_free(res);
    close(lfd);
out:
    imp_grid_free(g);
    imp_job_free(job);
    return rc;
}

int imp_cmd_merge(int argc, char **argv)
{
    const char *path = NULL, *v1_job = NULL;
    for (int i = 1; i < argc; i++) {
        if (imp_is_help(argv[i])) {
            help();
            return 0;
        }
        if (strcmp(argv[i], "--v1-job") == 0) {
            if (i + 1 >= argc)
                return imp_tool_usage("merge", "option --v1-job needs a job file");
            v1_job = argv[++i];
        } else if (argv[i][0] == '-') {
            return imp_tool_usage("merge", "unknown option '%s'", argv[i]);
        } else if (path) {
            return imp_tool_usage("merge", "one job file at a time");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return imp_tool_usage("merge", "which job? imprint merge JOB.yaml");
    imp_err err;
    imp_err_clear(&err);
    int rc = merge(path, v1_job, &err);
    return rc ? imp_tool_fail(&err) : 0;
}
