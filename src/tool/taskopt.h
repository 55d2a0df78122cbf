/* taskopt.h — the task options shared by eval and nc1: --classes and --remap on a store. */
#ifndef IMPRINT_TOOL_TASKOPT_H
#define IMPRINT_TOOL_TASKOPT_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/store.h"

/* A task's class map built from `--classes all|L,L,…` and `--remap RAW:CLS,…` against the
 * train labels of /<model>/<dataset>. Without --remap, class index = position in the class
 * list (all = the sorted distinct labels). With --remap, labels map to the given classes
 * 0..C-1 and --classes must be absent or all. */
typedef struct imp_taskopt {
    size_t n;
    int32_t *raw, *cls;
    int n_classes;
    char name[1024]; /* default task name "DATASET:L,L,…" (or "DATASET:remap:…") */
} imp_taskopt;

/* Returns 0; or 2 after printing a usage message naming sub; or an IMP_E* code with err. */
int imp_taskopt_build(imp_store *s, const char *sub, const char *model, const char *dataset,
                      const char *classes, const char *remap, imp_taskopt *out, imp_err *err);
void imp_taskopt_free(imp_taskopt *t);

#endif
