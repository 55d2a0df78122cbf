/* measure.c — the per-cell measure table (measure.h), row by row. */
#include "imprint/measure.h"

#include <stddef.h>
#include <string.h>


static const imp_measure_info measures[IMP_MEASURE__COUNT] = {
#define ROW(ID, name, kind, units, doc) {#name, IMP_MK_##kind, units, doc},
    IMP_MEASURE_MAP(ROW)
#undef ROW
};

const imp_measure_info *imp_measure_info_of(imp_measure_id id)
{
    return (unsigned)id < IMP_MEASURE__COUNT ? &measures[id] : NULL;
}

int imp_measure_by_name(const char *name)
{
    for (int i = 0; i < IMP_MEASURE__COUNT; i++)
        if (strcmp(measures[i].name, name) == 0)
            return i;
    return -1;
}

size_t imp_measure_cube_size(imp_measure_kind kind)
{
    return kind == IMP_MK_F64 ? sizeof(double) : 4;
}
