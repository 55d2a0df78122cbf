/* crash.h — crash points for the crash-consistency tests: SIGKILL the process at the Nth pass
 * of a named point, so a test can kill a sweep at exact places (mid journal append, before and
 * after the cube's rename, in a worker's load). The product never arms one: imp_crash_arm is
 * called only by test code (tests/util/imprint_test.c, the tests' build of the tool, arms the
 * point its IMPRINT_TEST_CRASH_AT names), so in the installed tool a hit is a compare against
 * "" and no environment variable is read. Points: journal-append (a torn record), cube-write
 * (the .tmp half written), cube-rename / cube-renamed, store-rename / output-rename(d) and
 * journal-rename(d) (a version 1 journal's conversion) (atomic.h), store-load (a rank loading
 * a split). */
#ifndef IMPRINT_CRASH_H
#define IMPRINT_CRASH_H

/* Arm point: its nth pass (n >= 1) is a hit; NULL or n < 1 disarms. Test code only. */
void imp_crash_arm(const char *point, long n);
/* 1 if this pass of point is the armed one (the caller then does what a crash there
 * leaves behind and calls imp_crash_now), else 0. Thread-safe. */
int imp_crash_hit(const char *point);
/* Die now as a power cut would: SIGKILL, no atexit handlers, no buffered output flushed. */
void imp_crash_now(void) __attribute__((noreturn));

#endif
