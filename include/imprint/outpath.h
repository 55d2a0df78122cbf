/* outpath.h — checking where a sweep will write before any work starts. */
#ifndef IMPRINT_OUTPATH_H
#define IMPRINT_OUTPATH_H

#include "imprint/err.h"

/* Check that the cube at path (and its journal and progress file beside it) can be written:
 * the directory exists or, with create, is made like `mkdir -p`; a file can be created in it
 * (a probe file is made and removed, because access() says yes to root on a read-only
 * directory); an existing path is a regular file that is an imprint cube (an HDF5 file
 * with the root attribute grid_hash), never something else that a sweep would overwrite.
 * Without create, a missing directory is fine if its nearest existing ancestor is a
 * writable directory. Errors (IMP_EINPUT, message names the path and what is wrong): a
 * component that is not a directory, a directory that cannot be created or written, an
 * existing file that is not ours. Local: call it on every rank that writes, or on all ranks
 * (probe names are unique, mkdir races are harmless). */
int imp_cube_target_check(const char *path, int create, imp_err *err);

#endif
