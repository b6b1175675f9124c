// C++ against the unpacked tarball: find_package(ropc) in CMakeLists.txt, or
// c++ grant.cpp $(pkg-config --cflags --libs ropc).
#include <memory>

#include "grant.h"

int main() {
    // The header's types in C++ ownership, as a C++ user would hold them.
    std::unique_ptr<ropc_server, decltype(&ropc_server_free)> none(nullptr, &ropc_server_free);
#if defined(ROPC_DIST_HOW)
    return ropc_dist_grant(ROPC_DIST_HOW);
#elif defined(ROPC_DIST_STATIC)
    return ropc_dist_grant("C++ (CMake, ropc::ropc_static)");
#else
    return ropc_dist_grant("C++ (CMake, ropc::ropc)");
#endif
}
