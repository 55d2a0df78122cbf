/* words.c — a list of names joined into one text, for help and error messages. */
#include "imprint/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *imp_words_join(char *buf, size_t n, const char *const *w, size_t count,
                           const char *sep)
{
    int or_last = strcmp(sep, " or ") == 0;
    size_t o = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; i < count && o < n; i++) {
        const char *s = i == 0 ? "" : !or_last ? sep : i == count - 1 ? " or " : ", ";
        o += (size_t)snprintf(buf + o, n - o, "%s%s", s, w[i]);
    }
    /* Every caller joins a constant table into a buffer sized for it: a list that does not fit
     * is a table grown past its buffer, and a help or error text that silently drops names is
     * worse than a stop that every test of that text sees. */
    if (count && o >= n) {
        fprintf(stderr, "imprint: internal error: a list of %zu names needs more than %zu "
                        "bytes (\"%.40s…\")\n", count, n, n ? buf : "");
        abort();
    }
    return buf;
}
