/* An OAuth 2.0 authorization server in C: libmicrohttpd for HTTP, libropc
 * for every decision. Token, introspection and revocation endpoints on a
 * loopback port, configured from a JSON file.
 *
 *   auth_server --config ropc.json [--port 9000]
 *
 * --port 0 picks a free port; the first line printed says which. Stops on
 * SIGINT or SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <ropc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (64 * 1024 + 1) /* one byte past ropc's limit: it refuses the rest */

typedef struct {
    char *data;
    size_t len;
} body_buf;

static ropc_server *server;

static void request_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    body_buf *b = *ctx;
    if (b) {
        free(b->data);
        free(b);
    }
    *ctx = NULL;
}

static enum MHD_Result send_plain(struct MHD_Connection *c, unsigned status, const char *text) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **ctx) {
    (void)cls;
    (void)version;
    body_buf *b = *ctx;
    if (!b) { /* first call: headers only */
        b = calloc(1, sizeof *b);
        if (!b) return MHD_NO;
        *ctx = b;
        return MHD_YES;
    }
    if (*upload_size) { /* a chunk of body */
        size_t take = *upload_size;
        if (b->len + take > MAX_BODY) take = b->len < MAX_BODY ? MAX_BODY - b->len : 0;
        if (take) {
            char *grown = realloc(b->data, b->len + take);
            if (!grown) return MHD_NO;
            b->data = grown;
            memcpy(b->data + b->len, upload, take);
            b->len += take;
        }
        *upload_size = 0;
        return MHD_YES;
    }

    typedef ropc_status (*endpoint_fn)(const ropc_server *, const char *, const char *, const char *, const uint8_t *,
                                       size_t, ropc_response **);
    endpoint_fn endpoint = NULL;
    if (strcmp(url, "/token") == 0) endpoint = ropc_server_token_endpoint;
    else if (strcmp(url, "/introspect") == 0) endpoint = ropc_server_introspection_endpoint;
    else if (strcmp(url, "/revoke") == 0) endpoint = ropc_server_revocation_endpoint;
    if (!endpoint) return send_plain(c, MHD_HTTP_NOT_FOUND, "not found");

    const char *content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    ropc_response *resp = NULL;
    ropc_status st = endpoint(server, method, content_type, authorization, (const uint8_t *)b->data, b->len, &resp);
    if (st != ROPC_OK) {
        /* Only a bad argument gets here (headers with invalid UTF-8, say). */
        return send_plain(c, MHD_HTTP_BAD_REQUEST, ropc_status_message((uint32_t)st));
    }
    size_t len = 0;
    const char *body = ropc_response_body(resp, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    for (size_t i = 0; i < ropc_response_header_count(resp); i++) {
        const char *name, *value;
        if (ropc_response_header(resp, i, &name, &value) == ROPC_OK) MHD_add_response_header(r, name, value);
    }
    unsigned status = ropc_response_status(resp);
    fprintf(stderr, "auth_server: %s %s %u\n", method, url, status);
    ropc_response_free(resp);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv) {
    const char *config = NULL;
    int port = 9000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0) config = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    }
    if (!config || port < 0 || port > 65535) {
        fprintf(stderr, "usage: auth_server --config FILE [--port 9000]\n");
        return 2;
    }
    ropc_error *err = NULL;
    if (ropc_server_new_from_file(config, &server, &err) != ROPC_OK) {
        fprintf(stderr, "auth_server: %s\n", ropc_error_message(err));
        ropc_error_free(err);
        return 1;
    }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the daemon's threads inherit the mask */

    /* A small thread pool: password grants spend ~14 ms in argon2 each. */
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, &handle, NULL,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                                            (unsigned)4, MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "auth_server: cannot listen on 127.0.0.1:%d\n", port);
        ropc_server_free(server);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("auth_server listening on http://127.0.0.1:%u\n", info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    ropc_server_free(server);
    return 0;
}
