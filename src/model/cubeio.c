/* cubeio.c — the cube as text: long-format CSV export and the human status summary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cube_priv.h"

/* Shortest %g text (6..9 significant digits) that reads back as the same float32. */
static const char *fmt_float(float f, char buf[32])
{
    if (isnan(f)) {
        buf[0] = '\0';
        return buf;
    }
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, 32, "%.*g", p, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    return buf;
}

void imp_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

int imp_cube_export_csv(const imp_cube *c, FILE *out, imp_err *err)
{
    return imp_cube_export_csv_opts(c, out, NULL, err);
}

int imp_cube_export_csv_opts(const imp_cube *c, FILE *out, const imp_cube_csv_opts *opts,
                             imp_err *err)
{
    imp_cube_csv_opts o = opts ? *opts : (imp_cube_csv_opts){0};
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        fputs(imp_axis_name(ax), out);
        if (ax == IMP_AX_STRATEGY && o.strategy_fields && o.strategy_header)
            fputs(o.strategy_header, out);
        putc(',', out);
    }
    fputs("status,", out);
    for (int m = 0; m < IMP_MEASURE__COUNT; m++)
        fprintf(out, "%s,", imp_measure_info_of((imp_measure_id)m)->name);
    fputs("message\n", out);
    size_t idx[IMP_AX__COUNT];
    char vb[64], fb[32];
    for (uint64_t i = 0; i < c->n_cells; i++) {
        if (o.valid_only && c->status[i] == IMP_CELL_NA)
            continue;
        imp_axes_cell_coords(&c->axes, i, idx);
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
            imp_csv_field(out, imp_axis_value(&c->axes, ax, idx[ax], vb, sizeof vb));
            if (ax == IMP_AX_STRATEGY && o.strategy_fields)
                o.strategy_fields(out, idx[ax], o.ctx);
            putc(',', out);
        }
        fputs(imp_cube_status_name(c->status[i]), out);
        putc(',', out);
        /* every measure by the table; unknown values (NaN, -1) as empty fields */
        for (int m = 0; m < IMP_MEASURE__COUNT; m++) {
            const void *a = imp_cube_measure(c, (imp_measure_id)m);
            switch (imp_measure_info_of((imp_measure_id)m)->kind) {
            case IMP_MK_F32:
                fputs(fmt_float(((const float *)a)[i], fb), out);
                break;
            case IMP_MK_F64:
                if (!isnan(((const double *)a)[i]))
                    fprintf(out, "%.3f", ((const double *)a)[i]);
                break;
            case IMP_MK_I32:
                if (((const int32_t *)a)[i] >= 0)
                    fprintf(out, "%d", (int)((const int32_t *)a)[i]);
                break;
            case IMP_MK_HOST:
                if (((const int32_t *)a)[i] >= 0)
                    imp_csv_field(out, c->host_name[((const int32_t *)a)[i]]);
                break;
            }
            putc(',', out);
        }
        if (c->message[i])
            imp_csv_field(out, c->message[i]);
        putc('\n', out);
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "CSV export: write error");
    return 0;
}

static void print_counts(FILE *out, const size_t n[IMP_CELL__NSTATUS])
{
    fprintf(out, "done %zu, pending %zu, failed %zu, n-a %zu", n[IMP_CELL_DONE],
            n[IMP_CELL_PENDING], n[IMP_CELL_FAILED], n[IMP_CELL_NA]);
}

int imp_cube_print_status(const imp_cube *c, FILE *out, size_t max_failures, imp_err *err)
{
    size_t tot[IMP_CELL__NSTATUS];
    imp_cube_count(c, tot);
    size_t valid = c->n_cells - tot[IMP_CELL_NA];
    fprintf(out, "cells: %llu (valid %zu): ", (unsigned long long)c->n_cells, valid);
    print_counts(out, tot);
    fputc('\n', out);
    if (valid > 0)
        fprintf(out, "complete: %.1f%%\n", 100.0 * (double)tot[IMP_CELL_DONE] / (double)valid);

    char vb[64];
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        size_t len = imp_axis_len(&c->axes, ax);
        size_t *cnt = malloc(len * IMP_CELL__NSTATUS * sizeof *cnt);
        if (!cnt)
            return imp_err_set(err, IMP_ENOMEM, "status: out of memory");
        imp_cube_count_axis(c, ax, cnt);
        size_t w = 0;
        for (size_t i = 0; i < len; i++) {
            size_t l = strlen(imp_axis_value(&c->axes, ax, i, vb, sizeof vb));
            w = l > w ? l : w;
        }
        fprintf(out, "%s:\n", imp_axis_name(ax));
        for (size_t i = 0; i < len; i++) {
            fprintf(out, "  %-*s  ", (int)w, imp_axis_value(&c->axes, ax, i, vb, sizeof vb));
            print_counts(out, cnt + i * IMP_CELL__NSTATUS);
            fputc('\n', out);
        }
        free(cnt);
    }

    if (tot[IMP_CELL_FAILED] > 0) {
        fprintf(out, "failures (%zu", tot[IMP_CELL_FAILED]);
        if (tot[IMP_CELL_FAILED] > max_failures)
            fprintf(out, ", first %zu shown", max_failures);
        fputs("):\n", out);
        size_t shown = 0, idx[IMP_AX__COUNT];
        for (uint64_t i = 0; i < c->n_cells && shown < max_failures; i++) {
            if (c->status[i] != IMP_CELL_FAILED)
                continue;
            imp_axes_cell_coords(&c->axes, i, idx);
            for (int ax = 0; ax < IMP_AX__COUNT; ax++)
                fprintf(out, "%s%s=%s", ax ? " " : "  ", imp_axis_name(ax),
                        imp_axis_value(&c->axes, ax, idx[ax], vb, sizeof vb));
            fprintf(out, ": %s\n", c->message[i] && c->message[i][0] ? c->message[i]
                                                                     : "(no message)");
            shown++;
        }
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "status: write error");
    return 0;
}

int imp_cube_print_by_host(const imp_cube *c, FILE *out, imp_err *err)
{
    /* one row per host name and one for results without provenance (older journals) */
    size_t nh = c->n_host_name + 1;
    typedef struct {
        size_t done, failed;
        double inf_s, first, last;
        uint64_t ranks; /* bit r set: rank r (mod 64) seen */
    } row_t;
    row_t *row = calloc(nh, sizeof *row);
    if (!row)
        return imp_err_set(err, IMP_ENOMEM, "status: out of memory");
    for (size_t h = 0; h < nh; h++)
        row[h].first = INFINITY, row[h].last = -INFINITY;
    for (uint64_t i = 0; i < c->n_cells; i++) {
        if (c->status[i] != IMP_CELL_DONE && c->status[i] != IMP_CELL_FAILED)
            continue;
        row_t *r = &row[c->host[i] >= 0 ? (size_t)c->host[i] : c->n_host_name];
        if (c->status[i] == IMP_CELL_DONE)
            r->done++;
        else
            r->failed++;
        if (!isnan(c->inf_seconds[i]))
            r->inf_s += c->inf_seconds[i];
        if (!isnan(c->finished[i])) {
            r->first = c->finished[i] < r->first ? c->finished[i] : r->first;
            r->last = c->finished[i] > r->last ? c->finished[i] : r->last;
        }
        if (c->rank[i] >= 0)
            r->ranks |= 1ull << (c->rank[i] % 64);
    }
    size_t w = strlen("(unknown)");
    for (size_t h = 0; h < c->n_host_name; h++)
        w = strlen(c->host_name[h]) > w ? strlen(c->host_name[h]) : w;
    fprintf(out, "by host (cells with a result; span = last - first finish; cells/s over the "
                 "span; inference = the cells' inference seconds):\n");
    fprintf(out, "  %-*s  %8s  %7s  %5s  %9s  %8s  %11s\n", (int)w, "host",
            imp_cube_status_name(IMP_CELL_DONE), imp_cube_status_name(IMP_CELL_FAILED), "ranks",
            "span s", "cells/s", "inference s");
    for (size_t h = 0; h < nh; h++) {
        const row_t *r = &row[h];
        if (h == c->n_host_name && r->done + r->failed == 0)
            continue;
        int nr = 0;
        for (uint64_t b = r->ranks; b; b &= b - 1)
            nr++;
        char sp[32] = "-", rate[32] = "-";
        if (r->last >= r->first)
            snprintf(sp, sizeof sp, "%.1f", r->last - r->first);
        if (r->last > r->first)
            snprintf(rate, sizeof rate, "%.2f",
                     (double)(r->done + r->failed) / (r->last - r->first));
        fprintf(out, "  %-*s  %8zu  %7zu  %5d  %9s  %8s  %11.2f\n", (int)w,
                h < c->n_host_name ? c->host_name[h] : "(unknown)", r->done, r->failed, nr, sp,
                rate, r->inf_s);
    }
    free(row);
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "status: write error");
    return 0;
}
