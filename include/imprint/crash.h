/* crash.h — test-only crash points: SIGKILL the process at the Nth pass of a named point,
 * so the crash-consistency test can kill a sweep at exact places (mid journal append, before
 * and after the cube's rename, in a worker's load). Undocumented for users on purpose.
 *
 * IMPRINT_TEST_CRASH_AT="POINT:N" or "POINT:N@RANK" (RANK = OMPI_COMM_WORLD_RANK, PMIX_RANK or
 * MPICH's PMI_RANK; default any) is read once, on the first imp_crash_hit; unset (every real run), a hit is a
 * string compare against "". Points: journal-append (a torn record), cube-write (the .tmp
 * half written), cube-rename / cube-renamed, store-rename / output-rename(d) and
 * journal-rename(d) (a version 1 journal's conversion) (atomic.h), store-load (a rank loading a split). */
#ifndef IMPRINT_CRASH_H
#define IMPRINT_CRASH_H

/* 1 if this pass of point is the configured one (the caller then does what a crash there
 * leaves behind and calls imp_crash_now), else 0. Thread-safe. */
int imp_crash_hit(const char *point);
/* Die now as a power cut would: SIGKILL, no atexit handlers, no buffered output flushed. */
void imp_crash_now(void) __attribute__((noreturn));

#endif
