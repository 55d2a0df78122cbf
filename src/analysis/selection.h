/* selection.h — which part of a cube to analyse: the value a matrix is built from, the
 * strategy components, a selection mask over the axes and competitor columns, and the
 * --where and --competitors languages that narrow it (docs/statistics.md). */
#ifndef IMPRINT_ANALYSIS_SELECTION_H
#define IMPRINT_ANALYSIS_SELECTION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"

/* The cell values a matrix can be built from, one row each:
 * X(ID, name as --value takes it and CSV headers print it, the table header of its mean,
 *   the same in LaTeX, the value in prose and on axes, 1 if a higher value is better,
 *   the cube's array of it). The order is the help's and nothing else depends on it.
 * Whether higher is better is read once, by imp_analyze_build, to fix the matrix's sign. */
#define IMP_VALUE_MAP(X)                                                                     \
    X(ACCURACY, "accuracy", "mean acc", "mean acc.", "accuracy", 1, accuracy)                \
    X(F1, "f1", "mean F1", "mean F1", "macro-F1", 1, f1) /* macro-F1 over the classes, % */  \
    X(GEN_SECONDS, "gen_seconds", "mean s", "mean s", "GEN seconds", 0, gen_seconds)         \
    X(INF_SECONDS, "inf_seconds", "mean s", "mean s", "inference seconds", 0, inf_seconds)

typedef enum {
#define IMP_VALUE_ENUM(id, name, header, tex, label, higher, array) IMP_VALUE_##id,
    IMP_VALUE_MAP(IMP_VALUE_ENUM)
#undef IMP_VALUE_ENUM
    IMP_VALUE__COUNT
} imp_analyze_value;

/* A value's name ("accuracy", "gen_seconds", …, as --value takes it), the value of a name
 * (-1 if none), whether higher is better, and the cube's array of it. */
const char *imp_analyze_value_name(imp_analyze_value v);
/* The value in prose and on axes: "accuracy", "macro-F1", "GEN seconds", … */
const char *imp_analyze_value_label(imp_analyze_value v);
/* The header of its mean in a table ("mean acc", "mean s", …; tex: LaTeX's spelling). */
const char *imp_analyze_value_header(imp_analyze_value v, int tex);
int imp_analyze_value_from_name(const char *name);
/* The names in table order (the help's order), joined by sep as imp_words_join_all does (a
 * buf too small stops the program), into buf (returned); scores_only: only the values where
 * higher is better (the report's). */
const char *imp_analyze_value_names(char *buf, size_t n, int scores_only, const char *sep);
int imp_analyze_value_higher_better(imp_analyze_value v);
const float *imp_analyze_values(const imp_cube *cube, imp_analyze_value v);

/* Which part of a cube to analyse. keep[ax][i] != 0 keeps value i of axis ax; col[c] != 0 keeps
 * competitor column c = (strategy·n_k + k)·n_shot + shot. Owned by the struct: create with
 * imp_analyze_sel_init (everything kept), free with imp_analyze_sel_free. */
typedef struct imp_analyze_sel {
    unsigned char *keep[IMP_AX__COUNT];
    unsigned char *col;
    size_t n_col;
    imp_analyze_value value; /* ACCURACY after init */
} imp_analyze_sel;

/* The components of a strategy PRE/GEN/POST/INF/AGG, by which --where, --group-by and the
 * export split it. */
typedef enum {
    IMP_COMP_PRE = 0,
    IMP_COMP_GEN,
    IMP_COMP_POST,
    IMP_COMP_INF,
    IMP_COMP_AGG,    /* max, nn, mnn */
    IMP_COMP_METRIC, /* inner (max), cosine, euclidean, manhattan, mahalanobis */
    IMP_COMP_M,      /* neighbours: 1 for nn, M for mnn; "" for max */
    IMP_COMP_WEIGHT, /* uniform or distance for mnn; "" otherwise */
    IMP_COMP__COUNT
} imp_component;

/* The component named name[0..len) ("pre", "gen", …, "weight"), -1 if none. */
int imp_analyze_component_from_name(const char *name, size_t len);
/* The name of component comp ("pre", …, "weight"; "?" outside the enum). */
const char *imp_analyze_component_name(int comp);
/* The component names in enum order, joined by sep as imp_words_join_all does (a buf too
 * small stops the program), into buf. */
const char *imp_analyze_component_names(char *buf, size_t n, const char *sep);
/* Text of component comp of the strategy text strategy into buf ("" when it does not apply);
 * NULL if the strategy does not parse. */
const char *imp_analyze_component(const char *strategy, int comp, char *buf, size_t n);

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_axes *axes, imp_err *err);
void imp_analyze_sel_free(imp_analyze_sel *sel);

/* Narrow sel to "KEY=V1,V2,…[,KEY2=W1,…]": a comma-separated list in which an item with '='
 * starts a new key and an item without one adds a value to the current key (so the older
 * form "AXIS=V1,V2" means the same). KEY is an axis (model, task, strategy, k, shot, seed) or
 * a strategy component (pre, gen, post, inf, agg, metric, m, weight). An axis value matches
 * by its text (shot "all"), or for k, shot and seed by integer value (shot -1 = all); a
 * component value keeps the strategies whose component has that text. Keys are ANDed, values
 * of one key ORed; repeated calls intersect. An unknown key or a value nothing has is
 * IMP_EUSAGE naming the values there are. */
int imp_analyze_where(imp_analyze_sel *sel, const imp_axes *axes, const char *expr,
                      imp_err *err);

/* Narrow the competitor columns to those matched by a comma-separated list of items
 * "STR[@k=K][@shot=S]" (' ' may replace '@', so the names printed by analyze work too). STR
 * is a strategy of the cube, as written there, or one of the paper's names: Qi, Hosoda,
 * Janson, Ours (= l2/kmeans/l2/l2/max k=20), Oracle. A missing k or shot matches every value.
 * An item naming a strategy, k or shot the cube does not have is IMP_EUSAGE. Repeated calls
 * intersect (join lists with ',' for a union). */
int imp_analyze_competitors(imp_analyze_sel *sel, const imp_axes *axes, const char *list,
                            imp_err *err);

/* Set hit[c] for every competitor column c one item of such a list matches (a definition
 * NAME=STR[@k=K][@shot=S] matches as STR would); hit has n_strategy·n_k·n_shot entries.
 * item is cut up in place. IMP_EUSAGE as imp_analyze_competitors. */
int imp_analyze_match_item(const imp_axes *axes, char *item, unsigned char *hit,
                           imp_err *err);

/* The paper's name of a strategy text ("Qi", "Hosoda", "Janson", "Ours", "Oracle"), or NULL;
 * *k (may be NULL) gets the k it names, 0 for every k (Ours is l2/kmeans/l2/l2/max at k = 20
 * only). The figures name their lines with it, as imp_analyze_names does the table's rows. */
const char *imp_analyze_paper_name(const char *strategy, int64_t *k);

/* The cube as long CSV (imp_cube_export_csv_opts) with the strategy split into the columns
 * pre,gen,post,inf,agg,metric,m,weight beside it; n/a cells left out when valid_only. */
int imp_analyze_export_csv(const imp_cube *cube, FILE *out, int valid_only, imp_err *err);

#endif
