/* blas.c — thread control for the BLAS the build linked (each vendor has its own call). */
/* The vendors' own declarations: OpenBLAS's cblas.h and mkl.h (included by imprint/blas.h)
 * declare theirs; BLIS and FlexiBLAS keep them in headers of their own. blis.h declares
 * LAPACK's lsame_ unlike lapacke.h does, so with BLIS this file includes blis.h alone. */
#if defined(IMP_BLAS_BLIS)
#include <blis.h>
#define IMP__BLAS_OWN_HEADER
#elif defined(IMP_BLAS_FLEXIBLAS)
#include <flexiblas_api.h>
#endif
#include "imprint/blas.h"

#include <stdlib.h>

int imp_blas_threads(void)
{
#if defined(IMP_BLAS_OPENBLAS)
    return openblas_get_num_threads();
#elif defined(IMP_BLAS_BLIS)
    /* -1 until set or read from the environment: BLIS then runs one thread */
    int n = (int)bli_thread_get_num_threads();
    return n > 0 ? n : 1;
#elif defined(IMP_BLAS_FLEXIBLAS)
    return flexiblas_get_num_threads();
#elif defined(IMP_BLAS_MKL)
    return mkl_get_max_threads();
#else
    return 1;
#endif
}

void imp_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
#if defined(IMP_BLAS_OPENBLAS)
    openblas_set_num_threads(n);
#elif defined(IMP_BLAS_BLIS)
    bli_thread_set_num_threads((dim_t)n);
#elif defined(IMP_BLAS_FLEXIBLAS)
    flexiblas_set_num_threads(n);
#elif defined(IMP_BLAS_MKL)
    mkl_set_num_threads(n);
#else
    (void)n;
#endif
}

int imp_blas_threads_from_env(void)
{
    static const char *const vars[] = {"OMP_NUM_THREADS",
#if defined(IMP_BLAS_OPENBLAS)
                                       "OPENBLAS_NUM_THREADS",
#elif defined(IMP_BLAS_BLIS)
                                       "BLIS_NUM_THREADS",
#elif defined(IMP_BLAS_FLEXIBLAS)
                                       "FLEXIBLAS_NUM_THREADS",
#elif defined(IMP_BLAS_MKL)
                                       "MKL_NUM_THREADS",
#endif
                                       NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

const char *imp_blas_vendor(void)
{
#if defined(IMP_BLAS_OPENBLAS)
    return "OpenBLAS";
#elif defined(IMP_BLAS_BLIS)
    return "BLIS";
#elif defined(IMP_BLAS_FLEXIBLAS)
    return "FlexiBLAS";
#elif defined(IMP_BLAS_MKL)
    return "MKL";
#else
    return "BLAS";
#endif
}
