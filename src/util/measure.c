/* measure.c — the per-cell measure table (measure.h), row by row. */
#include "imprint/measure.h"

#include <stddef.h>

static const imp_measure_info measures[IMP_MEASURE__COUNT] = {
#define ROW(ID, name, kind, units, doc) {#name, IMP_MK_##kind, units, doc},
    IMP_MEASURE_MAP(ROW)
#undef ROW
};

const imp_measure_info *imp_measure_info_of(imp_measure_id id)
{
    return (unsigned)id < IMP_MEASURE__COUNT ? &measures[id] : NULL;
}
