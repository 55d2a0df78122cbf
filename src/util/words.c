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
    return buf;
}

const char *imp_words_join_all(char *buf, size_t n, const char *const *w, size_t count,
                               const char *sep)
{
    imp_words_join(buf, n, w, count, sep);
    /* a text that fills buf may have been cut: count it as not fitting (one byte of slack) */
    if (count && (n == 0 || strlen(buf) + 1 >= n)) {
        fprintf(stderr, "imprint: internal error: a list of %zu names does not fit %zu bytes "
                        "(\"%.40s\")\n", count, n, n ? buf : "");
        abort();
    }
    return buf;
}
