/* taskload.h — loading a job's task (one dataset or several concatenated, classes, remap)
 * from the store as class-grouped train and test rows. */
#ifndef IMPRINT_TASKLOAD_H
#define IMPRINT_TASKLOAD_H

#include "imprint/err.h"
#include "imprint/job.h"
#include "imprint/store.h"

/* Load one split of a task for a model. Class c holds, in dataset order, the rows of every
 * dataset whose (offset, remapped) label maps to class c, each in the store's stable order.
 * A class without rows in the whole split → IMP_EINPUT naming the task. The task's classes
 * must be resolved (imp_job_check_store). out is freed with imp_data_free. */
int imp_task_load(imp_store *s, const imp_task *t, const char *model, const char *split,
                  imp_data *out, imp_err *err);

/* imp_store_view over an open store, for imp_job_check_store. */
void imp_store_view_init(imp_store_view *v, imp_store *s);

#endif
