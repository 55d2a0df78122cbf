/* cube_priv.h — helpers shared by the cube's source files (cube.c, cube_hdf5.c, cubeio.c);
 * not part of the public API. */
#ifndef IMPRINT_CUBE_PRIV_H
#define IMPRINT_CUBE_PRIV_H

#include "imprint/cube.h"

/* Allocate a cube's arrays for its (already set) axes, every cell pending with no result;
 * fill NULL attribute strings with "" (imprint_version with this build's). */
int imp__cube_alloc(imp_cube *c, imp_err *err);
/* Set measure id of cells [from, to) to unknown (NaN, -1). */
void imp__cube_measure_unknown(imp_cube *c, imp_measure_id id, uint64_t from, uint64_t to);
/* Replace *slot with a copy of s (NULL keeps it). */
int imp__cube_set_str(char **slot, const char *s, imp_err *err);

#endif
