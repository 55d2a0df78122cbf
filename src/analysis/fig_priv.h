/* fig_priv.h — how a figure's computation (plotfig.c) grows an imp_fig. */
#ifndef IMPRINT_ANALYSIS_FIG_PRIV_H
#define IMPRINT_ANALYSIS_FIG_PRIV_H

#include <stddef.h>

#include "fig.h"

/* Add a series named name (copied; NULL for none) of n NaN points with x = 0..n-1, with lo/hi
 * (band) and wlo/whi (whisk) when asked; NULL when out of memory (f stays freeable). */
imp_fig_series *imp__fig_add_series(imp_fig *f, const char *name, size_t n, int band, int whisk);
/* Add a category named text (copied); -1 when out of memory. */
int imp__fig_add_cat(imp_fig *f, const char *text);

#endif
