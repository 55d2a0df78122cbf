/* atomic.h — publishing a file atomically: readers see the old file or the whole new one,
 * and after a crash the new one is either fully there or not at all. */
#ifndef IMPRINT_ATOMIC_H
#define IMPRINT_ATOMIC_H

#include "imprint/err.h"

/* The directory part of path ("." when it has none, "/" for a file in the root); malloc'd,
 * caller frees; NULL when out of memory. */
char *imp_path_dir(const char *path);

/* tmp is complete and closed: fsync it, rename it over path, fsync path's directory (best
 * effort: some file systems refuse, and the new file is in place already). what names the
 * file in messages ("cube", "store", "output") and the test crash points <what>-rename
 * (before the rename) and <what>-renamed (after it; crash.h). On failure tmp is removed.
 * Returns 0 or IMP_EIO. */
int imp_atomic_publish(const char *tmp, const char *path, const char *what, imp_err *err);

#endif
