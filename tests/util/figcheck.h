/* figcheck.h — reading figures back in tests: the stroked and filled paths of a cairo SVG
 * (outside <defs>, where cairo keeps its glyph outlines), and the size in a PNG header. */
#ifndef IMPRINT_FIGCHECK_H
#define IMPRINT_FIGCHECK_H

#include <stddef.h>

/* One subpath: the vertices of its M/L commands (Z sets closed). stroke_width is the
 * style's stroke-width, 0 for a filled path; fill is 1 for a filled one. */
typedef struct imp_svg_path {
    size_t n;
    double *x, *y;
    int closed, fill;
    double stroke_width;
    double opacity; /* fill-opacity (filled) or stroke-opacity of its style, 1 if unstated */
    size_t pos;     /* byte offset of its element in the SVG: the drawing order */
} imp_svg_path;

typedef struct imp_svg {
    size_t n;
    imp_svg_path *p;
    double width, height; /* of the root element (pt) */
} imp_svg;

/* Parse svg text; returns 0, or -1 if it is not an SVG cairo wrote (no root element). */
int imp_svg_parse(const char *svg, imp_svg *out);
void imp_svg_free(imp_svg *s);
/* Index of the first subpath with exactly these n vertices (each within tol), or -1. */
long imp_svg_find(const imp_svg *s, size_t n, const double *x, const double *y, double tol);
/* Number of filled closed 4-vertex subpaths (squares) of side 2·half centred at (x, y). */
size_t imp_svg_count_squares(const imp_svg *s, double x, double y, double half, double tol);

/* Width and height from a PNG's IHDR; returns 0, or -1 if path is not a PNG. */
int imp_png_size(const char *path, unsigned *w, unsigned *h);
/* Read a whole file into a NUL-terminated malloc'd buffer (NULL if unreadable). */
char *imp_read_file(const char *path, size_t *len);


/* The figure tests' crafted cube (numbers chosen by hand, see figcheck.c): model m1, tasks
 * t1 t2, strategies l2/mean/l2/l2/max, l2/kmeans/l2/l2/max, none/ls/none/none/max, k 1 5,
 * shot 5 all, seeds 1 2 3; one failed and one pending cell; its job names t1's dataset dA and
 * t2's dB. Returns 0 and *out (imp_cube_free), or -1. */
struct imp_cube;
int imp_test_fig_cube(struct imp_cube **out);
/* The claims tests' crafted cube (numbers by hand, see figcheck.c): models m1 m2, tasks t1 t2
 * t3, the paper's named strategies and none/kmeans/none/none/max, k 1 16 30, shot all, seeds
 * 1 2, every valid cell done. Returns 0 and *out (imp_cube_free), or -1. */
int imp_test_claims_cube(struct imp_cube **out);

#endif
