/* atomic.h — publishing a file atomically: readers see the old file or the whole new one,
 * and after a crash the new one is either fully there or not at all. */
#ifndef IMPRINT_ATOMIC_H
#define IMPRINT_ATOMIC_H

#include <stdio.h>

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

/* Where an output path really writes, the one rule for every output of every command:
 *  - a regular file, or a path that does not exist yet: replaced atomically (tmp + rename);
 *  - a symbolic link (chain): followed, and its final target replaced atomically in the
 *    target's directory (a dangling link's target is created, as the shell's `>` does), so
 *    the link itself stays a link;
 *  - a character device, FIFO or socket (/dev/null, a pty, `mkfifo`, /dev/stdout as a pipe or
 *    socket): written directly, never replaced by a file; so is a link that leads to this
 *    process's own stdout or stderr even when that is a regular file (`--csv /dev/stdout >>
 *    log` appends to log instead of replacing it);
 *  - anything else (a directory, a block device): refused.
 * *target (malloc'd, caller frees) is the file to replace, or for a direct write the path to
 * open; *direct_fd is -1 (replace), -2 (open *target for writing) or the descriptor (1 or 2)
 * the path leads to. Errors: IMP_EINPUT naming path (the user's words) and what it is. */
int imp_out_resolve(const char *path, char **target, int *direct_fd, imp_err *err);

/* An output file being written under imp_out_resolve's rule. f writes either to a temporary
 * "<target>.tmp.<pid>.<n>" that commit fsyncs and renames over the target (readers see the
 * old file or the whole new one; an existing file keeps its permission bits), or directly to
 * the device / FIFO / descriptor. path "-" is stdout. Every message names path as the user
 * gave it. */
typedef struct imp_outfile {
    FILE *f;
    char *path;   /* owned: the user's path */
    char *target; /* owned: the file replaced, NULL for a direct write */
    char *tmp;    /* owned: the temporary, NULL for a direct write */
    int direct;   /* f writes to the path itself (close it, nothing to rename) */
} imp_outfile;

/* Open for writing; on failure nothing is left behind. A path that cannot be written (its
 * directory missing or read-only, a directory, ...) is IMP_EINPUT naming path. */
int imp_outfile_open(imp_outfile *o, const char *path, imp_err *err);
/* Flush and close; then (replace) fsync and rename into place. On failure the temporary is
 * removed. Frees o's strings either way. IMP_EIO on a write error (naming path). */
int imp_outfile_commit(imp_outfile *o, imp_err *err);
/* Give up: close and remove the temporary (safe after a failed open or a commit). */
void imp_outfile_abort(imp_outfile *o);
/* Write the whole of buf[0..n) to path through an imp_outfile. */
int imp_outfile_write_all(const char *path, const void *buf, size_t n, imp_err *err);

#endif
