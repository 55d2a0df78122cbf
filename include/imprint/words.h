/* words.h — a list of names joined into one text, for help and error messages. */
#ifndef IMPRINT_WORDS_H
#define IMPRINT_WORDS_H

#include <stddef.h>

/* The count words w[] joined into buf (n bytes, truncated to fit), which is returned. sep
 * " or " writes ", " between the words and " or " before the last ("mean, all or kls"); any
 * other sep goes between every two ("|": "mean|all|kls"). */
const char *imp_words_join(char *buf, size_t n, const char *const *w, size_t count,
                           const char *sep);
/* As imp_words_join, for a list built from a constant table into a buffer sized for it: a
 * list that does not fit (or fills buf to its last byte) stops the program (abort, sizes on
 * stderr), since it is a table grown past its buffer, and a help or error text that silently
 * drops names would otherwise reach a user. */
const char *imp_words_join_all(char *buf, size_t n, const char *const *w, size_t count,
                               const char *sep);

#endif
