/* journal.c — append-only journal of finished cells: little-endian records, each with a CRC32,
 * behind a header that names the grid; torn tails are dropped, middle corruption is an error. */
#include "imprint/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* File layout (all integers little-endian, floats as their IEEE-754 bits):
 *   header, 40 bytes: magic "IMPJRNL\n" | u32 version | u32 header size (40) | u64 grid_hash |
 *                     u64 n_cells | u32 crc32(bytes 0..31) | u32 reserved (0)
 *   record:           u32 L | u64 cell | u8 status | f32 accuracy | f32 gen_seconds |
 *                     f32 inf_seconds | i32 n_proxies | u16 msg_len | msg bytes (no NUL) |
 *                     u32 crc32(the 4 + L bytes before it)
 * L counts the bytes from cell to the end of the message: REC_FIXED + msg_len. A record is
 * written whole by one fwrite, so a crash can leave only a prefix of the last record (or, on
 * some file systems, zeros past the last synced byte): that is a torn tail, dropped. */
#define J_MAGIC "IMPJRNL\n"
#define J_VERSION 1u
#define J_HEADER 40u
#define REC_FIXED 27u
#define REC_MSG_MAX (IMP_CELL_MSG_MAX - 1)
#define REC_MAX (4u + REC_FIXED + REC_MSG_MAX + 4u)

struct imp_journal {
    FILE *fp;
    char *path;
    uint64_t grid_hash, n_cells;
    double last_sync;   /* imp_journal_clock() of the last sync */
    uint64_t unsynced;  /* records appended since the last sync */
    uint64_t appended;
    size_t counts[IMP_CELL__NSTATUS];
    int failed;         /* a write failed: the handle refuses further appends */
};

/* ---- little-endian encoding ---- */

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void encode_header(unsigned char h[J_HEADER], uint64_t grid_hash, uint64_t n_cells)
{
    memset(h, 0, J_HEADER);
    memcpy(h, J_MAGIC, 8);
    put_u32(h + 8, J_VERSION);
    put_u32(h + 12, J_HEADER);
    put_u64(h + 16, grid_hash);
    put_u64(h + 24, n_cells);
    put_u32(h + 32, crc(h, 32));
}

/* Encode rec into buf (>= REC_MAX bytes); returns the record's length. */
static size_t encode_record(unsigned char *buf, const imp_cell_result *rec)
{
    size_t ml = strnlen(rec->message, REC_MSG_MAX);
    uint32_t len = (uint32_t)(REC_FIXED + ml);
    put_u32(buf, len);
    put_u64(buf + 4, rec->cell);
    buf[12] = rec->status;
    put_f32(buf + 13, rec->accuracy);
    put_f32(buf + 17, rec->gen_seconds);
    put_f32(buf + 21, rec->inf_seconds);
    put_u32(buf + 25, (uint32_t)rec->n_proxies);
    put_u16(buf + 29, (uint16_t)ml);
    memcpy(buf + 31, rec->message, ml);
    put_u32(buf + 4 + len, crc(buf, 4 + len));
    return 4 + (size_t)len + 4;
}

/* Decode a record whose CRC checked; body is the 4 + L bytes from the length field on. */
static void decode_record(const unsigned char *b, uint32_t len, imp_cell_result *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->cell = get_u64(b + 4);
    rec->status = b[12];
    rec->accuracy = get_f32(b + 13);
    rec->gen_seconds = get_f32(b + 17);
    rec->inf_seconds = get_f32(b + 21);
    rec->n_proxies = (int32_t)get_u32(b + 25);
    size_t ml = len - REC_FIXED;
    memcpy(rec->message, b + 31, ml);
    rec->message[ml] = '\0';
}

/* A record that may be written: DONE or FAILED, inside the grid. */
static int check_record(const imp_cell_result *rec, uint64_t n_cells, const char *path,
                        const char *where, imp_err *err)
{
    if (rec->status != IMP_CELL_DONE && rec->status != IMP_CELL_FAILED)
        return imp_err_set(err, IMP_EINPUT, "%s: %s: cell %llu has status %u, expected 1 (done) "
                           "or 2 (failed)", path, where, (unsigned long long)rec->cell,
                           (unsigned)rec->status);
    if (n_cells && rec->cell >= n_cells)
        return imp_err_set(err, IMP_EINPUT, "%s: %s: cell %llu outside the grid of %llu cells",
                           path, where, (unsigned long long)rec->cell,
                           (unsigned long long)n_cells);
    return 0;
}

/* ---- reading ---- */

/* 1 iff every byte from the current position to EOF is zero. */
static int rest_is_zero(FILE *fp)
{
    int c;
    while ((c = getc(fp)) != EOF)
        if (c != 0)
            return 0;
    return 1;
}

int imp_journal_scan(const char *path, uint64_t grid_hash, uint64_t n_cells,
                     imp_journal_record_fn fn, void *ud, imp_journal_info *info, imp_err *err)
{
    imp_journal_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);

    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            return 0;
        return imp_err_set(err, IMP_EIO, "%s: cannot open journal: %s", path, strerror(errno));
    }
    info->exists = 1;
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        int e = errno;
        fclose(fp);
        return imp_err_set(err, IMP_EIO, "%s: cannot stat journal: %s", path, strerror(e));
    }
    uint64_t size = (uint64_t)st.st_size;
    int rc = 0;
    unsigned char h[J_HEADER];
    size_t got = fread(h, 1, J_HEADER, fp);
    if (got < J_HEADER) {
        /* Empty, or a header cut short while it was created: nothing was ever recorded. */
        int zero = 1;
        for (size_t i = 0; i < got; i++)
            zero &= h[i] == 0;
        if (memcmp(h, J_MAGIC, got < 8 ? got : 8) != 0 && !zero) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: not an imprint journal (bad magic)", path);
        } else {
            info->torn_bytes = got;
        }
        fclose(fp);
        return rc;
    }
    if (memcmp(h, J_MAGIC, 8) != 0) {
        fclose(fp);
        return imp_err_set(err, IMP_EINPUT, "%s: not an imprint journal (bad magic)", path);
    }
    if (get_u32(h + 32) != crc(h, 32)) {
        fclose(fp);
        return imp_err_set(err, IMP_EINPUT, "%s: journal header: checksum mismatch (corrupt "
                           "header)", path);
    }
    info->version = get_u32(h + 8);
    info->grid_hash = get_u64(h + 16);
    info->n_cells = get_u64(h + 24);
    if (info->version != J_VERSION || get_u32(h + 12) != J_HEADER) {
        fclose(fp);
        return imp_err_set(err, IMP_EINPUT, "%s: journal header: version %u, expected %u",
                           path, (unsigned)info->version, J_VERSION);
    }
    if (n_cells && (info->grid_hash != grid_hash || info->n_cells != n_cells)) {
        info->grid_mismatch = 1;
        fclose(fp);
        return imp_err_set(err, IMP_EINPUT, "%s: journal from another grid (journal: grid_hash "
                           "%016llx, %llu cells; job: grid_hash %016llx, %llu cells)", path,
                           (unsigned long long)info->grid_hash,
                           (unsigned long long)info->n_cells, (unsigned long long)grid_hash,
                           (unsigned long long)n_cells);
    }

    uint64_t off = J_HEADER;
    unsigned char buf[REC_MAX];
    while (off < size) {
        uint64_t remaining = size - off;
        int torn = 0;
        uint32_t len = 0;
        if (remaining < 4) {
            torn = 1;
        } else if (fread(buf, 1, 4, fp) != 4) {
            rc = imp_err_set(err, IMP_EIO, "%s: read error at offset %llu", path,
                             (unsigned long long)off);
            break;
        } else {
            len = get_u32(buf);
            uint64_t full = 4 + (uint64_t)len + 4;
            size_t have = (size_t)(full < remaining ? full : remaining);
            if (len < REC_FIXED || len > REC_FIXED + REC_MSG_MAX) {
                /* A torn write keeps its length field; a bad one is zero fill or damage. */
                torn = -1;
            } else if (fread(buf + 4, 1, have - 4, fp) != have - 4) {
                rc = imp_err_set(err, IMP_EIO, "%s: read error at offset %llu", path,
                                 (unsigned long long)off);
                break;
            } else if (full > remaining) {
                /* A prefix of a record: the fields it holds must agree with its length. */
                int ok = (have < 13 || buf[12] == IMP_CELL_DONE || buf[12] == IMP_CELL_FAILED) &&
                         (have < 31 || get_u16(buf + 29) == len - REC_FIXED);
                torn = ok ? 1 : -1;
            } else if (get_u32(buf + 4 + len) != crc(buf, 4 + len) ||
                       get_u16(buf + 29) != len - REC_FIXED) {
                torn = full == remaining ? 1 : -1;
            }
        }
        if (torn < 0) {
            if (fseeko(fp, (off_t)off, SEEK_SET) == 0 && rest_is_zero(fp))
                torn = 1;
            else {
                rc = imp_err_set(err, IMP_EINPUT, "%s: corrupt journal record at offset %llu "
                                 "(checksum or length wrong, %llu more bytes follow)", path,
                                 (unsigned long long)off, (unsigned long long)remaining);
                break;
            }
        }
        if (torn) {
            info->torn_bytes = remaining;
            break;
        }
        imp_cell_result rec;
        decode_record(buf, len, &rec);
        char where[64];
        snprintf(where, sizeof where, "record at offset %llu", (unsigned long long)off);
        if ((rc = check_record(&rec, n_cells, path, where, err)) != 0)
            break;
        info->n_records++;
        info->counts[rec.status]++;
        off += 4 + (uint64_t)len + 4;
        if (fn && (rc = fn(&rec, ud, err)) != 0)
            break;
    }
    info->good_end = off;
    fclose(fp);
    return rc;
}

/* Collecting records for imp_journal_load: all of them in file order, overrides applied
 * after the scan. */
typedef struct {
    imp_cell_result *rec;
    size_t n, cap;
} collect_t;

static int collect_fn(const imp_cell_result *rec, void *ud, imp_err *err)
{
    collect_t *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        imp_cell_result *nr = realloc(c->rec, cap * sizeof *nr);
        if (!nr)
            return imp_err_set(err, IMP_ENOMEM, "journal: out of memory for %zu records", cap);
        c->rec = nr;
        c->cap = cap;
    }
    c->rec[c->n++] = *rec;
    return 0;
}

typedef struct {
    uint64_t cell;
    size_t seq;
} cell_seq;

static int cmp_cell_seq(const void *a, const void *b)
{
    const cell_seq *x = a, *y = b;
    if (x->cell != y->cell)
        return x->cell < y->cell ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int imp_journal_load(const char *path, uint64_t grid_hash, uint64_t n_cells,
                     imp_journal_set **out, imp_journal_info *info, imp_err *err)
{
    *out = NULL;
    collect_t c = {0};
    int rc = imp_journal_scan(path, grid_hash, n_cells, collect_fn, &c, info, err);
    imp_journal_set *set = calloc(1, sizeof *set);
    cell_seq *order = malloc((c.n ? c.n : 1) * sizeof *order);
    imp_cell_result *res = malloc((c.n ? c.n : 1) * sizeof *res);
    if (rc == 0 && (!set || !order || !res))
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory loading the journal", path);
    if (rc != 0) {
        free(c.rec);
        free(set);
        free(order);
        free(res);
        return rc;
    }
    /* Sorted by (cell, file order): the last of each run of equal cells is the one that counts. */
    for (size_t i = 0; i < c.n; i++)
        order[i] = (cell_seq){c.rec[i].cell, i};
    if (c.n > 1)
        qsort(order, c.n, sizeof *order, cmp_cell_seq);
    size_t n = 0;
    for (size_t i = 0; i < c.n; i++)
        if (i + 1 == c.n || order[i + 1].cell != order[i].cell)
            res[n++] = c.rec[order[i].seq];
    free(c.rec);
    free(order);
    if (n && n < c.n) {
        imp_cell_result *shrunk = realloc(res, n * sizeof *res);
        if (shrunk)
            res = shrunk;
    }
    set->rec = res;
    set->n = n;
    *out = set;
    return 0;
}

void imp_journal_set_free(imp_journal_set *set)
{
    if (set) {
        free(set->rec);
        free(set);
    }
}

void imp_journal_set_counts(const imp_journal_set *set, size_t counts[IMP_CELL__NSTATUS])
{
    memset(counts, 0, IMP_CELL__NSTATUS * sizeof counts[0]);
    for (size_t i = 0; set && i < set->n; i++)
        if (set->rec[i].status < IMP_CELL__NSTATUS)
            counts[set->rec[i].status]++;
}

/* ---- writing ---- */

double imp_journal_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int imp_journal_open(const char *path, uint64_t grid_hash, uint64_t n_cells, int fresh,
                     imp_journal **out, imp_journal_info *info, imp_err *err)
{
    imp_journal_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    *out = NULL;
    if (n_cells == 0)
        return imp_err_set(err, IMP_EINPUT, "%s: a journal needs a grid of at least one cell",
                           path);

    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return imp_err_set(err, IMP_EIO, "%s: cannot open journal for writing: %s", path,
                           strerror(errno));
    /* Two writers would interleave records; file systems without flock (some network ones)
     * answer with an error other than EWOULDBLOCK, which we accept. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return imp_err_set(err, IMP_EEXIST, "%s: journal is held by another process (is another "
                           "sweep writing this cube?)", path);
    }
    int rc = 0;
    uint64_t good_end = 0;
    if (!fresh) {
        rc = imp_journal_scan(path, grid_hash, n_cells, NULL, NULL, info, err);
        good_end = info->good_end;
    } else {
        info->exists = 1;
    }
    struct stat st;
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot stat journal: %s", path, strerror(errno));
    if (rc == 0 && (uint64_t)st.st_size != good_end && ftruncate(fd, (off_t)good_end) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot cut the torn tail at offset %llu: %s", path,
                         (unsigned long long)good_end, strerror(errno));
    if (rc == 0 && good_end == 0) {
        unsigned char h[J_HEADER];
        encode_header(h, grid_hash, n_cells);
        if (lseek(fd, 0, SEEK_SET) != 0 || write_all(fd, h, J_HEADER) != 0 || fsync(fd) != 0)
            rc = imp_err_set(err, IMP_EIO, "%s: cannot write the journal header: %s", path,
                             strerror(errno));
        info->good_end = J_HEADER;
        info->grid_hash = grid_hash;
        info->n_cells = n_cells;
        info->version = J_VERSION;
    }
    if (rc == 0 && lseek(fd, 0, SEEK_END) < 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot seek: %s", path, strerror(errno));
    imp_journal *j = NULL;
    if (rc == 0) {
        j = calloc(1, sizeof *j);
        if (j)
            j->path = strdup(path);
        if (!j || !j->path)
            rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
    }
    if (rc == 0) {
        j->fp = fdopen(fd, "ab");
        if (!j->fp)
            rc = imp_err_set(err, IMP_EIO, "%s: fdopen: %s", path, strerror(errno));
    }
    if (rc != 0) {
        if (j)
            free(j->path);
        free(j);
        close(fd);
        return rc;
    }
    /* Records reach the kernel in 64 KiB batches or at a sync, whichever comes first. */
    setvbuf(j->fp, NULL, _IOFBF, 1 << 16);
    j->grid_hash = grid_hash;
    j->n_cells = n_cells;
    j->last_sync = imp_journal_clock();
    *out = j;
    return 0;
}

int imp_journal_append(imp_journal *j, const imp_cell_result *rec, imp_err *err)
{
    if (j->failed)
        return imp_err_set(err, IMP_EIO, "%s: journal unusable after an earlier write error",
                           j->path);
    int rc = check_record(rec, j->n_cells, j->path, "append", err);
    if (rc != 0)
        return rc;
    unsigned char buf[REC_MAX];
    size_t n = encode_record(buf, rec);
    if (fwrite(buf, 1, n, j->fp) != n) {
        j->failed = 1;
        return imp_err_set(err, IMP_EIO, "%s: cannot append a record: %s", j->path,
                           strerror(errno));
    }
    j->appended++;
    j->unsynced++;
    j->counts[rec->status]++;
    return 0;
}

int imp_journal_sync(imp_journal *j, imp_err *err)
{
    if (j->failed)
        return imp_err_set(err, IMP_EIO, "%s: journal unusable after an earlier write error",
                           j->path);
    if (fflush(j->fp) != 0 || fsync(fileno(j->fp)) != 0) {
        j->failed = 1;
        return imp_err_set(err, IMP_EIO, "%s: cannot sync the journal: %s", j->path,
                           strerror(errno));
    }
    j->unsynced = 0;
    j->last_sync = imp_journal_clock();
    return 0;
}

int imp_journal_maybe_sync(imp_journal *j, double now, imp_err *err)
{
    if (j->unsynced == 0 || now - j->last_sync < IMP_JOURNAL_SYNC_SECONDS)
        return 0;
    int rc = imp_journal_sync(j, err);
    if (rc != 0)
        return rc;
    j->last_sync = now;
    return 1;
}

uint64_t imp_journal_appended(const imp_journal *j, size_t counts[IMP_CELL__NSTATUS])
{
    if (counts)
        memcpy(counts, j->counts, sizeof j->counts);
    return j->appended;
}

int imp_journal_close(imp_journal *j, imp_err *err)
{
    if (!j)
        return 0;
    int rc = j->failed ? imp_err_set(err, IMP_EIO, "%s: journal had a write error; records "
                                     "after the last sync may be lost", j->path)
                       : imp_journal_sync(j, err);
    /* Closing the descriptor releases the flock. */
    if (fclose(j->fp) != 0 && rc == 0)
        rc = imp_err_set(err, IMP_EIO, "%s: close: %s", j->path, strerror(errno));
    free(j->path);
    free(j);
    return rc;
}
