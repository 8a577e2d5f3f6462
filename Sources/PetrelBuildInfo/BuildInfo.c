#include "PetrelBuildInfo.h"

#ifndef PETREL_VERSION
#define PETREL_VERSION "0.1.0-dev"
#endif
#ifndef PETREL_GIT_COMMIT
#define PETREL_GIT_COMMIT "unknown"
#endif
#ifndef PETREL_BUILD_DATE
#define PETREL_BUILD_DATE "unknown"
#endif

const char *petrel_build_version(void) { return PETREL_VERSION; }
const char *petrel_build_git_commit(void) { return PETREL_GIT_COMMIT; }
const char *petrel_build_date(void) { return PETREL_BUILD_DATE; }
