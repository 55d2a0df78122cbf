/* crash.c — crash points (see crash.h): armed only by a test (the tests' tool, imprint-test). */
#include "imprint/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char g_point[64];  /* "" = no crash point armed */
static long g_at;         /* crash on this pass (1-based) */
static long g_passes;     /* passes of g_point so far */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void imp_crash_arm(const char *point, long n)
{
    pthread_mutex_lock(&g_lock);
    snprintf(g_point, sizeof g_point, "%s", point && n >= 1 ? point : "");
    g_at = n;
    g_passes = 0;
    pthread_mutex_unlock(&g_lock);
}

int imp_crash_hit(const char *point)
{
    pthread_mutex_lock(&g_lock);
    int hit = g_point[0] && strcmp(point, g_point) == 0 && ++g_passes == g_at;
    pthread_mutex_unlock(&g_lock);
    return hit;
}

void imp_crash_now(void)
{
    for (;;)
        kill(getpid(), SIGKILL);
}
