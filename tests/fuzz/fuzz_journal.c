/* fuzz_journal.c — libFuzzer harness: the journal reader (public scan API) on arbitrary bytes.
 * Every record it hands out has a status of a journal and a bounded, terminated key. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "imprint/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    (void)err;
    size_t *seen = ud;
    if (rec->res.status != IMP_CELL_DONE && rec->res.status != IMP_CELL_FAILED)
        __builtin_trap();
    /* a key is NUL-terminated inside its buffer, as long as it says */
    if (rec->key_len >= IMP_JOURNAL_KEY_MAX || rec->key[rec->key_len] != '\0')
        __builtin_trap();
    (*seen)++;
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
    size_t seen = 0;
    int rc = imp_journal_scan(path, on_record, &seen, &info, &err);
    if (rc != 0 && err.msg[0] == '\0')
        __builtin_trap();
    if (rc == 0 && seen != info.n_records)
        __builtin_trap(); /* the count the header side reports is the records handed out */
    close(fd);
    return 0;
}
