/* analyze.h — `imprint analyze` as a library: the whole selection (where expressions,
 * competitors, names, best of groups) turned into a matrix. Its parts, bottom first, are
 * selection.h (what to keep), matrix.h (the competitors × voters scores), ranking.h (the
 * statistics run) and report.h (the writers); this header brings them all
 * (docs/statistics.md). */
#ifndef IMPRINT_ANALYSIS_ANALYZE_H
#define IMPRINT_ANALYSIS_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "matrix.h"
#include "ranking.h"
#include "report.h"
#include "selection.h"

/* What to analyse, as the command line of `imprint analyze` says it. Every field may be
 * 0/NULL. */
typedef struct imp_analyze_spec {
    const char *const *where;  /* [n_where] imp_analyze_where expressions */
    size_t n_where;
    const char *competitors;   /* imp_analyze_competitors list; bare names of defs expand */
    const char *names;         /* imp_analyze_names defs (--name) */
    int no_names;              /* do not apply the paper's names */
    const char *group_by;      /* imp_analyze_group_keys list: keep the best of each group */
    imp_analyze_value value;
} imp_analyze_spec;

/* The whole selection: select (where, competitors), build, name (the user's defs, the
 * NAME=… items of the competitors, the paper's names) and, with group_by, keep the best
 * column of each group by the table of opts (rank method) and build the matrix of those
 * columns alone, so its voters are those they all have. *n_groups (may be NULL) gets the
 * number of groups (0 without group_by) and *m_grouped the rows they were chosen from.
 * On success the caller frees out with imp_analyze_matrix_free. */
int imp_analyze_select(const imp_cube *cube, const imp_analyze_spec *spec,
                       const imp_analyze_opts *opts, imp_analyze_matrix *out,
                       size_t *n_groups, size_t *m_grouped, imp_err *err);

/* The where expressions and competitors of spec as a mask: status[c] (n_cells entries, e.g.
 * a copy of cube->status, or the cube's own) becomes IMP_CELL_NA for every cell outside the
 * selection, so code that reads done cells (the figures) sees the selection alone. Errors as
 * imp_analyze_select's. */
int imp_analyze_mask(const imp_cube *cube, const imp_analyze_spec *spec, uint8_t *status,
                     imp_err *err);

#endif
