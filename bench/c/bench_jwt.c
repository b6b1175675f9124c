/* A resource server's offline JWT check through libropc (make bench-jwt):
 * ropc_guard_check_jwt_request on the token bench_jwt wrote, median of
 * seven rounds, nanoseconds per call. Usage: bench_jwt CONFIG TOKEN JWKS. */
#define _POSIX_C_SOURCE 199309L
#include <ropc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_jwt CONFIG TOKEN JWKS\n");
        return 2;
    }
    char *config = slurp(argv[1]), *token = slurp(argv[2]), *jwks = slurp(argv[3]);
    if (!config || !token || !jwks) return 2;
    ropc_guard *guard = NULL;
    ropc_key_set *keys = NULL;
    if (ropc_guard_new_from_json(config, &guard, NULL) != ROPC_OK || ropc_key_set_new_from_json(jwks, &keys, NULL) != ROPC_OK)
        return 1;
    size_t len = strlen(token) + 8;
    char *header = malloc(len);
    snprintf(header, len, "Bearer %s", token);
    enum { ROUNDS = 7, CALLS = 20000 };
    double ns[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double start = now_ns();
        for (int i = 0; i < CALLS; i++) {
            ropc_principal *p = NULL;
            ropc_response *refusal = NULL;
            if (ropc_guard_check_jwt_request(guard, header, keys, "GET /invoices/42", "read", &p, &refusal) != ROPC_OK)
                return 1;
            ropc_principal_free(p);
        }
        ns[r] = (now_ns() - start) / CALLS;
    }
    qsort(ns, ROUNDS, sizeof ns[0], cmp);
    printf("{\"language\":\"c\",\"ns\":{\"check_jwt\":%.1f}}\n", ns[ROUNDS / 2]);
    free(header);
    ropc_key_set_free(keys);
    ropc_guard_free(guard);
    free(config);
    free(token);
    free(jwks);
    return 0;
}
