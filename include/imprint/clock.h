/* clock.h — the one clock of imprint: every timing, deadline and timestamp reads it here. */
#ifndef IMPRINT_CLOCK_H
#define IMPRINT_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC (arbitrary origin: use differences). Thread-safe. */
double imp_clock_s(void);

/* Seconds since the Unix epoch (CLOCK_REALTIME, UTC): when a result was finished. */
double imp_clock_wall_s(void);

/* *ts = now + seconds on CLOCK_REALTIME, the clock pthread_cond_timedwait's deadline is on. */
void imp_clock_deadline(double seconds, struct timespec *ts);

/* "YYYY-MM-DDTHH:MM:SSZ", the time now in UTC (ISO 8601), into buf; returns buf. The first
 * 10 characters are the date. */
#define IMP_CLOCK_ISO_MAX 32
char *imp_clock_iso(char buf[IMP_CLOCK_ISO_MAX]);

#endif
