/* transport_mpi.h — the loop's transport over MPI_COMM_WORLD: rank 0 sends pieces to the other
 * ranks and receives their batches point-to-point; rank 0's own share goes to a local
 * transport. Each worker rank runs imp_transport_mpi_serve. */
#ifndef IMPRINT_TRANSPORT_MPI_H
#define IMPRINT_TRANSPORT_MPI_H

#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/loop.h"
#include "imprint/worker.h"

/* Rank 0: a transport of `size` ranks (global: MPI_COMM_WORLD's size), rank 0 through local
 * (owned from here, closed with it, also when this fails), ranks 1.. over MPI. Not
 * collective. IMP_ENOMEM. */
int imp_transport_mpi_open(imp_transport *local, int size, imp_transport **out, imp_err *err);

/* A worker rank (local: any rank but 0): receive pieces of grid (global: the same grid on
 * every rank) from rank 0, compute them with w (local, borrowed), send the batches back, until
 * rank 0's close; then *exit_code is the one it sent. Point-to-point only, never collective.
 * Returns 0, or an IMP_E* (a piece that does not decode, out of memory: the caller aborts). */
int imp_transport_mpi_serve(imp_worker *w, const imp_grid *grid, int *exit_code, imp_err *err);

#endif
