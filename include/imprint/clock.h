/* clock.h — the one monotonic clock every timing and deadline in imprint reads. */
#ifndef IMPRINT_CLOCK_H
#define IMPRINT_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (arbitrary origin: use differences). Thread-safe. */
double imp_clock_s(void);

#endif
