/* kmeans.c — placeholder until the k-means module lands. */
#include "imprint/kmeans.h"
int imp_kmeans(const float *X, size_t n, size_t d, int k, imp_rng *rng, const imp_kmeans_opts *opts,
               float *centers, int32_t *labels, imp_kmeans_info *info, imp_err *err)
{
    (void)X, (void)n, (void)d, (void)k, (void)rng, (void)opts, (void)centers, (void)labels, (void)info;
    return imp_err_set(err, IMP_EINTERNAL, "kmeans not built yet");
}
