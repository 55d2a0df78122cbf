/* journal.c — append-only journal of finished cells: little-endian records naming their cell
 * by value (key + hash), each with a CRC32, behind a versioned header; torn tails are dropped,
 * middle corruption is an error; version 1 journals (cells by grid index) are still read. */
#include "imprint/journal.h"
#include "imprint/clock.h"
#include "imprint/crash.h"
#include "imprint/le.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "imprint/hash64.h"

/* File layout, versions 2 and 3 (all integers little-endian, floats as their IEEE-754 bits):
 *   header, 64 bytes: magic "IMPJRNL\n" | u32 version (2 or 3) | u32 header size (64) |
 *                     u64 grid_id | u32 shard_i | u32 shard_n | u64 basis | 20 bytes zero |
 *                     u32 crc32(bytes 0..59)
 *   record:           u32 L | u64 key_hash | u8 status | f32 accuracy | f32 gen_seconds |
 *                     f32 inf_seconds | i32 n_proxies | u16 key_len | u16 msg_len |
 *                     key bytes | msg bytes (no NULs) | extension | u32 crc32(the 4 + L bytes
 *                     before it)
 *   extension:        empty (a version 2 record), or u16 E (the bytes after it) | u8 n | n
 *                     values of the measures after the first IMP_MEASURE__V2 in table order
 *                     (measure.h): f32 / i32 4 bytes, f64 8 bytes, a host name u8 length +
 *                     bytes. A reader takes the measures it knows and skips the rest (the CRC
 *                     covers them), so rows appended to the table later read as unknown here
 *                     and extra ones from a newer writer are ignored. E makes a damaged length
 *                     field detectable before the CRC is reached, as in version 2.
 * L = V2_FIXED + key_len + msg_len + extension length. Version 3 differs from 2 only in that
 * its records carry the extension; a version 2 journal appended to gets its header
 * rewritten as 3 first. Version 1 (read only): a 40-byte header magic | u32 1 |
 * u32 40 | u64 grid_hash | u64 n_cells | u32 crc32(0..31) | u32 0, and records
 * u32 L | u64 cell | u8 status | 4 x 4 bytes as above | u16 msg_len | msg | u32 crc, with
 * L = V1_FIXED + msg_len. A record is written whole by one fwrite, so a crash can leave only
 * a prefix of the last record (or, on some file systems, zeros past the last synced byte):
 * that is a torn tail, dropped. */
#define J_MAGIC "IMPJRNL\n"
#define V1_HEADER 40u
#define V2_HEADER ((uint32_t)IMP_JOURNAL_HEADER_BYTES)
#define V1_FIXED 27u
#define V2_FIXED 29u
#define REC_MSG_MAX (IMP_CELL_MSG_MAX - 1)
#define REC_KEY_MAX (IMP_JOURNAL_KEY_MAX - 1)
/* The longest extension this build writes (every extra measure 8 bytes or a whole host
 * name), and the longest one it reads (room for rows a newer build adds). */
#define EXT_WRITE_MAX (3u + 8u * IMP_MEASURE__COUNT + IMP_HOST_MAX)
#define EXT_READ_MAX 4096u
#define REC_MAX (4u + V2_FIXED + REC_KEY_MAX + REC_MSG_MAX + EXT_READ_MAX + 4u)
_Static_assert(REC_MAX == IMP_JOURNAL_REC_MAX,
               "journal.h's IMP_JOURNAL_REC_MAX must be the record bound");

struct imp_journal {
    FILE *fp;
    char *path;
    imp_journal_key_fn key;
    const void *key_ctx;
    double last_sync;   /* imp_clock_s() of the last sync */
    uint64_t unsynced;  /* records appended since the last sync */
    uint64_t appended;
    size_t counts[IMP_CELL__NSTATUS];
    int failed;         /* a write failed: the handle refuses further appends */
};

/* ---- a result's measures (measure.h), by row ---- */

static const size_t res_off[IMP_MEASURE__COUNT] = {
#define ROW(ID, name, kind, units, doc) offsetof(imp_cell_result, name),
    IMP_MEASURE_MAP(ROW)
#undef ROW
};

void *imp_cell_result_measure(imp_cell_result *r, imp_measure_id id)
{
    return (char *)r + res_off[id];
}

const void *imp_cell_result_measure_c(const imp_cell_result *r, imp_measure_id id)
{
    return (const char *)r + res_off[id];
}

void imp_cell_result_unknown(imp_cell_result *r)
{
    for (int i = 0; i < IMP_MEASURE__COUNT; i++) {
        void *p = imp_cell_result_measure(r, (imp_measure_id)i);
        switch (imp_measure_info_of((imp_measure_id)i)->kind) {
        case IMP_MK_F32: *(float *)p = NAN; break;
        case IMP_MK_F64: *(double *)p = NAN; break;
        case IMP_MK_I32: *(int32_t *)p = -1; break;
        case IMP_MK_HOST: memset(p, 0, IMP_HOST_MAX); break;
        }
    }
}

/* ---- little-endian encoding ---- */

static void put_f32(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    imp_le_put32(p, v);
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = imp_le_get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void encode_header(unsigned char h[V2_HEADER], const imp_journal_id *id)
{
    memset(h, 0, V2_HEADER);
    memcpy(h, J_MAGIC, 8);
    imp_le_put32(h + 8, IMP_JOURNAL_VERSION);
    imp_le_put32(h + 12, V2_HEADER);
    imp_le_put64(h + 16, id->grid_id);
    imp_le_put32(h + 24, id->shard_i);
    imp_le_put32(h + 28, id->shard_n);
    imp_le_put64(h + 32, id->basis);
    imp_le_put32(h + 60, crc(h, 60));
}

/* The bytes of one measure, per kind (a host name's length byte included). */
static size_t put_measure(unsigned char *p, imp_measure_kind kind, const void *v)
{
    uint64_t u;
    switch (kind) {
    case IMP_MK_F32:
        put_f32(p, *(const float *)v);
        return 4;
    case IMP_MK_I32:
        imp_le_put32(p, (uint32_t) * (const int32_t *)v);
        return 4;
    case IMP_MK_F64:
        memcpy(&u, v, 8);
        imp_le_put64(p, u);
        return 8;
    case IMP_MK_HOST: {
        size_t n = strnlen(v, IMP_HOST_MAX - 1);
        p[0] = (unsigned char)n;
        memcpy(p + 1, v, n);
        return 1 + n;
    }
    }
    return 0;
}

/* Decode one measure from p (avail bytes); returns the bytes taken, 0 if they do not fit. */
static size_t get_measure(const unsigned char *p, size_t avail, imp_measure_kind kind, void *v)
{
    uint64_t u;
    switch (kind) {
    case IMP_MK_F32:
        if (avail < 4)
            return 0;
        *(float *)v = get_f32(p);
        return 4;
    case IMP_MK_I32:
        if (avail < 4)
            return 0;
        *(int32_t *)v = (int32_t)imp_le_get32(p);
        return 4;
    case IMP_MK_F64:
        if (avail < 8)
            return 0;
        u = imp_le_get64(p);
        memcpy(v, &u, 8);
        return 8;
    case IMP_MK_HOST:
        if (avail < 1 || avail < 1u + p[0] || p[0] >= IMP_HOST_MAX)
            return 0;
        memcpy(v, p + 1, p[0]);
        ((char *)v)[p[0]] = '\0';
        return 1u + p[0];
    }
    return 0;
}

/* Encode rec into buf (>= REC_MAX bytes); returns the record's length. */
static size_t encode_record(unsigned char *buf, const imp_journal_rec *rec)
{
    size_t ml = strnlen(rec->res.message, REC_MSG_MAX);
    size_t kl = rec->key_len > REC_KEY_MAX ? REC_KEY_MAX : rec->key_len;
    imp_le_put64(buf + 4, rec->key_hash);
    buf[12] = rec->res.status;
    size_t pos = 13;
    for (int i = 0; i < IMP_MEASURE__V2; i++)
        pos += put_measure(buf + pos, imp_measure_info_of((imp_measure_id)i)->kind,
                           imp_cell_result_measure_c(&rec->res, (imp_measure_id)i));
    imp_le_put16(buf + 29, (uint16_t)kl);
    imp_le_put16(buf + 31, (uint16_t)ml);
    memcpy(buf + 33, rec->key, kl);
    memcpy(buf + 33 + kl, rec->res.message, ml);
    size_t ext = 33 + kl + ml;
    pos = ext + 2;
    buf[pos++] = (unsigned char)(IMP_MEASURE__COUNT - IMP_MEASURE__V2);
    for (int i = IMP_MEASURE__V2; i < IMP_MEASURE__COUNT; i++)
        pos += put_measure(buf + pos, imp_measure_info_of((imp_measure_id)i)->kind,
                           imp_cell_result_measure_c(&rec->res, (imp_measure_id)i));
    imp_le_put16(buf + ext, (uint16_t)(pos - ext - 2));
    uint32_t len = (uint32_t)(pos - 4);
    imp_le_put32(buf, len);
    imp_le_put32(buf + 4 + len, crc(buf, 4 + len));
    return 4 + (size_t)len + 4;
}

/* Decode a record whose CRC checked; b holds the 4 + L bytes from the length field on. */
static void decode_record(const unsigned char *b, uint32_t len, uint32_t version,
                          imp_journal_rec *rec)
{
    memset(&rec->res, 0, sizeof rec->res);
    imp_cell_result *r = &rec->res;
    imp_cell_result_unknown(r);
    r->status = b[12];
    size_t pos = 13;
    for (int i = 0; i < IMP_MEASURE__V2; i++)
        pos += get_measure(b + pos, 4, imp_measure_info_of((imp_measure_id)i)->kind,
                           imp_cell_result_measure(r, (imp_measure_id)i));
    size_t ml, kl = 0;
    const unsigned char *msg;
    if (version == 1) {
        r->cell = imp_le_get64(b + 4);
        rec->key_hash = 0;
        ml = len - V1_FIXED;
        msg = b + 31;
    } else {
        r->cell = UINT64_MAX;
        rec->key_hash = imp_le_get64(b + 4);
        kl = imp_le_get16(b + 29);
        ml = imp_le_get16(b + 31);
        memcpy(rec->key, b + 33, kl);
        msg = b + 33 + kl;
        /* the extension: measures this build knows, in table order, until it ends */
        size_t end = 4 + (size_t)len;
        pos = 33 + kl + ml + 2; /* past E, which fields_ok checked */
        if (pos < end) {
            size_t n = b[pos++];
            for (size_t i = 0; i < n && IMP_MEASURE__V2 + i < IMP_MEASURE__COUNT; i++) {
                imp_measure_id id = (imp_measure_id)(IMP_MEASURE__V2 + i);
                size_t took = get_measure(b + pos, end - pos, imp_measure_info_of(id)->kind,
                                          imp_cell_result_measure(r, id));
                if (!took)
                    break;
                pos += took;
            }
        }
    }
    rec->key[kl] = '\0';
    rec->key_len = kl;
    memcpy(r->message, msg, ml);
    r->message[ml] = '\0';
}

/* The bounds of a record's length field, and whether a (possibly partial) record's fields
 * agree with its length: have bytes of it are in b. */
static int len_ok(uint32_t version, uint32_t len)
{
    if (version == 1)
        return len >= V1_FIXED && len <= V1_FIXED + REC_MSG_MAX;
    return len >= V2_FIXED && len <= V2_FIXED + REC_KEY_MAX + REC_MSG_MAX + EXT_READ_MAX;
}

static int fields_ok(uint32_t version, const unsigned char *b, size_t have, uint32_t len)
{
    if (have >= 13 && b[12] != IMP_CELL_DONE && b[12] != IMP_CELL_FAILED)
        return 0;
    if (version == 1)
        return have < 31 || imp_le_get16(b + 29) == len - V1_FIXED;
    if (have < 33)
        return 1;
    uint32_t kl = imp_le_get16(b + 29), ml = imp_le_get16(b + 31);
    if (kl > REC_KEY_MAX || ml > REC_MSG_MAX || kl + ml > len - V2_FIXED)
        return 0;
    uint32_t ext = len - V2_FIXED - kl - ml;
    if (version == 2)
        return ext == 0; /* version 2 records have no extension */
    /* version 3: a record from before the header was upgraded has none; otherwise E names
     * exactly the rest of the record */
    size_t at = 4 + V2_FIXED + kl + ml;
    return ext == 0 || (ext >= 3 && ext <= EXT_READ_MAX &&
                        (have < at + 2 || imp_le_get16(b + at) + 2u == ext));
}

/* ---- one record, also on the wire ---- */

size_t imp_journal_rec_encode(const imp_journal_rec *rec, unsigned char *buf)
{
    return encode_record(buf, rec);
}

size_t imp_journal_rec_decode(const unsigned char *buf, size_t avail, imp_journal_rec *rec)
{
    if (avail < 8)
        return 0;
    uint32_t len = imp_le_get32(buf);
    if (!len_ok(IMP_JOURNAL_VERSION, len) || avail - 8 < len ||
        !fields_ok(IMP_JOURNAL_VERSION, buf, 4 + (size_t)len, len) ||
        imp_le_get32(buf + 4 + len) != crc(buf, 4 + (size_t)len))
        return 0;
    decode_record(buf, len, IMP_JOURNAL_VERSION, rec);
    return 4 + (size_t)len + 4;
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

/* Read and check the header; sets info's header fields and *hsize (0: empty or torn header,
 * nothing ever recorded). */
static int read_header(FILE *fp, const char *path, imp_journal_info *info, uint32_t *hsize,
                       imp_err *err)
{
    unsigned char h[V2_HEADER];
    *hsize = 0;
    size_t got = fread(h, 1, V1_HEADER, fp);
    int zero = 1;
    for (size_t i = 0; i < got; i++)
        zero &= h[i] == 0;
    if (got >= 8 ? memcmp(h, J_MAGIC, 8) != 0 : (memcmp(h, J_MAGIC, got) != 0 && !zero))
        return imp_err_set(err, IMP_EINPUT, "%s: not an imprint journal (bad magic)", path);
    if (got < 16) {
        info->torn_bytes = got;
        return 0;
    }
    uint32_t version = imp_le_get32(h + 8), size = imp_le_get32(h + 12);
    if (!((version == 1 && size == V1_HEADER) || (IMP_JOURNAL_BY_VALUE(version) && size == V2_HEADER)))
        return imp_err_set(err, IMP_EINPUT, "%s: journal header: version %u (header %u bytes); "
                           "this imprint reads versions 1 to 3 — written by a newer imprint?",
                           path, (unsigned)version, (unsigned)size);
    if (size > got)
        got += fread(h + got, 1, size - got, fp);
    if (got < size) {
        /* a header cut short while it was created: nothing was ever recorded */
        info->torn_bytes = got;
        return 0;
    }
    if (imp_le_get32(h + size - 8 + (version == 1 ? 0 : 4)) != crc(h, size - 8 + (version == 1 ? 0 : 4)))
        return imp_err_set(err, IMP_EINPUT, "%s: journal header: checksum mismatch (corrupt "
                           "header)", path);
    info->version = version;
    if (version == 1) {
        info->v1_grid_hash = imp_le_get64(h + 16);
        info->v1_n_cells = imp_le_get64(h + 24);
    } else {
        info->id.grid_id = imp_le_get64(h + 16);
        info->id.shard_i = imp_le_get32(h + 24);
        info->id.shard_n = imp_le_get32(h + 28);
        info->id.basis = imp_le_get64(h + 32);
    }
    *hsize = size;
    return 0;
}

int imp_journal_scan(const char *path, imp_journal_record_fn fn, void *ud,
                     imp_journal_info *info, imp_err *err)
{
    return imp_journal_scan_prefix(path, UINT64_MAX, fn, ud, info, err);
}

int imp_journal_scan_prefix(const char *path, uint64_t limit, imp_journal_record_fn fn, void *ud,
                            imp_journal_info *info, imp_err *err)
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
    uint32_t hsize = 0;
    int rc = read_header(fp, path, info, &hsize, err);
    if (rc || hsize == 0) {
        fclose(fp);
        return rc;
    }
    uint32_t version = info->version;
    uint64_t off = hsize;
    unsigned char *buf = malloc(REC_MAX);
    imp_journal_rec *rec = malloc(sizeof *rec);
    if (!buf || !rec) {
        free(buf);
        free(rec);
        fclose(fp);
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory reading the journal", path);
    }
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
            len = imp_le_get32(buf);
            uint64_t full = 4 + (uint64_t)len + 4;
            size_t have = (size_t)(full < remaining ? full : remaining);
            if (!len_ok(version, len)) {
                /* A torn write keeps its length field; a bad one is zero fill or damage. */
                torn = -1;
            } else if (fread(buf + 4, 1, have - 4, fp) != have - 4) {
                rc = imp_err_set(err, IMP_EIO, "%s: read error at offset %llu", path,
                                 (unsigned long long)off);
                break;
            } else if (full > remaining) {
                /* A prefix of a record: the fields it holds must agree with its length. */
                torn = fields_ok(version, buf, have, len) ? 1 : -1;
            } else if (imp_le_get32(buf + 4 + len) != crc(buf, 4 + len) ||
                       !fields_ok(version, buf, have, len)) {
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
        decode_record(buf, len, version, rec);
        if (version != 1 && imp_hash64(rec->key, rec->key_len) != rec->key_hash) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: record at offset %llu: key hash does not "
                             "match its key", path, (unsigned long long)off);
            break;
        }
        if (off + 4 + (uint64_t)len + 4 > limit)
            break;
        info->n_records++;
        info->counts[rec->res.status]++;
        off += 4 + (uint64_t)len + 4;
        if (fn && (rc = fn(rec, ud, err)) != 0)
            break;
    }
    info->good_end = off;
    free(buf);
    free(rec);
    fclose(fp);
    return rc;
}

/* Collecting records for imp_journal_load: one slot per distinct key (v1: cell), the last
 * record of a key overwriting its slot. */
typedef struct {
    imp_journal_rec *rec;
    size_t n, cap;
} collect_t;

static int same_slot(const imp_journal_rec *a, const imp_journal_rec *b)
{
    if (a->key_len || b->key_len)
        return a->key_hash == b->key_hash && strcmp(a->key, b->key) == 0;
    return a->res.cell == b->res.cell;
}

static int collect_fn(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    collect_t *c = ud;
    for (size_t i = c->n; i-- > 0;)
        if (same_slot(&c->rec[i], rec)) {
            c->rec[i] = *rec;
            return 0;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        imp_journal_rec *nr = realloc(c->rec, cap * sizeof *nr);
        if (!nr)
            return imp_err_set(err, IMP_ENOMEM, "journal: out of memory for %zu records", cap);
        c->rec = nr;
        c->cap = cap;
    }
    c->rec[c->n++] = *rec;
    return 0;
}

int imp_journal_load(const char *path, imp_journal_set **out, imp_journal_info *info,
                     imp_err *err)
{
    *out = NULL;
    collect_t c = {0};
    int rc = imp_journal_scan(path, collect_fn, &c, info, err);
    imp_journal_set *set = rc ? NULL : calloc(1, sizeof *set);
    if (rc == 0 && !set)
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory loading the journal", path);
    if (rc != 0) {
        free(c.rec);
        return rc;
    }
    set->rec = c.rec;
    set->n = c.n;
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

/* ---- writing ---- */


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

int imp_journal_open(const char *path, const imp_journal_id *id, imp_journal_key_fn key,
                     const void *key_ctx, int fresh, imp_journal **out, imp_journal_info *info,
                     imp_err *err)
{
    imp_journal_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    *out = NULL;

    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return imp_err_set(err, IMP_EIO, "%s: cannot open journal for writing: %s", path,
                           strerror(errno));
    /* Two writers would interleave records; file systems without flock (some network ones)
     * answer with an error other than EWOULDBLOCK, which we accept. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return imp_err_set(err, IMP_EEXIST, "%s: journal is held by another process (is another "
                           "sweep, shard or merge writing it?)", path);
    }
    int rc = 0;
    uint64_t good_end = 0;
    if (!fresh) {
        rc = imp_journal_scan(path, NULL, NULL, info, err);
        good_end = info->good_end;
    } else {
        info->exists = 1;
    }
    if (rc == 0 && info->version == 1)
        rc = imp_err_set(err, IMP_EINPUT, "%s: a version 1 journal (cells by grid index, written "
                         "by imprint 0.1); convert it to version 2 with `imprint merge JOB.yaml` "
                         "(the job that wrote it, with its cube beside the journal)", path);
    if (rc == 0 && IMP_JOURNAL_BY_VALUE(info->version) && id->shard_n &&
        (info->id.grid_id != id->grid_id || info->id.shard_i != id->shard_i ||
         info->id.shard_n != id->shard_n || info->id.basis != id->basis))
        rc = imp_err_set(err, IMP_EINPUT, "%s: shard journal of another grid or store content "
                         "(journal: grid %016llx, shard %u/%u; now: grid %016llx, shard %u/%u): "
                         "merge it with the job that wrote it, or delete it", path,
                         (unsigned long long)info->id.grid_id, (unsigned)info->id.shard_i,
                         (unsigned)info->id.shard_n, (unsigned long long)id->grid_id,
                         (unsigned)id->shard_i, (unsigned)id->shard_n);
    struct stat st;
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot stat journal: %s", path, strerror(errno));
    if (rc == 0 && (uint64_t)st.st_size != good_end && ftruncate(fd, (off_t)good_end) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot cut the torn tail at offset %llu: %s", path,
                         (unsigned long long)good_end, strerror(errno));
    if (rc == 0 && good_end == 0) {
        unsigned char h[V2_HEADER];
        encode_header(h, id);
        if (lseek(fd, 0, SEEK_SET) != 0 || write_all(fd, h, V2_HEADER) != 0 || fsync(fd) != 0)
            rc = imp_err_set(err, IMP_EIO, "%s: cannot write the journal header: %s", path,
                             strerror(errno));
        info->good_end = V2_HEADER;
        info->version = IMP_JOURNAL_VERSION;
        info->id = *id;
    }
    if (rc == 0 && good_end > 0 && info->version == 2) {
        /* records with an extension follow: say so in the header (one 64-byte write of the
         * same id, fsynced before any such record is appended) */
        unsigned char h[V2_HEADER];
        encode_header(h, &info->id);
        if (pwrite(fd, h, V2_HEADER, 0) != (ssize_t)V2_HEADER || fsync(fd) != 0)
            rc = imp_err_set(err, IMP_EIO, "%s: cannot update the journal header to version "
                             "%u: %s", path, (unsigned)IMP_JOURNAL_VERSION, strerror(errno));
        info->version = IMP_JOURNAL_VERSION;
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
    j->key = key;
    j->key_ctx = key_ctx;
    j->last_sync = imp_clock_s();
    *out = j;
    return 0;
}

int imp_journal_append_rec(imp_journal *j, const imp_journal_rec *rec, imp_err *err)
{
    if (j->failed)
        return imp_err_set(err, IMP_EIO, "%s: journal unusable after an earlier write error",
                           j->path);
    if (rec->res.status != IMP_CELL_DONE && rec->res.status != IMP_CELL_FAILED)
        return imp_err_set(err, IMP_EINPUT, "%s: append: a record with status %u, expected 1 "
                           "(done) or 2 (failed)", j->path, (unsigned)rec->res.status);
    if (rec->key_len == 0 || rec->key_len > REC_KEY_MAX)
        return imp_err_set(err, IMP_EINPUT, "%s: append: a record without a key", j->path);
    unsigned char buf[REC_MAX];
    size_t n = encode_record(buf, rec);
    if (imp_crash_hit("journal-append")) /* test hook: a torn record, then death */
        fflush(j->fp), (void)!write(fileno(j->fp), buf, n / 2), imp_crash_now();
    if (fwrite(buf, 1, n, j->fp) != n) {
        j->failed = 1;
        return imp_err_set(err, IMP_EIO, "%s: cannot append a record: %s", j->path,
                           strerror(errno));
    }
    j->appended++;
    j->unsynced++;
    j->counts[rec->res.status]++;
    return 0;
}

int imp_journal_append(imp_journal *j, const imp_cell_result *res, imp_err *err)
{
    imp_journal_rec rec;
    rec.res = *res;
    rec.key_len = j->key ? j->key(j->key_ctx, res->cell, rec.key, sizeof rec.key, &rec.key_hash)
                         : 0;
    if (rec.key_len == 0)
        return imp_err_set(err, IMP_EINPUT, "%s: append: cell %llu has no key (n/a or outside "
                           "the grid)", j->path, (unsigned long long)res->cell);
    return imp_journal_append_rec(j, &rec, err);
}

int imp_journal_busy(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
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
    j->last_sync = imp_clock_s();
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
