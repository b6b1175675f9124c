/* The calls on a server's hot paths hand memcmp and memset no empty range
 * at a dangling pointer.
 *
 * An empty Rust slice's pointer is dangling (0x1). glibc's AVX-512 memcmp
 * reads there, and its memset stores there, under an all-zero mask; on AMD
 * Zen 4 each such access to page zero takes a fault-suppression assist:
 * about 40 ns for memcmp and 70 ns for memset, against 2-3 ns with a real
 * pointer. Pattern matching once compared the empty text around a leading
 * or trailing `*` that way, three times a check (a third of its time), and
 * zeroize wiped strings the binding had already emptied twice a refresh.
 * No clock tells that here, so this program counts instead: it defines
 * memcmp, bcmp and memset itself (libropc's calls bind to them), counts the
 * empty ranges below 4096 each call makes, and fails if there are any.
 *
 * Built and run by `make test-c`, outside valgrind and the sanitizers,
 * which bring their own memcmp and memset. */
#define _POSIX_C_SOURCE 200809L
#include <ropc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int counting;
static long dangling, calls;

/* An empty range at an address in page zero, where nothing is mapped. */
static void note(const void *p, size_t n) {
    if (!counting) return;
    calls++;
    if (n == 0 && (uintptr_t)p < 4096) dangling++;
}

int memcmp(const void *a, const void *b, size_t n) {
    note(a, n);
    note(b, n);
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

void *memset(void *d, int c, size_t n) {
    note(d, n);
    /* volatile: the compiler must not turn this loop back into memset. */
    volatile unsigned char *x = d;
    for (size_t i = 0; i < n; i++) x[i] = (unsigned char)c;
    return d;
}

static int failures;

static void expect_none(const char *what, ropc_status st, ropc_status want) {
    counting = 0;
    if (st != want) {
        fprintf(stderr, "FAIL %s: status %d, expected %d\n", what, (int)st, (int)want);
        failures++;
    } else if (dangling != 0) {
        fprintf(stderr, "FAIL %s: %ld empty ranges at a dangling pointer (of %ld ranges)\n", what,
                dangling, calls);
        failures++;
    } else {
        printf("ok %s (%ld ranges to memcmp/memset, none dangling)\n", what, calls);
    }
    dangling = calls = 0;
}

/* An endpoint always answers ROPC_OK: its response's status tells. */
static void expect_status(const char *what, ropc_response *r, uint16_t want) {
    if (r == NULL || ropc_response_status(r) != want) {
        fprintf(stderr, "FAIL %s: HTTP %u, expected %u\n", what, r ? (unsigned)ropc_response_status(r) : 0u,
                (unsigned)want);
        failures++;
    }
}

static void start(void) {
    dangling = calls = 0;
    counting = 1;
}

/* The three endpoints take the same arguments. */
typedef ropc_status (*endpoint_fn)(const ropc_server *, const char *, const char *, const char *, const uint8_t *,
                                   size_t, ropc_response **);

/* POSTs a form `body` (may be "": none) to an endpoint, as an HTTP server
 * would, and expects HTTP `want` without a dangling empty range. */
static void endpoint(const char *what, endpoint_fn fn, const ropc_server *server, const char *authorization,
                     const char *body, uint16_t want) {
    ropc_response *r = NULL;
    size_t len = strlen(body);
    start();
    expect_none(what,
                fn(server, "POST", "application/x-www-form-urlencoded", authorization,
                   len ? (const uint8_t *)body : NULL, len, &r),
                ROPC_OK);
    expect_status(what, r, want);
    ropc_response_free(r);
}

/* Patterns with a star at either end (empty text beside it), a `**`, and
 * `{username}`: every shape of piece the matcher meets. argon2 at its
 * cheapest: this is not about passwords. */
static const char CONFIG[] =
    "{\"password_hashing\": {\"m_cost\": 64, \"t_cost\": 1, \"p_cost\": 1},"
    " \"allow_weak_password_hashing\": true,"
    " \"scopes\": [{\"name\": \"read\", \"resources\": [\"GET /invoices/*\", \"* /users/{username}/*\"]},"
    "             {\"name\": \"write\", \"resources\": [\"*POST /invoices/**\"]}],"
    " \"clients\": [{\"id\": \"app\","
    "   \"secret_hash\": \"sha256:6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8\","
    "   \"grant_types\": [\"password\", \"refresh_token\"], \"scopes\": [\"read\", \"write\"]}],"
    " \"users\": [{\"username\": \"alice\", \"password_hash\":"
    "   \"$argon2id$v=19$m=64,t=1,p=1$ecGPFUT7F1CkE0awA+V3TQ$4jxlGe8TDEonU+n73xz06pwoCbmMC4BaNxmifZJg5Yg\"}],"
    " \"rules\": [{\"resources\": [\"* /invoices/*\", \"* /users/{username}/*\"], \"users\": [\"alice\"]}]}";

int main(void) {
    ropc_server *server = NULL;
    ropc_error *err = NULL;
    if (ropc_server_new_from_json(CONFIG, &server, &err) != ROPC_OK) {
        fprintf(stderr, "config: %s\n", ropc_error_message(err));
        return 1;
    }
    ropc_token_response *t = NULL;
    if (ropc_server_password_grant(server, "app", "app-secret", "alice", "pw", "read write", &t, NULL) !=
        ROPC_OK) {
        fprintf(stderr, "password grant failed\n");
        return 1;
    }
    char access[128], bearer[160], refresh[128];
    snprintf(access, sizeof access, "%s", ropc_token_response_access_token(t));
    snprintf(bearer, sizeof bearer, "Bearer %s", access);
    snprintf(refresh, sizeof refresh, "%s", ropc_token_response_refresh_token(t));
    ropc_token_response_free(t);

    static const char *const resources[] = {
        "GET /invoices/42", "POST /invoices/7/lines", "GET /users/alice/profile"};
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        ropc_principal *p = NULL;
        char what[96];
        start();
        snprintf(what, sizeof what, "check %s", resources[i]);
        expect_none(what, ropc_server_check(server, access, resources[i], NULL, &p, NULL), ROPC_OK);
        ropc_principal_free(p);
        p = NULL;
        ropc_response *r = NULL;
        start();
        snprintf(what, sizeof what, "check_request %s", resources[i]);
        expect_none(what, ropc_server_check_request(server, bearer, resources[i], "read", &p, &r),
                    ROPC_OK);
        ropc_principal_free(p);
        ropc_response_free(r);
    }
    /* Refusals walk the patterns to the end. */
    ropc_principal *p = NULL;
    start();
    expect_none("check outside every scope",
                ropc_server_check(server, access, "DELETE /invoices/1", NULL, &p, NULL),
                ROPC_INSUFFICIENT_SCOPE);
    start();
    expect_none("check of another user's resource",
                ropc_server_check(server, access, "GET /users/bob/profile", NULL, &p, NULL),
                ROPC_INSUFFICIENT_SCOPE);

    ropc_introspection *info = NULL;
    start();
    expect_none("introspect", ropc_server_introspect(server, "app", "app-secret", access, NULL, &info, NULL),
                ROPC_OK);
    ropc_introspection_free(info);

    ropc_token_response *n = NULL;
    start();
    expect_none("refresh", ropc_server_refresh_grant(server, "app", "app-secret", refresh, NULL, &n, NULL),
                ROPC_OK);
    /* The token that refresh issued is the one to present next. */
    snprintf(refresh, sizeof refresh, "%s", n ? ropc_token_response_refresh_token(n) : "");
    ropc_token_response_free(n);

    /* Through the endpoints, as an HTTP server calls them: form bodies, the
     * responses' bodies (empty for a revocation), refusals without one. */
    ropc_response *r = NULL;
    start();
    expect_none("check_request without credentials",
                ropc_server_check_request(server, NULL, "GET /invoices/1", NULL, &p, &r), ROPC_INVALID_TOKEN);
    expect_status("check_request without credentials", r, 401);
    ropc_response_free(r);
    static const char basic[] = "Basic YXBwOmFwcC1zZWNyZXQ="; /* app:app-secret */
    char body[256];
    snprintf(body, sizeof body, "grant_type=refresh_token&refresh_token=%s&scope=", refresh);
    endpoint("token endpoint", ropc_server_token_endpoint, server, basic, body, 200);
    snprintf(body, sizeof body, "token=%s", access);
    endpoint("introspection endpoint", ropc_server_introspection_endpoint, server, basic, body, 200);
    endpoint("revocation endpoint", ropc_server_revocation_endpoint, server, basic, body, 200);
    endpoint("token endpoint, empty body", ropc_server_token_endpoint, server, NULL, "", 401);

    ropc_server_free(server);
    if (failures) {
        fprintf(stderr, "%d failed\n", failures);
        return 1;
    }
    return 0;
}
