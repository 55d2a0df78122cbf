/* fuzz_util.h — what the libFuzzer harnesses share: the input as a file the parser can open. */
#ifndef IMPRINT_FUZZ_UTIL_H
#define IMPRINT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Put the bytes into an anonymous in-memory file and give its /proc/self/fd path (the
 * parsers under test take paths). Returns the fd (close it after use) or -1. */
static inline int imp_fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd = memfd_create("imprint-fuzz", 0);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
