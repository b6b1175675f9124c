/* An OAuth 2.0 authorization server in C: libmicrohttpd for HTTP, libropc
 * for every decision. Token, introspection and revocation endpoints on a
 * loopback port, configured from a JSON file.
 *
 *   auth_server --config ropc.json [--port 9000] [--passwd users.txt]
 *
 * --port 0 picks a free port; the first line printed says which. Against
 * slow and many connections: --max-connections (512 in all), --per-ip (as
 * many from one address: behind a proxy or a NAT every client shares one;
 * lower it when clients connect directly), --head-deadline (10 s for a
 * request's line and headers), --body-deadline (10 s for a whole request
 * body) and --idle-timeout (10 s without a byte). A connection over a cap
 * is answered 503 with Retry-After and closed, never reset. --threads (one a core) serve the
 * connections; --workers (four a core) answer the requests that may block
 * (see "Two kinds of thread" below). Stops on SIGINT or SIGTERM, answering
 * what it has already taken; SIGHUP reloads the configuration (and the
 * passwd file) without dropping a token.
 *
 * --passwd: the resource owners are the host's, in a file another system
 * wrote, one per line: `username:crypt(3) hash:group,group[:disabled]`
 * (SHA-512 `$6$`, yescrypt `$y$`, ...). ropc calls back into this program
 * to verify a password (crypt_rn, thread-safe) and to look an owner up; the
 * configuration then lists no users. A hash whose cost would take the host
 * for long (SHA-crypt rounds beyond --max-crypt-rounds, 1000000; bcrypt cost
 * beyond 16) is refused when the file loads. A reload that changes someone's hash
 * or disables them ends their tokens (ropc_server_revoke_user_tokens). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <ropc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (64 * 1024 + 1) /* one byte past ropc's limit: it refuses the rest */

/* An endpoint: (server, method, Content-Type, Authorization, DPoP, body, length, answer). */
typedef ropc_status (*endpoint_fn)(const ropc_server *, const char *, const char *, const char *, const char *,
                                   const uint8_t *, size_t, ropc_response **);

/* A request: its body as it arrives, and, once handed to a worker, what the
 * worker needs (copies: it runs on another thread) and what it answered. */
typedef struct request {
    char *data;
    size_t len, cap;
    struct timespec started; /* when the headers were in: the body has a deadline */
    struct MHD_Connection *conn;
    endpoint_fn endpoint;
    char *method, *content_type, *authorization, *dpop;
    ropc_status status;
    ropc_response *resp;
    int answered;         /* the worker is done: the next call sends resp */
    struct request *next; /* in the workers' queue */
} request;

static ropc_server *server;

/* Limits against slow and many connections (see the book's C chapter, docs/src/c.md):
 * all connections, connections from one address (0: as many as in all),
 * the seconds a request's head (line and headers) and its body may take,
 * and the seconds a connection may stay idle. */
static unsigned max_connections = 512, per_ip = 0, head_deadline = 10, body_deadline = 10, idle_timeout = 10;
/* Connections libmicrohttpd may hold beyond max_connections, so that those
 * over a cap get an answer (503) rather than a reset at accept. */
#define CAP_HEADROOM 64
/* Threads: libmicrohttpd's, serving connections (0: one a core), and the
 * workers that answer requests that may block (0: four a core). */
static unsigned threads = 0, workers = 0;

static double since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* ---- connections: the head deadline and the caps ---------------------------- */

/* Every open connection: when its current request began, whether that
 * request's head is in, and whether it is over a cap. A header sent a byte
 * every 2 s never trips the idle timeout; the reaper shuts down a
 * connection whose head is not in by --head-deadline, so that a trickle
 * from many addresses cannot hold every slot. */
typedef struct conn_entry {
    int fd;
    struct timespec started;
    int head_in, over_cap, reaped;
    struct sockaddr_storage addr;
    struct conn_entry *prev, *next;
} conn_entry;

static struct {
    pthread_mutex_t lock;
    conn_entry *head;
    unsigned open;
} conns = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
    if (a->ss_family != b->ss_family) return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

/* libmicrohttpd's word that a connection opened or closed. It calls this
 * before it closes the socket, and the reaper shuts sockets down under the
 * same lock: a socket number reused by a new connection is never touched. */
static void connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_entry *e = calloc(1, sizeof *e);
        *socket_context = e;
        if (!e) return;
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        e->fd = fd ? fd->connect_fd : -1;
        if (addr && addr->client_addr) {
            size_t len = addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                   : sizeof(struct sockaddr_in);
            memcpy(&e->addr, addr->client_addr, len);
        }
        clock_gettime(CLOCK_MONOTONIC, &e->started);
        pthread_mutex_lock(&conns.lock);
        unsigned from_here = 0;
        for (conn_entry *o = conns.head; o; o = o->next)
            if (same_address(&o->addr, &e->addr)) from_here++;
        e->over_cap = conns.open >= max_connections || from_here >= per_ip;
        e->next = conns.head;
        if (conns.head) conns.head->prev = e;
        conns.head = e;
        conns.open++;
        pthread_mutex_unlock(&conns.lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_entry *e = *socket_context;
        if (!e) return;
        pthread_mutex_lock(&conns.lock);
        if (e->prev) e->prev->next = e->next;
        else conns.head = e->next;
        if (e->next) e->next->prev = e->prev;
        conns.open--;
        pthread_mutex_unlock(&conns.lock);
        free(e);
        *socket_context = NULL;
    }
}

static conn_entry *entry_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* A request's head is in (or its answer is out: the next one's clock starts). */
static void head_in(struct MHD_Connection *c, int in) {
    conn_entry *e = entry_of(c);
    if (!e) return;
    pthread_mutex_lock(&conns.lock);
    e->head_in = in;
    if (!in) clock_gettime(CLOCK_MONOTONIC, &e->started);
    pthread_mutex_unlock(&conns.lock);
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Once a second: shuts down every connection whose request head is late. */
static void *reaper(void *arg) {
    (void)arg;
    for (;;) {
        sleep(1);
        unsigned reaped = 0;
        pthread_mutex_lock(&conns.lock);
        for (conn_entry *e = conns.head; e; e = e->next) {
            if (!e->head_in && !e->reaped && e->fd >= 0 && since(&e->started) > (double)head_deadline) {
                shutdown(e->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
                e->reaped = 1;
                reaped++;
            }
        }
        pthread_mutex_unlock(&conns.lock);
        if (reaped) log_line("auth_server: %u connections sent no whole request head in %u s; closed", reaped, head_deadline);
    }
    return NULL;
}

/* ---- the host's accounts: a passwd-style file ------------------------------ */

#define MAX_GROUPS 16

typedef struct {
    char *name, *hash;
    char *groups[MAX_GROUPS];
    int ngroups, disabled;
} account;

typedef struct {
    account *items;
    size_t n;
    char *text; /* the file; every string above points into it */
} account_table;

static account_table accounts;
/* Callbacks run on many threads at once; a reload swaps the table. */
static pthread_rwlock_t accounts_lock = PTHREAD_RWLOCK_INITIALIZER;
/* Verified against for an unknown user: the work of a real check. */
static char dummy_hash[CRYPT_OUTPUT_SIZE];

static void table_free(account_table *t) {
    free(t->items);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* Parses `path`; 0 on success. Lines that do not parse are refused, with
 * their number (never their content: a hash is a secret). */
/* A hash's cost, bounded where it enters (as ropc bounds its own): a
 * passwd line with $6$rounds=999999999$ would make one login take minutes
 * of a thread. SHA-crypt ($5$, $6$) rounds and bcrypt ($2a$, $2b$, $2y$)
 * costs are checked; other kinds (yescrypt's default $y$) as crypt makes them. */
static long max_crypt_rounds = 1000000L; /* --max-crypt-rounds */
#define MAX_BCRYPT_COST 16L
static int cost_bounded(const char *hash) {
    if ((strncmp(hash, "$5$", 3) == 0 || strncmp(hash, "$6$", 3) == 0) && strncmp(hash + 3, "rounds=", 7) == 0) {
        char *end = NULL;
        long rounds = strtol(hash + 10, &end, 10);
        return end != hash + 10 && *end == '$' && rounds > 0 && rounds <= max_crypt_rounds;
    }
    if (strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 || strncmp(hash, "$2y$", 4) == 0) {
        char *end = NULL;
        long cost = strtol(hash + 4, &end, 10);
        return end == hash + 6 && *end == '$' && cost >= 4 && cost <= MAX_BCRYPT_COST;
    }
    return 1;
}

static int table_load(const char *path, account_table *out) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 0, len = 0;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *grown = realloc(out->text, cap);
            if (!grown) break;
            out->text = grown;
        }
        memcpy(out->text + len, buf, got);
        len += got;
    }
    fclose(f);
    if (!out->text) return -1;
    out->text[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += out->text[i] == '\n';
    out->items = calloc(lines, sizeof(account));
    if (!out->items) return -1;
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r(out->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (*line == '#' || *line == '\0') continue;
        account *a = &out->items[out->n];
        memset(a, 0, sizeof *a);
        char *fields[4] = {0};
        int nf = 0;
        for (char *p = line; nf < 4; nf++) {
            fields[nf] = p;
            char *colon = strchr(p, ':');
            if (!colon) { nf++; break; }
            *colon = '\0';
            p = colon + 1;
        }
        if (nf < 3 || !*fields[0] || fields[1][0] != '$') {
            fprintf(stderr, "auth_server: passwd line %d is not username:$hash:groups[:disabled]\n", lineno);
            table_free(out);
            return -1;
        }
        if (!cost_bounded(fields[1])) {
            fprintf(stderr, "auth_server: passwd line %d: the hash's cost is beyond the limit "
                            "(SHA-crypt rounds <= %ld, bcrypt cost <= %ld): one login would take the host for long\n",
                    lineno, max_crypt_rounds, MAX_BCRYPT_COST);
            table_free(out);
            return -1;
        }
        a->name = fields[0];
        a->hash = fields[1];
        a->disabled = nf == 4 && strcmp(fields[3], "disabled") == 0;
        char *gsave = NULL;
        for (char *g = strtok_r(fields[2], ",", &gsave); g && a->ngroups < MAX_GROUPS; g = strtok_r(NULL, ",", &gsave))
            a->groups[a->ngroups++] = g;
        out->n++;
    }
    return 0;
}

static const account *find(const char *username) {
    for (size_t i = 0; i < accounts.n; i++)
        if (strcmp(accounts.items[i].name, username) == 0) return &accounts.items[i];
    return NULL;
}

static void describe(const account *a, ropc_owner *owner) {
    for (int i = 0; i < a->ngroups; i++) ropc_owner_add_group(owner, a->groups[i]);
    ropc_owner_set_enabled(owner, !a->disabled);
}

/* Constant time: how much of a hash matched must not show. */
static int same(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static uint32_t verify_cb(void *userdata, const char *username, const uint8_t *password, size_t password_len,
                          ropc_owner *owner) {
    (void)userdata;
    /* crypt(3) reads a C string: a password with a NUL byte cannot match. */
    if (strlen((const char *)password) != password_len) return ROPC_ACCOUNT_WRONG_PASSWORD;
    struct crypt_data *cd = calloc(1, sizeof *cd); /* ~32 KiB: not on a pool thread's stack */
    if (!cd) return ROPC_ACCOUNT_ERROR;
    pthread_rwlock_rdlock(&accounts_lock);
    const account *a = find(username);
    const char *setting = a ? a->hash : dummy_hash;
    const char *out = crypt_rn((const char *)password, setting, cd, sizeof *cd);
    uint32_t answer;
    if (!out || out[0] == '*') answer = a ? ROPC_ACCOUNT_ERROR : ROPC_ACCOUNT_UNKNOWN_USER; /* a hash crypt cannot read */
    else if (!a) answer = ROPC_ACCOUNT_UNKNOWN_USER;
    else if (!same(out, a->hash)) answer = ROPC_ACCOUNT_WRONG_PASSWORD;
    else {
        describe(a, owner);
        answer = ROPC_ACCOUNT_FOUND;
    }
    pthread_rwlock_unlock(&accounts_lock);
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    return answer;
}

static uint32_t lookup_cb(void *userdata, const char *username, ropc_owner *owner) {
    (void)userdata;
    pthread_rwlock_rdlock(&accounts_lock);
    const account *a = find(username);
    if (a) describe(a, owner);
    pthread_rwlock_unlock(&accounts_lock);
    return a ? ROPC_ACCOUNT_FOUND : ROPC_ACCOUNT_UNKNOWN_USER;
}

/* Swaps in the passwd file again; ends the tokens of everyone whose hash
 * changed, who was removed or who was disabled. */
static void reload_passwd(const char *path) {
    account_table next;
    if (table_load(path, &next) != 0) {
        fprintf(stderr, "auth_server: passwd reload refused, the running accounts stay\n");
        return;
    }
    pthread_rwlock_wrlock(&accounts_lock);
    account_table old = accounts;
    accounts = next;
    pthread_rwlock_unlock(&accounts_lock);
    for (size_t i = 0; i < old.n; i++) {
        const account *was = &old.items[i];
        pthread_rwlock_rdlock(&accounts_lock);
        const account *now = find(was->name);
        int ended = !now || strcmp(now->hash, was->hash) != 0 || (now->disabled && !was->disabled);
        pthread_rwlock_unlock(&accounts_lock);
        if (ended && ropc_server_revoke_user_tokens(server, was->name) != ROPC_OK)
            fprintf(stderr, "auth_server: could not end a changed user's tokens (the store failed)\n");
    }
    table_free(&old);
}

/* ---- Two kinds of thread ----------------------------------------------------
 * libmicrohttpd's threads (one a core) each serve many connections on epoll
 * and answer in place what cannot block: an introspection, a refresh, a
 * revocation on a store in memory, microseconds each. A request that may
 * block (libropc says which: a password grant or a client secret that
 * runs argon2, a store on a disk or a network, the host's accounts) is
 * handed to a worker and its connection suspended, so that no connection
 * waits behind another's argon2 (libropc runs argon2 on its own pool, one
 * thread a core); the worker resumes the connection with the answer. The
 * queue needs no bound of its own: a suspended connection sends nothing
 * more, so it holds at most one request a connection (--max-connections). */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t ready, sent;
    request *head, *tail;
    unsigned pending; /* handed off and not yet sent (or failed): waited for on SIGTERM */
    int stopping;     /* set on SIGTERM: the workers drain the queue and end */
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0};

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&queue.lock);
        while (!queue.head && !queue.stopping) pthread_cond_wait(&queue.ready, &queue.lock);
        request *r = queue.head;
        if (r) {
            queue.head = r->next;
            if (!queue.head) queue.tail = NULL;
        }
        pthread_mutex_unlock(&queue.lock);
        if (!r) return NULL; /* stopping, and nothing is left */
        r->status = r->endpoint(server, r->method, r->content_type, r->authorization, r->dpop, (const uint8_t *)r->data,
                                r->len, &r->resp);
        r->answered = 1;
        MHD_resume_connection(r->conn); /* the connection's thread calls handle() again, which sends it */
    }
}

/* Suspends the connection and queues its request; 0 (nothing done) when the
 * workers are stopping, and the caller answers in place. */
static int hand_off(struct MHD_Connection *c, request *r) {
    pthread_mutex_lock(&queue.lock);
    int queued = !queue.stopping;
    if (queued) {
        r->conn = c;
        r->next = NULL;
        MHD_suspend_connection(c); /* before a worker can resume it */
        queue.pending++;
        if (queue.tail) queue.tail->next = r;
        else queue.head = r;
        queue.tail = r;
        pthread_cond_signal(&queue.ready);
    }
    pthread_mutex_unlock(&queue.lock);
    return queued;
}

static void request_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)toe;
    request *r = *ctx;
    head_in(c, 0); /* a keep-alive connection's next request has its own deadline */
    if (r && r->conn) { /* a handed-off request's answer is out (or its connection gone) */
        pthread_mutex_lock(&queue.lock);
        queue.pending--;
        pthread_cond_broadcast(&queue.sent);
        pthread_mutex_unlock(&queue.lock);
    }
    if (r) {
        /* The body (a password, a token) and the credentials: wiped first. */
        if (r->data) explicit_bzero(r->data, r->len);
        free(r->data);
        free(r->method);
        free(r->content_type);
        if (r->authorization) explicit_bzero(r->authorization, strlen(r->authorization));
        free(r->authorization);
        free(r->dpop);
        ropc_response_free(r->resp);
        free(r);
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

/* An answer after which the connection is closed: over a cap (with
 * Retry-After), or framing that a proxy and this server could read two ways. */
static enum MHD_Result send_and_close(struct MHD_Connection *c, unsigned status, const char *text) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    MHD_add_response_header(r, "Connection", "close");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The request's framing headers, counted: RFC 9112 §6.3 makes a request with
 * two different Content-Lengths, or with Transfer-Encoding and
 * Content-Length, one that a proxy in front may frame otherwise. */
typedef struct {
    int lengths, conflicting, transfer_encoding;
    char first[32];
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    framing *f = cls;
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->lengths++ == 0) snprintf(f->first, sizeof f->first, "%s", value ? value : "");
        else if (strcmp(f->first, value ? value : "") != 0) f->conflicting = 1;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding = 1;
    }
    return MHD_YES;
}

/* Whether the connection comes from this machine (127.0.0.0/8 or ::1). */
static int from_loopback(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr) return 0;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* A line to stderr in one write(2), not through stdio: stdio holds
 * stderr's lock across its write, and with the daemon's threads each
 * logging its requests they queued on that lock under load (a futex wait
 * and two context switches a request, a sixth of the refreshes a second in
 * one run). A line shorter than PIPE_BUF goes to a pipe whole, and Linux
 * keeps concurrent writes to one file from overwriting each other; a
 * longer line is cut. */
static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    /* The newline takes the NUL's place (the last byte, if cut). */
    size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 1;
    line[len++] = '\n';
    while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR) {
    }
}

/* GET /metrics: Prometheus text, to loopback scrapers only (counts of
 * sign-ins and failures are for the operator, not the world). */
static enum MHD_Result send_metrics(struct MHD_Connection *c) {
    if (!from_loopback(c)) return send_plain(c, MHD_HTTP_FORBIDDEN, "forbidden");
    char *text = NULL;
    if (ropc_server_metrics(server, &text) != ROPC_OK) return send_plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "no metrics");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    ropc_string_free(text);
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    log_line("auth_server: GET /metrics 200");
    return ret;
}

/* GET /auth, forward-auth for a gateway in front of an API (NGINX
 * auth_request, Traefik ForwardAuth): the gateway's headers, packed as
 * name NUL value NUL ... in the request's (empty) body buffer, go to
 * libropc, which reads the ones it knows (the held request's method and
 * target); the Authorization header comes joined, as for the endpoints.
 * The buffer is the body's: a worker answers it where the store may wait. */
#define MAX_PACKED 8192
static int pack_pair(request *b, const char *key, const char *value) {
    size_t kl = strlen(key), vl = strlen(value);
    if (!b->data) {
        b->data = malloc(MAX_PACKED);
        if (!b->data) return 0;
        b->cap = MAX_PACKED;
    }
    if (b->len + kl + vl + 2 > b->cap) return 1; /* too many headers: the rest are left out */
    memcpy(b->data + b->len, key, kl + 1);
    memcpy(b->data + b->len + kl + 1, value, vl + 1);
    b->len += kl + vl + 2;
    return 1;
}

static enum MHD_Result pack_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    if (!key || !value || key[0] == ':' || strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0) return MHD_YES;
    return pack_pair(cls, key, value) ? MHD_YES : MHD_NO;
}

/* Introspection and revocation take no DPoP proof. */
static ropc_status introspection_endpoint(const ropc_server *s, const char *method, const char *content_type,
                                          const char *authorization, const char *dpop, const uint8_t *body, size_t len,
                                          ropc_response **out) {
    (void)dpop;
    return ropc_server_introspection_endpoint(s, method, content_type, authorization, body, len, out);
}

static ropc_status revocation_endpoint(const ropc_server *s, const char *method, const char *content_type,
                                       const char *authorization, const char *dpop, const uint8_t *body, size_t len,
                                       ropc_response **out) {
    (void)dpop;
    return ropc_server_revocation_endpoint(s, method, content_type, authorization, body, len, out);
}

/* Forward-auth: the DPoP header is among the packed ones. */
static ropc_status forward_auth_endpoint(const ropc_server *s, const char *method, const char *content_type,
                                         const char *authorization, const char *dpop, const uint8_t *packed, size_t len,
                                         ropc_response **out) {
    (void)content_type;
    (void)dpop;
    const char *names[66], *values[66], *target = NULL;
    size_t n = 0;
    if (authorization) {
        names[n] = "Authorization";
        values[n++] = authorization;
    }
    for (size_t at = 0; at < len && n < 66;) {
        const char *name = (const char *)packed + at;
        size_t nl = strnlen(name, len - at);
        if (at + nl + 1 >= len) break;
        const char *value = name + nl + 1;
        size_t vl = strnlen(value, len - at - nl - 1);
        if (at + nl + 1 + vl >= len) break;
        if (strcmp(name, ":target") == 0) target = value;
        else {
            names[n] = name;
            values[n++] = value;
        }
        at += nl + vl + 2;
    }
    return ropc_server_forward_auth(s, method, target, names, values, n, out);
}

/* Every Authorization header of a request, joined with ", " (RFC 9110
 * §5.3): libmicrohttpd's lookup returns only the first, and two of them
 * must be refused (libropc does, seeing the comma). */
typedef struct {
    char buf[8192];
    size_t len;
    int n, overflow;
} joined_header;

static enum MHD_Result join_authorization(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    joined_header *j = cls;
    (void)kind;
    if (!key || !value || strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) != 0) return MHD_YES;
    size_t vl = strlen(value);
    if (j->len + vl + 3 > sizeof j->buf) {
        j->overflow = 1;
        return MHD_YES;
    }
    if (j->n++) {
        memcpy(j->buf + j->len, ", ", 2);
        j->len += 2;
    }
    memcpy(j->buf + j->len, value, vl);
    j->len += vl;
    j->buf[j->len] = '\0';
    return MHD_YES;
}

static void free_ropc_response(void *resp) {
    ropc_response_free(resp); /* wipes the body (tokens) before freeing it */
}

/* Sends libropc's answer (status, headers, body) as it is, and takes `resp`:
 * libmicrohttpd sends the body from libropc's own buffer, freed (and wiped)
 * once sent, so no copy of the tokens is left in freed memory. */
static enum MHD_Result send_answer(struct MHD_Connection *c, const char *method, const char *url, ropc_status st,
                                   ropc_response *resp) {
    if (st != ROPC_OK) {
        /* Only a bad argument gets here (headers with invalid UTF-8, say). */
        ropc_response_free(resp);
        return send_plain(c, MHD_HTTP_BAD_REQUEST, ropc_status_message((uint32_t)st));
    }
    size_t len = 0;
    const char *body = ropc_response_body(resp, &len);
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body, free_ropc_response, resp);
    if (!r) {
        ropc_response_free(resp);
        return MHD_NO;
    }
    for (size_t i = 0; i < ropc_response_header_count(resp); i++) {
        const char *name, *value;
        if (ropc_response_header(resp, i, &name, &value) == ROPC_OK) MHD_add_response_header(r, name, value);
    }
    unsigned status = ropc_response_status(resp);
    log_line("auth_server: %s %s %u", method, url, status);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r); /* resp is freed with the response, once sent */
    return ret;
}

static char *copy(const char *s) {
    return s ? strdup(s) : NULL;
}

static enum MHD_Result answer(struct MHD_Connection *c, request *b, const char *url, const char *method,
                              endpoint_fn endpoint, const joined_header *auth);

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **ctx) {
    (void)cls;
    (void)version;
    request *b = *ctx;
    if (!b) { /* first call: headers only */
        head_in(c, 1);
        b = calloc(1, sizeof *b);
        if (!b) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &b->started);
        *ctx = b;
        conn_entry *e = entry_of(c);
        if (e && e->over_cap) return send_and_close(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many connections; retry shortly");
        framing f;
        memset(&f, 0, sizeof f);
        MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
        if (f.conflicting) return send_and_close(c, MHD_HTTP_BAD_REQUEST, "conflicting Content-Length headers");
        if (f.lengths && f.transfer_encoding)
            return send_and_close(c, MHD_HTTP_BAD_REQUEST, "Content-Length with Transfer-Encoding");
        return MHD_YES;
    }
    if (*upload_size) { /* a chunk of body */
        /* A body trickled a byte at a time keeps a connection busy for ever
         * under an idle timeout alone: the whole body has a deadline. */
        if (since(&b->started) > (double)body_deadline) {
            log_line("auth_server: a request body took longer than %u s; connection closed", body_deadline);
            return MHD_NO;
        }
        size_t take = *upload_size;
        if (b->len + take > MAX_BODY) take = b->len < MAX_BODY ? MAX_BODY - b->len : 0;
        if (take && b->len + take > b->cap) {
            /* Doubled, so a body in many small chunks is copied a few times,
             * not once a chunk; and not with realloc, which would free the
             * old buffer with the body so far in it. */
            size_t cap = b->cap ? 2 * b->cap : take;
            if (cap < b->len + take) cap = b->len + take;
            if (cap > MAX_BODY) cap = MAX_BODY;
            char *grown = malloc(cap);
            if (!grown) return MHD_NO;
            if (b->len) memcpy(grown, b->data, b->len);
            if (b->data) explicit_bzero(b->data, b->len);
            free(b->data);
            b->data = grown;
            b->cap = cap;
        }
        if (take) {
            memcpy(b->data + b->len, upload, take);
            b->len += take;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (b->answered) { /* called again after a worker resumed the connection */
        ropc_response *resp = b->resp;
        b->resp = NULL;
        return send_answer(c, method, url, b->status, resp);
    }

    if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) return send_metrics(c);

    endpoint_fn endpoint = NULL;
    if (strcmp(url, "/auth") == 0 || strncmp(url, "/auth/", 6) == 0) {
        if (b->len) return send_plain(c, MHD_HTTP_BAD_REQUEST, "forward-auth takes no body");
        /* The target first (Envoy names the held request under /auth), then the headers. */
        pack_pair(b, ":target", url);
        MHD_get_connection_values(c, MHD_HEADER_KIND, pack_header, b);
        endpoint = forward_auth_endpoint;
    } else if (strcmp(url, "/token") == 0) endpoint = ropc_server_token_endpoint_dpop;
    else if (strcmp(url, "/introspect") == 0) endpoint = introspection_endpoint;
    else if (strcmp(url, "/revoke") == 0) endpoint = revocation_endpoint;
    if (!endpoint) return send_plain(c, MHD_HTTP_NOT_FOUND, "not found");

    /* Not zeroed whole: 8 KiB a request was ~1% of a refresh's time here. */
    joined_header auth;
    auth.len = 0;
    auth.n = auth.overflow = 0;
    auth.buf[0] = '\0';
    MHD_get_connection_values(c, MHD_HEADER_KIND, join_authorization, &auth);
    enum MHD_Result ret = answer(c, b, url, method, endpoint, &auth);
    explicit_bzero(auth.buf, auth.len); /* the client's credentials */
    return ret;
}

/* handle()'s last step: the endpoint's answer, in place or from a worker. */
static enum MHD_Result answer(struct MHD_Connection *c, request *b, const char *url, const char *method,
                              endpoint_fn endpoint, const joined_header *auth) {
    const char *content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (auth->overflow) return send_plain(c, MHD_HTTP_BAD_REQUEST, "the Authorization headers are too long");
    const char *authorization = auth->n ? auth->buf : NULL;
    /* A DPoP proof (RFC 9449) for the token endpoint; two read as none. */
    const char *dpop = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "DPoP");
    /* argon2 or a store that waits: a worker (the pool waits on neither's behalf). */
    if (ropc_server_request_blocking(server, method, content_type, authorization, (const uint8_t *)b->data, b->len) !=
        ROPC_BLOCKING_INLINE) {
        b->endpoint = endpoint;
        b->method = copy(method);
        b->content_type = copy(content_type);
        b->authorization = copy(authorization);
        b->dpop = copy(dpop);
        if (!b->method || (content_type && !b->content_type) || (authorization && !b->authorization) || (dpop && !b->dpop))
            return send_plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        if (hand_off(c, b)) return MHD_YES;
        /* Stopping: answered here, on this thread, like any other. */
    }
    ropc_response *resp = NULL;
    ropc_status st = endpoint(server, method, content_type, authorization, dpop, (const uint8_t *)b->data, b->len, &resp);
    return send_answer(c, method, url, st, resp);
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *grown = realloc(text, cap *= 2);
            if (!grown) {
                free(text);
                text = NULL;
            }
            text = grown;
        }
    }
    fclose(f);
    if (text) text[len] = '\0';
    return text;
}

/* The audit warnings (refresh-token reuse, accounts locked, store errors)
 * to stderr, as Python's logger and Node's log get them; no other event is
 * made. Events never hold a password, a secret or a token. */
static void on_warning(void *userdata, const char *json) {
    (void)userdata;
    log_line("auth_server: audit: %s", json);
}

static void reload_config(const char *path) {
    char *json = read_all(path);
    ropc_error *err = NULL;
    if (!json) {
        fprintf(stderr, "auth_server: reload refused, cannot read the configuration file\n");
        return;
    }
    if (ropc_server_reload_json(server, json, &err) == ROPC_OK) {
        fprintf(stderr, "auth_server: configuration reloaded\n");
    } else {
        fprintf(stderr, "auth_server: reload refused, the running configuration stays: %s\n",
                err ? ropc_error_message(err) : "?");
        ropc_error_free(err);
    }
    free(json);
}

int main(int argc, char **argv) {
    const char *config = NULL, *passwd = NULL;
    int port = 9000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0) config = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--passwd") == 0) passwd = argv[i + 1];
        else if (strcmp(argv[i], "--max-crypt-rounds") == 0) max_crypt_rounds = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--max-connections") == 0) max_connections = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--per-ip") == 0) per_ip = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--head-deadline") == 0) head_deadline = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--body-deadline") == 0) body_deadline = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--idle-timeout") == 0) idle_timeout = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0) threads = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--workers") == 0) workers = (unsigned)atoi(argv[i + 1]);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    if (threads == 0) threads = (unsigned)cores;
    if (workers == 0) workers = 4 * (unsigned)cores;
    if (per_ip == 0) per_ip = max_connections;
    if (!config || port < 0 || port > 65535 || max_connections == 0 || max_connections > 65536 ||
        head_deadline == 0 || body_deadline == 0 || idle_timeout == 0 || threads > 256 || workers > 1024) {
        fprintf(stderr, "usage: auth_server --config FILE [--port 9000] [--passwd FILE] [--max-connections 512]\n"
                        "                   [--per-ip MAX-CONNECTIONS] [--head-deadline 10] [--body-deadline 10]\n"
                        "                   [--idle-timeout 10]\n"
                        "                   [--threads CORES (at most 256)] [--workers 4*CORES (at most 1024)]\n");
        return 2;
    }
    ropc_error *err = NULL;
    ropc_server_builder *builder = NULL;
    char *json = read_all(config);
    if (!json) {
        fprintf(stderr, "auth_server: cannot read %s\n", config);
        return 1;
    }
    ropc_status st = ropc_server_builder_new_from_json(json, &builder, &err);
    free(json);
    if (st == ROPC_OK && passwd) {
        if (table_load(passwd, &accounts) != 0) {
            fprintf(stderr, "auth_server: cannot load the passwd file %s\n", passwd);
            ropc_server_builder_free(builder);
            return 1;
        }
        /* The dummy: a hash of the same kind and cost as the first user's. */
        struct crypt_data cd;
        memset(&cd, 0, sizeof cd);
        const char *prefix = accounts.n ? accounts.items[0].hash : "$6$";
        char setting[CRYPT_GENSALT_OUTPUT_SIZE];
        const char *dollar = strchr(prefix + 1, '$');
        size_t plen = dollar ? (size_t)(dollar - prefix + 1) : 0;
        char method[16] = "$6$";
        if (plen > 0 && plen < sizeof method) {
            memcpy(method, prefix, plen);
            method[plen] = '\0';
        }
        const char *out = crypt_gensalt_rn(method, 0, NULL, 0, setting, sizeof setting);
        out = out ? crypt_rn("no password at all", setting, &cd, sizeof cd) : NULL;
        if (out) snprintf(dummy_hash, sizeof dummy_hash, "%s", out);
        st = ropc_server_builder_set_accounts(builder, verify_cb, lookup_cb, NULL);
    }
    if (st == ROPC_OK) st = ropc_server_builder_set_warning_callback(builder, on_warning, NULL);
    if (st == ROPC_OK) st = ropc_server_builder_build(builder, &server, &err);
    else ropc_server_builder_free(builder);
    if (st != ROPC_OK) {
        fprintf(stderr, "auth_server: %s\n", err ? ropc_error_message(err) : ropc_status_message((uint32_t)st));
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
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the workers and the daemon's threads inherit the mask */

    pthread_t *pool = calloc(workers, sizeof *pool);
    unsigned started = 0;
    while (pool && started < workers && pthread_create(&pool[started], NULL, worker, NULL) == 0) started++;
    if (started < workers) {
        fprintf(stderr, "auth_server: cannot start %u workers\n", workers);
        return 1;
    }
    /* See "Two kinds of thread". MHD_USE_AUTO: epoll on Linux. */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, &handle, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, connection_notify, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout, MHD_OPTION_CONNECTION_LIMIT, max_connections + CAP_HEADROOM,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "auth_server: cannot listen on 127.0.0.1:%d\n", port);
        ropc_server_free(server);
        return 1;
    }
    pthread_t reaping;
    if (pthread_create(&reaping, NULL, reaper, NULL) != 0 || pthread_detach(reaping) != 0) {
        fprintf(stderr, "auth_server: cannot start the head-deadline reaper\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("auth_server listening on http://127.0.0.1:%u\n", info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);

    /* Signals are taken here, on the main thread, never in a handler:
     * reloading calls into ropc, which a signal handler must not. */
    int sig = 0;
    while (sigwait(&stop, &sig) == 0 && sig == SIGHUP) {
        if (passwd) reload_passwd(passwd);
        reload_config(config);
    }
    /* The workers answer every request already queued (resuming its
     * connection), then end; a request that may block and comes after is
     * answered in place. libmicrohttpd must not stop with a connection
     * still suspended, and stopping closes a resumed connection before
     * it sends: the answers are waited for until they are out (at most
     * --idle-timeout, for a client that does not read). */
    pthread_mutex_lock(&queue.lock);
    queue.stopping = 1;
    pthread_cond_broadcast(&queue.ready);
    pthread_mutex_unlock(&queue.lock);
    for (unsigned i = 0; i < workers; i++) pthread_join(pool[i], NULL);
    free(pool);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* pthread_cond_timedwait's clock */
    until.tv_sec += idle_timeout;
    pthread_mutex_lock(&queue.lock);
    while (queue.pending && pthread_cond_timedwait(&queue.sent, &queue.lock, &until) == 0) {
    }
    pthread_mutex_unlock(&queue.lock);
    MHD_stop_daemon(d);
    ropc_server_free(server);
    table_free(&accounts);
    return 0;
}
