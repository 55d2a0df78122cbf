/* status.h — the status of a cell, once: the journal, the cube's /status, the grid's plan and
 * every printed name expand IMP_STATUS_MAP. */
#ifndef IMPRINT_STATUS_H
#define IMPRINT_STATUS_H

/* X(ID, value, name): value is the byte stored in the cube's /status and the journal (never
 * renumbered); name is what status, export and the HDF5 flag_meanings say. */
#define IMP_STATUS_MAP(X)                                                                       \
    X(PENDING, 0, "pending")                                                                    \
    X(DONE, 1, "done")                                                                          \
    X(FAILED, 2, "failed")                                                                      \
    X(NA, 3, "n-a") /* not a valid cell of the grid: never computed */

enum {
#define IMP__STATUS_ENUM(ID, value, name) IMP_CELL_##ID = value,
    IMP_STATUS_MAP(IMP__STATUS_ENUM)
#undef IMP__STATUS_ENUM
    IMP_CELL__NSTATUS = 4
};

/* The flag_meanings attribute of /status: every name in value order, space-separated. */
#define IMP__STATUS_NAME_SP(ID, value, name) name " "
#define IMP_STATUS_MEANINGS_SP IMP_STATUS_MAP(IMP__STATUS_NAME_SP)

#endif
