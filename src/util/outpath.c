/* outpath.c — where a sweep writes: mkdir -p, a write probe, and "is this file ours?". */
#include "imprint/outpath.h"
#include "imprint/atomic.h"
#include "imprint/h5util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p dir, or (create 0) shorten dir in place to its nearest existing ancestor. Either
 * way the result must be a directory. */
static int ensure_dir(char *dir, int create, const char *cube, imp_err *err)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return imp_err_set(err, IMP_EINPUT, "%s: cannot write the cube there: %s is not a "
                               "directory", cube, dir);
        return 0;
    }
    if (errno != ENOENT && errno != ENOTDIR) /* ENOTDIR: an ancestor is a file, found below */
        return imp_err_set(err, IMP_EINPUT, "%s: cannot write the cube there: %s: %s", cube, dir,
                           strerror(errno));
    char *slash = strrchr(dir, '/');
    int rc;
    if (slash && slash != dir) {
        *slash = '\0';
        rc = ensure_dir(dir, create, cube, err);
        if (rc || !create)
            return rc; /* without create, dir now names the existing ancestor */
        *slash = '/';
    } else if (!create) {
        if (slash)
            dir[1] = '\0'; /* "/x" → "/" */
        else
            strcpy(dir, ".");
        return 0;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot create the directory %s: %s", cube, dir,
                           strerror(errno));
    return 0;
}

/* Can a file be created in dir? Make and remove a probe (root passes access() on read-only
 * directories, so only trying tells). */
static int probe_dir(const char *dir, const char *cube, imp_err *err)
{
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (!p)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    snprintf(p, n, "%s/.imprint-probe-XXXXXX", dir);
    int fd = mkstemp(p);
    if (fd < 0) {
        int rc = imp_err_set(err, IMP_EINPUT, "%s: cannot write in the directory %s: %s", cube,
                             dir, strerror(errno));
        free(p);
        return rc;
    }
    close(fd);
    unlink(p);
    free(p);
    return 0;
}

/* Is the existing regular file path an imprint cube? (HDF5 with a root grid_hash.) */
static int is_our_cube(const char *path)
{
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int ours = 0;
    if (H5Fis_hdf5(path) > 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            ours = H5Aexists(f, "grid_hash") > 0;
            H5Fclose(f);
        }
    }
    imp_h5_quiet_off(&q);
    return ours;
}

int imp_cube_target_check(const char *path, int create, imp_err *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return imp_err_set(err, IMP_EINPUT, "%s: exists and is not a regular file (the cube "
                               "path must name a file)", path);
        if (!is_our_cube(path))
            return imp_err_set(err, IMP_EINPUT, "%s: exists and is not an imprint cube; refusing "
                               "to overwrite it (move it away or choose another cube path)",
                               path);
    }
    char *dir = imp_path_dir(path);
    if (!dir)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    int rc = ensure_dir(dir, create, path, err);
    if (!rc)
        rc = probe_dir(dir, path, err);
    free(dir);
    return rc;
}
