// Proves include/ropc.h compiles as C++ (and links: the calls are real).
#include "ropc.h"

#include <cstdio>
#include <cstring>

int main() {
    ropc_server *server = nullptr;
    ropc_error *err = nullptr;
    ropc_status st = ropc_server_new_from_json("{\"realm\": 5}", &server, &err);
    bool ok = st == ROPC_INVALID_CONFIG && server == nullptr && std::strstr(ropc_error_message(err), "realm") != nullptr;
    ropc_error_free(err);
    std::printf("c++: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
