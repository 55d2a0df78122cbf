/* cost_calib.h — the cost model's calibration constants (see sched.h), written by
 * `imprint plan --fit-cost` through bench/refit_cost.sh on 2026-12-01 from 1018 cells of:
 *   jobs/demo.yaml (cube under results/calibration/)
 *   bench/jobs/standin-slice.yaml
 * (rates: cost units per second of one thread). */
#ifndef IMPRINT_COST_CALIB_H
#define IMPRINT_COST_CALIB_H
/* per GEN, enum order: mean all random kmeans kmedoids fps covmax ls kls */
#define IMP_CALIB_GEN_RATE {6.357e+09, 1.137e+09, 1e+09, 3.047e+10, 1.343e+10, 5e+09, 1e+10, 4.904e+10, 3e+10}
#define IMP_CALIB_GEN_OVERHEAD 0.001635
/* per metric, enum order: inner cosine euclidean manhattan mahalanobis */
#define IMP_CALIB_CELL_RATE {1.279e+10, 1.019e+10, 1.118e+10, 1.009e+09, 2.492e+10}
#define IMP_CALIB_CELL_OVERHEAD 0.00126
#define IMP_CALIB_LOAD_RATE 5e+08
#define IMP_CALIB_LOAD_OVERHEAD 0.05
#define IMP_CALIB_THREAD_EFF 0.7
#endif
