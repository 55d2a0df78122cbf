/* sink.c — the one writer of results (sink.h): a sweep's sink (the journal by value, main or a
 * shard's; cube rebuild cadence; progress line and JSON) and merge (shard journals folded into
 * the main journal, the cube published). */
#include "imprint/sink.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/atomic.h"
#include "imprint/clock.h"
#include "imprint/resume.h"
#include "imprint/sched.h"

struct imp_sink {
    const imp_job *job;
    const imp_grid *grid;
    imp_sink_opts o;
    imp_cube *cube;
    imp_journal *jr;
    imp_results *res;       /* the grid's cell keys (the journal's key map) and the report */
    uint8_t *split_status;  /* a shard: the status its split is made from (resume.h) */
    char *cube_path, *journal_path, *progress_path;
    size_t counts[IMP_CELL__NSTATUS];
    size_t todo, recorded;
    double t_start, t_progress, t_cube;
};

static void lock(const imp_sink *s)
{
    if (s->o.lock)
        s->o.lock();
}

static void unlock(const imp_sink *s)
{
    if (s->o.unlock)
        s->o.unlock();
}

static char *with_suffix(const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", base, suffix);
    return p;
}

/* The progress file beside a journal: X.journal -> X.progress.json (malloc'd; NULL when out of
 * memory or path is not a journal's). One rule for the sweep that writes it and merge that
 * removes it. */
static char *progress_path_of(const char *journal_path)
{
    static const char jsfx[] = ".journal", psfx[] = ".progress.json";
    size_t n = strlen(journal_path), stem = n - (sizeof jsfx - 1);
    if (n < sizeof jsfx - 1 || strcmp(journal_path + stem, jsfx) != 0)
        return NULL;
    char *p = malloc(stem + sizeof psfx);
    if (p) {
        memcpy(p, journal_path, stem);
        memcpy(p + stem, psfx, sizeof psfx);
    }
    return p;
}

/* The cube keeps the creation time of the one at path across rewrites (none there or
 * unreadable: imp_cube_write sets it). */
static void keep_created(imp_cube *cube, const char *path)
{
    imp_cube *old = NULL;
    imp_err e;
    if (imp_cube_read(path, &old, &e) == 0 && old->created[0]) {
        char *c = strdup(old->created);
        if (c) {
            free(cube->created);
            cube->created = c;
        }
    }
    imp_cube_free(old);
}

/* A shard's own journal (resume.h): the basis of its split (kept from an earlier run of the
 * same shard of the same grid, else the main journal's length now), whether to start it over
 * (an emptied journal of another grid), the status the split is made from, and the shard's own
 * results applied on top of the main journal's. */
static int open_shard(imp_sink *s, uint64_t gid, uint64_t *basis, int *fresh, imp_err *err)
{
    imp_journal_info own;
    int rc = imp_journal_scan(s->journal_path, NULL, NULL, &own, err);
    if (rc)
        return rc;
    int reuse = !*fresh && IMP_JOURNAL_BY_VALUE(own.version) && own.id.grid_id == gid &&
                own.id.shard_i == s->o.shard_i && own.id.shard_n == s->o.shard_n;
    /* an emptied (merged) journal of another grid holds nothing to keep; one with records is
     * refused by imp_journal_open */
    if (!reuse && IMP_JOURNAL_BY_VALUE(own.version) && own.n_records == 0)
        *fresh = 1;
    *basis = reuse ? own.id.basis : s->res->info.good_end;
    imp_cube *split = NULL;
    rc = imp_cube_from_grid(s->job, s->grid, &split, err);
    if (!rc) {
        imp_cellkeys_fill_cube(s->res->keys, split);
        rc = imp_cube_apply_journal_prefix(split, s->res->journal_path, *basis, NULL, err);
    }
    if (!rc && !(s->split_status = malloc(split->n_cells)))
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    if (!rc)
        memcpy(s->split_status, split->status, split->n_cells);
    imp_cube_free(split);
    if (!rc && !*fresh)
        rc = imp_cube_apply_journal(s->cube, s->journal_path, NULL, err);
    return rc;
}

int imp_sink_open(const imp_job *job, const imp_grid *grid, const imp_sink_opts *o,
                  imp_sink **out, imp_err *err)
{
    *out = NULL;
    imp_sink *s = calloc(1, sizeof *s);
    if (!s)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    s->job = job;
    s->grid = grid;
    s->o = *o;
    s->cube_path = strdup(job->cube_path);
    char sfx[64];
    if (o->shard_n)
        snprintf(sfx, sizeof sfx, ".shard-%u-of-%u", (unsigned)o->shard_i, (unsigned)o->shard_n);
    else
        sfx[0] = '\0';
    char *base = with_suffix(job->cube_path, sfx);
    s->journal_path = base ? with_suffix(base, ".journal") : NULL;
    s->progress_path = s->journal_path ? progress_path_of(s->journal_path) : NULL;
    free(base);
    int rc = 0;
    if (!s->cube_path || !s->journal_path || !s->progress_path)
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    /* the main journal, by value: a grown or shrunk grid keeps its cells (a shard's --fresh
     * discards only the shard's own journal) */
    lock(s);
    if (!rc)
        rc = imp_results_open(job, grid, IMP_FP_WRITE_CACHE, o->fresh && !o->shard_n, NULL,
                              stderr, &s->res, err);
    unlock(s);
    if (!rc) {
        if (s->res->info.torn_bytes)
            fprintf(stderr, "sweep: dropped a torn last journal record (%llu bytes)\n",
                    (unsigned long long)s->res->info.torn_bytes);
        if (s->res->info.n_records || s->res->report.dropped || s->res->report.invalidated)
            imp_results_print_summary(s->res, stderr, "sweep: journal: ");
        s->cube = s->res->cube;
        s->res->cube = NULL;
    }
    if (!rc && !o->shard_n && s->res->info.exists) {
        lock(s);
        keep_created(s->cube, s->cube_path);
        unlock(s);
    }
    uint64_t gid = s->res ? imp_cellkeys_grid_id(s->res->keys) : 0, basis = 0;
    int fresh = o->fresh && o->shard_n;
    lock(s);
    if (!rc && o->shard_n)
        rc = open_shard(s, gid, &basis, &fresh, err);
    unlock(s);
    imp_journal_id id = {gid, o->shard_i, o->shard_n, basis};
    if (!rc)
        rc = imp_journal_open(s->journal_path, &id, imp_cellkeys_text, s->res->keys, fresh,
                              &s->jr, NULL, err);
    if (rc) {
        imp_sink_close(s, NULL);
        return rc;
    }
    imp_cube_count(s->cube, s->counts);
    s->t_start = s->t_progress = s->t_cube = imp_clock_s();
    *out = s;
    return 0;
}

const uint8_t *imp_sink_split_status(const imp_sink *s)
{
    return s->split_status ? s->split_status : s->cube->status;
}

const uint8_t *imp_sink_status(const imp_sink *s) { return s->cube->status; }

void imp_sink_counts(const imp_sink *s, size_t counts[IMP_CELL__NSTATUS])
{
    memcpy(counts, s->counts, sizeof s->counts);
}

void imp_sink_set_todo(imp_sink *s, size_t todo) { s->todo = todo; }
size_t imp_sink_recorded(const imp_sink *s) { return s->recorded; }

int imp_sink_record(imp_sink *s, const imp_cell_result *rec, imp_err *err)
{
    if (rec->cell >= s->cube->n_cells)
        return imp_err_set(err, IMP_EINPUT, "a result for cell %llu, outside the grid",
                           (unsigned long long)rec->cell);
    uint8_t before = s->cube->status[rec->cell];
    int rc = imp_cube_apply(s->cube, rec, err);
    if (!rc)
        rc = imp_journal_append(s->jr, rec, err);
    if (rc)
        return rc;
    s->counts[before]--;
    s->counts[s->cube->status[rec->cell]]++;
    s->recorded++;
    return 0;
}

int imp_sink_sync(imp_sink *s, imp_err *err) { return imp_journal_sync(s->jr, err); }

static void progress(imp_sink *s, double now, const imp_sink_state *st)
{
    double el = now - s->t_start;
    double rate = el > 0 ? (double)s->recorded / el : 0;
    double left = (double)(s->todo > s->recorded ? s->todo - s->recorded : 0);
    double eta = st->finished ? 0 : rate > 0 ? left / rate : NAN;
    size_t valid = s->cube->n_cells - s->counts[IMP_CELL_NA];
    size_t done = s->counts[IMP_CELL_DONE], failed = s->counts[IMP_CELL_FAILED];
    char eta_s[32], el_s[32];
    if (!s->o.quiet || st->finished)
        fprintf(stderr,
                "sweep: %zu/%zu cells done (%.1f%%), %zu failed, %.2f cells/s, elapsed %s, "
                "ETA %s, %d/%d ranks busy%s\n",
                done, valid, valid ? 100.0 * (double)done / (double)valid : 100.0, failed, rate,
                imp_fmt_hms(el, el_s, sizeof el_s), imp_fmt_hms(eta, eta_s, sizeof eta_s),
                st->busy_ranks, st->ranks, st->stopping ? " (stopping)" : "");
    char iso[IMP_CLOCK_ISO_MAX];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    cJSON_AddStringToObject(o, "job", s->o.job_path);
    cJSON_AddNumberToObject(o, "valid", (double)valid);
    cJSON_AddNumberToObject(o, imp_cube_status_name(IMP_CELL_DONE), (double)done);
    cJSON_AddNumberToObject(o, imp_cube_status_name(IMP_CELL_FAILED), (double)failed);
    cJSON_AddNumberToObject(o, imp_cube_status_name(IMP_CELL_PENDING),
                            (double)s->counts[IMP_CELL_PENDING]);
    cJSON_AddNumberToObject(o, "todo_this_run", (double)s->todo);
    cJSON_AddNumberToObject(o, "recorded_this_run", (double)s->recorded);
    cJSON_AddNumberToObject(o, "cells_per_second", rate);
    cJSON_AddNumberToObject(o, "elapsed_seconds", el);
    if (isfinite(eta))
        cJSON_AddNumberToObject(o, "eta_seconds", eta);
    else
        cJSON_AddNullToObject(o, "eta_seconds");
    cJSON_AddNumberToObject(o, "ranks", st->ranks);
    cJSON_AddNumberToObject(o, "busy_ranks", st->busy_ranks);
    cJSON_AddNumberToObject(o, "threads_per_rank", st->threads);
    cJSON_AddBoolToObject(o, "stopping", st->stopping);
    cJSON_AddBoolToObject(o, "finished", st->finished);
    cJSON_AddStringToObject(o, "updated", imp_clock_iso(iso));
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return;
    imp_err e;
    if (imp_outfile_write_all(s->progress_path, text, strlen(text), &e) != 0)
        fprintf(stderr, "imprint sweep: warning: %s\n", e.msg);
    free(text);
}

static void write_cube(imp_sink *s)
{
    if (s->o.shard_n) /* a shard never writes the cube: merge does */
        return;
    imp_err e;
    lock(s);
    int rc = imp_cube_write(s->cube, s->cube_path, &e);
    unlock(s);
    if (rc)
        fprintf(stderr, "imprint sweep: warning: %s\n", e.msg);
}

int imp_sink_tick(imp_sink *s, double now, const imp_sink_state *st, int force, imp_err *err)
{
    int rc = force ? imp_journal_sync(s->jr, err) : imp_journal_maybe_sync(s->jr, now, err);
    if (rc < 0)
        return rc;
    if (force || now - s->t_cube >= s->o.cube_seconds) {
        if (!force && (rc = imp_journal_sync(s->jr, err)) < 0)
            return rc;
        write_cube(s);
        s->t_cube = now;
    }
    if (force || now - s->t_progress >= s->o.progress_seconds) {
        progress(s, now, st);
        s->t_progress = now;
    }
    return 0;
}

int imp_sink_close(imp_sink *s, imp_err *err)
{
    if (!s)
        return 0;
    int rc = imp_journal_close(s->jr, err);
    imp_cube_free(s->cube);
    imp_results_free(s->res);
    free(s->split_status);
    free(s->cube_path);
    free(s->journal_path);
    free(s->progress_path);
    free(s);
    return rc;
}

/* ---- merge ------------------------------------------------------------------------------- */

/* One shard journal being merged: its path (borrowed from the list), and the descriptor
 * holding its lock. */
typedef struct shard {
    const char *path;
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

/* One merge at a time: lock path (made if missing), waiting for a running merge. The holder
 * removes the file before it lets go, so a waiter that wakes on a removed file tries again
 * on the path's current one; when this returns, fd and path are the same file. Returns the
 * descriptor, or -1 with err set. */
static int take_lock(const char *path, const char *cube, FILE *note, imp_err *err)
{
    for (int said = 0;;) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            imp_err_set(err, IMP_EIO, "%s: cannot create the merge lock: %s", path,
                        strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            if (!said++ && note)
                fprintf(note, "merge: another merge of %s is running; waiting for it\n", cube);
            flock(fd, LOCK_EX);
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd); /* removed by the merge we waited for */
    }
}

/* Remove the progress file of the shard whose journal is journal_path; a missing file is
 * fine. */
static void remove_progress(const char *journal_path, FILE *note)
{
    char *p = progress_path_of(journal_path);
    if (p && unlink(p) != 0 && errno != ENOENT && note)
        fprintf(note, "merge: warning: cannot remove %s: %s\n", p, strerror(errno));
    free(p);
}

/* Take every shard journal that is not running (locked in sh[]), and check them all before
 * folding any: one of another grid or store content refuses the whole merge. */
static int take_shards(char **paths, size_t n_paths, uint64_t grid_id, const char *job_path,
                       FILE *note, shard *sh, size_t *n_sh, size_t *skipped, imp_err *err)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < n_paths; i++) {
        int fd = open(paths[i], O_RDWR | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile (merged by the merge we waited for) */
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            if (note)
                fprintf(note, "merge: warning: %s is still being written (a shard is running): "
                        "skipped; merge again when it has finished\n", paths[i]);
            close(fd);
            (*skipped)++;
            continue;
        }
        sh[*n_sh].path = paths[i];
        sh[(*n_sh)++].fd = fd;
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
                             (unsigned long long)info.id.grid_id, job_path,
                             (unsigned long long)grid_id);
    }
    return rc;
}

/* The main journal is synced: the shard journals are in it now. Each is emptied down to its
 * header, whose basis lets a rerun of that shard split the same cells; once the grid is
 * complete nothing will rerun, and they are deleted. */
static void empty_shards(shard *sh, size_t n_sh, int complete, FILE *note)
{
    for (size_t i = 0; i < n_sh; i++) {
        int gone = complete ? unlink(sh[i].path) : ftruncate(sh[i].fd, IMP_JOURNAL_HEADER_BYTES);
        if (gone != 0 && errno != ENOENT) {
            if (note)
                fprintf(note, "merge: warning: cannot empty %s: %s (merging again is "
                        "harmless)\n", sh[i].path, strerror(errno));
        } else if (!complete) {
            fsync(sh[i].fd);
        }
    }
}

int imp_merge(const imp_job *job, const imp_grid *g, const char *v1_job, FILE *note,
              imp_merge_report *rep, imp_err *err)
{
    memset(rep, 0, sizeof *rep);
    char *lock = with_suffix(job->cube_path, ".merge.lock");
    if (!lock)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    int lfd = take_lock(lock, job->cube_path, note, err);
    if (lfd < 0) {
        free(lock);
        return IMP_EIO;
    }
    imp_results *res = NULL;
    char **paths = NULL;
    size_t n_paths = 0, n_sh = 0;
    shard *sh = NULL;
    imp_journal *mj = NULL;
    imp_cube_keyindex *idx = NULL;
    int rc = imp_results_open(job, g, IMP_FP_WRITE_CACHE, 0, v1_job, note, &res, err);
    if (!rc)
        rc = imp_shard_list(job->cube_path, &paths, &n_paths, err);
    if (!rc && !(sh = calloc(n_paths ? n_paths : 1, sizeof *sh)))
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    uint64_t grid_id = res ? imp_cellkeys_grid_id(res->keys) : 0;
    if (!rc)
        rc = take_shards(paths, n_paths, grid_id, job->name, note, sh, &n_sh, &rep->skipped,
                         err);
    imp_journal_id id = {grid_id, 0, 0, 0};
    if (!rc)
        rc = imp_journal_open(res->journal_path, &id, imp_cellkeys_text, res->keys, 0, &mj, NULL,
                              err);
    if (!rc)
        rc = imp_cube_keyindex_build(res->cube, &idx, err);
    for (size_t i = 0; !rc && i < n_sh; i++) {
        fold_ctx f = {res->cube, idx, mj, &sh[i]};
        rc = imp_journal_scan(sh[i].path, fold_fn, &f, NULL, err);
        rep->records += sh[i].records;
        rep->added += sh[i].added;
        rep->folded += sh[i].records > 0;
    }
    if (mj) {
        int crc = imp_journal_close(mj, rc ? NULL : err);
        rc = rc ? rc : crc;
    }
    if (!rc) {
        imp_cube_count(res->cube, rep->counts);
        rep->n_cells = res->cube->n_cells;
        empty_shards(sh, n_sh, rep->counts[IMP_CELL_PENDING] == 0, note);
        keep_created(res->cube, res->cube_path);
        rc = imp_cube_write(res->cube, res->cube_path, err);
    }
    for (size_t i = 0; i < n_sh; i++) {
        if (!rc) /* folded: its progress file describes a run that is over */
            remove_progress(sh[i].path, note);
        close(sh[i].fd);
    }
    free(sh);
    imp_cube_keyindex_free(idx);
    imp_shard_paths_free(paths, n_paths);
    imp_results_free(res);
    unlink(lock); /* still held: a merge waiting on this file retries on the new one */
    close(lfd);
    free(lock);
    return rc;
}
