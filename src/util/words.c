/* words.c — a list of names joined into one text, for help and error messages. */
#include "imprint/words.h"

#include <stdio.h>
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
