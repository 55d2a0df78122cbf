/* version.h — the version of this build: the release and the git commit it was built from. */
#ifndef IMPRINT_VERSION_H
#define IMPRINT_VERSION_H

/* "0.1.0 (git 0fe69cb1d2e3-dirty)", or "0.1.0 (git unknown)" for a build outside a git
 * checkout; generated at build time (cmake/version.cmake), recorded in every cube. */
const char *imp_version(void);

#endif
