/* pipeline_cube_write.c — writes the saved cube tests/data/pipeline-cube.csv from the library
 * as built (tests/data/README.md says when that is right). Built with the tests, never run
 * by ctest: test_pipeline only compares, so a test never asserts against what it wrote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipecube.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: pipeline_cube_write OUT.csv [DUMP_DIR]\n"
                        "Evaluate every cell of test_pipeline's grid (GEN once per proxy set, "
                        "one thread) and\nwrite the CSV test_pipeline compares with; DUMP_DIR "
                        "also gets the GEN results\nfor tests/data/tools/cube_oracle.py.\n");
        return 2;
    }
    imp_data train, test;
    imp_pipecube_splits(&train, &test);
    imp_pipecube_cell *v;
    size_t n = imp_pipecube_cells(&v);
    size_t bad = imp_pipecube_eval_shared(&train, &test, v, n, 1, argc == 3 ? argv[2] : NULL);
    int rc = 0;
    if (bad) {
        fprintf(stderr, "pipeline_cube_write: %zu inconsistencies (see above): %s not written\n",
                bad, argv[1]);
        rc = 1;
    }
    FILE *f = rc ? NULL : fopen(argv[1], "w");
    if (!rc && !f) {
        perror(argv[1]);
        rc = 1;
    }
    if (f) {
        fprintf(f, "%s\n", IMP_PIPECUBE_HEADER);
        for (size_t i = 0; i < n; i++) {
            char line[256];
            imp_pipecube_format(&v[i], line, sizeof line);
            fprintf(f, "%s\n", line);
        }
        if (fclose(f) != 0) {
            perror(argv[1]);
            rc = 1;
        }
    }
    if (!rc)
        fprintf(stderr, "pipeline_cube_write: %zu cells to %s\n", n, argv[1]);
    free(v);
    imp_data_free(&train);
    imp_data_free(&test);
    return rc;
}
