/* C calls through libropc, timed the same way as core/examples/bench_calls.rs
 * times the same calls in Rust. Prints JSON. */
#define _POSIX_C_SOURCE 200809L
#include <ropc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_calls CONFIG_JSON_FILE\n");
        return 2;
    }
    ropc_server *server = NULL;
    ropc_error *err = NULL;
    if (ropc_server_new_from_file(argv[1], &server, &err) != ROPC_OK) {
        fprintf(stderr, "%s\n", ropc_error_message(err));
        return 1;
    }
    ropc_token_response *t = NULL;
    if (ropc_server_password_grant(server, "app", "app-secret", "alice", "pw", "read write", &t, NULL) != ROPC_OK) return 1;
    char access[64];
    snprintf(access, sizeof access, "%s", ropc_token_response_access_token(t));
    /* The response holding the refresh token to present next: kept until
     * the refresh that replaces it, as the Rust loop keeps its String,
     * rather than copied out (a copy is the harness's cost, not a call's). */
    ropc_token_response *current = t;

    enum { ROUNDS = 7, CHECKS = 200000, REFRESHES = 50000 };
    double check[ROUNDS], refr[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double start = now_ns();
        for (int i = 0; i < CHECKS; i++) {
            ropc_principal *p = NULL;
            if (ropc_server_check(server, access, "GET /invoices/42", "read", &p, NULL) != ROPC_OK) return 1;
            ropc_principal_free(p);
        }
        check[r] = (now_ns() - start) / CHECKS;
        start = now_ns();
        for (int i = 0; i < REFRESHES; i++) {
            ropc_token_response *n = NULL;
            if (ropc_server_refresh_grant(server, "app", "app-secret", ropc_token_response_refresh_token(current),
                                          NULL, &n, NULL) != ROPC_OK)
                return 1;
            ropc_token_response_free(current);
            current = n;
        }
        refr[r] = (now_ns() - start) / REFRESHES;
    }
    qsort(check, ROUNDS, sizeof check[0], cmp);
    qsort(refr, ROUNDS, sizeof refr[0], cmp);
    printf("{\"check_ns\": %.1f, \"refresh_ns\": %.1f}\n", check[ROUNDS / 2], refr[ROUNDS / 2]);
    ropc_token_response_free(current);
    ropc_server_free(server);
    return 0;
}
