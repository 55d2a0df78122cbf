/* taskload.c — a task's rows from one or several datasets of the store. */
#include "imprint/taskload.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imp_task_load(imp_store *s, const imp_task *t, const char *model, const char *split,
                  imp_data *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    int C = (int)t->n_classes;
    if (C < 2)
        return imp_err_set(err, IMP_EINPUT, "task %s: classes not resolved (%d)", t->name, C);
    imp_data *parts = calloc(t->n_datasets, sizeof *parts);
    if (!parts)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < t->n_datasets && !rc; i++) {
        /* the labels present in this split: train and test may differ, so take both */
        /* the labels present in this split: train and test may differ */
        int32_t *lab = NULL;
        size_t nl = 0;
        rc = imp_store_distinct_labels(s, model, t->datasets[i], split, &lab, &nl, err);
        if (rc)
            break;
        int32_t *raw = malloc((nl ? nl : 1) * sizeof *raw), *cls = malloc((nl ? nl : 1) * sizeof *cls);
        size_t nm = 0;
        for (size_t j = 0; raw && cls && j < nl; j++) {
            int c = imp_task_class_index(t, i, lab[j]);
            if (c >= 0) {
                raw[nm] = lab[j];
                cls[nm++] = c;
            }
        }
        imp_classmap map = {nm, raw, cls, C};
        if (!raw || !cls)
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        else
            rc = imp_store_load_ex(s, model, t->datasets[i], split, &map, t->n_datasets > 1,
                                   &parts[i], err);
        free(raw);
        free(cls);
        free(lab);
    }
    if (!rc && t->n_datasets == 1) {
        *out = parts[0];
        free(parts);
        return 0;
    }
    size_t n = 0, d = 0;
    for (size_t i = 0; !rc && i < t->n_datasets; i++) {
        if (i > 0 && parts[i].d != d)
            rc = imp_err_set(err, IMP_EINPUT, "task %s: dataset %s has d = %zu but %s has d = %zu",
                             t->name, t->datasets[i], parts[i].d, t->datasets[0], d);
        d = parts[i].d;
        n += parts[i].n;
    }
    if (!rc) {
        out->offset = calloc((size_t)C + 1, sizeof *out->offset);
        out->X = malloc((n ? n : 1) * d * sizeof(float));
        if (!out->offset || !out->X)
            rc = imp_err_set(err, IMP_ENOMEM, "task %s: out of memory", t->name);
    }
    if (!rc) {
        size_t row = 0;
        for (int c = 0; c < C; c++) {
            out->offset[c] = row;
            for (size_t i = 0; i < t->n_datasets; i++) {
                size_t a = parts[i].offset[c], b = parts[i].offset[c + 1];
                memcpy(out->X + row * d, parts[i].X + a * d, (b - a) * d * sizeof(float));
                row += b - a;
            }
            if (row == out->offset[c]) {
                rc = imp_err_set(err, IMP_EINPUT, "task %s: class %d (label %d) has no %s rows in "
                                 "model %s", t->name, c, t->classes[c], split, model);
                break;
            }
        }
        out->offset[C] = row;
        out->n = n;
        out->d = d;
        out->n_classes = C;
    }
    for (size_t i = 0; i < t->n_datasets; i++)
        imp_data_free(&parts[i]);
    free(parts);
    if (rc)
        imp_data_free(out);
    return rc;
}

static int view_has_model(void *ctx, const char *model, imp_err *err)
{
    (void)err;
    return imp_store_has_model(ctx, model);
}

static int view_labels(void *ctx, const char *model, const char *dataset, int32_t **labels,
                       size_t *n, imp_err *err)
{
    return imp_store_distinct_labels(ctx, model, dataset, "train", labels, n, err);
}

void imp_store_view_init(imp_store_view *v, imp_store *s)
{
    v->ctx = s;
    v->has_model = view_has_model;
    v->labels = view_labels;
}
