/* transport_local.h — the loop's transport to rank 0's own compute thread: the worker runs in
 * a thread that never calls MPI, results come back through a mutex-guarded queue. */
#ifndef IMPRINT_TRANSPORT_LOCAL_H
#define IMPRINT_TRANSPORT_LOCAL_H

#include "imprint/err.h"
#include "imprint/loop.h"
#include "imprint/worker.h"

/* A transport of one rank (rank 0) computing with w, which it owns from here (destroyed by
 * close, also when this fails). Starts the thread. IMP_ENOMEM, IMP_EINTERNAL. */
int imp_transport_local_open(imp_worker *w, imp_transport **out, imp_err *err);

#endif
