/* toolio.c — cube + journal loading and JSON printing for the tool's commands. */
#include "toolio.h"

#include "imprint/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
