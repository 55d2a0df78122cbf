/* toolio.c — atomic output files and cube + journal loading for the tool's commands. */
#include "toolio.h"

#include "imprint/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int imp_outfile_open(imp_outfile *o, const char *path, imp_err *err)
{
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        o->path = strdup(path);
        return o->path ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    size_t n = strlen(path) + 5;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        imp_outfile_abort(o);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    snprintf(o->tmp, n, "%s.tmp", path);
    if (!(o->f = fopen(o->tmp, "w"))) {
        int rc = imp_err_set(err, IMP_EIO, "%s: cannot create: %s", o->tmp, strerror(errno));
        imp_outfile_abort(o);
        return rc;
    }
    return 0;
}

void imp_outfile_abort(imp_outfile *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int imp_outfile_commit(imp_outfile *o, imp_err *err)
{
    int rc = 0;
    if (o->f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = imp_err_set(err, IMP_EIO, "stdout: write error");
        o->f = NULL;
        imp_outfile_abort(o);
        return rc;
    }
    if (fflush(o->f) != 0 || ferror(o->f))
        rc = imp_err_set(err, IMP_EIO, "%s: write error: %s", o->tmp, strerror(errno));
    if (fclose(o->f) != 0 && !rc)
        rc = imp_err_set(err, IMP_EIO, "%s: close: %s", o->tmp, strerror(errno));
    o->f = NULL;
    if (!rc)
        rc = imp_atomic_publish(o->tmp, o->path, "output", err);
    if (!rc) {
        free(o->tmp); /* renamed: nothing left to remove */
        o->tmp = NULL;
    }
    imp_outfile_abort(o);
    return rc;
}

int imp_tool_load_cube(const char *path, int no_journal, FILE *note, imp_cube **out,
                       imp_err *err)
{
    int rc = imp_cube_read(path, out, err);
    if (rc || no_journal)
        return rc;
    size_t n = strlen(path) + 9;
    char *jp = malloc(n);
    if (!jp) {
        imp_cube_free(*out);
        *out = NULL;
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    snprintf(jp, n, "%s.journal", path);
    struct stat st;
    if (stat(jp, &st) == 0) {
        imp_journal_info info;
        imp_err jerr;
        imp_err_clear(&jerr);
        memset(&info, 0, sizeof info);
        if (imp_cube_apply_journal(*out, jp, &info, &jerr) == 0) {
            if (note)
                fprintf(note, "journal: %s merged (%llu records)\n", jp,
                        (unsigned long long)info.n_records);
        } else {
            /* A journal applied halfway would mix states: start again from the cube. */
            if (note)
                fprintf(note, "journal: %s not merged: %s\n", jp, jerr.msg);
            imp_cube_free(*out);
            rc = imp_cube_read(path, out, err);
        }
    }
    free(jp);
    return rc;
}

int imp_tool_print_json(cJSON *obj, imp_err *err)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!text)
        return imp_err_set(err, IMP_ENOMEM, "out of memory writing JSON");
    printf("%s\n", text);
    cJSON_free(text);
    return 0;
}

cJSON *imp_json_add_u64(cJSON *obj, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(obj, name, buf);
}
