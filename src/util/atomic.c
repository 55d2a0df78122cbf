/* atomic.c — the one tmp + fsync + rename + directory-fsync sequence, and the one rule for
 * where an output path writes (atomic.h). */
#include "imprint/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* What st is, for "is a directory"-style messages. */
static const char *kind_name(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISBLK(m) ? "a block device" : "not a regular file";
}

/* Is st the object behind this process's stdout or stderr? Returns that descriptor or -1. */
static int std_fd_of(const struct stat *st)
{
    for (int fd = 1; fd <= 2; fd++) {
        struct stat fs;
        if (fstat(fd, &fs) == 0 && fs.st_dev == st->st_dev && fs.st_ino == st->st_ino)
            return fd;
    }
    return -1;
}

/* The end of a chain of symbolic links starting at path, which need not exist (a dangling
 * link names the file to create); malloc'd. NULL with errno (ELOOP, ENOMEM) on failure. */
static char *link_end(const char *path)
{
    char *cur = strdup(path);
    for (int hop = 0; cur; hop++) {
        struct stat ls;
        if (lstat(cur, &ls) != 0 || !S_ISLNK(ls.st_mode))
            return cur; /* not a link (or nothing there): this is the name to write */
        if (hop == 40) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        size_t cap = (size_t)(ls.st_size > 0 ? ls.st_size : 255) + 1;
        char *to = malloc(cap);
        ssize_t n = to ? readlink(cur, to, cap) : -1;
        if (n < 0 || (size_t)n >= cap) { /* changed under us: give up rather than guess */
            free(to);
            free(cur);
            errno = n < 0 ? errno : ELOOP;
            return NULL;
        }
        to[n] = '\0';
        char *next = to;
        if (to[0] != '/') { /* relative to the link's own directory */
            char *dir = imp_path_dir(cur);
            size_t m = (dir ? strlen(dir) : 0) + (size_t)n + 2;
            next = dir ? malloc(m) : NULL;
            if (next)
                snprintf(next, m, "%s/%s", dir, to);
            free(dir);
            free(to);
        }
        free(cur);
        cur = next;
    }
    errno = ENOMEM;
    return NULL;
}

int imp_out_resolve(const char *path, char **target, int *direct_fd, imp_err *err)
{
    *target = NULL;
    *direct_fd = -1;
    struct stat st, ls;
    int is_link = lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode);
    if (stat(path, &st) == 0) {
        int special = S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
        if (!special && !S_ISREG(st.st_mode))
            return imp_err_set(err, IMP_EINPUT, "%s: is %s; an output must be a file, a "
                               "symbolic link to one, a character device or a FIFO", path,
                               kind_name(st.st_mode));
        /* /dev/stdout → /proc/self/fd/1 → a pipe, socket or the file of `>> log`: write
         * through the descriptor we already have (a socket cannot be opened by path) */
        int fd = special || is_link ? std_fd_of(&st) : -1;
        if (special || fd >= 0) {
            *direct_fd = fd >= 0 ? fd : -2;
            if (!(*target = strdup(path)))
                return imp_err_set(err, IMP_ENOMEM, "out of memory");
            return 0;
        }
        *target = is_link ? realpath(path, NULL) : strdup(path);
        if (!*target)
            return imp_err_set(err, IMP_EINPUT, "%s: cannot follow the link: %s", path,
                               strerror(errno));
        return 0;
    }
    if (errno != ENOENT)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot write there: %s", path, strerror(errno));
    if (!(*target = link_end(path)))
        return imp_err_set(err, IMP_EINPUT, "%s: cannot follow the link: %s", path,
                           strerror(errno));
    return 0;
}

int imp_outfile_open(imp_outfile *o, const char *path, imp_err *err)
{
    memset(o, 0, sizeof *o);
    if (!(o->path = strdup(path)))
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        o->direct = 1;
        return 0;
    }
    int fd = -1, rc = imp_out_resolve(path, &o->target, &fd, err);
    if (rc) {
        imp_outfile_abort(o);
        return rc;
    }
    if (fd != -1) { /* direct */
        o->direct = 1;
        int w = fd >= 0 ? dup(fd) : open(o->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (w < 0 || !(o->f = fdopen(w, "w"))) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: cannot open for writing: %s", path,
                             strerror(errno));
            if (w >= 0)
                close(w);
        }
        free(o->target);
        o->target = NULL;
        if (rc)
            imp_outfile_abort(o);
        return rc;
    }
    /* an existing file keeps its permission bits; a new one gets 0666 less the umask */
    struct stat old;
    int keep_mode = stat(o->target, &old) == 0;
    size_t n = strlen(o->target) + 48;
    if (!(o->tmp = malloc(n))) {
        imp_outfile_abort(o);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    /* unique per process and call: concurrent writers of one path never share a temporary */
    static unsigned serial;
    int w = -1;
    for (int tries = 0; w < 0 && tries < 100; tries++) {
        snprintf(o->tmp, n, "%s.tmp.%ld.%u", o->target, (long)getpid(), serial++);
        w = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (w < 0 && errno != EEXIST)
            break;
    }
    if (w < 0) {
        char *dir = imp_path_dir(o->target);
        rc = imp_err_set(err, IMP_EINPUT, "%s: cannot write in the directory %s: %s", path,
                         dir ? dir : "?", strerror(errno));
        free(dir);
        free(o->tmp);
        o->tmp = NULL;
        imp_outfile_abort(o);
        return rc;
    }
    if (keep_mode)
        (void)fchmod(w, old.st_mode & 07777); /* best effort: the content is what matters */
    if (!(o->f = fdopen(w, "w"))) {
        close(w);
        imp_outfile_abort(o);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    return 0;
}

void imp_outfile_abort(imp_outfile *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    free(o->path);
    free(o->target);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int imp_outfile_commit(imp_outfile *o, imp_err *err)
{
    int rc = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        rc = imp_err_set(err, IMP_EIO, "%s: write error: %s", o->path, strerror(errno));
    if (o->f != stdout && fclose(o->f) != 0 && !rc)
        rc = imp_err_set(err, IMP_EIO, "%s: write error: %s", o->path, strerror(errno));
    o->f = NULL;
    if (!rc && !o->direct) {
        rc = imp_atomic_publish(o->tmp, o->target, "output", err);
        if (rc)
            imp_err_prefix(err, "%s", o->path);
        free(o->tmp); /* renamed, or removed by the publish */
        o->tmp = NULL;
    }
    imp_outfile_abort(o);
    return rc;
}

int imp_outfile_write_all(const char *path, const void *buf, size_t n, imp_err *err)
{
    imp_outfile o;
    int rc = imp_outfile_open(&o, path, err);
    if (rc)
        return rc;
    if (n && fwrite(buf, 1, n, o.f) != n) {
        rc = imp_err_set(err, IMP_EIO, "%s: write error: %s", path, strerror(errno));
        imp_outfile_abort(&o);
        return rc;
    }
    return imp_outfile_commit(&o, err);
}
