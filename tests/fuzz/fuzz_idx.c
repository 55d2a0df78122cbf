/* fuzz_idx.c — libFuzzer harness: the idx reader (plain and gzip) on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "imprint/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = imp_fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    imp_err err;
    for (int ndim = 1; ndim <= 3; ndim += 2) {
        imp_idx idx;
        if (imp_idx_read(path, ndim, &idx, &err) == 0) {
            /* the promised bytes are all there: touch the last one */
            size_t n = (size_t)idx.dims[0] * idx.item_bytes;
            volatile uint8_t last = idx.data[n - 1];
            (void)last;
            imp_idx_free(&idx);
        } else if (err.msg[0] == '\0') {
            __builtin_trap();
        }
    }
    close(fd);
    return 0;
}
