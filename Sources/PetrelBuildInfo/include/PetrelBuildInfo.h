#ifndef PETREL_BUILD_INFO_H
#define PETREL_BUILD_INFO_H

// Set at build time: swift build -Xcc -DPETREL_VERSION=\"1.2.3\" -Xcc -DPETREL_GIT_COMMIT=\"abc123\" ...
// (scripts/build-release.sh passes them from VERSION, GIT_COMMIT and BUILD_DATE).
const char *petrel_build_version(void);
const char *petrel_build_git_commit(void);
const char *petrel_build_date(void);

#endif
