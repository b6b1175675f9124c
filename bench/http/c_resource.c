#define _POSIX_C_SOURCE 200809L
/* ropc from C for the HTTP figure "protected resource, checked in process":
 * libmicrohttpd (as examples/c/auth_server.c serves the token endpoints),
 * GET /invoices/<id> checked by ropc_server_check_request (scope read),
 * and POST /token (the tokens it checks live in its own memory), from the
 * configuration file given. bench/http/run.py runs it.
 *
 *   c_resource --config ropc.json [--port 0]
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ropc.h"

static ropc_server *server;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_response(struct MHD_Connection *c, ropc_response *resp) {
    size_t len = 0;
    const char *body = ropc_response_body(resp, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    for (size_t i = 0; r && i < ropc_response_header_count(resp); i++) {
        const char *name, *value;
        if (ropc_response_header(resp, i, &name, &value) == ROPC_OK) MHD_add_response_header(r, name, value);
    }
    unsigned status = ropc_response_status(resp);
    ropc_response_free(resp);
    if (!r) return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

#define MAX_BODY 4096
typedef struct {
    size_t len;
    char data[MAX_BODY];
} body_buf;

static void completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)c, (void)toe;
    free(*ctx);
    *ctx = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **ctx) {
    (void)cls, (void)version;
    body_buf *b = *ctx;
    if (!b) { /* headers only, first */
        b = calloc(1, sizeof *b);
        if (!b) return MHD_NO;
        *ctx = b;
        return MHD_YES;
    }
    if (*upload_size) { /* a body: kept up to MAX_BODY (the core refuses more anyway) */
        size_t take = *upload_size < MAX_BODY - b->len ? *upload_size : MAX_BODY - b->len;
        memcpy(b->data + b->len, upload, take);
        b->len += take;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/token") == 0) {
        const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        ropc_response *resp = NULL;
        if (ropc_server_token_endpoint(server, method, type, auth, (const uint8_t *)b->data, b->len, &resp) != ROPC_OK)
            return reply(c, MHD_HTTP_BAD_REQUEST, "{}", 2);
        return send_response(c, resp);
    }
    if (strncmp(url, "/invoices/", 10) != 0 || strlen(url) > 200) return reply(c, MHD_HTTP_NOT_FOUND, "{}", 2);
    char resource[256];
    snprintf(resource, sizeof resource, "%s %s", method, url);
    const char *authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    ropc_principal *who = NULL;
    ropc_response *refusal = NULL;
    ropc_status st = ropc_server_check_request(server, authorization, resource, "read", &who, &refusal);
    if (st == ROPC_OK) {
        ropc_principal_free(who);
        char body[256];
        int n = snprintf(body, sizeof body, "{\"invoice\":\"%s\"}", url + 10);
        return reply(c, MHD_HTTP_OK, body, (size_t)n);
    }
    if (!refusal) return reply(c, MHD_HTTP_BAD_REQUEST, "{}", 2);
    return send_response(c, refusal);
}

int main(int argc, char **argv) {
    const char *config = NULL;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0) config = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    }
    if (!config) {
        fprintf(stderr, "usage: c_resource --config FILE [--port 0]\n");
        return 2;
    }
    ropc_error *err = NULL;
    if (ropc_server_new_from_file(config, &server, &err) != ROPC_OK) {
        fprintf(stderr, "c_resource: %s\n", ropc_error_message(err));
        ropc_error_free(err);
        return 1;
    }
    /* Blocked before the daemon's threads start: they inherit it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, &handle, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 2),
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "c_resource: cannot listen\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("c_resource listening on http://127.0.0.1:%u\n", info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    ropc_server_free(server);
    return 0;
}
