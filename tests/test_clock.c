/* test_clock.c — the one clock: its UTC text is the time now in ISO 8601, a condvar deadline is
 * now + the seconds asked (the nanoseconds carried), the wall clock is the epoch's, and the
 * monotonic clock never runs back. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "imprint/clock.h"
#include "testutil.h"

/* ts as seconds */
static double secs(const struct timespec *ts)
{
    return (double)ts->tv_sec + 1e-9 * (double)ts->tv_nsec;
}

static void test_iso(void)
{
    /* the text of the second before and the one after: the call's second is one of them */
    char before[32], after[32], got[IMP_CLOCK_ISO_MAX];
    struct tm tm;
    time_t t = time(NULL);
    strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    CU_ASSERT_PTR_EQUAL(imp_clock_iso(got), got);
    t = time(NULL);
    strftime(after, sizeof after, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    IMP_ASSERT_INT_EQ(strlen(got), 20);
    imp__assert_msg(strcmp(got, before) == 0 || strcmp(got, after) == 0, __LINE__, __FILE__,
                    "imp_clock_iso %s, the time was %s .. %s", got, before, after);
}

static void test_deadline(void)
{
    /* 0.9999999 s carries into tv_sec from most starting nanoseconds; 300 us is the sweep's */
    static const double wait[] = {300e-6, 0.9999999, 1.5, 0};
    for (size_t i = 0; i < sizeof wait / sizeof *wait; i++) {
        struct timespec a, d, b;
        clock_gettime(CLOCK_REALTIME, &a);
        imp_clock_deadline(wait[i], &d);
        clock_gettime(CLOCK_REALTIME, &b);
        CU_ASSERT(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        /* within a microsecond of [a, b] + wait (a double holds today's seconds to ~0.2 us) */
        imp__assert_msg(secs(&d) >= secs(&a) + wait[i] - 1e-6 &&
                            secs(&d) <= secs(&b) + wait[i] + 1e-6,
                        __LINE__, __FILE__, "deadline %.9f for %.7f s asked between %.9f and %.9f",
                        secs(&d), wait[i], secs(&a), secs(&b));
    }
}

static void test_wall_and_monotonic(void)
{
    double t0 = (double)time(NULL), w = imp_clock_wall_s(), t1 = (double)time(NULL) + 1;
    imp__assert_msg(w >= t0 && w <= t1, __LINE__, __FILE__, "wall %.3f, time() %.0f .. %.0f", w,
                    t0, t1);
    double last = imp_clock_s();
    for (int i = 0; i < 1000; i++) {
        double now = imp_clock_s();
        CU_ASSERT(now >= last);
        last = now;
    }
}

int main(void)
{
    static const imp_test tests[] = {
        {"iso", test_iso},
        {"deadline", test_deadline},
        {"wall_and_monotonic", test_wall_and_monotonic},
        {NULL, NULL},
    };
    return imp_test_main("clock", tests);
}
