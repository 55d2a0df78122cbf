/* cost_calib.h — the cost model's calibration constants (see sched.h), written by
 * `imprint plan --fit-cost` through bench/refit_cost.sh; initial guesses until then. */
#ifndef IMPRINT_COST_CALIB_H
#define IMPRINT_COST_CALIB_H
/* per GEN, enum order: mean all random kmeans kmedoids fps covmax ls kls */
#define IMP_CALIB_GEN_RATE {1e9, 1e9, 1e9, 2.5e10, 1e10, 5e9, 1e10, 7e10, 3e10}
#define IMP_CALIB_GEN_OVERHEAD 0.001
/* per metric, enum order: inner cosine euclidean manhattan mahalanobis */
#define IMP_CALIB_CELL_RATE {2e10, 2e10, 2e10, 1e9, 5e9}
#define IMP_CALIB_CELL_OVERHEAD 0.001
#define IMP_CALIB_LOAD_RATE 5e8
#define IMP_CALIB_LOAD_OVERHEAD 0.05
#define IMP_CALIB_THREAD_EFF 0.7
#endif
