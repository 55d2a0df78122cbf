/* blas.h — the CBLAS and LAPACKE declarations of whichever BLAS the build linked, and its threads. */
#ifndef IMPRINT_BLAS_H
#define IMPRINT_BLAS_H

/* CMake defines at most one IMP_BLAS_<VENDOR> after looking for each vendor's own
 * thread-control function in the libraries it linked (CMakeLists.txt, "BLAS and LAPACK"):
 * IMP_BLAS_OPENBLAS, IMP_BLAS_BLIS, IMP_BLAS_FLEXIBLAS or IMP_BLAS_MKL. Without any, the BLAS
 * is taken as single-threaded (the reference BLAS, or one whose threads only its environment
 * variables control). MKL ships its own header names; every other vendor ships cblas.h, and
 * LAPACKE comes with the library or from the reference lapacke.h. */
#if defined(IMP__BLAS_OWN_HEADER) /* src/util/blas.c with BLIS: blis.h alone (see there) */
#elif defined(IMP_BLAS_MKL)
#include <mkl.h>
#else
#include <cblas.h>
#include <lapacke.h>
#endif

/* The number of threads the BLAS uses for one call now (1 for a single-threaded BLAS). */
int imp_blas_threads(void);

/* Let the BLAS use n (>= 1) threads for the calls that follow, process-wide. A no-op for a
 * BLAS without a thread-control call. Results must not depend on it where imprint relies on
 * bit-identical cells: those code paths set 1 around the calls that block by thread count. */
void imp_blas_set_threads(int n);

/* The BLAS's environment variable for its thread count is set (OPENBLAS_NUM_THREADS,
 * BLIS_NUM_THREADS, FLEXIBLAS_NUM_THREADS, MKL_NUM_THREADS, or OMP_NUM_THREADS which all of
 * them honour): the user chose, and the tool does not override it. */
int imp_blas_threads_from_env(void);

/* The vendor the build linked, for benchmark and version lines: "OpenBLAS", "BLIS",
 * "FlexiBLAS", "MKL" or "BLAS" (any other, single-threaded as far as imprint knows). Static. */
const char *imp_blas_vendor(void);

#endif
