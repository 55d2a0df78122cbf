/* fuzz_job.c — libFuzzer harness: the job-file parser (YAML → imp_job) on arbitrary text. */
#include <stdint.h>
#include <string.h>

#include "imprint/grid.h"
#include "imprint/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    imp_job *job = NULL;
    imp_err err;
    int rc = imp_job_parse((const char *)data, size, "fuzz.yaml", "/nonexistent", &job, &err);
    if (rc == 0) {
        /* a parsed job must also give a grid or a clean error, never a crash */
        imp_grid *g = NULL;
        if (imp_grid_from_job(job, &g, &err) == 0)
            imp_grid_free(g);
        imp_job_free(job);
    } else if (job || err.msg[0] == '\0') {
        __builtin_trap(); /* an error without a message, or a job left behind */
    }
    return 0;
}
