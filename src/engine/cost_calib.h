/* cost_calib.h — the cost model's calibration constants (see sched.h), written by
 * `imprint plan --fit-cost` through bench/refit_cost.sh on 2026-12-01 from 2247 cells of:
 *   jobs/demo.yaml (cube under results/calibration/)
 *   bench/jobs/standin-slice.yaml
 * (rates: cost units per second of one thread). */
#ifndef IMPRINT_COST_CALIB_H
#define IMPRINT_COST_CALIB_H
/* per GEN, in the order of these names (checked against the GEN table by test_sched) */
#define IMP_CALIB_GEN_NAMES "mean all random kmeans kmedoids fps covmax ls kls"
#define IMP_CALIB_GEN_RATE {3.594e+10, 7.064e+08, 1e+09, 4.393e+10, 4.104e+10, 5e+09, 1e+10, 9.484e+10, 1.25e+11}
#define IMP_CALIB_GEN_OVERHEAD 0.001571
/* per metric, in the order of these names (checked against the metric table by test_sched) */
#define IMP_CALIB_METRIC_NAMES "inner cosine euclidean manhattan mahalanobis"
#define IMP_CALIB_CELL_RATE {2.726e+10, 3.152e+10, 2.719e+10, 1.959e+10, 1.647e+10}
#define IMP_CALIB_CELL_OVERHEAD 0.0005092
#define IMP_CALIB_LOAD_RATE 5e+08
#define IMP_CALIB_LOAD_OVERHEAD 0.05
#define IMP_CALIB_THREAD_EFF 0.7
#endif
