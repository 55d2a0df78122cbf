/* words.h — a list of names joined into one text, for help and error messages. */
#ifndef IMPRINT_WORDS_H
#define IMPRINT_WORDS_H

#include <stddef.h>

/* The count words w[] joined into buf (n bytes), which is returned. A list that does not fit
 * stops the program (abort, with the sizes on stderr): callers join constant tables into
 * buffers sized for them, so it is a table that outgrew its buffer, never a user's input. sep
 * " or " writes ", " between the words and " or " before the last ("mean, all or kls"); any
 * other sep goes between every two ("|": "mean|all|kls"). */
const char *imp_words_join(char *buf, size_t n, const char *const *w, size_t count,
                           const char *sep);

#endif
