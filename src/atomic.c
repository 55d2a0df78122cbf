/* atomic.c — the one tmp + fsync + rename + directory-fsync sequence (atomic.h). */
#include "imprint/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/crash.h"

char *imp_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* fsync a file or directory by path; -1 with errno on failure. */
static int fsync_path(const char *p, int dir)
{
    int fd = open(p, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* The test crash point "<what>-<when>" (crash.h). */
static void crash_point(const char *what, const char *when)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%s", what, when);
    if (imp_crash_hit(name))
        imp_crash_now();
}

int imp_atomic_publish(const char *tmp, const char *path, const char *what, imp_err *err)
{
    int rc = 0;
    if (fsync_path(tmp, 0) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: fsync of the new %s: %s", tmp, what, strerror(errno));
    if (!rc)
        crash_point(what, "rename");
    if (!rc && rename(tmp, path) != 0)
        rc = imp_err_set(err, IMP_EIO, "%s: cannot rename the new %s to %s: %s", tmp, what, path,
                         strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }
    crash_point(what, "renamed");
    char *dir = imp_path_dir(path);
    if (dir)
        (void)fsync_path(dir, 1); /* best effort, see atomic.h */
    free(dir);
    return 0;
}
