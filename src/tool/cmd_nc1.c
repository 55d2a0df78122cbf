/* cmd_nc1.c — `imprint nc1`: neural collapse NC1 of a model's train embeddings on a task, or
 * (--all) the table of every model × dataset of a store and of concatenated datasets, or
 * (--job) of every model × task of a job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/cube.h"
#include "imprint/job.h"
#include "imprint/store.h"
#include "imprint/taskload.h"
#include "nc1.h"
#include "opts.h"
#include "taskopt.h"
#include "toolio.h"

static void help(void)
{
    printf("usage: imprint nc1 --store S.h5 --model M --dataset D [--classes all|0,2,4 | --remap RAW:CLS,…]\n"
           "                   [--split train|test] [--full] [--json]\n"
           "       imprint nc1 --store S.h5 --all [--dataset A,B]... [--split S] [--csv OUT.csv]\n"
           "       imprint nc1 --job JOB.yaml [--split S] [--csv OUT.csv]\n"
           "\n"
           "Neural-collapse NC1 = tr(Σ_B⁺ Σ_W)/C of the L2-normalised embeddings (double precision,\n"
           "pseudo-inverse by a symmetric eigendecomposition). Prints the reference code's value\n"
           "(within-class scatter centred by μ_c − μ_G, = Σ_W + μ_G μ_Gᵀ) and the textbook one\n"
           "(centred by μ_c), tr Σ_W, tr Σ_B and rank Σ_B. --full adds VCI and rank Σ_W (d×d work:\n"
           "seconds for d = 2048). The reference uses the train split (ImageNet: val).\n"
           "\n"
           "--dataset A,B concatenates datasets as a job's task does (labels of the i-th dataset\n"
           "offset by 10·i, every class kept: mnist,mnistm,svhn is the paper's CombiDigits).\n"
           "--all computes NC1 for every model × dataset of the store and, for each --dataset\n"
           "A,B given, every model that has all of them; prints a table and with --csv writes\n"
           "model,dataset,split,n,d,classes,nc1,nc1_textbook,tr_sw,tr_sw_textbook,tr_sb,rank_sb\n"
           "(the table `imprint report --nc1` reads; an infinite NC1 is written as inf).\n"
           "--job computes it for every model × task of the job (its classes and remapping, its\n"
           "store) with the task's name in the dataset column: the report then plots NC1 per\n"
           "task rather than per dataset, which tells apart tasks of one dataset.\n");
}

/* A concatenation "A,B,…" of datasets as a task with every class (job.h's label offset). */
static int concat_task(imp_store *s, const char *model, char *list, imp_task *t, imp_err *err)
{
    memset(t, 0, sizeof *t);
    t->name = list;
    t->classes_all = 1;
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char **nd = realloc(t->datasets, (t->n_datasets + 1) * sizeof *nd);
        if (!nd)
            return imp_err_set(err, IMP_ENOMEM, "out of memory");
        t->datasets = nd;
        t->datasets[t->n_datasets] = tok;
        int32_t *lab = NULL;
        size_t nl = 0;
        rc = imp_store_distinct_labels(s, model, tok, "train", &lab, &nl, err);
        for (size_t i = 0; !rc && i < nl; i++) {
            if (lab[i] < 0 || lab[i] >= IMP_TASK_LABEL_OFFSET) {
                rc = imp_err_set(err, IMP_EINPUT, "%s: /%s/%s: label %d: a concatenated dataset "
                                 "needs labels 0..%d", imp_store_path(s), model, tok,
                                 (int)lab[i], IMP_TASK_LABEL_OFFSET - 1);
                break;
            }
            int32_t *nc = realloc(t->classes, (t->n_classes + 1) * sizeof *nc);
            if (!nc) {
                rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
                break;
            }
            t->classes = nc;
            t->classes[t->n_classes++] =
                lab[i] + (int32_t)(IMP_TASK_LABEL_OFFSET * t->n_datasets);
        }
        free(lab);
        t->n_datasets++;
    }
    return rc;
}

static void concat_task_free(imp_task *t)
{
    free(t->datasets);
    free(t->classes);
    memset(t, 0, sizeof *t);
}

typedef struct nc1_row {
    char model[IMP_NAME_MAX], dataset[1024];
    size_t n, d;
    int classes;
    imp_nc1 r;
} nc1_row;

/* NC1 of one model on a task; the row is named (model, name). */
static int nc1_task(imp_store *s, const imp_task *t, const char *model, const char *name,
                    const char *split, nc1_row *row, imp_err *err)
{
    memset(row, 0, sizeof *row);
    snprintf(row->model, sizeof row->model, "%s", model);
    snprintf(row->dataset, sizeof row->dataset, "%s", name);
    imp_data data = {0};
    int rc = imp_task_load(s, t, model, split, &data, err);
    if (!rc)
        rc = imp_nc1_compute(data.X, data.d, (size_t)data.n_classes, data.offset, NULL, &row->r,
                             err);
    row->n = data.n, row->d = data.d, row->classes = data.n_classes;
    imp_data_free(&data);
    return rc;
}

/* NC1 of one model on a dataset or a concatenation "A,B" (every class). */
static int nc1_of(imp_store *s, const char *model, const char *dataset, const char *split,
                  nc1_row *row, imp_err *err)
{
    char list[1024];
    snprintf(list, sizeof list, "%s", dataset);
    imp_task t;
    int rc = concat_task(s, model, list, &t, err);
    if (!rc)
        rc = nc1_task(s, &t, model, dataset, split, row, err);
    concat_task_free(&t);
    return rc;
}

static void csv_num(FILE *f, double v) { isinf(v) ? fputs(",inf", f) : fprintf(f, ",%.9g", v); }

static int write_csv(FILE *f, const nc1_row *rows, size_t n, const char *split)
{
    fputs("model,dataset,split,n,d,classes,nc1,nc1_textbook,tr_sw,tr_sw_textbook,tr_sb,rank_sb\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const nc1_row *w = &rows[i];
        imp_csv_field(f, w->model);
        fputc(',', f);
        imp_csv_field(f, w->dataset);
        fprintf(f, ",%s,%zu,%zu,%d", split, w->n, w->d, w->classes);
        csv_num(f, w->r.nc1), csv_num(f, w->r.nc1_textbook), csv_num(f, w->r.tr_sw);
        csv_num(f, w->r.tr_sw_textbook), csv_num(f, w->r.tr_sb);
        fprintf(f, ",%zu\n", w->r.rank_sb);
    }
    return ferror(f) ? -1 : 0;
}

/* The table on stdout and, with csv, the same rows as a CSV file (replaced atomically). */
static int put_table(const nc1_row *rows, size_t n, const char *split, const char *csv,
                     imp_err *err)
{
    printf("%-16s %-24s %8s %6s %7s %12s %12s\n", "model", "dataset", "n", "d", "classes", "NC1",
           "NC1 textbook");
    for (size_t i = 0; i < n; i++)
        printf("%-16s %-24s %8zu %6zu %7d %12.6g %12.6g\n", rows[i].model, rows[i].dataset,
               rows[i].n, rows[i].d, rows[i].classes, rows[i].r.nc1, rows[i].r.nc1_textbook);
    if (!csv)
        return 0;
    imp_outfile of;
    int rc = imp_outfile_open(&of, csv, err);
    if (!rc && write_csv(of.f, rows, n, split)) {
        imp_outfile_abort(&of);
        rc = imp_err_set(err, IMP_EIO, "%s: write failed", csv);
    } else if (!rc) {
        rc = imp_outfile_commit(&of, err);
    }
    return rc;
}

/* --all: every (model, dataset) of the store, then every concatenation for every model that
 * has all of its datasets. */
static int nc1_all(imp_store *s, const char *const *concat, size_t n_concat, const char *split,
                   const char *csv, imp_err *err)
{
    imp_store_entry *e = NULL;
    size_t ne = 0;
    int rc = imp_store_list(s, &e, &ne, err);
    if (rc)
        return rc;
    nc1_row *rows = malloc((ne + ne * n_concat + 1) * sizeof *rows);
    if (!rows) {
        free(e);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < ne && !rc; i++)
        rc = nc1_of(s, e[i].model, e[i].dataset, split, &rows[n++], err);
    for (size_t c = 0; c < n_concat && !rc; c++) {
        size_t before = n;
        char missing[IMP_NAME_MAX] = "";
        for (size_t i = 0; i < ne && !rc; i++) {
            if (i > 0 && strcmp(e[i].model, e[i - 1].model) == 0)
                continue; /* each model once */
            int has_all = 1;
            char list[1024], *save = NULL;
            snprintf(list, sizeof list, "%s", concat[c]);
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                int found = 0;
                for (size_t j = 0; j < ne; j++)
                    found |= strcmp(e[j].model, e[i].model) == 0 && strcmp(e[j].dataset, tok) == 0;
                if (!found && !*missing)
                    snprintf(missing, sizeof missing, "%s", tok);
                has_all &= found;
            }
            if (has_all)
                rc = nc1_of(s, e[i].model, concat[c], split, &rows[n++], err);
        }
        if (!rc && n == before)
            rc = imp_err_set(err, IMP_EINPUT, "%s: --dataset %s: no model has every dataset of "
                             "the concatenation (e.g. no /<model>/%s)", imp_store_path(s),
                             concat[c], missing);
    }
    if (!rc)
        rc = put_table(rows, n, split, csv, err);
    free(rows);
    free(e);
    return rc;
}

/* --job: every model × task of the job, in the job's order. */
static int nc1_job(imp_store *s, const imp_job *job, const char *split, const char *csv,
                   imp_err *err)
{
    nc1_row *rows = malloc((job->n_models * job->n_tasks + 1) * sizeof *rows);
    if (!rows)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t m = 0; m < job->n_models && !rc; m++)
        for (size_t t = 0; t < job->n_tasks && !rc; t++)
            rc = nc1_task(s, &job->tasks[t], job->models[m], job->tasks[t].name, split,
                          &rows[n++], err);
    if (!rc)
        rc = put_table(rows, n, split, csv, err);
    free(rows);
    return rc;
}

int imp_cmd_nc1(int argc, char **argv)
{
    const char *store = NULL, *model = NULL, *dataset = NULL, *classes = NULL, *remap = NULL;
    const char *split = "train", *csv = NULL, *jobpath = NULL;
    const char *concat[32];
    size_t n_concat = 0;
    int json = 0, full = 0, all = 0;
    enum { O_JSON = 1, O_FULL, O_ALL, O_STORE, O_MODEL, O_DATASET, O_CLASSES, O_REMAP, O_SPLIT,
           O_CSV, O_JOB };
    static const imp_opt opts[] = {
        {"json", 0, O_JSON},       {"full", 0, O_FULL},       {"all", 0, O_ALL},
        {"store", 1, O_STORE},     {"model", 1, O_MODEL},     {"dataset", 1, O_DATASET},
        {"classes", 1, O_CLASSES}, {"remap", 1, O_REMAP},     {"split", 1, O_SPLIT},
        {"csv", 1, O_CSV},         {"job", 1, O_JOB},         {NULL, 0, 0},
    };
    imp_opts op;
    imp_opts_init(&op, "nc1", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case IMP_OPT_ARG: return imp_tool_usage("nc1", "unknown option '%s'", op.val);
        case O_JSON: json = 1; break;
        case O_FULL: full = 1; break;
        case O_ALL: all = 1; break;
        case O_STORE: store = op.val; break;
        case O_MODEL: model = op.val; break;
        case O_DATASET:
            if (n_concat == sizeof concat / sizeof concat[0])
                return imp_tool_usage("nc1", "too many --dataset options");
            dataset = concat[n_concat++] = op.val;
            break;
        case O_CLASSES: classes = op.val; break;
        case O_REMAP: remap = op.val; break;
        case O_SPLIT: split = op.val; break;
        case O_CSV: csv = op.val; break;
        case O_JOB: jobpath = op.val; break;
        }
    }
    if (strcmp(split, "train") != 0 && strcmp(split, "test") != 0)
        return imp_tool_usage("nc1", "--split '%s': expected train or test", split);
    if (jobpath) {
        if (store || all || model || dataset || classes || remap || json || full)
            return imp_tool_usage("nc1", "--job takes --split and --csv only (the job names the "
                                  "store, models and tasks)");
        imp_err err;
        imp_err_clear(&err);
        imp_job *job = NULL;
        imp_store *s = NULL;
        int rc = imp_job_load(jobpath, &job, &err);
        if (!rc)
            rc = imp_store_open(job->store_path, &s, &err);
        if (!rc) { /* resolves `classes: all` and names the job's line of a missing entry */
            imp_store_view v;
            imp_store_view_init(&v, s);
            rc = imp_job_check_store(job, &v, &err);
        }
        if (!rc)
            rc = nc1_job(s, job, split, csv, &err);
        if (s)
            imp_store_close(s);
        imp_job_free(job);
        return rc ? imp_tool_fail(&err) : 0;
    }
    if (all) {
        if (!store)
            return imp_tool_usage("nc1", "--all needs --store");
        if (model || classes || remap || json || full)
            return imp_tool_usage("nc1", "--all takes --store, --dataset A,B, --split and --csv "
                                  "only");
        for (size_t c = 0; c < n_concat; c++)
            if (!strchr(concat[c], ','))
                return imp_tool_usage("nc1", "--all: --dataset '%s': expected a concatenation "
                                      "A,B (every single dataset is already in the table)",
                                      concat[c]);
    } else {
        if (!store || !model || !dataset)
            return imp_tool_usage("nc1", "--store, --model and --dataset are required (or --all "
                                  "or --job)");
        if (n_concat > 1)
            return imp_tool_usage("nc1", "one --dataset without --all");
        if (csv)
            return imp_tool_usage("nc1", "--csv goes with --all or --job");
        if (strchr(dataset, ',') && (classes || remap || full || json))
            return imp_tool_usage("nc1", "--dataset '%s': a concatenation takes every class "
                                  "(no --classes, --remap, --full or --json)", dataset);
    }
    imp_err err;
    imp_err_clear(&err);
    imp_store *s;
    if (imp_store_open(store, &s, &err))
        return imp_tool_fail(&err);
    if (all || strchr(dataset, ',')) {
        int rc;
        if (all) {
            rc = nc1_all(s, concat, n_concat, split, csv, &err);
        } else {
            nc1_row row;
            rc = nc1_of(s, model, dataset, split, &row, &err);
            if (!rc)
                printf("task          %s / %s (%s split, %zu rows, d = %zu, %d classes)\n"
                       "NC1           %.6f\nNC1 textbook  %.6f\n", model, dataset, split, row.n,
                       row.d, row.classes, row.r.nc1, row.r.nc1_textbook);
        }
        imp_store_close(s);
        return rc ? imp_tool_fail(&err) : 0;
    }
    imp_taskopt to;
    int rc = imp_taskopt_build(s, "nc1", model, dataset, classes, remap, &to, &err);
    if (rc == 2) {
        imp_store_close(s);
        return 2;
    }
    imp_data data = {0};
    imp_nc1 r;
    if (!rc) {
        imp_classmap map = {to.n, to.raw, to.cls, to.n_classes};
        rc = imp_store_load(s, model, dataset, split, &map, &data, &err);
    }
    if (!rc) {
        imp_nc1_opts o = {.full = full};
        rc = imp_nc1_compute(data.X, data.d, (size_t)data.n_classes, data.offset, &o, &r, &err);
    }
    if (!rc) {
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "model", model);
            cJSON_AddStringToObject(o, "dataset", dataset);
            cJSON_AddStringToObject(o, "task", to.name);
            cJSON_AddStringToObject(o, "split", split);
            imp_json_add_u64(o, "n", data.n);
            imp_json_add_u64(o, "d", data.d);
            cJSON_AddNumberToObject(o, "classes", data.n_classes);
            /* JSON has no infinity: a degenerate NC1 is written as 1e308, as before */
            cJSON_AddNumberToObject(o, "nc1", isinf(r.nc1) ? 1e308 : r.nc1);
            cJSON_AddNumberToObject(o, "nc1_textbook", isinf(r.nc1_textbook) ? 1e308 : r.nc1_textbook);
            cJSON_AddNumberToObject(o, "tr_sw", r.tr_sw);
            cJSON_AddNumberToObject(o, "tr_sw_textbook", r.tr_sw_textbook);
            cJSON_AddNumberToObject(o, "tr_sb", r.tr_sb);
            imp_json_add_u64(o, "rank_sb", r.rank_sb);
            if (full) {
                cJSON_AddNumberToObject(o, "vci", r.vci);
                imp_json_add_u64(o, "rank_sw", r.rank_sw);
            }
            rc = imp_tool_print_json(o, &err);
        }
        if (!json) {
            printf("task          %s / %s (%s split, %zu rows, d = %zu, %d classes)\n", model,
                   to.name, split, data.n, data.d, data.n_classes);
            printf("NC1           %.6f   (reference: within-class term centred by mu_c - mu_G)\n",
                   r.nc1);
            printf("NC1 textbook  %.6f   (centred by mu_c)\n", r.nc1_textbook);
            printf("tr Sigma_W    %.6f   (textbook %.6f)\n", r.tr_sw, r.tr_sw_textbook);
            printf("tr Sigma_B    %.6f   rank %zu\n", r.tr_sb, r.rank_sb);
            if (full)
                printf("VCI           %.6f   rank Sigma_W %zu\n", r.vci, r.rank_sw);
            if (r.degenerate)
                printf("note: Sigma_B is ~0 (all class means coincide): NC1 is infinite\n");
        }
    }
    imp_data_free(&data);
    imp_taskopt_free(&to);
    imp_store_close(s);
    return rc ? imp_tool_fail(&err) : 0;
}
