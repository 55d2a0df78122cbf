/* resume.c — a job's results on disk: the cube filled by value from the main journal (v1
 * converted), the report of keys beyond the grid, shard journal paths and the shard split. */
#include "imprint/resume.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imprint/atomic.h"

void imp_results_free(imp_results *r)
{
    if (!r)
        return;
    imp_cellkeys_free(r->keys);
    imp_cube_free(r->cube);
    imp_key_report_free(&r->report);
    free(r->cube_path);
    free(r->journal_path);
    free(r);
}

/* ---- version 1 journals ------------------------------------------------------------------ */

typedef struct convert_ctx {
    const imp_cellkeys *old;
    imp_journal *out;
    uint64_t n_cells, skipped;
} convert_ctx;

static int convert_fn(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    convert_ctx *c = ud;
    if (rec->key_len)
        return imp_err_set(err, IMP_EINPUT, "a version 2 record in a version 1 journal");
    imp_journal_rec v2 = *rec;
    v2.key_len = imp_cellkeys_text(c->old, rec->res.cell, v2.key, sizeof v2.key, &v2.key_hash);
    if (v2.key_len == 0) { /* an n/a or out-of-grid index: v1 never wrote one; keep going */
        c->skipped++;
        return 0;
    }
    return imp_journal_append_rec(c->out, &v2, err);
}

/* Rewrite the version 1 journal at r->journal_path as version 2, naming each cell of the grid
 * that wrote it (rebuilt from v1_job or the cube's job text) by value; the original is kept
 * at JOURNAL.v1. The new journal is written to JOURNAL.v2tmp and published with
 * imp_atomic_publish (crash points journal-rename(d)) with the original's permission bits:
 * until the rename the journal is the untouched version 1 file, and a failure removes the
 * temporary. */
static int convert_v1(imp_results *r, const imp_job *job, const char *v1_job, FILE *note,
                      imp_err *err)
{
    imp_job *oj = NULL;
    imp_grid *og = NULL;
    imp_cellkeys *ok = NULL;
    imp_cube *old = NULL;
    char *dir = strdup(job->name);
    int rc = dir ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
    const char *how = v1_job ? v1_job : r->cube_path;
    if (!rc && v1_job) {
        rc = imp_job_load(v1_job, &oj, err);
    } else if (!rc) {
        imp_err e;
        if (imp_cube_read(r->cube_path, &old, &e) != 0 || !old->job[0])
            rc = imp_err_set(err, IMP_EINPUT, "%s: a version 1 journal, and the cube %s that "
                             "names its grid is missing or unreadable; convert it with "
                             "`imprint merge %s --v1-job OLD.yaml`, OLD.yaml being the job file "
                             "that wrote it", r->journal_path, r->cube_path, job->name);
        else
            rc = imp_job_parse(old->job, strlen(old->job), r->cube_path, dirname(dir), &oj, err);
    }
    if (!rc)
        rc = imp_grid_from_job(oj, &og, err);
    if (!rc && (og->hash != r->info.v1_grid_hash || og->n_cells != r->info.v1_n_cells))
        rc = imp_err_set(err, IMP_EINPUT, "%s: a version 1 journal of grid %016llx (%llu cells), "
                         "but the job in %s describes grid %016llx (%zu cells); convert it with "
                         "`imprint merge %s --v1-job OLD.yaml`, OLD.yaml being the job file that "
                         "wrote it", r->journal_path, (unsigned long long)r->info.v1_grid_hash,
                         (unsigned long long)r->info.v1_n_cells, how,
                         (unsigned long long)og->hash, og->n_cells, job->name);
    /* version 1 recorded no store content: the conversion takes the store as it is now */
    if (!rc)
        rc = imp_cellkeys_from_store(oj, og, 0, note, &ok, err);
    size_t n = strlen(r->journal_path) + 8;
    char *tmp = malloc(n), *bak = malloc(n);
    if (!rc && (!tmp || !bak))
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    convert_ctx c = {ok, NULL, 0, 0};
    if (!rc) {
        snprintf(tmp, n, "%s.v2tmp", r->journal_path);
        snprintf(bak, n, "%s.v1", r->journal_path);
        imp_journal_id id = {imp_cellkeys_grid_id(r->keys), 0, 0, 0};
        rc = imp_journal_open(tmp, &id, NULL, NULL, 1, &c.out, NULL, err);
    }
    if (!rc)
        rc = imp_journal_scan(r->journal_path, convert_fn, &c, NULL, err);
    if (c.out) {
        int crc = imp_journal_close(c.out, rc ? NULL : err);
        rc = rc ? rc : crc;
    }
    struct stat st;
    if (!rc && (stat(r->journal_path, &st) != 0 || chmod(tmp, st.st_mode & 07777) != 0))
        rc = imp_err_set(err, IMP_EIO, "%s: cannot give the converted journal the mode of %s: %s",
                         tmp, r->journal_path, strerror(errno));
    if (!rc && (link(r->journal_path, bak) != 0 && errno != EEXIST))
        rc = imp_err_set(err, IMP_EIO, "%s: cannot keep the version 1 journal: %s", bak,
                         strerror(errno));
    if (!rc)
        rc = imp_atomic_publish(tmp, r->journal_path, "journal", err);
    if (rc && tmp && c.out)
        unlink(tmp); /* ours: made by imp_journal_open above (a no-op after a failed publish) */
    if (!rc && note)
        fprintf(note, "journal: %s converted from version 1 to %u (%llu records; the original "
                      "is kept as %s)\n", r->journal_path, (unsigned)IMP_JOURNAL_VERSION,
                (unsigned long long)r->info.n_records, bak);
    r->converted_v1 = !rc;
    free(tmp);
    free(bak);
    free(dir);
    imp_cube_free(old);
    imp_cellkeys_free(ok);
    imp_grid_free(og);
    imp_job_free(oj);
    return rc;
}

/* ---- opening ----------------------------------------------------------------------------- */

int imp_results_open(const imp_job *job, const imp_grid *g, int fp_flags, int fresh,
                     const char *v1_job, FILE *note, imp_results **out, imp_err *err)
{
    *out = NULL;
    imp_results *r = calloc(1, sizeof *r);
    if (!r)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    imp_key_report_init(&r->report);
    size_t n = strlen(job->cube_path) + 16;
    r->cube_path = strdup(job->cube_path);
    r->journal_path = malloc(n);
    int rc = r->cube_path && r->journal_path ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
    if (!rc) {
        snprintf(r->journal_path, n, "%s.journal", job->cube_path);
        rc = imp_cellkeys_from_store(job, g, fp_flags, note, &r->keys, err);
    }
    if (!rc)
        rc = imp_cube_from_grid(job, g, &r->cube, err);
    if (!rc) {
        imp_cellkeys_fill_cube(r->keys, r->cube);
        if (fresh)
            unlink(r->journal_path);
        rc = imp_journal_scan(r->journal_path, NULL, NULL, &r->info, err);
    }
    if (!rc && r->info.version == 1)
        rc = convert_v1(r, job, v1_job, note, err);
    if (!rc)
        rc = imp_cellkeys_apply_journal(r->cube, r->journal_path, &r->report, &r->info, err);
    if (!rc)
        rc = imp_key_report_finish(&r->report, r->keys, r->cube->status, err);
    if (rc) {
        imp_results_free(r);
        return rc;
    }
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(r->cube, counts);
    r->kept = counts[IMP_CELL_DONE] + counts[IMP_CELL_FAILED];
    *out = r;
    return 0;
}

void imp_results_print_summary(const imp_results *r, FILE *out, const char *prefix)
{
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(r->cube, counts);
    size_t inv = r->report.invalidated_cells;
    size_t pending = counts[IMP_CELL_PENDING];
    fprintf(out, "%skept %zu, new %zu, dropped %zu", prefix, r->kept,
            pending > inv ? pending - inv : 0, r->report.dropped);
    if (inv)
        fprintf(out, ", invalidated %zu", inv);
    fputc('\n', out);
    for (size_t i = 0; i < r->report.n_reason; i++)
        fprintf(out, "%s  %s: %zu cell%s will be recomputed\n", prefix, r->report.reason[i].text,
                r->report.reason[i].cells, r->report.reason[i].cells == 1 ? "" : "s");
    if (r->report.dropped)
        fprintf(out, "%s  %zu result%s of cells no longer in the grid stay in the journal\n",
                prefix, r->report.dropped, r->report.dropped == 1 ? "" : "s");
}

/* ---- shards ------------------------------------------------------------------------------ */

int imp_shard_parse(const char *spec, uint32_t *i, uint32_t *n, char *why, size_t why_n)
{
    const char *rule = "expected I/N with whole numbers 0 <= I < N (N at most 100000), e.g. 0/4";
    char *end;
    errno = 0;
    if (!spec || spec[0] < '0' || spec[0] > '9') {
        snprintf(why, why_n, "'%s': %s", spec ? spec : "", rule);
        return -1;
    }
    unsigned long a = strtoul(spec, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9') {
        snprintf(why, why_n, "'%s': %s", spec, rule);
        return -1;
    }
    unsigned long b = strtoul(end + 1, &end, 10);
    if (errno || *end || b == 0 || b > 100000 || a >= b) {
        snprintf(why, why_n, "'%s': %s%s", spec, rule,
                 b == 0 ? " (N = 0 shards?)" : a >= b ? " (I must be below N)" : "");
        return -1;
    }
    *i = (uint32_t)a;
    *n = (uint32_t)b;
    return 0;
}

char *imp_shard_journal_path(const char *cube_path, uint32_t i, uint32_t n)
{
    size_t len = strlen(cube_path) + 48;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s.shard-%u-of-%u.journal", cube_path, (unsigned)i, (unsigned)n);
    return p;
}

void imp_shard_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

/* glob metacharacters in the cube's own path are escaped */
int imp_shard_list(const char *cube_path, char ***paths, size_t *n, imp_err *err)
{
    *paths = NULL;
    *n = 0;
    size_t len = 2 * strlen(cube_path) + 32;
    char *pat = malloc(len);
    if (!pat)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    size_t o = 0;
    for (const char *p = cube_path; *p; p++) {
        if (strchr("*?[\\", *p))
            pat[o++] = '\\';
        pat[o++] = *p;
    }
    snprintf(pat + o, len - o, ".shard-*-of-*.journal");
    glob_t gl;
    int g = glob(pat, 0, NULL, &gl);
    free(pat);
    if (g == GLOB_NOMATCH)
        return 0;
    if (g != 0)
        return imp_err_set(err, g == GLOB_NOSPACE ? IMP_ENOMEM : IMP_EIO,
                           "%s: cannot list the shard journals", cube_path);
    char **out = calloc(gl.gl_pathc ? gl.gl_pathc : 1, sizeof *out);
    int rc = out ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < gl.gl_pathc; i++) {
        unsigned a, b;
        const char *tail = gl.gl_pathv[i] + strlen(cube_path);
        char end;
        /* only what imp_shard_journal_path writes: not a .v2tmp or an editor's backup */
        if (sscanf(tail, ".shard-%u-of-%u.journa%c", &a, &b, &end) != 3 || end != 'l' ||
            strcmp(strstr(tail, ".journal"), ".journal") != 0)
            continue;
        if (!(out[*n] = strdup(gl.gl_pathv[i])))
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        else
            (*n)++;
    }
    globfree(&gl);
    if (rc) {
        imp_shard_paths_free(out, *n);
        *n = 0;
        return rc;
    }
    *paths = out;
    return 0;
}

void imp_shard_split(const double *cost, size_t n_units, uint32_t n_shards, double *load,
                     uint32_t *assign)
{
    for (uint32_t s = 0; s < n_shards; s++)
        load[s] = 0;
    for (size_t u = 0; u < n_units; u++) {
        uint32_t best = 0;
        for (uint32_t s = 1; s < n_shards; s++)
            if (load[s] < load[best])
                best = s;
        assign[u] = best;
        load[best] += cost[u];
    }
}

int imp_shard_status(const imp_plan *p0, uint32_t shard_i, uint32_t shard_n,
                     const uint8_t *status, size_t n_cells, uint8_t **out, imp_err *err)
{
    *out = NULL;
    size_t nu = p0->n_units ? p0->n_units : 1;
    double *cost = malloc(nu * sizeof *cost), *load = malloc(shard_n * sizeof *load);
    uint32_t *assign = malloc(nu * sizeof *assign);
    uint8_t *st = malloc(n_cells ? n_cells : 1);
    if (!cost || !load || !assign || !st) {
        free(cost);
        free(load);
        free(assign);
        free(st);
        return imp_err_set(err, IMP_ENOMEM, "out of memory splitting %zu units", p0->n_units);
    }
    for (size_t u = 0; u < p0->n_units; u++)
        cost[u] = p0->units[u].cost;
    imp_shard_split(cost, p0->n_units, shard_n, load, assign);
    memcpy(st, status, n_cells);
    /* every cell is recorded by exactly one unit of p0 (itself or as a seed alias): the cells
     * of other shards' units count as done here, so a plan over st holds this shard's only */
    for (size_t u = 0; u < p0->n_units; u++) {
        if (assign[u] == shard_i)
            continue;
        const imp_unit *un = &p0->units[u];
        for (size_t g = un->first_gen; g < un->first_gen + un->n_gens; g++)
            for (size_t c = p0->gens[g].first_cell;
                 c < p0->gens[g].first_cell + p0->gens[g].n_cells; c++) {
                const imp_unit_cell *uc = &p0->cells[c];
                st[uc->cell] = IMP_CELL_DONE;
                for (size_t a = 0; a < uc->n_alias; a++)
                    st[p0->alias[uc->first_alias + a]] = IMP_CELL_DONE;
            }
    }
    fprintf(stderr, "sweep: shard %u/%u: %.3g of %.3g cost units of the work pending when the "
            "split was made\n", (unsigned)shard_i, (unsigned)shard_n, load[shard_i],
            p0->total_cost);
    free(cost);
    free(load);
    free(assign);
    *out = st;
    return 0;
}
