/* analyze.c — the whole selection as `imprint analyze` states it: where expressions,
 * competitors and names, then the matrix, optionally of the best column of each group. */
#include "analyze.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- The whole selection ---- */

/* Append item to the growing comma list *list; -1 when out of memory. */
static int list_append(char **list, const char *item, size_t len)
{
    size_t old = *list ? strlen(*list) : 0, n = old + len + 2;
    char *p = realloc(*list, n);
    if (!p)
        return -1;
    snprintf(p + old, n - old, "%s%.*s", old ? "," : "", (int)len, item);
    *list = p;
    return 0;
}

/* Is item (len bytes) a definition NAME=…, i.e. has it a '=' before any '@' or ' '? */
static int is_definition(const char *item, size_t len)
{
    for (size_t i = 0; i < len && item[i] != '@' && item[i] != ' '; i++)
        if (item[i] == '=')
            return i > 0;
    return 0;
}

/* The competitors list with each bare NAME of defs replaced by its definition, into *out. */
static int expand_competitors(const char *list, const char *defs, char **out)
{
    *out = NULL;
    for (const char *it = list; *it;) {
        size_t len = strcspn(it, ","), dlen = len;
        const char *item = it;
        for (const char *d = defs; d && *d;) {
            size_t dl = strcspn(d, ",");
            if (dl > len && d[len] == '=' && strncmp(d, it, len) == 0)
                item = d, dlen = dl;
            d += dl + (d[dl] == ',');
        }
        if (len && list_append(out, item, dlen))
            return -1;
        it += len + (it[len] == ',');
    }
    return 0;
}

/* Narrow sel by the where expressions and the competitors of spec; *comp gets the expanded
 * competitor list and *defs the name definitions (the user's, then the NAME=… items of the
 * competitors), both owned by the caller (NULL when there are none). */
static int narrow(imp_analyze_sel *sel, const imp_axes *a, const imp_analyze_spec *spec,
                  char **comp, char **defs, imp_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < spec->n_where && !rc; i++)
        rc = imp_analyze_where(sel, a, spec->where[i], err);
    if (rc)
        return rc;
    if (spec->names && list_append(defs, spec->names, strlen(spec->names)))
        goto nomem;
    if (spec->competitors) {
        if (expand_competitors(spec->competitors, spec->names, comp))
            goto nomem;
        if (*comp && (rc = imp_analyze_competitors(sel, a, *comp, err)))
            return rc;
        for (const char *it = *comp; it && *it;) {
            size_t len = strcspn(it, ",");
            if (is_definition(it, len) && list_append(defs, it, len))
                goto nomem;
            it += len + (it[len] == ',');
        }
    }
    return 0;
nomem:
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the selection");
}

int imp_analyze_mask(const imp_cube *cube, const imp_analyze_spec *spec, uint8_t *status,
                     imp_err *err)
{
    const imp_axes *a = &cube->axes;
    imp_analyze_sel sel;
    char *comp = NULL, *defs = NULL;
    int rc = imp_analyze_sel_init(&sel, a, err);
    if (rc)
        return rc;
    if (!(rc = narrow(&sel, a, spec, &comp, &defs, err)))
        for (uint64_t c = 0; c < cube->n_cells; c++) {
            size_t idx[IMP_AX__COUNT];
            imp_axes_cell_coords(a, c, idx);
            int keep = sel.col[(idx[IMP_AX_STRATEGY] * a->n_k + idx[IMP_AX_K]) * a->n_shot +
                               idx[IMP_AX_SHOT]];
            for (int ax = 0; ax < IMP_AX__COUNT && keep; ax++)
                keep = sel.keep[ax][idx[ax]];
            if (!keep)
                status[c] = IMP_CELL_NA;
        }
    imp_analyze_sel_free(&sel);
    free(comp);
    free(defs);
    return rc;
}

int imp_analyze_select(const imp_cube *cube, const imp_analyze_spec *spec,
                       const imp_analyze_opts *opts, imp_analyze_matrix *out, size_t *n_groups,
                       size_t *m_grouped, imp_err *err)
{
    const imp_axes *a = &cube->axes;
    imp_analyze_sel sel;
    char *comp = NULL, *defs = NULL;
    size_t *rows = NULL, n = 0, m_all = 0;
    memset(out, 0, sizeof *out);
    int rc = imp_analyze_sel_init(&sel, a, err);
    if (rc)
        return rc;
    sel.value = spec->value;
    if ((rc = narrow(&sel, a, spec, &comp, &defs, err)))
        goto out;
    if ((rc = imp_analyze_build(cube, &sel, out, err)) ||
        (rc = imp_analyze_names(out, a, defs, !spec->no_names, err)))
        goto out;
    if (spec->group_by) {
        int keys[16];
        size_t n_keys;
        imp_analysis an;
        if ((rc = imp_analyze_group_keys(spec->group_by, keys, 16, &n_keys, err)))
            goto out;
        if (out->m < 2 || out->N < 2)
            goto out; /* nothing to rank: the caller reports the matrix as it is */
        if ((rc = imp_analyze_table(out, opts, &an, err)))
            goto out;
        m_all = an.m;
        rc = imp_analyze_best_of_groups(out, a, &an, keys, n_keys, &rows, &n, err);
        imp_analysis_free(&an);
        if (rc)
            goto out;
        memset(sel.col, 0, sel.n_col);
        for (size_t g = 0; g < n; g++) {
            const imp_analyze_comp *c = &out->comp[out->row[rows[g]]];
            sel.col[(c->strategy * a->n_k + c->k) * a->n_shot + c->shot] = 1;
        }
        imp_analyze_matrix_free(out);
        if ((rc = imp_analyze_build(cube, &sel, out, err)) ||
            (rc = imp_analyze_names(out, a, defs, !spec->no_names, err)))
            goto out;
    }
out:
    if (rc)
        imp_analyze_matrix_free(out);
    if (n_groups)
        *n_groups = n;
    if (m_grouped)
        *m_grouped = m_all;
    imp_analyze_sel_free(&sel);
    free(comp);
    free(defs);
    free(rows);
    return rc;
}

