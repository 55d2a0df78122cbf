/* test_journal.c — the cell journal (version 3, cells by key): exact round trip of every
 * measure, torn tails dropped and cut, corruption in the middle refused, shard identity,
 * version 1 refused for append, version 2 read and appended to, a newer writer's extra
 * measures skipped, override order, buffering, sync and the writer lock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "imprint/clock.h"
#include "imprint/hash64.h"
#include "imprint/journal.h"
#include "testutil.h"

#define HASH 0x0123456789abcdefULL
#define NCELLS 100

/* Record sizes worked out from the format: 4 (length) + 29 (fixed fields) + key + message +
 * extension + 4 (CRC); every cell below 10 has the 2-byte key "c<digit>". The extension of a
 * record with an empty host name: 2 (its length) + 1 (count) + 4 (f1) + 1 (host length) + 4
 * (rank) + 8 (finished) = 20 bytes. */
#define HDR 64
#define EXT 20
#define REC(msglen) (39 + EXT + (msglen))

static const imp_journal_id ID = {HASH, 0, 0, 0};

/* The keys of a 100-cell test grid: "c<cell>"; no key outside it. */
static size_t key_fn(const void *ctx, uint64_t cell, char *buf, size_t n, uint64_t *hash)
{
    (void)ctx;
    if (cell >= NCELLS)
        return 0;
    int len = snprintf(buf, n, "c%llu", (unsigned long long)cell);
    *hash = imp_hash64(buf, (size_t)len);
    return (size_t)len;
}

static int jopen(const char *path, const imp_journal_id *id, int fresh, imp_journal **j,
                 imp_journal_info *info, imp_err *err)
{
    return imp_journal_open(path, id, key_fn, NULL, fresh, j, info, err);
}

static long fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    if (b && fread(b, 1, *n, f) != *n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void flip_byte(const char *path, size_t off)
{
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    CU_ASSERT_FATAL(b != NULL && off < n);
    b[off] ^= 0x5a;
    IMP_ASSERT_INT_EQ(imp_test_write_file(path, b, n), 0);
    free(b);
}

static imp_cell_result mk(uint64_t cell, int status, float acc, float gen, float inf, int np,
                          const char *msg)
{
    imp_cell_result r;
    memset(&r, 0, sizeof r);
    r.cell = cell;
    r.status = (uint8_t)status;
    r.accuracy = acc;
    r.gen_seconds = gen;
    r.inf_seconds = inf;
    r.n_proxies = np;
    snprintf(r.message, sizeof r.message, "%s", msg);
    return r;
}

/* Bit-exact comparison of two records (NaN == NaN when the bits agree). */
static void assert_same(const imp_journal_rec *ra, const imp_cell_result *b)
{
    const imp_cell_result *a = &ra->res;
    char key[16];
    snprintf(key, sizeof key, "c%llu", (unsigned long long)b->cell);
    IMP_ASSERT_INT_EQ(strcmp(ra->key, key), 0);
    IMP_ASSERT_INT_EQ(ra->key_hash == imp_hash64(key, strlen(key)), 1);
    IMP_ASSERT_INT_EQ(a->cell == UINT64_MAX, 1); /* by value: no grid index on disk */
    IMP_ASSERT_INT_EQ(a->status, b->status);
    IMP_ASSERT_INT_EQ(memcmp(&a->accuracy, &b->accuracy, 4), 0);
    IMP_ASSERT_INT_EQ(memcmp(&a->gen_seconds, &b->gen_seconds, 4), 0);
    IMP_ASSERT_INT_EQ(memcmp(&a->inf_seconds, &b->inf_seconds, 4), 0);
    IMP_ASSERT_INT_EQ(a->n_proxies, b->n_proxies);
    IMP_ASSERT_INT_EQ(memcmp(&a->f1, &b->f1, 4), 0);
    IMP_ASSERT_INT_EQ(strcmp(a->host, b->host), 0);
    IMP_ASSERT_INT_EQ(a->rank, b->rank);
    IMP_ASSERT_INT_EQ(memcmp(&a->finished, &b->finished, 8), 0);
    IMP_ASSERT_INT_EQ(strcmp(a->message, b->message), 0);
}

/* Create path fresh with the given records, synced and closed. */
static void write_journal(const char *path, const imp_cell_result *recs, size_t n)
{
    imp_journal *j;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(jopen(path, &ID, 1, &j, NULL, &err), 0);
    for (size_t i = 0; i < n; i++)
        IMP_ASSERT_INT_EQ(imp_journal_append(j, &recs[i], &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
}

static void test_roundtrip(void)
{
    const char *p = imp_test_path("rt.journal");
    imp_cell_result in[3] = {
        mk(4, IMP_CELL_DONE, 87.123456f, 0.0123f, 1.5e-3f, 200, ""),
        mk(7, IMP_CELL_FAILED, NAN, 2.5f, 0.0f, 0, "singular system"),
        mk(9, IMP_CELL_DONE, 100.0f, 3.25f, 4.0f, 10, ""),
    };
    write_journal(p, in, 3);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + REC(0) + REC(15) + REC(0));

    imp_journal_set *set;
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 3);
    /* in order of first appearance */
    assert_same(&set->rec[0], &in[0]);
    assert_same(&set->rec[1], &in[1]);
    assert_same(&set->rec[2], &in[2]);
    CU_ASSERT(isnan(set->rec[1].res.accuracy));
    IMP_ASSERT_INT_EQ(info.exists, 1);
    IMP_ASSERT_INT_EQ(info.version, 3);
    IMP_ASSERT_INT_EQ(info.id.grid_id == HASH, 1);
    IMP_ASSERT_INT_EQ(info.id.shard_n, 0);
    IMP_ASSERT_INT_EQ(info.n_records, 3);
    IMP_ASSERT_INT_EQ(info.counts[IMP_CELL_DONE], 2);
    IMP_ASSERT_INT_EQ(info.counts[IMP_CELL_FAILED], 1);
    IMP_ASSERT_INT_EQ(info.torn_bytes, 0);
    IMP_ASSERT_INT_EQ(info.good_end, fsize(p));
    imp_journal_set_free(set);

    /* Reopening for append keeps the records and adds after them. */
    imp_journal *j;
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.n_records, 3);
    imp_cell_result r4 = mk(0, IMP_CELL_DONE, 12.5f, 1.0f, 2.0f, 3, "");
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &r4, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 4);
    assert_same(&set->rec[3], &r4);
    imp_journal_set_free(set);

    /* A missing journal is an empty one. */
    IMP_ASSERT_INT_EQ(imp_journal_load(imp_test_path("nope.journal"), &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 0);
    IMP_ASSERT_INT_EQ(info.exists, 0);
    imp_journal_set_free(set);
}

static void test_torn_tail(void)
{
    const char *p = imp_test_path("torn.journal");
    imp_cell_result in[3] = {
        mk(1, IMP_CELL_DONE, 50.0f, 1.0f, 1.0f, 1, ""),
        mk(2, IMP_CELL_DONE, 60.0f, 1.0f, 1.0f, 1, ""),
        mk(3, IMP_CELL_FAILED, NAN, 1.0f, 1.0f, 1, "boom"),
    };
    write_journal(p, in, 3);
    long full = HDR + REC(0) + REC(0) + REC(4);
    IMP_ASSERT_INT_EQ(fsize(p), full);
    IMP_ASSERT_INT_EQ(truncate(p, full - 3), 0);

    imp_journal_set *set;
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 2);
    IMP_ASSERT_INT_EQ(strcmp(set->rec[1].key, "c2"), 0);
    IMP_ASSERT_INT_EQ(info.torn_bytes, REC(4) - 3);
    IMP_ASSERT_INT_EQ(info.good_end, HDR + 2 * REC(0));
    imp_journal_set_free(set);
    /* Loading never changes the file. */
    IMP_ASSERT_INT_EQ(fsize(p), full - 3);

    /* Opening for append cuts the torn record, so the next one follows good data. */
    imp_journal *j;
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.torn_bytes, REC(4) - 3);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 2 * REC(0));
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &in[2], &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), full);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 3);
    IMP_ASSERT_INT_EQ(info.torn_bytes, 0);
    assert_same(&set->rec[2], &in[2]);
    imp_journal_set_free(set);

    /* A complete last record with a bad checksum is a torn tail too. */
    flip_byte(p, (size_t)full - 6);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 2);
    IMP_ASSERT_INT_EQ(info.torn_bytes, REC(4));
    imp_journal_set_free(set);

    /* Zeros past the last good record (a file system extended the file, data never came). */
    write_journal(p, in, 2);
    unsigned char zeros[300] = {0};
    FILE *f = fopen(p, "ab");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(zeros, 1, sizeof zeros, f);
    fclose(f);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 2);
    IMP_ASSERT_INT_EQ(info.torn_bytes, 300);
    imp_journal_set_free(set);

    /* A header cut short while it was being created: an empty journal, rewritten on open. */
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, "IMPJR", 5), 0);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 0);
    imp_journal_set_free(set);
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.id.grid_id == HASH, 1);
    imp_journal_set_free(set);
}

static void test_corrupt_middle(void)
{
    const char *p = imp_test_path("mid.journal");
    imp_cell_result in[3] = {
        mk(1, IMP_CELL_DONE, 50.0f, 1.0f, 1.0f, 1, ""),
        mk(2, IMP_CELL_DONE, 60.0f, 1.0f, 1.0f, 1, ""),
        mk(3, IMP_CELL_DONE, 70.0f, 1.0f, 1.0f, 1, ""),
    };
    write_journal(p, in, 3);
    /* the accuracy of record 2, which starts at 64 + 59 = 123 */
    flip_byte(p, HDR + REC(0) + 13);
    imp_journal_set *set = NULL;
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), IMP_EINPUT);
    CU_ASSERT(set == NULL);
    IMP_ASSERT_STR_CONTAINS(err.msg, "corrupt journal record at offset 123");
    IMP_ASSERT_STR_CONTAINS(err.msg, p);
    /* Opening for append refuses too, and does not cut anything. */
    imp_journal *j = NULL;
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, &info, &err), IMP_EINPUT);
    CU_ASSERT(j == NULL);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 3 * REC(0));

    /* A damaged length field in the middle is refused as well. */
    write_journal(p, in, 3);
    flip_byte(p, HDR + REC(0));
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "offset 123");

    /* A damaged header. */
    write_journal(p, in, 1);
    flip_byte(p, 20);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "corrupt header");
}

static void test_not_a_journal(void)
{
    const char *p = imp_test_path("text.journal");
    const char *txt = "model,task,strategy\npixels,fmnist,l2/mean/l2/l2/max\n";
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, txt, strlen(txt)), 0);
    imp_journal_set *set;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "not an imprint journal");
    imp_journal *j;
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "not an imprint journal");
    /* short, too */
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, "hello", 5), 0);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "not an imprint journal");
}

/* A version 1 journal (imprint 0.1: cells by grid index), bytes as that release wrote them:
 * header magic | u32 1 | u32 40 | u64 grid hash | u64 n_cells | crc | 0, records
 * u32 L | u64 cell | u8 status | 4 x 4 bytes | u16 msg_len | msg | crc. */
static void write_v1(const char *path)
{
    unsigned char b[40 + 35 + 4];
    memset(b, 0, sizeof b);
    memcpy(b, "IMPJRNL\n", 8);
    b[8] = 1;
    b[12] = 40;
    for (int i = 0; i < 8; i++)
        b[16 + i] = (unsigned char)(HASH >> (8 * i));
    b[24] = NCELLS;
    uLong c = crc32(crc32(0L, Z_NULL, 0), b, 32);
    for (int i = 0; i < 4; i++)
        b[32 + i] = (unsigned char)(c >> (8 * i));
    unsigned char *r = b + 40;
    r[0] = 27;         /* L */
    r[4] = 6;          /* cell 6 */
    r[12] = 1;         /* done */
    float acc = 75.5f; /* accuracy */
    uint32_t bits;
    memcpy(&bits, &acc, 4);
    for (int i = 0; i < 4; i++)
        r[13 + i] = (unsigned char)(bits >> (8 * i));
    r[25] = 7; /* n_proxies */
    c = crc32(crc32(0L, Z_NULL, 0), r, 31);
    for (int i = 0; i < 4; i++)
        r[31 + i] = (unsigned char)(c >> (8 * i));
    IMP_ASSERT_INT_EQ(imp_test_write_file(path, b, 40 + 35), 0);
}

static void test_identity_and_versions(void)
{
    const char *p = imp_test_path("id.journal");
    imp_cell_result r = mk(5, IMP_CELL_DONE, 1.0f, 1.0f, 1.0f, 1, "");
    write_journal(p, &r, 1);
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    imp_journal *j = NULL;
    /* a main journal of another grid is reopened: its records are by value */
    imp_journal_id other = {HASH + 1, 0, 0, 0};
    IMP_ASSERT_INT_EQ(jopen(p, &other, 0, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.n_records, 1);
    IMP_ASSERT_INT_EQ(info.id.grid_id == HASH, 1); /* the header keeps its creator */
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);

    /* a shard journal must be of the same grid and the same shard */
    const char *sp = imp_test_path("id.shard-1-of-3.journal");
    imp_journal_id s1 = {HASH, 1, 3, 640}, s2 = {HASH, 2, 3, 640}, s3 = {HASH + 1, 1, 3, 640};
    imp_journal_id s4 = {HASH, 1, 3, 641};
    IMP_ASSERT_INT_EQ(jopen(sp, &s1, 1, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &r, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(jopen(sp, &s2, 0, &j, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "shard journal of another grid");
    IMP_ASSERT_INT_EQ(jopen(sp, &s3, 0, &j, &info, &err), IMP_EINPUT);
    IMP_ASSERT_INT_EQ(jopen(sp, &s4, 0, &j, &info, &err), IMP_EINPUT); /* another split */
    IMP_ASSERT_INT_EQ(jopen(sp, &s1, 0, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.id.shard_i, 1);
    IMP_ASSERT_INT_EQ(info.id.shard_n, 3);
    IMP_ASSERT_INT_EQ(info.id.basis, 640);
    /* a held journal is busy for others */
    IMP_ASSERT_INT_EQ(imp_journal_busy(sp), 1);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_busy(sp), 0);
    IMP_ASSERT_INT_EQ(imp_journal_busy(imp_test_path("missing.journal")), 0);

    /* version 1: read (cell by index, no key) but never appended to */
    const char *vp = imp_test_path("v1.journal");
    write_v1(vp);
    imp_journal_set *set;
    IMP_ASSERT_INT_EQ(imp_journal_load(vp, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.version, 1);
    IMP_ASSERT_INT_EQ(info.v1_grid_hash == HASH, 1);
    IMP_ASSERT_INT_EQ(info.v1_n_cells, NCELLS);
    IMP_ASSERT_INT_EQ(set->n, 1);
    IMP_ASSERT_INT_EQ(set->rec[0].res.cell, 6);
    IMP_ASSERT_INT_EQ(set->rec[0].key_len, 0);
    CU_ASSERT(set->rec[0].res.accuracy == 75.5f);
    IMP_ASSERT_INT_EQ(set->rec[0].res.n_proxies, 7);
    imp_journal_set_free(set);
    IMP_ASSERT_INT_EQ(jopen(vp, &ID, 0, &j, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "version 1 journal");
    IMP_ASSERT_STR_CONTAINS(err.msg, "imprint merge JOB.yaml");
    IMP_ASSERT_INT_EQ(fsize(vp), 40 + 35); /* untouched */
    /* an unknown version names itself */
    flip_byte(vp, 8); /* version 1 -> 0x5b */
    IMP_ASSERT_INT_EQ(imp_journal_load(vp, &set, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "version 91");

    /* --fresh starts over with the new id */
    IMP_ASSERT_INT_EQ(jopen(p, &other, 1, &j, &info, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 0);
    IMP_ASSERT_INT_EQ(info.id.grid_id == HASH + 1, 1);
    imp_journal_set_free(set);
}

static int seen_cells[16];
static int n_seen;

static int record_cb(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    (void)ud;
    (void)err;
    if (n_seen < 16)
        seen_cells[n_seen] = atoi(rec->key + 1);
    n_seen++;
    return 0;
}

static void test_override_order(void)
{
    const char *p = imp_test_path("ovr.journal");
    imp_cell_result in[6] = {
        mk(5, IMP_CELL_FAILED, NAN, 1.0f, 0.0f, 0, "singular system"), /* retried ... */
        mk(3, IMP_CELL_DONE, 40.0f, 1.0f, 1.0f, 1, ""),
        mk(9, IMP_CELL_DONE, 10.0f, 1.0f, 1.0f, 1, ""),
        mk(5, IMP_CELL_DONE, 80.0f, 2.0f, 3.0f, 20, ""),               /* ... and done */
        mk(3, IMP_CELL_FAILED, NAN, 1.0f, 1.0f, 1, "non-finite"),      /* last one wins */
        mk(9, IMP_CELL_DONE, 11.0f, 1.0f, 1.0f, 1, ""),
    };
    write_journal(p, in, 6);
    imp_journal_set *set;
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.n_records, 6);
    IMP_ASSERT_INT_EQ(set->n, 3);
    /* one per key in order of first appearance (5, 3, 9), the last record of each */
    assert_same(&set->rec[0], &in[3]);
    assert_same(&set->rec[1], &in[4]);
    assert_same(&set->rec[2], &in[5]);
    imp_journal_set_free(set);

    n_seen = 0;
    IMP_ASSERT_INT_EQ(imp_journal_scan(p, record_cb, NULL, &info, &err), 0);
    IMP_ASSERT_INT_EQ(n_seen, 6);
    const int order[6] = {5, 3, 9, 5, 3, 9};
    for (int i = 0; i < 6; i++)
        IMP_ASSERT_INT_EQ(seen_cells[i], order[i]);
}

static void test_sync_and_lock(void)
{
    const char *p = imp_test_path("sync.journal");
    imp_journal *j, *j2 = NULL;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, NULL, &err), 0);
    double t0 = imp_clock_s();
    IMP_ASSERT_INT_EQ(fsize(p), HDR); /* the header is written and synced at creation */

    /* A second writer on the same journal is refused while the first holds it. */
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j2, NULL, &err), IMP_EEXIST);
    CU_ASSERT(j2 == NULL);
    IMP_ASSERT_STR_CONTAINS(err.msg, "another process");

    imp_cell_result a = mk(1, IMP_CELL_DONE, 1.0f, 1.0f, 1.0f, 1, "");
    imp_cell_result b = mk(2, IMP_CELL_FAILED, NAN, 1.0f, 1.0f, 1, "x");
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &a, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &b, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR); /* buffered */
    IMP_ASSERT_INT_EQ(imp_journal_maybe_sync(j, t0 + 0.5, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR);
    IMP_ASSERT_INT_EQ(imp_journal_maybe_sync(j, t0 + 2.5, &err), 1);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + REC(0) + REC(1));
    /* nothing waiting: no sync however late */
    IMP_ASSERT_INT_EQ(imp_journal_maybe_sync(j, t0 + 10.0, &err), 0);
    /* the clock restarts at the last sync */
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &a, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_maybe_sync(j, t0 + 3.0, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_maybe_sync(j, t0 + 4.6, &err), 1);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 2 * REC(0) + REC(1));
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &b, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_sync(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 2 * REC(0) + 2 * REC(1));

    size_t counts[IMP_CELL__NSTATUS];
    IMP_ASSERT_INT_EQ(imp_journal_appended(j, counts), 4);
    IMP_ASSERT_INT_EQ(counts[IMP_CELL_DONE], 2);
    IMP_ASSERT_INT_EQ(counts[IMP_CELL_FAILED], 2);

    /* Bad records are refused before they reach the file. */
    imp_cell_result bad = mk(NCELLS, IMP_CELL_DONE, 1.0f, 1.0f, 1.0f, 1, "");
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &bad, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "has no key");
    bad = mk(1, IMP_CELL_PENDING, 1.0f, 1.0f, 1.0f, 1, "");
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &bad, &err), IMP_EINPUT);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 2 * REC(0) + 2 * REC(1));

    /* After close the lock is gone. */
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j2, NULL, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j2, &err), 0);
}


/* Provenance and F1 travel in the extension: host name, rank, the finish time to the bit. */
static void test_measures_extension(void)
{
    const char *p = imp_test_path("ext.journal");
    imp_cell_result in[2] = {
        mk(3, IMP_CELL_DONE, 91.25f, 0.5f, 0.25f, 40, ""),
        mk(8, IMP_CELL_FAILED, NAN, 0.5f, NAN, -1, "no proxies"),
    };
    in[0].f1 = 90.123f;
    snprintf(in[0].host, sizeof in[0].host, "node-07.cluster");
    in[0].rank = 5;
    in[0].finished = 1796567890.123456789;
    in[1].f1 = NAN;
    memset(in[1].host, 'h', sizeof in[1].host); /* too long: cut to 63 bytes */
    in[1].rank = 0;
    in[1].finished = 1.0 / 3.0;
    write_journal(p, in, 2);
    /* host of 15 and 63 bytes, message of 10 */
    IMP_ASSERT_INT_EQ(fsize(p), HDR + REC(0) + 15 + REC(10) + 63);
    imp_journal_set *set;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, NULL, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 2);
    assert_same(&set->rec[0], &in[0]);
    IMP_ASSERT_INT_EQ(strlen(set->rec[1].res.host), IMP_HOST_MAX - 1);
    CU_ASSERT(isnan(set->rec[1].res.f1));
    CU_ASSERT(set->rec[1].res.finished == 1.0 / 3.0);
    imp_journal_set_free(set);
}

/* Little-endian helpers for the hand-made records below. */
static void le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A version 2 journal as imprint 0.2 wrote it: 64-byte header (version 2), one record of cell
 * "c6" (done, accuracy 75.5, n_proxies 7) without an extension. */
static void write_v2(const char *path)
{
    unsigned char b[64 + 4 + 29 + 2 + 4];
    memset(b, 0, sizeof b);
    memcpy(b, "IMPJRNL\n", 8);
    le(b + 8, 2, 4);
    le(b + 12, 64, 4);
    le(b + 16, HASH, 8);
    le(b + 60, crc32(crc32(0L, Z_NULL, 0), b, 60), 4);
    unsigned char *r = b + 64;
    le(r, 29 + 2, 4); /* L */
    le(r + 4, imp_hash64("c6", 2), 8);
    r[12] = 1; /* done */
    float acc = 75.5f;
    uint32_t bits;
    memcpy(&bits, &acc, 4);
    le(r + 13, bits, 4);
    le(r + 25, 7, 4); /* n_proxies */
    le(r + 29, 2, 2); /* key length */
    memcpy(r + 33, "c6", 2);
    le(r + 35, crc32(crc32(0L, Z_NULL, 0), r, 35), 4);
    IMP_ASSERT_INT_EQ(imp_test_write_file(path, b, sizeof b), 0);
}

static void test_version2_read_and_appended(void)
{
    const char *p = imp_test_path("v2.journal");
    write_v2(p);
    imp_journal_set *set;
    imp_journal_info info;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.version, 2);
    IMP_ASSERT_INT_EQ(set->n, 1);
    CU_ASSERT(set->rec[0].res.accuracy == 75.5f);
    IMP_ASSERT_INT_EQ(set->rec[0].res.n_proxies, 7);
    /* the measures version 2 did not have are unknown, not zero */
    CU_ASSERT(isnan(set->rec[0].res.f1));
    CU_ASSERT(isnan(set->rec[0].res.finished));
    IMP_ASSERT_INT_EQ(set->rec[0].res.rank, -1);
    IMP_ASSERT_INT_EQ(set->rec[0].res.host[0], '\0');
    imp_journal_set_free(set);
    /* appended in place: the header says 3, the old record reads as before */
    imp_journal *j;
    IMP_ASSERT_INT_EQ(jopen(p, &ID, 0, &j, &info, &err), 0);
    imp_cell_result r = mk(2, IMP_CELL_DONE, 50.0f, 1.0f, 1.0f, 4, "");
    r.rank = 3;
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &r, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + 39 + REC(0));
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.version, 3);
    IMP_ASSERT_INT_EQ(info.id.grid_id == HASH, 1);
    IMP_ASSERT_INT_EQ(set->n, 2);
    CU_ASSERT(set->rec[0].res.accuracy == 75.5f);
    IMP_ASSERT_INT_EQ(set->rec[0].res.rank, -1);
    assert_same(&set->rec[1], &r);
    imp_journal_set_free(set);
}

/* A newer writer's record: the extension names 2 more measures than this build knows (an
 * f64 and an i32 would follow); this build reads its own and skips the rest. */
static void test_newer_extension_skipped(void)
{
    const char *p = imp_test_path("newer.journal");
    imp_cell_result r = mk(1, IMP_CELL_DONE, 60.0f, 1.0f, 1.0f, 2, "");
    r.rank = 9;
    write_journal(p, &r, 1);
    size_t n = 0;
    unsigned char *b = slurp(p, &n);
    CU_ASSERT_FATAL(b != NULL && n == (size_t)(HDR + REC(0)));
    unsigned char *rec = b + HDR, *grown = malloc(n + 12);
    CU_ASSERT_FATAL(grown != NULL);
    size_t body = REC(0) - 4; /* the record without its CRC */
    memcpy(grown, b, HDR + body);
    memset(grown + HDR + body, 0xab, 12); /* 12 bytes of the unknown measures */
    unsigned char *g = grown + HDR;
    le(g, body - 4 + 12, 4);                      /* L grows by 12 */
    le(g + 35, (uint64_t)(rec[35] | rec[36] << 8) + 12, 2); /* and E */
    g[37] = (unsigned char)(rec[37] + 2);         /* extension count + 2 */
    le(g + body + 12, crc32(crc32(0L, Z_NULL, 0), g, body + 12), 4);
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, grown, n + 12), 0);
    imp_journal_set *set;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, NULL, &err), 0);
    IMP_ASSERT_INT_EQ(set->n, 1);
    assert_same(&set->rec[0], &r);
    imp_journal_set_free(set);
    free(b);
    free(grown);
}

static void test_long_message(void)
{
    const char *p = imp_test_path("long.journal");
    imp_cell_result r = mk(4, IMP_CELL_FAILED, NAN, 0.0f, 0.0f, 0, "");
    memset(r.message, 'e', sizeof r.message); /* not even NUL-terminated */
    write_journal(p, &r, 1);
    IMP_ASSERT_INT_EQ(fsize(p), HDR + REC(IMP_CELL_MSG_MAX - 1));
    imp_journal_set *set;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, NULL, &err), 0);
    IMP_ASSERT_INT_EQ(strlen(set->rec[0].res.message), IMP_CELL_MSG_MAX - 1);
    imp_journal_set_free(set);
}

/* The record codec alone (imp_journal_rec_encode/decode: the journal's records, and a result
 * between MPI ranks): every measure back bit for bit, a host name and unknown measures (NaN,
 * -1, "") included; the sizes the format gives; two records back to back each found; a
 * flipped byte or a cut record refused. */
static void test_codec_roundtrip(void)
{
    imp_cell_result in[2];
    in[0] = mk(3, IMP_CELL_DONE, 87.5f, 0.25f, 0.0625f, 12, "");
    in[0].f1 = 80.125f;
    snprintf(in[0].host, sizeof in[0].host, "node-17.cluster.example");
    in[0].rank = 3;
    in[0].finished = 1765000000.123456;
    in[1] = mk(7, IMP_CELL_FAILED, 0, 0, 0, 0, "GEN failed: k-means did not converge");
    imp_cell_result_unknown(&in[1]); /* every measure unknown */
    unsigned char *buf = malloc(2 * IMP_JOURNAL_REC_MAX);
    CU_ASSERT_FATAL(buf != NULL);
    size_t len[2], at = 0;
    for (int i = 0; i < 2; i++) {
        imp_journal_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.res = in[i];
        IMP_ASSERT_INT_EQ(key_fn(NULL, in[i].cell, rec.key, sizeof rec.key, &rec.key_hash), 2);
        rec.key_len = 2;
        len[i] = imp_journal_rec_encode(&rec, buf + at);
        at += len[i];
    }
    IMP_ASSERT_INT_EQ(len[0], REC(0) + strlen("node-17.cluster.example"));
    IMP_ASSERT_INT_EQ(len[1], REC(strlen(in[1].message)));
    imp_journal_rec *out = malloc(sizeof *out);
    CU_ASSERT_FATAL(out != NULL);
    size_t pos = 0;
    for (int i = 0; i < 2; i++) {
        size_t took = imp_journal_rec_decode(buf + pos, at - pos, out);
        IMP_ASSERT_INT_EQ(took, len[i]);
        assert_same(out, &in[i]);
        pos += took;
    }
    IMP_ASSERT_INT_EQ(isnan(out->res.accuracy) && out->res.n_proxies == -1 &&
                          out->res.rank == -1 && out->res.host[0] == '\0',
                      1);
    IMP_ASSERT_INT_EQ(imp_journal_rec_decode(buf, len[0] - 1, out), 0); /* cut short */
    buf[20] ^= 0x5a;                                                     /* inside accuracy */
    IMP_ASSERT_INT_EQ(imp_journal_rec_decode(buf, at, out), 0);
    free(out);
    free(buf);
}

int main(void)
{
    static const imp_test tests[] = {
        {"roundtrip", test_roundtrip},
        {"torn_tail", test_torn_tail},
        {"corrupt_middle", test_corrupt_middle},
        {"not_a_journal", test_not_a_journal},
        {"identity_and_versions", test_identity_and_versions},
        {"override_order", test_override_order},
        {"sync_and_lock", test_sync_and_lock},
        {"long_message", test_long_message},
        {"measures_extension", test_measures_extension},
        {"version2_read_and_appended", test_version2_read_and_appended},
        {"newer_extension_skipped", test_newer_extension_skipped},
        {"codec_roundtrip", test_codec_roundtrip},
        {NULL, NULL},
    };
    return imp_test_main("journal", tests);
}
