/* clock.c — the monotonic clock, the wall clock and its UTC text (clock.h). */
#include "imprint/clock.h"

static double seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double imp_clock_s(void) { return seconds(CLOCK_MONOTONIC); }

double imp_clock_wall_s(void) { return seconds(CLOCK_REALTIME); }

void imp_clock_deadline(double s, struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    time_t whole = (time_t)s;
    ts->tv_sec += whole;
    ts->tv_nsec += (long)((s - (double)whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

char *imp_clock_iso(char buf[IMP_CLOCK_ISO_MAX])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, IMP_CLOCK_ISO_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
