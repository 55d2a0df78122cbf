/* cost_calib.h — the cost model's calibration constants (see sched.h), written by
 * `imprint plan --fit-cost` through bench/refit_cost.sh on 2026-12-01 from 2247 cells of:
 *   /work/wt/engine2/results/calibration/demo.yaml
 *   /work/wt/engine2/results/calibration/slice.yaml
 * (rates: cost units per second of one thread). */
#ifndef IMPRINT_COST_CALIB_H
#define IMPRINT_COST_CALIB_H
/* per GEN, enum order: mean all random kmeans kmedoids fps covmax ls kls */
#define IMP_CALIB_GEN_RATE {1.058e+10, 7.377e+08, 1e+09, 2.996e+10, 2.502e+10, 5e+09, 1e+10, 6.999e+10, 7.56e+10}
#define IMP_CALIB_GEN_OVERHEAD 0.001671
/* per metric, enum order: inner cosine euclidean manhattan mahalanobis */
#define IMP_CALIB_CELL_RATE {1.623e+10, 1.527e+10, 1.523e+10, 1.321e+10, 1.141e+10}
#define IMP_CALIB_CELL_OVERHEAD 0.0006118
#define IMP_CALIB_LOAD_RATE 5e+08
#define IMP_CALIB_LOAD_OVERHEAD 0.05
#define IMP_CALIB_THREAD_EFF 0.7
#endif
