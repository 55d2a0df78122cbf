/* named.c — the paper's named strategies, the one table eval and analyze read. */
#include "imprint/named.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "imprint/words.h"

/* the paper's named strategies (docs/job-file.md, "strategies") */
static const imp_named_strategy named[] = {
    {"Qi", "l2/mean/l2/l2/max", 0},
    {"Hosoda", "none/mean/quantile/none/max", 0},
    {"Janson", "none/mean/none/none/nn:euclidean", 0},
    {"Ours", "l2/kmeans/l2/l2/max", 20},
    {"Oracle", "none/ls/none/none/max", 0},
};

const imp_named_strategy *imp_named_strategies(size_t *n)
{
    *n = sizeof named / sizeof named[0];
    return named;
}

const imp_named_strategy *imp_named_strategy_find(const char *name)
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(name, named[i].name) == 0)
            return &named[i];
    return NULL;
}

/* The names joined once (pthread_once): a caller on any thread reads a finished text. */
static char list_text[128];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void build_list(void)
{
    enum { N = sizeof named / sizeof named[0] };
    const char *w[N];
    for (size_t i = 0; i < N; i++)
        w[i] = named[i].name;
    imp_words_join_all(list_text, sizeof list_text, w, N, ", ");
}

const char *imp_named_strategy_list(void)
{
    pthread_once(&list_once, build_list);
    return list_text;
}
