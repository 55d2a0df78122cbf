/* measure.c — the per-cell measure table (measure.h) and a result record's fields by measure. */
#include "imprint/measure.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "imprint/journal.h"

static const imp_measure_info measures[IMP_MEASURE__COUNT] = {
#define ROW(ID, name, kind, units, doc) {#name, IMP_MK_##kind, units, doc},
    IMP_MEASURE_MAP(ROW)
#undef ROW
};

static const size_t res_off[IMP_MEASURE__COUNT] = {
#define ROW(ID, name, kind, units, doc) offsetof(imp_cell_result, name),
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

void *imp_cell_result_measure(imp_cell_result *r, imp_measure_id id)
{
    return (char *)r + res_off[id];
}

const void *imp_cell_result_measure_c(const imp_cell_result *r, imp_measure_id id)
{
    return (const char *)r + res_off[id];
}

void imp_cell_result_unknown(imp_cell_result *r)
{
    for (int i = 0; i < IMP_MEASURE__COUNT; i++) {
        void *p = imp_cell_result_measure(r, (imp_measure_id)i);
        switch (measures[i].kind) {
        case IMP_MK_F32: *(float *)p = NAN; break;
        case IMP_MK_F64: *(double *)p = NAN; break;
        case IMP_MK_I32: *(int32_t *)p = -1; break;
        case IMP_MK_HOST: memset(p, 0, IMP_HOST_MAX); break;
        }
    }
}
