/* crash.c — test-only crash points (see crash.h): one env var, read once. */
#include "imprint/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_point[64];  /* "" = no crash point configured */
static long g_at;         /* crash on this pass (1-based) */
static long g_passes;     /* passes of g_point so far (under g_lock) */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void read_config(void)
{
    const char *v = getenv("IMPRINT_TEST_CRASH_AT");
    if (!v || !*v)
        return;
    char point[64];
    long n = 0, rank = -1;
    int used = 0;
    if (sscanf(v, "%63[a-z-]:%ld%n", point, &n, &used) < 2 || n < 1)
        return;
    if (v[used] == '@')
        rank = atol(v + used + 1);
    if (rank >= 0) {
        const char *r = getenv("OMPI_COMM_WORLD_RANK");
        if (!r)
            r = getenv("PMIX_RANK");
        if (!r) /* MPICH's Hydra */
            r = getenv("PMI_RANK");
        if (atol(r ? r : "0") != rank)
            return;
    }
    snprintf(g_point, sizeof g_point, "%s", point);
    g_at = n;
}

int imp_crash_hit(const char *point)
{
    pthread_once(&g_once, read_config);
    if (!g_point[0] || strcmp(point, g_point) != 0)
        return 0;
    pthread_mutex_lock(&g_lock);
    int hit = ++g_passes == g_at;
    pthread_mutex_unlock(&g_lock);
    return hit;
}

void imp_crash_now(void)
{
    for (;;)
        kill(getpid(), SIGKILL);
}
