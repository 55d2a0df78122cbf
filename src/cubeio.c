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
    fprintf(out, "model,task,strategy%s,k,shot,seed,status,accuracy,gen_seconds,inf_seconds,"
            "n_proxies,message\n", o.strategy_fields && o.strategy_header ? o.strategy_header
                                                                          : "");
    size_t idx[IMP_AX__COUNT];
    char vb[64], fb[32];
    for (uint64_t i = 0; i < c->n_cells; i++) {
        if (o.valid_only && c->status[i] == IMP_CELL_NA)
            continue;
        imp_cube_cell_coords(&c->axes, i, idx);
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
            imp_csv_field(out, imp_cube_axis_value(&c->axes, ax, idx[ax], vb, sizeof vb));
            if (ax == IMP_AX_STRATEGY && o.strategy_fields)
                o.strategy_fields(out, idx[ax], o.ctx);
            putc(',', out);
        }
        fputs(imp_cube_status_name(c->status[i]), out);
        putc(',', out);
        fputs(fmt_float(c->accuracy[i], fb), out);
        putc(',', out);
        fputs(fmt_float(c->gen_seconds[i], fb), out);
        putc(',', out);
        fputs(fmt_float(c->inf_seconds[i], fb), out);
        putc(',', out);
        if (c->n_proxies[i] >= 0)
            fprintf(out, "%d", (int)c->n_proxies[i]);
        putc(',', out);
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
        size_t len = imp_cube_axis_len(&c->axes, ax);
        size_t *cnt = malloc(len * IMP_CELL__NSTATUS * sizeof *cnt);
        if (!cnt)
            return imp_err_set(err, IMP_ENOMEM, "status: out of memory");
        imp_cube_count_axis(c, ax, cnt);
        size_t w = 0;
        for (size_t i = 0; i < len; i++) {
            size_t l = strlen(imp_cube_axis_value(&c->axes, ax, i, vb, sizeof vb));
            w = l > w ? l : w;
        }
        fprintf(out, "%s:\n", imp_cube_axis_name(ax));
        for (size_t i = 0; i < len; i++) {
            fprintf(out, "  %-*s  ", (int)w, imp_cube_axis_value(&c->axes, ax, i, vb, sizeof vb));
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
            imp_cube_cell_coords(&c->axes, i, idx);
            for (int ax = 0; ax < IMP_AX__COUNT; ax++)
                fprintf(out, "%s%s=%s", ax ? " " : "  ", imp_cube_axis_name(ax),
                        imp_cube_axis_value(&c->axes, ax, idx[ax], vb, sizeof vb));
            fprintf(out, ": %s\n", c->message[i] && c->message[i][0] ? c->message[i]
                                                                     : "(no message)");
            shown++;
        }
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "status: write error");
    return 0;
}
