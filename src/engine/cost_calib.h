/* cost_calib.h — the cost model's calibration constants (see sched.h), written by
 * `imprint plan --fit-cost` through bench/refit_cost.sh on 2026-12-01 from 2247 cells of:
 *   jobs/demo.yaml (cube under results/calibration/)
 *   bench/jobs/standin-slice.yaml
 * (rates: cost units per second of one thread). */
#ifndef IMPRINT_COST_CALIB_H
#define IMPRINT_COST_CALIB_H
/* per GEN by name: X(name, rate), one row per row of IMP_GEN_MAP, in any order (sched.c) */
#define IMP_CALIB_GEN_RATES(X) \
    X("mean", 3.594e+10) \
    X("all", 7.064e+08) \
    X("random", 1e+09) \
    X("kmeans", 4.393e+10) \
    X("kmedoids", 4.104e+10) \
    X("fps", 5e+09) \
    X("covmax", 1e+10) \
    X("ls", 9.484e+10) \
    X("kls", 1.25e+11)
#define IMP_CALIB_GEN_OVERHEAD 0.001571
/* per metric by name: X(name, rate), one row per row of IMP_METRIC_MAP, in any order */
#define IMP_CALIB_CELL_RATES(X) \
    X("inner", 2.726e+10) \
    X("cosine", 3.152e+10) \
    X("euclidean", 2.719e+10) \
    X("manhattan", 1.959e+10) \
    X("mahalanobis", 1.647e+10)
#define IMP_CALIB_CELL_OVERHEAD 0.0005092
#define IMP_CALIB_LOAD_RATE 5e+08
#define IMP_CALIB_LOAD_OVERHEAD 0.05
#define IMP_CALIB_THREAD_EFF 0.7
#endif
