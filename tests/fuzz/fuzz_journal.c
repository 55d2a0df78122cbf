/* fuzz_journal.c — libFuzzer harness: the journal reader (public scan API) on arbitrary bytes.
 * Every record it hands out must name a cell inside the grid it was asked about. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "imprint/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint64_t n_cells;
    size_t seen;
} scan_state;

static int on_record(const imp_cell_result *rec, void *ud, imp_err *err)
{
    (void)err;
    scan_state *s = ud;
    if (s->n_cells && rec->cell >= s->n_cells)
        __builtin_trap();
    if (rec->status != IMP_CELL_DONE && rec->status != IMP_CELL_FAILED)
        __builtin_trap();
    s->seen++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = imp_fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    imp_err err;
    imp_journal_info info;
    scan_state s = {0, 0};
    /* once as "whatever grid", once against the grid the header names */
    int rc = imp_journal_scan(path, 0, 0, on_record, &s, &info, &err);
    if (rc == 0 && info.n_cells) {
        s.n_cells = info.n_cells;
        s.seen = 0;
        rc = imp_journal_scan(path, info.grid_hash, info.n_cells, on_record, &s, &info, &err);
    }
    if (rc != 0 && err.msg[0] == '\0')
        __builtin_trap();
    close(fd);
    return 0;
}
