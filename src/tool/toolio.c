/* toolio.c — cube + journal loading and JSON printing for the tool's commands. */
#include "toolio.h"

#include "imprint/atomic.h"
#include "imprint/h5util.h"
#include "imprint/job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is the regular file at path something other than HDF5 (a job file, then)? */
static int is_text_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int h5 = H5Fis_hdf5(path) > 0;
    imp_h5_quiet_off(&q);
    return !h5;
}

/* A .yaml / .yml name: its errors are the job's, not the cube's. */
static int yaml_name(const char *path)
{
    size_t n = strlen(path);
    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

int imp_tool_cube_path(const char *arg, char **cube_path, imp_err *err)
{
    *cube_path = NULL;
    if (is_text_file(arg)) { /* not HDF5: a job file names its cube */
        imp_job *job = NULL;
        imp_err jerr;
        imp_err_clear(&jerr);
        int rc = imp_job_load(arg, &job, &jerr);
        if (!rc) {
            *cube_path = strdup(job->cube_path);
            imp_job_free(job);
            return *cube_path ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
        }
        if (yaml_name(arg)) {
            *err = jerr;
            return rc;
        }
        return imp_err_set(err, IMP_EINPUT, "%s: neither a result cube (not an HDF5 file, or "
                           "truncated or corrupt) nor a job file (%s)", arg, jerr.msg);
    }
    *cube_path = strdup(arg);
    return *cube_path ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory");
}

int imp_tool_load_cube(const char *arg, int no_journal, FILE *note, imp_cube **out,
                       char **cube_path, imp_err *err)
{
    char *path = NULL;
    *out = NULL;
    int rc = imp_tool_cube_path(arg, &path, err);
    if (!rc)
        rc = imp_cube_read(path, out, err);
    if (rc || no_journal)
        goto done;
    size_t n = strlen(path) + 9;
    char *jp = malloc(n);
    if (!jp) {
        imp_cube_free(*out);
        *out = NULL;
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(jp, n, "%s.journal", path);
    struct stat st;
    if (stat(jp, &st) == 0) {
        imp_journal_info info;
        imp_err jerr;
        imp_err_clear(&jerr);
        memset(&info, 0, sizeof info);
        /* read into this process's copy of the cube only: the files stay as they are */
        if (imp_cube_apply_journal(*out, jp, &info, &jerr) == 0) {
            if (note)
                fprintf(note, "journal: %s read (%llu records)\n", jp,
                        (unsigned long long)info.n_records);
        } else {
            /* A journal applied halfway would mix states: start again from the cube. */
            if (note)
                fprintf(note, "journal: %s skipped: %s\n", jp, jerr.msg);
            imp_cube_free(*out);
            rc = imp_cube_read(path, out, err);
        }
    }
    free(jp);
done:
    if (!rc && cube_path)
        *cube_path = path;
    else
        free(path);
    return rc;
}

int imp_tool_installed_example(const char *job_path, char *msg, size_t n)
{
    static const char tail[] = "/share/imprint/jobs";
    char *real = realpath(job_path, NULL);
    char *dir = real ? imp_path_dir(real) : NULL;
    size_t len = dir ? strlen(dir) : 0;
    int hit = dir && len >= sizeof tail - 1 && strcmp(dir + len - (sizeof tail - 1), tail) == 0;
    if (hit)
        snprintf(msg, n, "%s is an example installed with imprint, a template to copy: its "
                 "store: and cube: are relative to %s, inside the installation; copy it to a "
                 "folder of yours (cp %s .) and set store: and cube: there", job_path, dir,
                 real);
    free(dir);
    free(real);
    return hit;
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
