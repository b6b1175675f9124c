/* C against the unpacked tarball: cc grant.c $(pkg-config --cflags --libs ropc),
 * or CMake's find_package(ropc) (CMakeLists.txt). */
#include "grant.h"

#ifndef ROPC_DIST_HOW
#define ROPC_DIST_HOW "C (CMake)"
#endif

int main(void) { return ropc_dist_grant(ROPC_DIST_HOW); }
