/* C against the unpacked tarball: cc grant.c $(pkg-config --cflags --libs ropc). */
#include "grant.h"

int main(void) { return ropc_dist_grant("C (pkg-config)"); }
