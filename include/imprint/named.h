/* named.h — the paper's named strategies (Qi, Hosoda, Janson, Ours, Oracle), one table for
 * every command that accepts them (eval --strategy, analyze --competitors, a job's
 * strategies:). */
#ifndef IMPRINT_NAMED_H
#define IMPRINT_NAMED_H

#include <stddef.h>
#include <stdint.h>

/* A named strategy (docs/job-file.md "strategies"): its canonical PRE/GEN/POST/INF/AGG text
 * and the k it is defined with (0: none, every k; Ours is k-means with k = 20). */
typedef struct imp_named_strategy {
    const char *name;
    const char *strategy;
    int64_t k;
} imp_named_strategy;

/* All of them, in the paper's order (Qi, Hosoda, Janson, Ours, Oracle); *n gets the count. */
const imp_named_strategy *imp_named_strategies(size_t *n);
/* The named strategy called name (case-sensitive, as the paper writes it), or NULL. */
const imp_named_strategy *imp_named_strategy_find(const char *name);
/* The names, comma-separated ("Qi, Hosoda, Janson, Ours, Oracle"), for messages and help. */
const char *imp_named_strategy_list(void);

#endif
