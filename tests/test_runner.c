/* test_runner.c — the suite runner of tests/util/testutil.c: a skipped case hides no case
 * after it, a list entry without a name fails the suite before anything runs, and
 * IMP_TEST_ONLY naming no case fails instead of passing with nothing run.
 *
 * Each check runs this executable again with IMP_RUNNER_LIST naming one of the lists below,
 * so the runner under test starts from a fresh process (no CUnit run in progress); its
 * cases leave marker files in IMP_RUNNER_DIR, which the check reads back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* ---- the inner suite: cases that leave a marker, one that skips ---- */

static void mark(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", getenv("IMP_RUNNER_DIR"), name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
}

static void case_a(void) { mark("a"); }
static void case_c(void) { mark("c"); }
static void case_skip(void) { imp_test_skip("the optional tool is not here (on purpose)"); }

static int inner(const char *list)
{
    static const imp_test skip_in_middle[] = {
        {"a", case_a}, {"optional", case_skip}, {"c", case_c}, {NULL, NULL}};
    /* the pattern the runner refuses: an optional test whose name was set to NULL */
    static const imp_test nameless[] = {
        {"a", case_a}, {NULL, case_skip}, {"c", case_c}, {NULL, NULL}};
    if (strcmp(list, "skip_in_middle") == 0)
        return imp_test_main("inner", skip_in_middle);
    if (strcmp(list, "nameless") == 0)
        return imp_test_main("inner", nameless);
    fprintf(stderr, "test_runner: no inner list %s\n", list);
    return 2;
}

/* ---- the checks ---- */

/* Run the inner list with markers in a fresh directory DIR/<tag>; exit status, output. */
static int run_inner(const char *list, const char *tag, const char *only, char **out)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CU_ASSERT_FATAL(n > 0);
    self[n] = '\0';
    const char *dir = imp_test_path(tag);
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    /* the outer suite's own IMP_TEST_ONLY (if any) is not the inner one's */
    return imp_test_sh(out, "mkdir -p '%s' && env -u IMP_TEST_ONLY IMP_RUNNER_LIST=%s "
                       "IMP_RUNNER_DIR='%s' %s%s%s '%s'", tmp, list, tmp,
                       only ? "IMP_TEST_ONLY='" : "", only ? only : "", only ? "'" : "", self);
}

static int exists(const char *tag, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", imp_test_path(tag), name);
    return access(path, F_OK) == 0;
}

static void test_skip_hides_nothing(void)
{
    char *out = NULL;
    /* the case after the skipped one runs; the suite reports SKIP, never a pass */
    IMP_ASSERT_INT_EQ(run_inner("skip_in_middle", "skip", NULL, &out), IMP_TEST_SKIP);
    IMP_ASSERT_INT_EQ(exists("skip", "a"), 1);
    IMP_ASSERT_INT_EQ(exists("skip", "c"), 1);
    IMP_ASSERT_STR_CONTAINS(out, "inner: 2 passed, 0 failed, 1 skipped");
    free(out);
}

static void test_nameless_entry_refused(void)
{
    char *out = NULL;
    /* refused before any case: neither marker is written, the suite fails */
    IMP_ASSERT_INT_EQ(run_inner("nameless", "nameless", NULL, &out), 1);
    IMP_ASSERT_INT_EQ(exists("nameless", "a"), 0);
    IMP_ASSERT_INT_EQ(exists("nameless", "c"), 0);
    IMP_ASSERT_STR_CONTAINS(out, "inner: entry 1 of the test list has a function but no name");
    free(out);
}

static void test_only(void)
{
    char *out = NULL;
    /* IMP_TEST_ONLY runs the one case it names … */
    IMP_ASSERT_INT_EQ(run_inner("skip_in_middle", "only", "c", &out), 0);
    IMP_ASSERT_INT_EQ(exists("only", "a"), 0);
    IMP_ASSERT_INT_EQ(exists("only", "c"), 1);
    IMP_ASSERT_STR_CONTAINS(out, "inner: 1 passed, 0 failed, 0 skipped");
    free(out);
    /* … and a name of no case is a failure, not "0 passed" */
    IMP_ASSERT_INT_EQ(run_inner("skip_in_middle", "none", "cc", &out), 1);
    IMP_ASSERT_INT_EQ(exists("none", "c"), 0);
    IMP_ASSERT_STR_CONTAINS(out, "inner: IMP_TEST_ONLY=cc names no test of the suite");
    free(out);
}

int main(void)
{
    const char *list = getenv("IMP_RUNNER_LIST");
    if (list)
        return inner(list);
    const imp_test tests[] = {{"a skipped case hides no later case", test_skip_hides_nothing},
                              {"an entry without a name fails the suite",
                               test_nameless_entry_refused},
                              {"IMP_TEST_ONLY: one case, or a failure", test_only},
                              {NULL, NULL}};
    return imp_test_main("runner", tests);
}
