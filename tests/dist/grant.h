/* The grant every consumer of the C tarball runs (tests/dist): a server
 * from a JSON document, a user with a fresh argon2id hash, the password
 * grant, then the token checked for a resource. Returns 0 when all of it
 * worked; prints what failed. Shared by grant.c (C, pkg-config) and
 * grant.cpp (C++, CMake). */
#include <ropc.h>
#include <stdio.h>
#include <string.h>

static int ropc_dist_grant(const char *who) {
    char *phc = NULL;
    if (ropc_hash_password("alice-pw", 64, 1, 1, &phc, NULL) != ROPC_OK) {
        printf("%s: hash_password failed\n", who);
        return 1;
    }
    char json[1024];
    snprintf(json, sizeof json,
             "{\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":"
             "\"sha256:6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8\","
             "\"grant_types\":[\"password\"],\"scopes\":[\"read\"]}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"GET /docs/*\"],\"users\":[\"*\"]}]}",
             phc);
    ropc_string_free(phc);
    struct ropc_server *server = NULL;
    struct ropc_error *err = NULL;
    if (ropc_server_new_from_json(json, &server, &err) != ROPC_OK) {
        printf("%s: the server did not build: %s\n", who, err ? ropc_error_message(err) : "?");
        ropc_error_free(err);
        return 1;
    }
    struct ropc_token_response *tokens = NULL;
    int failed = 1;
    if (ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", "read", &tokens, NULL) == ROPC_OK) {
        struct ropc_principal *p = NULL;
        if (ropc_server_check(server, ropc_token_response_access_token(tokens), "GET /docs/1", "read", &p, NULL) ==
                ROPC_OK &&
            strcmp(ropc_principal_username(p), "alice") == 0)
            failed = 0;
        ropc_principal_free(p);
        ropc_token_response_free(tokens);
    }
    /* A wrong password is refused. */
    tokens = NULL;
    if (ropc_server_password_grant(server, "app", "app-secret", "alice", "wrong", "read", &tokens, NULL) !=
            ROPC_INVALID_GRANT ||
        tokens != NULL)
        failed = 1;
    ropc_server_free(server);
    printf("%s: libropc %s: grant and check %s\n", who, ropc_version(), failed ? "FAILED" : "ok");
    return failed;
}
