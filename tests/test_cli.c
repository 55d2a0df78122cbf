/* test_cli.c — the tool's command line: help, version, and every usage error with its exit
 * code and message. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void expect(int want_rc, const char *needle, const char *args)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "%s", args);
    imp__assert_msg(rc == want_rc, __LINE__, __FILE__, "imprint %s: exit %d, expected %d; output:\n%s",
                    args, rc, want_rc, out ? out : "");
    if (needle)
        IMP_ASSERT_STR_CONTAINS(out, needle);
    free(out);
}

static void test_help_and_version(void)
{
    expect(0, "usage: imprint", "--help");
    expect(0, "usage: imprint", "help");
    expect(0, "imprint " IMPRINT_VERSION, "--version");
    expect(2, "usage: imprint", "");
    const char *cmds[] = {"ingest", "store", "eval", "status", "export", "analyze", NULL};
    for (int i = 0; cmds[i]; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        char needle[64];
        snprintf(needle, sizeof needle, "usage: imprint %s", cmds[i]);
        expect(0, needle, args);
    }
}

static void test_usage_errors(void)
{
    expect(2, "'frobnicate' is not an imprint command", "frobnicate");
    expect(2, "which source?", "ingest");
    expect(2, "unknown source 'cifar'", "ingest cifar --store x.h5");
    expect(2, "--store S.h5 is required", "ingest fashion-mnist");
    expect(2, "unknown option '--bogus'", "ingest fashion-mnist --bogus 1 --store x.h5");
    expect(2, "option --store needs a value", "ingest fashion-mnist --store");
    expect(2, "unknown model 'resnet'", "ingest fashion-mnist --store x.h5 --model resnet");
    expect(2, "model 'pixels' given twice", "ingest fashion-mnist --store x.h5 --model pixels --model pixels");
    expect(2, "--dataset NAME is required", "ingest idx --store x.h5");
    expect(2, "--train-images FILE is required", "ingest idx --dataset d --store x.h5");
    expect(2, "unknown option '--dir' for 'ingest idx'", "ingest idx --dir /tmp --store x.h5");
    expect(2, "needs the directory DIR", "ingest reference --store x.h5");
    expect(2, "not a directory", "ingest reference /nonexistent/dir --store x.h5");
    expect(2, "which store?", "store");
    expect(2, "unknown option '--all'", "store --all");
    expect(2, "cannot read the embedding store", "store /nonexistent/s.h5");
    expect(2, "which cube?", "status");
    expect(2, "unknown option '--all'", "status c.h5 --all");
    expect(2, "option --failures needs a value", "status c.h5 --failures");
    expect(2, "one cube at a time", "status a.h5 b.h5");
    expect(2, "which cube?", "export --csv x.csv");
    expect(2, "--csv OUT.csv is required", "export c.h5");
    expect(2, "which cube?", "analyze");
    expect(2, "unknown option '--frob'", "analyze c.h5 --frob");
    expect(2, "option --where needs a value", "analyze c.h5 --where");
    expect(2, "--top '1': expected a count >= 2", "analyze c.h5 --top 1");
    expect(2, "No such file or directory", "analyze /nonexistent/c.h5");
}

static void test_fashion_mnist_dir_missing(void)
{
    /* --dir without the files names the directory and the Debian package */
    char args[1024];
    snprintf(args, sizeof args, "ingest fashion-mnist --dir %s --store %s", imp_test_tmpdir(),
             imp_test_path("s.h5"));
    expect(2, "dataset-fashion-mnist", args);
}

int main(void)
{
    static const imp_test tests[] = {
        {"help_and_version", test_help_and_version},
        {"usage_errors", test_usage_errors},
        {"fashion_mnist_dir_missing", test_fashion_mnist_dir_missing},
        {NULL, NULL},
    };
    return imp_test_main("cli", tests);
}
