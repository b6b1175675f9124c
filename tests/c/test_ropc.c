/* C tests of libropc: every export, NULL and invalid input for each, the
 * shared wire vectors, and several threads on one server. Run under
 * valgrind by `make test-c`. Prints "N passed, N failed" last. */
#define _POSIX_C_SOURCE 200809L
#include "ropc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The test clock: only in the test build of libropc (cargo feature
 * test-hooks), never in ropc.h. Servers built while it is set use it. */
void ropc_test_clock_set(uint64_t now);
void ropc_test_clock_unset(void);
bool ropc_test_clock_advance(uint64_t seconds);

static int passed, failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

#define STR_EQ(a, b) ((a) != NULL && (b) != NULL && strcmp((a), (b)) == 0)

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- vector variables and the template matcher (as in core/tests/vectors.rs) ---- */

#define MAX_VARS 64
typedef struct {
    char name[32];
    char value[128];
} var;
static var vars[MAX_VARS];
static int nvars;

static const char *var_get(const char *name, size_t len) {
    for (int i = 0; i < nvars; i++)
        if (strlen(vars[i].name) == len && strncmp(vars[i].name, name, len) == 0) return vars[i].value;
    return NULL;
}

static void var_set(const char *name, size_t name_len, const char *value, size_t value_len) {
    if (nvars >= MAX_VARS || name_len >= sizeof vars[0].name || value_len >= sizeof vars[0].value) return;
    memcpy(vars[nvars].name, name, name_len);
    vars[nvars].name[name_len] = '\0';
    memcpy(vars[nvars].value, value, value_len);
    vars[nvars].value[value_len] = '\0';
    nvars++;
}

/* Replaces {{NAME}} with captured values; returns a malloc'd string. */
static char *substitute(const char *s) {
    size_t cap = strlen(s) * 4 + 256, n = 0;
    char *out = malloc(cap);
    while (*s) {
        const char *open = strstr(s, "{{");
        const char *close = open ? strstr(open, "}}") : NULL;
        const char *value = close ? var_get(open + 2, (size_t)(close - open - 2)) : NULL;
        if (!value) {
            size_t rest = strlen(s);
            memcpy(out + n, s, rest);
            n += rest;
            break;
        }
        memcpy(out + n, s, (size_t)(open - s));
        n += (size_t)(open - s);
        memcpy(out + n, value, strlen(value));
        n += strlen(value);
        s = close + 2;
    }
    out[n] = '\0';
    return out;
}

/* The template language's kinds, read from the vectors ("KIND" lines):
 * {{KIND:NAME}} captures the longest run of `chars`, min to max long. */
#define MAX_KINDS 8
typedef struct {
    char name[16];
    char chars[128];
    long min, max; /* max < 0: no bound */
} kind;
static kind kinds[MAX_KINDS];
static int nkinds;

static void kind_add(const char *line) {
    char name[16], chars[128];
    long min, max;
    if (nkinds < MAX_KINDS && sscanf(line, "%15[^\t]\t%127[^\t]\t%ld\t%ld", name, chars, &min, &max) == 4) {
        kind *k = &kinds[nkinds++];
        snprintf(k->name, sizeof k->name, "%s", name);
        snprintf(k->chars, sizeof k->chars, "%s", chars);
        k->min = min;
        k->max = max;
    }
}

static const kind *kind_get(const char *name, size_t len) {
    for (int i = 0; i < nkinds; i++)
        if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, name, len) == 0) return &kinds[i];
    return NULL;
}

/* Matches `actual` against a template with {{token:N}}, {{int:N}}, {{N}}. */
static int matches(const char *t, const char *a) {
    for (;;) {
        const char *open = strstr(t, "{{");
        if (!open) return strcmp(t, a) == 0;
        size_t lit = (size_t)(open - t);
        if (strncmp(t, a, lit) != 0) return 0;
        a += lit;
        const char *close = strstr(open, "}}");
        if (!close) return 0;
        const char *ph = open + 2;
        size_t ph_len = (size_t)(close - ph);
        const char *colon = memchr(ph, ':', ph_len);
        size_t taken = 0;
        const char *name = ph;
        size_t name_len = ph_len;
        if (colon) {
            const kind *k = kind_get(ph, (size_t)(colon - ph));
            if (!k) return 0; /* a kind the vectors do not define */
            while (a[taken] && strchr(k->chars, a[taken])) taken++;
            if ((long)taken < k->min || (k->max >= 0 && (long)taken > k->max)) return 0;
        } else {
            const char *v = var_get(ph, ph_len);
            if (!v || strncmp(a, v, strlen(v)) != 0) return 0;
            taken = strlen(v);
        }
        if (colon) {
            name = colon + 1;
            name_len = (size_t)(close - name);
        }
        const char *prev = var_get(name, name_len);
        if (prev) {
            if (strlen(prev) != taken || strncmp(prev, a, taken) != 0) return 0;
        } else {
            var_set(name, name_len, a, taken);
        }
        a += taken;
        t = close + 2;
    }
}

/* ---- the shared vectors ---- */

typedef struct {
    char endpoint[16];
    char *req[8][2];
    int nreq;
    int has_principal;
    char *principal;
    int status;
    char *headers[8];
    int nheaders;
    char *body;
} step;

static const char *req_get(const step *s, const char *key) {
    for (int i = 0; i < s->nreq; i++)
        if (strcmp(s->req[i][0], key) == 0) return s->req[i][1];
    return NULL;
}

static void step_clear(step *s) {
    for (int i = 0; i < s->nreq; i++) {
        free(s->req[i][0]);
        free(s->req[i][1]);
    }
    for (int i = 0; i < s->nheaders; i++) free(s->headers[i]);
    free(s->principal);
    free(s->body);
    memset(s, 0, sizeof *s);
}

static int check_response(const step *s, const ropc_response *r, const char *where) {
    int ok = 1;
    if (ropc_response_status(r) != s->status) {
        fprintf(stderr, "%s: status %u, want %d\n", where, ropc_response_status(r), s->status);
        ok = 0;
    }
    if (ropc_response_header_count(r) != (size_t)s->nheaders) {
        fprintf(stderr, "%s: %zu headers, want %d\n", where, ropc_response_header_count(r), s->nheaders);
        ok = 0;
    }
    for (int i = 0; ok && i < s->nheaders; i++) {
        const char *name = NULL, *value = NULL;
        char joined[512];
        if (ropc_response_header(r, (size_t)i, &name, &value) != ROPC_OK) {
            ok = 0;
            break;
        }
        snprintf(joined, sizeof joined, "%s\t%s", name, value);
        if (strcmp(joined, s->headers[i]) != 0) {
            fprintf(stderr, "%s: header %s, want %s\n", where, joined, s->headers[i]);
            ok = 0;
        }
    }
    size_t len = 0;
    const char *body = ropc_response_body(r, &len);
    char *want = substitute(s->body);
    if (ok && (len != strlen(body) || !matches(want, body))) {
        fprintf(stderr, "%s: body %s, want %s\n", where, body, want);
        ok = 0;
    }
    free(want);
    return ok;
}

static int check_principal(const step *s, const ropc_principal *p, const char *where) {
    char got[512], groups[256] = "";
    for (size_t i = 0; i < ropc_principal_group_count(p); i++) {
        if (i) strcat(groups, " ");
        strcat(groups, ropc_principal_group(p, i));
    }
    snprintf(got, sizeof got, "%s\t%s\t%s\t%s", ropc_principal_username(p), ropc_principal_client_id(p),
             ropc_principal_scope(p), groups);
    if (strcmp(got, s->principal) != 0) {
        fprintf(stderr, "%s: principal %s, want %s\n", where, got, s->principal);
        return 0;
    }
    return 1;
}

static int run_step(const ropc_server *server, const ropc_guard *guard, const ropc_key_set *keys, const step *s,
                    const char *where) {
    if (strcmp(s->endpoint, "resource") == 0 || strcmp(s->endpoint, "guard") == 0 ||
        strcmp(s->endpoint, "guard_jwt") == 0) {
        ropc_principal *p = NULL;
        ropc_response *refusal = NULL;
        char *auth = req_get(s, "authorization") ? substitute(req_get(s, "authorization")) : NULL;
        ropc_status st;
        if (strcmp(s->endpoint, "resource") == 0)
            st = ropc_server_check_request(server, auth, req_get(s, "resource"), req_get(s, "scope"), &p, &refusal);
        else if (strcmp(s->endpoint, "guard_jwt") == 0)
            st = ropc_guard_check_jwt_request(guard, auth, keys, req_get(s, "resource"), req_get(s, "scope"), &p, &refusal);
        else
            st = ropc_guard_check_introspection(guard, req_get(s, "introspection"), req_get(s, "resource"),
                                                req_get(s, "scope"), &p, &refusal);
        free(auth);
        int ok;
        if (s->has_principal) {
            ok = st == ROPC_OK && p != NULL && refusal == NULL && check_principal(s, p, where);
        } else {
            ok = st != ROPC_OK && p == NULL && refusal != NULL && check_response(s, refusal, where);
            /* The status names the same OAuth error as the response. */
            if (ok && ropc_status_http_status((uint32_t)st) != 0)
                ok = ropc_status_http_status((uint32_t)st) == ropc_response_status(refusal);
        }
        ropc_principal_free(p);
        ropc_response_free(refusal);
        return ok;
    }
    char *method = substitute(req_get(s, "method"));
    char *ct = req_get(s, "content_type") ? substitute(req_get(s, "content_type")) : NULL;
    char *auth = req_get(s, "authorization") ? substitute(req_get(s, "authorization")) : NULL;
    char *body = substitute(req_get(s, "body") ? req_get(s, "body") : "");
    ropc_response *r = NULL;
    ropc_status st;
    if (strcmp(s->endpoint, "token") == 0)
        st = ropc_server_token_endpoint_dpop(server, method, ct, auth, req_get(s, "dpop"), (const uint8_t *)body, strlen(body),
                                             &r);
    else if (strcmp(s->endpoint, "introspect") == 0)
        st = ropc_server_introspection_endpoint(server, method, ct, auth, (const uint8_t *)body, strlen(body), &r);
    else
        st = ropc_server_revocation_endpoint(server, method, ct, auth, (const uint8_t *)body, strlen(body), &r);
    int ok = st == ROPC_OK && r != NULL && check_response(s, r, where);
    ropc_response_free(r);
    free(method);
    free(ct);
    free(auth);
    free(body);
    return ok;
}

static void test_vectors(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *config = read_file(path);
    CHECK(config != NULL, "cannot read %s", path);
    if (!config) return;
    snprintf(path, sizeof path, "%s/jwks.json", dir);
    char *jwks = read_file(path);
    ropc_key_set *keys = NULL;
    CHECK(jwks && ropc_key_set_new_from_json(jwks, &keys, NULL) == ROPC_OK, "the vectors' key set");
    free(jwks);
    snprintf(path, sizeof path, "%s/vectors.txt", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot read %s", path);
    if (!f) {
        ropc_key_set_free(keys);
        free(config);
        return;
    }
    ropc_server *server = NULL;
    ropc_guard *guard = NULL;
    char line[8192], case_name[256] = "";
    step s;
    memset(&s, 0, sizeof s);
    int steps = 0, cases = 0, skip_case = 0, step_no = 0;
    unsigned long long clock = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        const char *value = sp ? sp + 1 : "";
        if (sp) *sp = '\0';
        if (strcmp(line, "KIND") == 0) {
            kind_add(value);
            continue;
        }
        if (strcmp(line, "CLOCK") == 0) {
            clock = strtoull(value, NULL, 10);
            continue;
        }
        if (strcmp(line, "CASE") == 0) {
            ropc_server_free(server);
            ropc_guard_free(guard);
            server = NULL;
            guard = NULL;
            /* "CASE name<TAB>file": the case's own configuration (another store). */
            char *tab = strchr(value, '\t');
            char *own = NULL;
            if (tab) {
                *tab = '\0';
                snprintf(path, sizeof path, "%s/%s", dir, tab + 1);
                own = read_file(path);
                CHECK(own != NULL, "cannot read %s", path);
            }
            /* A case whose proofs are made for a time runs on the test clock. */
            if (clock) ropc_test_clock_set(clock);
            CHECK(ropc_server_new_from_json(own ? own : config, &server, NULL) == ROPC_OK, "vector config");
            if (clock) ropc_test_clock_unset();
            clock = 0;
            CHECK(ropc_guard_new_from_json(own ? own : config, &guard, NULL) == ROPC_OK, "vector guard");
            free(own);
            snprintf(case_name, sizeof case_name, "%s", value);
            nvars = 0;
            skip_case = 0;
            step_no = 0;
            cases++;
        } else if (strcmp(line, "STEP") == 0) {
            snprintf(s.endpoint, sizeof s.endpoint, "%s", value);
        } else if (strcmp(line, "REQ") == 0 && s.nreq < 8) {
            const char *tab = strchr(value, '\t');
            s.req[s.nreq][0] = strndup(value, (size_t)(tab - value));
            s.req[s.nreq][1] = strdup(tab + 1);
            s.nreq++;
        } else if (strcmp(line, "PRINCIPAL") == 0) {
            s.has_principal = 1;
            s.principal = strdup(value);
        } else if (strcmp(line, "STATUS") == 0) {
            s.status = atoi(value);
        } else if (strcmp(line, "HEADER") == 0 && s.nheaders < 8) {
            s.headers[s.nheaders++] = strdup(value);
        } else if (strcmp(line, "BODY") == 0) {
            s.body = strdup(value);
        } else if (strcmp(line, "END") == 0) {
            char where[400];
            snprintf(where, sizeof where, "%s / step %d", case_name, step_no++);
            if (!skip_case && server && guard) {
                int ok = run_step(server, guard, keys, &s, where);
                CHECK(ok, "vector %s", where);
                skip_case = !ok; /* later steps depend on this one */
            }
            steps++;
            step_clear(&s);
        }
    }
    fclose(f);
    ropc_server_free(server);
    ropc_guard_free(guard);
    ropc_key_set_free(keys);
    free(config);
    CHECK(cases >= 25 && steps >= 140, "read only %d cases, %d steps", cases, steps);
    CHECK(kind_get("token", 5) && kind_get("int", 3), "the vectors define the template kinds (%d read)", nkinds);
}

/* ---- the API, function by function ---- */

static const char *CHEAP_USER_HASH =
    "$argon2id$v=19$m=64,t=1,p=1$UWBJbSlPBujunbIF5FhKtg$eWgaEu3DUpw1lKaXQ+sDgNcdonxjq2Z8Sxjx5Q1fvSw"; /* alice-pw */
/* sha256("app-secret") */
static const char *APP_SECRET_HASH = "sha256:6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8";

static ropc_server *build_server(void) {
    ropc_server_builder *b = ropc_server_builder_new();
    const char *read_res[] = {"GET /docs/*"};
    const char *write_res[] = {"PUT /docs/*"};
    const char *staff[] = {"staff"};
    const char *everyone[] = {"*"};
    const char *docs[] = {"* /docs/*"};
    CHECK(b != NULL, "builder");
    CHECK(ropc_server_builder_add_scope(b, "read", read_res, 1) == ROPC_OK, "scope");
    CHECK(ropc_server_builder_add_scope(b, "write", write_res, 1) == ROPC_OK, "scope");
    CHECK(ropc_server_builder_add_client(b, "app", APP_SECRET_HASH, "password refresh_token", "read write", "read", -1, 0, 0,
                                         false) == ROPC_OK,
          "client");
    CHECK(ropc_server_builder_add_client(b, "rs", APP_SECRET_HASH, NULL, NULL, NULL, 0, 0, 0, true) == ROPC_OK, "rs");
    CHECK(ropc_server_builder_add_client(b, "spa", NULL, NULL, "read", NULL, -1, 0, 0, false) == ROPC_OK, "public");
    CHECK(ropc_server_builder_add_user(b, "alice", CHEAP_USER_HASH, staff, 1, true) == ROPC_OK, "user");
    CHECK(ropc_server_builder_add_rule(b, docs, 1, everyone, 1, NULL, 0) == ROPC_OK, "rule");
    CHECK(ropc_server_builder_set_password_hashing(b, 64, 1, 1) == ROPC_OK, "hashing");
    CHECK(ropc_server_builder_allow_weak_password_hashing(b, true) == ROPC_OK, "weak hashing for tests");
    CHECK(ropc_server_builder_set_token_ttls(b, 600, 6000) == ROPC_OK, "ttls");
    CHECK(ropc_server_builder_set_throttle(b, 100, 60, 600) == ROPC_OK, "throttle");
    CHECK(ropc_server_builder_set_realm(b, "c-test", "https://issuer.example") == ROPC_OK, "realm");
    ropc_server *server = NULL;
    ropc_error *err = NULL;
    ropc_status st = ropc_server_builder_build(b, &server, &err);
    CHECK(st == ROPC_OK && server != NULL, "build: %s", ropc_error_message(err));
    ropc_error_free(err);
    return server;
}

static void test_builder_errors(void) {
    ropc_server_builder *b = ropc_server_builder_new();
    const char *bad[] = {NULL};
    const char *invalid_utf8[] = {"\xff"};
    CHECK(ropc_server_builder_add_scope(NULL, "x", NULL, 0) == ROPC_NULL_PARAMETER, "null builder");
    CHECK(ropc_server_builder_add_scope(b, NULL, NULL, 0) == ROPC_NULL_PARAMETER, "null name");
    CHECK(ropc_server_builder_add_scope(b, "x", NULL, 2) == ROPC_NULL_PARAMETER, "null array");
    CHECK(ropc_server_builder_add_scope(b, "x", bad, 1) == ROPC_NULL_PARAMETER, "null item");
    CHECK(ropc_server_builder_add_scope(b, "x", invalid_utf8, 1) == ROPC_INVALID_UTF8, "bad utf8 item");
    CHECK(ropc_server_builder_add_scope(b, "\xc3", NULL, 0) == ROPC_INVALID_UTF8, "bad utf8 name");
    CHECK(ropc_server_builder_add_client(NULL, "c", NULL, NULL, NULL, NULL, -1, 0, 0, false) == ROPC_NULL_PARAMETER, "c");
    CHECK(ropc_server_builder_add_client(b, NULL, NULL, NULL, NULL, NULL, -1, 0, 0, false) == ROPC_NULL_PARAMETER, "c");
    CHECK(ropc_server_builder_add_client(b, "c", "\xff", NULL, NULL, NULL, -1, 0, 0, false) == ROPC_INVALID_UTF8, "c");
    CHECK(ropc_server_builder_add_user(NULL, "u", "h", NULL, 0, true) == ROPC_NULL_PARAMETER, "u");
    CHECK(ropc_server_builder_add_user(b, "u", NULL, NULL, 0, true) == ROPC_NULL_PARAMETER, "u");
    CHECK(ropc_server_builder_add_rule(NULL, NULL, 0, NULL, 0, NULL, 0) == ROPC_NULL_PARAMETER, "r");
    CHECK(ropc_server_builder_add_rule(b, NULL, 1, NULL, 0, NULL, 0) == ROPC_NULL_PARAMETER, "r");
    CHECK(ropc_server_builder_set_password_hashing(NULL, 1, 1, 1) == ROPC_NULL_PARAMETER, "h");
    CHECK(ropc_server_builder_set_token_ttls(NULL, 1, 1) == ROPC_NULL_PARAMETER, "t");
    CHECK(ropc_server_builder_set_throttle(NULL, 1, 1, 1) == ROPC_NULL_PARAMETER, "t");
    CHECK(ropc_server_builder_set_realm(NULL, "r", NULL) == ROPC_NULL_PARAMETER, "r");
    CHECK(ropc_server_builder_set_realm(b, NULL, NULL) == ROPC_NULL_PARAMETER, "r");
    /* A client with an unknown scope: the build names where. */
    CHECK(ropc_server_builder_add_client(b, "c", APP_SECRET_HASH, "password", "nope", NULL, -1, 0, 0, false) == ROPC_OK, "c");
    ropc_server *server = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_builder_build(b, &server, &err) == ROPC_INVALID_CONFIG, "build fails");
    CHECK(server == NULL, "out untouched on failure");
    CHECK(ropc_error_status(err) == ROPC_INVALID_CONFIG, "error status");
    CHECK(STR_EQ(ropc_error_path(err), "clients[0].scopes[0]"), "path %s", ropc_error_path(err));
    CHECK(strstr(ropc_error_message(err), "unknown scope") != NULL, "message %s", ropc_error_message(err));
    CHECK(ropc_error_scope(err) == NULL, "no scope");
    ropc_error_free(err);
    CHECK(ropc_server_builder_build(NULL, &server, NULL) == ROPC_NULL_PARAMETER, "null builder");
    b = ropc_server_builder_new();
    CHECK(ropc_server_builder_build(b, NULL, NULL) == ROPC_NULL_PARAMETER, "null out (builder consumed)");
    ropc_server_builder_free(NULL);
    ropc_server_builder_free(ropc_server_builder_new());
}

static void test_construction(const char *vectors_dir) {
    ropc_server *server = (ropc_server *)0x1;
    ropc_error *err = NULL;
    CHECK(ropc_server_new_from_json(NULL, &server, NULL) == ROPC_NULL_PARAMETER, "null json");
    CHECK(ropc_server_new_from_json("{}", NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_new_from_json("{\"realm\":\"\xff\"}", &server, NULL) == ROPC_INVALID_UTF8, "bad utf8");
    CHECK(ropc_server_new_from_json("{\"scopez\":1}", &server, &err) == ROPC_INVALID_CONFIG, "bad config");
    CHECK(server == (ropc_server *)0x1, "out untouched on failure");
    CHECK(strstr(ropc_error_message(err), "scopez") != NULL, "message %s", ropc_error_message(err));
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_new_from_file("/nonexistent.json", &server, &err) == ROPC_INVALID_CONFIG, "no file");
    CHECK(strstr(ropc_error_message(err), "cannot read") != NULL, "message %s", ropc_error_message(err));
    ropc_error_free(err);
    CHECK(ropc_server_new_from_file(NULL, &server, NULL) == ROPC_NULL_PARAMETER, "null path");
    CHECK(ropc_server_new_from_file("x", NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", vectors_dir);
    server = NULL;
    CHECK(ropc_server_new_from_file(path, &server, NULL) == ROPC_OK && server != NULL, "from file");
    ropc_server_free(server);
    ropc_server_free(NULL);

    ropc_server_builder *builder = (ropc_server_builder *)0x1;
    CHECK(ropc_server_builder_new_from_file(NULL, &builder, NULL) == ROPC_NULL_PARAMETER, "builder null path");
    CHECK(ropc_server_builder_new_from_file(path, NULL, NULL) == ROPC_NULL_PARAMETER, "builder null out");
    err = NULL;
    CHECK(ropc_server_builder_new_from_file("/nonexistent.json", &builder, &err) == ROPC_INVALID_CONFIG, "builder no file");
    CHECK(builder == (ropc_server_builder *)0x1, "builder out untouched on failure");
    CHECK(strstr(ropc_error_message(err), "/nonexistent.json") != NULL, "names the file: %s", ropc_error_message(err));
    ropc_error_free(err);
    builder = NULL;
    server = NULL;
    CHECK(ropc_server_builder_new_from_file(path, &builder, NULL) == ROPC_OK && builder != NULL, "builder from file");
    CHECK(ropc_server_builder_build(builder, &server, NULL) == ROPC_OK && server != NULL, "built from file");
    ropc_server_free(server);

    ropc_guard *guard = NULL;
    CHECK(ropc_guard_new_from_json(NULL, &guard, NULL) == ROPC_NULL_PARAMETER, "guard null");
    CHECK(ropc_guard_new_from_json("{}", NULL, NULL) == ROPC_NULL_PARAMETER, "guard null out");
    CHECK(ropc_guard_new_from_json("[", &guard, NULL) == ROPC_INVALID_CONFIG && guard == NULL, "guard bad");
    ropc_guard_free(NULL);
}

_Static_assert(sizeof(ropc_status) == 4, "ropc_status is a fixed-width uint32_t");

static void test_statuses(void) {
    CHECK(STR_EQ(ropc_version(), "0.1.0"), "version %s", ropc_version());
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", ROPC_VERSION_MAJOR, ROPC_VERSION_MINOR, ROPC_VERSION_PATCH);
    CHECK(STR_EQ(version, ropc_version()), "the version macros say %s", version);
    CHECK(STR_EQ(ropc_status_oauth_error(ROPC_INVALID_GRANT), "invalid_grant"), "oauth");
    CHECK(STR_EQ(ropc_status_oauth_error(ROPC_ACCESS_DENIED), "access_denied"), "oauth");
    CHECK(ropc_status_oauth_error(ROPC_OK) == NULL, "not oauth");
    CHECK(ropc_status_oauth_error(99999) == NULL, "unknown");
    CHECK(ropc_status_http_status(ROPC_INVALID_CLIENT) == 401, "401");
    CHECK(ropc_status_http_status(ROPC_INSUFFICIENT_SCOPE) == 403, "403");
    CHECK(ropc_status_http_status(ROPC_INVALID_SCOPE) == 400, "400");
    CHECK(ropc_status_http_status(ROPC_NULL_PARAMETER) == 0, "0");
    CHECK(strstr(ropc_status_message(ROPC_INVALID_UTF8), "UTF-8") != NULL, "message");
    CHECK(STR_EQ(ropc_status_message(12345), "unknown status"), "unknown");
    for (uint32_t s = 0; s < 120; s++) CHECK(ropc_status_message(s) != NULL, "every value has a message");
    CHECK(ropc_error_status(NULL) == ROPC_NULL_PARAMETER, "null error");
    CHECK(ropc_error_message(NULL) == NULL && ropc_error_path(NULL) == NULL && ropc_error_scope(NULL) == NULL, "null");
    ropc_error_free(NULL);
}

static void test_hashing(ropc_server *server) {
    char *phc = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_hash_password("pw", 64, 1, 1, &phc, NULL) == ROPC_OK && strncmp(phc, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0,
          "hash %s", phc);
    ropc_string_free(phc);
    phc = NULL;
    CHECK(ropc_server_hash_password(server, "pw", &phc, NULL) == ROPC_OK && strstr(phc, "m=64,t=1,p=1") != NULL, "server");
    ropc_string_free(phc);
    phc = NULL;
    CHECK(ropc_hash_password("pw", 1, 1, 1, &phc, &err) == ROPC_INVALID_ARGUMENT && phc == NULL, "bad params");
    CHECK(ropc_error_message(err) != NULL, "message");
    ropc_error_free(err);
    CHECK(ropc_hash_password("", 64, 1, 1, &phc, NULL) == ROPC_INVALID_ARGUMENT, "empty");
    CHECK(ropc_hash_password(NULL, 64, 1, 1, &phc, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_hash_password("pw", 64, 1, 1, NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_hash_password("\xff", 64, 1, 1, &phc, NULL) == ROPC_INVALID_UTF8, "utf8");
    CHECK(ropc_server_hash_password(NULL, "pw", &phc, NULL) == ROPC_NULL_PARAMETER, "null server");
    CHECK(ropc_server_hash_password(server, "pw", NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    ropc_string_free(NULL);
}

static void test_typed_flow(ropc_server *server) {
    ropc_token_response *t = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", "read write", &t, &err) == ROPC_OK,
          "grant: %s", ropc_error_message(err));
    if (!t) return;
    CHECK(strlen(ropc_token_response_access_token(t)) == 43, "access token");
    CHECK(ropc_token_response_refresh_token(t) != NULL && strlen(ropc_token_response_refresh_token(t)) == 43, "rt");
    CHECK(STR_EQ(ropc_token_response_scope(t), "read write"), "scope");
    CHECK(ropc_token_response_expires_in(t) == 600, "ttl");
    CHECK(ropc_token_response_access_token(NULL) == NULL && ropc_token_response_refresh_token(NULL) == NULL &&
              ropc_token_response_scope(NULL) == NULL && ropc_token_response_expires_in(NULL) == 0,
          "null getters");

    ropc_principal *p = NULL;
    CHECK(ropc_server_check(server, ropc_token_response_access_token(t), "GET /docs/1", "read", &p, NULL) == ROPC_OK, "check");
    CHECK(STR_EQ(ropc_principal_username(p), "alice") && STR_EQ(ropc_principal_client_id(p), "app"), "who");
    CHECK(STR_EQ(ropc_principal_scope(p), "read write"), "scope");
    CHECK(ropc_principal_group_count(p) == 1 && STR_EQ(ropc_principal_group(p, 0), "staff"), "groups");
    CHECK(ropc_principal_group(p, 1) == NULL, "out of range");
    CHECK(ropc_principal_expires_at(p) > 1700000000u, "exp");
    CHECK(ropc_principal_username(NULL) == NULL && ropc_principal_client_id(NULL) == NULL &&
              ropc_principal_scope(NULL) == NULL && ropc_principal_group_count(NULL) == 0 &&
              ropc_principal_group(NULL, 0) == NULL && ropc_principal_expires_at(NULL) == 0,
          "null getters");
    ropc_principal_free(p);
    p = NULL;
    CHECK(ropc_server_check(server, "nope", "GET /docs/1", NULL, &p, &err) == ROPC_INVALID_TOKEN && p == NULL, "bad token");
    CHECK(ropc_error_status(err) == ROPC_INVALID_TOKEN, "err");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_check(server, ropc_token_response_access_token(t), "PUT /docs/1", "admin", &p, &err) ==
              ROPC_INSUFFICIENT_SCOPE,
          "scope");
    CHECK(STR_EQ(ropc_error_scope(err), "admin"), "needed scope %s", ropc_error_scope(err));
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_check(NULL, "t", "r", NULL, &p, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_check(server, NULL, "r", NULL, &p, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_check(server, "t", NULL, NULL, &p, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_check(server, "t", "r", NULL, NULL, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_check(server, "t", "\xff", NULL, &p, NULL) == ROPC_INVALID_UTF8, "utf8");

    ropc_introspection *info = NULL;
    CHECK(ropc_server_introspect(server, "rs", "app-secret", ropc_token_response_access_token(t), NULL, &info, NULL) == ROPC_OK,
          "introspect");
    CHECK(ropc_introspection_active(info), "active");
    CHECK(strstr(ropc_introspection_json(info), "\"username\":\"alice\"") != NULL, "json %s", ropc_introspection_json(info));
    ropc_introspection_free(info);
    info = NULL;
    CHECK(ropc_server_introspect(server, "rs", "app-secret", "unknown", "access_token", &info, NULL) == ROPC_OK, "unknown");
    CHECK(!ropc_introspection_active(info) && STR_EQ(ropc_introspection_json(info), "{\"active\":false}"), "inactive");
    ropc_introspection_free(info);
    info = NULL;
    CHECK(ropc_server_introspect(server, "rs", "wrong", "x", NULL, &info, &err) == ROPC_INVALID_CLIENT && info == NULL, "auth");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_introspect(NULL, "rs", NULL, "x", NULL, &info, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_introspect(server, "rs", NULL, "x", NULL, NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_introspection_active(NULL) == false && ropc_introspection_json(NULL) == NULL, "null getters");
    ropc_introspection_free(NULL);

    ropc_token_response *t2 = NULL;
    CHECK(ropc_server_refresh_grant(server, "app", "app-secret", ropc_token_response_refresh_token(t), "read", &t2, NULL) ==
              ROPC_OK,
          "refresh");
    CHECK(t2 && STR_EQ(ropc_token_response_scope(t2), "read"), "narrowed");
    ropc_token_response *t3 = NULL;
    CHECK(ropc_server_refresh_grant(server, "app", "app-secret", ropc_token_response_refresh_token(t), NULL, &t3, &err) ==
              ROPC_INVALID_GRANT,
          "reuse");
    CHECK(t3 == NULL && STR_EQ(ropc_error_message(err), "the refresh token is invalid, expired or revoked"), "msg");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_refresh_grant(NULL, "app", NULL, "x", NULL, &t3, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_refresh_grant(server, "app", NULL, NULL, NULL, &t3, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_refresh_grant(server, "app", "app-secret", "x", NULL, NULL, NULL) == ROPC_NULL_PARAMETER, "null out");

    CHECK(ropc_server_revoke(server, "app", "app-secret", ropc_token_response_access_token(t2), NULL, NULL) == ROPC_OK, "revoke");
    CHECK(ropc_server_revoke(server, "app", "app-secret", "unknown", "refresh_token", NULL) == ROPC_OK, "unknown");
    CHECK(ropc_server_revoke(server, "app", "bad", "x", NULL, &err) == ROPC_INVALID_CLIENT, "auth");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_revoke(NULL, "app", NULL, "x", NULL, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_revoke(server, "app", NULL, NULL, NULL, NULL) == ROPC_NULL_PARAMETER, "null token");
    ropc_token_response_free(t2);
    ropc_token_response_free(t);
    ropc_token_response_free(NULL);

    t = NULL;
    CHECK(ropc_server_password_grant(server, "spa", NULL, "alice", "alice-pw", NULL, &t, &err) == ROPC_UNAUTHORIZED_CLIENT,
          "public");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "wrong", NULL, &t, &err) == ROPC_INVALID_GRANT &&
              t == NULL,
          "wrong password");
    CHECK(STR_EQ(ropc_error_message(err), "the username or password is wrong"), "same message");
    ropc_error_free(err);
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", "nope", &t, NULL) == ROPC_INVALID_SCOPE,
          "scope");
    CHECK(ropc_server_password_grant(NULL, "app", "s", "u", "p", NULL, &t, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_password_grant(server, NULL, "s", "u", "p", NULL, &t, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_password_grant(server, "app", "s", NULL, "p", NULL, &t, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_password_grant(server, "app", "s", "u", NULL, NULL, &t, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_password_grant(server, "app", "s", "u", "p", NULL, NULL, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_password_grant(server, "app", "s", "u", "\xff\xfe", NULL, &t, NULL) == ROPC_INVALID_UTF8, "utf8");
}

/* The metrics as Prometheus text: what the typed flow above did is counted. */
static void test_metrics(ropc_server *server) {
    char *text = (char *)0x1;
    CHECK(ropc_server_metrics(NULL, &text) == ROPC_NULL_PARAMETER, "null server");
    CHECK(ropc_server_metrics(server, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(text == (char *)0x1, "out untouched on failure");
    CHECK(ropc_server_metrics(server, &text) == ROPC_OK && text != NULL, "metrics");
    if (text) {
        CHECK(strstr(text, "# TYPE ropc_requests_total counter\n") != NULL, "a counter family");
        const char *ok = strstr(text, "ropc_requests_total{operation=\"password\",outcome=\"ok\"} ");
        CHECK(ok != NULL && atoi(ok + strlen("ropc_requests_total{operation=\"password\",outcome=\"ok\"} ")) >= 1,
              "the password grants are counted");
        CHECK(strstr(text, "ropc_live_tokens{kind=\"access\"} ") != NULL, "live tokens");
        CHECK(strstr(text, "ropc_password_verification_seconds_count ") != NULL, "verification times");
        CHECK(strstr(text, "alice") == NULL, "no names in metrics");
        static const char *families[] = {"ropc_requests_total", "ropc_lockouts_total", "ropc_locked_refusals_total",
                                         "ropc_refresh_reuse_total", "ropc_refresh_retries_total", "ropc_store_errors_total",
                                         "ropc_events_dropped_total", "ropc_live_tokens", "ropc_throttled_accounts", "ropc_store_seconds",
                                         "ropc_password_verification_seconds", "ropc_password_queue"};
        for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
            char needle[96];
            snprintf(needle, sizeof needle, "# TYPE %s ", families[i]);
            CHECK(strstr(text, needle) != NULL, "metric family %s", families[i]);
        }
    }
    ropc_string_free(text);
}

static void test_http_and_account_events(ropc_server *server) {
    ropc_response *r = NULL;
    const char *body = "grant_type=password&username=alice&password=alice-pw";
    const char *form = "application/x-www-form-urlencoded";
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, (const uint8_t *)body, strlen(body), &r) == ROPC_OK, "ok");
    CHECK(ropc_response_status(r) == 401, "no client auth: %u", ropc_response_status(r));
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, NULL, 0, &r) == ROPC_OK && ropc_response_status(r) == 401,
          "empty body: no client authentication");
    const char *name = NULL, *value = NULL;
    CHECK(ropc_response_header(r, 99, &name, &value) == ROPC_INVALID_ARGUMENT, "header out of range");
    CHECK(ropc_response_header(r, 0, NULL, &value) == ROPC_NULL_PARAMETER, "null name out");
    CHECK(ropc_response_header(NULL, 0, &name, &value) == ROPC_NULL_PARAMETER, "null response");
    CHECK(ropc_response_header(r, 0, &name, &value) == ROPC_OK && STR_EQ(name, "Content-Type"), "header");
    CHECK(ropc_response_body(r, NULL) != NULL, "body without length");
    CHECK(ropc_response_status(NULL) == 0 && ropc_response_header_count(NULL) == 0 && ropc_response_body(NULL, NULL) == NULL,
          "null getters");
    ropc_response_free(r);
    ropc_response_free(NULL);
    r = NULL;
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, NULL, 5, &r) == ROPC_NULL_PARAMETER, "null body, len 5");
    CHECK(ropc_server_token_endpoint(NULL, "POST", form, NULL, NULL, 0, &r) == ROPC_NULL_PARAMETER, "null server");
    CHECK(ropc_server_token_endpoint(server, NULL, form, NULL, NULL, 0, &r) == ROPC_NULL_PARAMETER, "null method");
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, NULL, 0, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_token_endpoint(server, "POST", form, "Basic \xff", NULL, 0, &r) == ROPC_INVALID_UTF8, "utf8 header");
    /* Invalid UTF-8 in the body is the protocol's business: a 400, not a status. */
    const char raw[] = "grant_type=password&username=\xff";
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, (const uint8_t *)raw, sizeof raw - 1, &r) == ROPC_OK &&
              ropc_response_status(r) == 400,
          "raw bytes");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_introspection_endpoint(server, "GET", NULL, NULL, NULL, 0, &r) == ROPC_OK &&
              ropc_response_status(r) == 405,
          "GET");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_introspection_endpoint(NULL, "GET", NULL, NULL, NULL, 0, &r) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_revocation_endpoint(server, "POST", form, NULL, NULL, 0, &r) == ROPC_OK &&
              ropc_response_status(r) == 401,
          "no client authentication");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_revocation_endpoint(server, NULL, NULL, NULL, NULL, 0, &r) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_token_endpoint(server, "POST", form, NULL, (const uint8_t *)body, SIZE_MAX, &r) == ROPC_INVALID_ARGUMENT &&
              r == NULL,
          "a length past PTRDIFF_MAX is refused, never read");

    /* Where each request and call may run (for servers on an event loop). */
    const char *refresh = "grant_type=refresh_token&refresh_token=x";
    CHECK(ropc_server_request_blocking(server, "POST", form, NULL, (const uint8_t *)body, strlen(body)) == ROPC_BLOCKING_CPU,
          "a password grant runs argon2");
    CHECK(ropc_server_request_blocking(server, "POST", form, "Basic YXBwOmFwcC1zZWNyZXQ=", (const uint8_t *)refresh,
                                       strlen(refresh)) == ROPC_BLOCKING_INLINE,
          "a refresh by a sha256-secret client on a store in memory is answered in place");
    /* Any bad argument: in place, as the endpoint refuses it at once. */
    CHECK(ropc_server_request_blocking(NULL, "POST", form, NULL, NULL, 0) == ROPC_BLOCKING_INLINE, "null server");
    CHECK(ropc_server_request_blocking(server, NULL, form, NULL, NULL, 0) == ROPC_BLOCKING_INLINE, "null method");
    CHECK(ropc_server_request_blocking(server, "POST", form, NULL, NULL, 3) == ROPC_BLOCKING_INLINE, "null body with a length");
    CHECK(ropc_server_request_blocking(server, "POST", "\xff", NULL, NULL, 0) == ROPC_BLOCKING_INLINE, "invalid UTF-8");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_PASSWORD_GRANT, NULL) == ROPC_BLOCKING_CPU, "password grant");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_HASH_PASSWORD, NULL) == ROPC_BLOCKING_CPU, "hashing");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_AS_CLIENT, "app") == ROPC_BLOCKING_INLINE, "sha256 secret");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_AS_CLIENT, "nobody") == ROPC_BLOCKING_INLINE, "unknown client");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_STORE, NULL) == ROPC_BLOCKING_INLINE, "memory never waits");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_AS_CLIENT, NULL) == ROPC_BLOCKING_INLINE &&
              ropc_server_call_blocking(server, ROPC_CALL_AS_CLIENT, "\xff") == ROPC_BLOCKING_INLINE &&
              ropc_server_call_blocking(NULL, ROPC_CALL_STORE, NULL) == ROPC_BLOCKING_INLINE,
          "null or invalid: refused at once");
    CHECK(ropc_server_call_blocking(server, 99, NULL) == ROPC_BLOCKING_WAITS, "an unknown call is never run in place");

    ropc_principal *p = NULL;
    CHECK(ropc_server_check_request(server, NULL, "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_TOKEN && p == NULL, "none");
    CHECK(ropc_response_status(r) == 401, "401");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_check_request(server, "Bearer x", "GET /docs/1", NULL, NULL, &r) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_check_request(server, "Bearer x", NULL, NULL, &p, &r) == ROPC_NULL_PARAMETER, "null resource");
    CHECK(ropc_server_check_request(NULL, "Bearer x", "r", NULL, &p, &r) == ROPC_NULL_PARAMETER, "null server");

    /* Account events end tokens. */
    ropc_token_response *t = NULL;
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_OK, "grant");
    char bearer[128];
    snprintf(bearer, sizeof bearer, "Bearer %s", t ? ropc_token_response_access_token(t) : "");
    CHECK(ropc_server_check_request(server, bearer, "GET /docs/1", "read", &p, &r) == ROPC_OK && r == NULL, "allowed");
    ropc_principal_free(p);
    p = NULL;
    CHECK(ropc_server_revoke_user_tokens(server, "alice") == ROPC_OK, "revoke user");
    CHECK(ropc_server_check_request(server, bearer, "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_TOKEN, "ended");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_revoke_user_tokens(server, "nobody") == ROPC_INVALID_ARGUMENT, "unknown user");
    CHECK(ropc_server_revoke_user_tokens(NULL, "alice") == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_revoke_user_tokens(server, NULL) == ROPC_NULL_PARAMETER, "null");
    ropc_error *err = NULL;
    CHECK(ropc_server_set_user_enabled(server, "nobody", false, &err) == ROPC_INVALID_ARGUMENT, "unknown");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_set_user_enabled(NULL, "alice", false, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_set_user_enabled(server, "alice", false, NULL) == ROPC_OK, "disable");
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_INVALID_GRANT,
          "disabled");
    CHECK(ropc_server_set_user_enabled(server, "alice", true, NULL) == ROPC_OK, "enable");
    char *phc = NULL;
    CHECK(ropc_hash_password("new-pw", 64, 1, 1, &phc, NULL) == ROPC_OK, "hash");
    CHECK(ropc_server_set_user_password_hash(server, "alice", phc, NULL) == ROPC_OK, "set hash");
    CHECK(ropc_server_set_user_password_hash(server, "alice", "garbage", &err) == ROPC_INVALID_ARGUMENT, "bad hash");
    ropc_error_free(err);
    CHECK(ropc_server_set_user_password_hash(NULL, "alice", phc, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_set_user_password_hash(server, "alice", NULL, NULL) == ROPC_NULL_PARAMETER, "null");
    ropc_string_free(phc);
    ropc_token_response_free(t);
    t = NULL;
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "new-pw", NULL, &t, NULL) == ROPC_OK, "new pw");
    ropc_token_response_free(t);
    /* Nothing has expired, but the lineage revoked by refresh-token reuse
     * (both access and both refresh tokens) is dropped; a second purge
     * finds nothing. */
    size_t dropped = 99;
    CHECK(ropc_server_purge_expired(server, &dropped) == ROPC_OK && dropped == 4, "dropped %zu", dropped);
    CHECK(ropc_server_purge_expired(server, &dropped) == ROPC_OK && dropped == 0, "nothing left to drop");
    CHECK(ropc_server_purge_expired(server, NULL) == ROPC_OK, "the count is optional");
    CHECK(ropc_server_purge_expired(NULL, &dropped) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_call_blocking(server, ROPC_CALL_STORE, NULL) == ROPC_BLOCKING_INLINE, "memory never waits");
}

/* The stores: an SQLite file shared by two handles (two processes would do
 * the same), and a store that is down. */
static void test_stores(const char *dir) {
    char path[512], json[2048];
    snprintf(path, sizeof path, "%s/stores-test.db", dir);
    remove(path);
    snprintf(json, sizeof json,
             "{\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\",\"refresh_token\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"]}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}],"
             "\"store\":{\"type\":\"sqlite\",\"path\":\"%s\"}}",
             APP_SECRET_HASH, CHEAP_USER_HASH, path);
    ropc_server *a = NULL, *b = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_new_from_json(json, &a, &err) == ROPC_OK, "sqlite: %s", ropc_error_message(err));
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_new_from_json(json, &b, NULL) == ROPC_OK, "a second handle");
    if (a && b) {
        CHECK(ropc_server_call_blocking(a, ROPC_CALL_STORE, NULL) == ROPC_BLOCKING_WAITS &&
                  ropc_server_call_blocking(a, ROPC_CALL_PASSWORD_GRANT, NULL) == ROPC_BLOCKING_WAITS,
              "a database may wait");
        const char *form = "application/x-www-form-urlencoded", *refresh = "grant_type=refresh_token&refresh_token=x";
        CHECK(ropc_server_request_blocking(a, "POST", form, "Basic YXBwOmFwcC1zZWNyZXQ=", (const uint8_t *)refresh,
                                           strlen(refresh)) == ROPC_BLOCKING_WAITS,
              "so may a refresh on it");
        ropc_token_response *t = NULL;
        CHECK(ropc_server_password_grant(a, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_OK, "grant");
        ropc_principal *p = NULL;
        CHECK(t && ropc_server_check(b, ropc_token_response_access_token(t), "GET /docs/1", NULL, &p, NULL) == ROPC_OK,
              "a token issued through one handle works through the other");
        ropc_principal_free(p);
        p = NULL;
        CHECK(ropc_server_revoke_user_tokens(b, "alice") == ROPC_OK, "end alice's tokens through b");
        CHECK(t && ropc_server_check(a, ropc_token_response_access_token(t), "GET /docs/1", NULL, &p, NULL) == ROPC_INVALID_TOKEN,
              "ended for a too");
        ropc_token_response_free(t);
    }
    ropc_server_free(a);
    ropc_server_free(b);
    remove(path);

    const char *bad = "{\"store\":{\"type\":\"sqlite\",\"path\":\"\"}}";
    ropc_server *none = NULL;
    CHECK(ropc_server_new_from_json(bad, &none, &err) == ROPC_INVALID_CONFIG && none == NULL, "an empty path");
    CHECK(STR_EQ(ropc_error_path(err), "store.path"), "names the field: %s", ropc_error_path(err));
    ropc_error_free(err);
    err = NULL;

    snprintf(json, sizeof json,
             "{\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],\"scopes\":[\"read\"]}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],\"store\":{\"type\":\"unavailable\"}}",
             APP_SECRET_HASH, CHEAP_USER_HASH);
    ropc_server *down = NULL;
    CHECK(ropc_server_new_from_json(json, &down, NULL) == ROPC_OK, "an unavailable store");
    ropc_token_response *t = NULL;
    CHECK(ropc_server_password_grant(down, "app", "app-secret", "alice", "alice-pw", "read", &t, &err) ==
              ROPC_TEMPORARILY_UNAVAILABLE && t == NULL,
          "no token that was not saved");
    CHECK(ropc_error_status(err) == ROPC_TEMPORARILY_UNAVAILABLE, "error status");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_status_http_status(ROPC_TEMPORARILY_UNAVAILABLE) == 503, "503");
    CHECK(STR_EQ(ropc_status_oauth_error(ROPC_TEMPORARILY_UNAVAILABLE), "temporarily_unavailable"), "code");
    CHECK(ropc_server_revoke_user_tokens(down, "alice") == ROPC_TEMPORARILY_UNAVAILABLE, "revoke user");
    CHECK(ropc_server_set_user_enabled(down, "alice", false, &err) == ROPC_TEMPORARILY_UNAVAILABLE, "disable");
    CHECK(ropc_error_status(err) == ROPC_TEMPORARILY_UNAVAILABLE, "error status");
    ropc_error_free(err);
    size_t n = 7;
    CHECK(ropc_server_purge_expired(down, &n) == ROPC_TEMPORARILY_UNAVAILABLE && n == 7, "purge; no out-param on failure");
    ropc_server_free(down);
}

static void test_guard(void) {
    ropc_guard *guard = NULL;
    const char *config = "{\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
                         "\"rules\":[{\"resources\":[\"GET /docs/*\"],\"users\":[\"*\"]}]}";
    CHECK(ropc_guard_new_from_json(config, &guard, NULL) == ROPC_OK, "guard");
    char *token = NULL;
    ropc_response *r = NULL;
    CHECK(ropc_guard_bearer_token(guard, "Bearer abc", &token, &r) == ROPC_OK && STR_EQ(token, "abc") && r == NULL, "token");
    ropc_string_free(token);
    token = NULL;
    CHECK(ropc_guard_bearer_token(guard, NULL, &token, &r) == ROPC_INVALID_TOKEN && token == NULL, "none");
    CHECK(ropc_response_status(r) == 401 && ropc_response_header_count(r) == 1, "challenge");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_bearer_token(guard, "Bearer a b", &token, &r) == ROPC_INVALID_REQUEST, "malformed");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_bearer_token(NULL, "Bearer a", &token, &r) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_guard_bearer_token(guard, "Bearer a", NULL, &r) == ROPC_NULL_PARAMETER, "null");
    ropc_principal *p = NULL;
    const char *active = "{\"active\":true,\"token_type\":\"Bearer\",\"scope\":\"read\",\"username\":\"u\","
                         "\"client_id\":\"c\",\"exp\":4102444800,\"groups\":[]}";
    CHECK(ropc_guard_check_introspection(guard, active, "GET /docs/x", "read", &p, &r) == ROPC_OK, "allowed");
    CHECK(STR_EQ(ropc_principal_username(p), "u"), "who");
    ropc_principal_free(p);
    p = NULL;
    CHECK(ropc_guard_check_introspection(guard, "{\"active\":false}", "GET /docs/x", NULL, &p, &r) == ROPC_INVALID_TOKEN,
          "inactive");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_introspection(NULL, active, "r", NULL, &p, &r) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_guard_check_introspection(guard, NULL, "r", NULL, &p, &r) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_guard_check_introspection(guard, active, "r", NULL, NULL, &r) == ROPC_NULL_PARAMETER, "null");
    /* Reload: the rules move on for every caller; a bad document changes nothing. */
    ropc_error *err = NULL;
    CHECK(ropc_guard_reload_json(guard, "{\"scopes\":[}", &err) == ROPC_INVALID_CONFIG && err, "bad reload");
    ropc_error_free(err);
    CHECK(ropc_guard_reload_json(NULL, "{}", NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_guard_reload_json(guard, NULL, NULL) == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_guard_check_introspection(guard, active, "GET /docs/x", "read", &p, &r) == ROPC_OK, "unchanged");
    ropc_principal_free(p);
    p = NULL;
    const char *stricter = "{\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
                           "\"rules\":[{\"resources\":[\"GET /docs/*\"],\"users\":[\"someone-else\"]}]}";
    CHECK(ropc_guard_reload_json(guard, stricter, NULL) == ROPC_OK, "reload");
    CHECK(ropc_guard_check_introspection(guard, active, "GET /docs/x", "read", &p, &r) == ROPC_ACCESS_DENIED && !p,
          "the new rules apply");
    ropc_response_free(r);
    r = NULL;
    ropc_guard_free(guard);
}

/* ---- several threads on one server ---- */

typedef struct {
    ropc_server *server;
    int ok;
} worker_arg;

static void *worker(void *p) {
    worker_arg *arg = p;
    arg->ok = 1;
    for (int i = 0; i < 10; i++) {
        ropc_token_response *t = NULL, *t2 = NULL;
        ropc_principal *who = NULL;
        if (ropc_server_password_grant(arg->server, "app", "app-secret", "alice", "new-pw", "read", &t, NULL) != ROPC_OK) {
            arg->ok = 0;
            break;
        }
        if (ropc_server_check(arg->server, ropc_token_response_access_token(t), "GET /docs/x", "read", &who, NULL) != ROPC_OK)
            arg->ok = 0;
        ropc_principal_free(who);
        if (ropc_server_refresh_grant(arg->server, "app", "app-secret", ropc_token_response_refresh_token(t), NULL, &t2, NULL) !=
            ROPC_OK)
            arg->ok = 0;
        ropc_token_response_free(t);
        ropc_token_response_free(t2);
    }
    return NULL;
}

static void test_threads(ropc_server *server) {
    enum { N = 4 };
    pthread_t threads[N];
    worker_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i].server = server;
        pthread_create(&threads[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        CHECK(args[i].ok, "thread %d", i);
    }
}


/* ---- host accounts and owner authorization through callbacks ---------------- */

typedef struct {
    pthread_mutex_t lock;
    int verifies, lookups, authorizes;
    int mode; /* 0 normal, 1 ROPC_ACCOUNT_ERROR, 2 out-of-enum answer, 3 a bad group,
                 4 names matched as a directory matches uid (any case, spaces around), the account's named */
    size_t last_password_len;
    int alice_enabled;
    uint64_t credential; /* what the host reports as alice's credential version */
    char last_principal[64];
} host_state;

/* Whether `typed` is `name` in any case with spaces around it, as a directory matches uid. */
static int loosely(const char *typed, const char *name) {
    while (*typed == ' ') typed++;
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++) {
        char c = typed[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != name[i]) return 0;
    }
    for (typed += n; *typed == ' '; typed++) {
    }
    return *typed == '\0';
}

static uint32_t host_verify(void *userdata, const char *username, const uint8_t *password, size_t password_len,
                            ropc_owner *owner) {
    host_state *h = userdata;
    pthread_mutex_lock(&h->lock);
    h->verifies++;
    h->last_password_len = password_len;
    int mode = h->mode, enabled = h->alice_enabled;
    pthread_mutex_unlock(&h->lock);
    if (mode == 1) return ROPC_ACCOUNT_ERROR;
    if (mode == 2) return 77;
    if (password[password_len] != '\0') return ROPC_ACCOUNT_ERROR; /* ropc NUL-terminates */
    int alice = mode == 4 ? loosely(username, "alice") : strcmp(username, "alice") == 0;
    int dave = strcmp(username, "dave") == 0;
    if (!alice && !dave) return ROPC_ACCOUNT_UNKNOWN_USER;
    if (mode == 4 && ropc_owner_set_name(owner, "alice") != ROPC_OK) return ROPC_ACCOUNT_ERROR;
    const char *want = alice ? "alice-pw" : "dave-pw";
    if (password_len != strlen(want) || memcmp(password, want, password_len) != 0) return ROPC_ACCOUNT_WRONG_PASSWORD;
    ropc_owner_add_group(owner, mode == 3 ? "\xff" : "staff");
    ropc_owner_set_enabled(owner, alice ? enabled : false);
    if (alice) ropc_owner_set_credential_version(owner, h->credential);
    return ROPC_ACCOUNT_FOUND;
}

static uint32_t host_lookup(void *userdata, const char *username, ropc_owner *owner) {
    host_state *h = userdata;
    pthread_mutex_lock(&h->lock);
    h->lookups++;
    int mode = h->mode, enabled = h->alice_enabled;
    pthread_mutex_unlock(&h->lock);
    if (mode == 1) return ROPC_ACCOUNT_ERROR;
    if (strcmp(username, "alice") != 0) return ROPC_ACCOUNT_UNKNOWN_USER;
    ropc_owner_add_group(owner, "staff");
    ropc_owner_set_enabled(owner, enabled);
    ropc_owner_set_credential_version(owner, h->credential);
    return ROPC_ACCOUNT_FOUND;
}

static uint32_t host_authorize(void *userdata, const ropc_principal *principal, const char *resource,
                               const char *required_scope) {
    host_state *h = userdata;
    (void)required_scope;
    pthread_mutex_lock(&h->lock);
    h->authorizes++;
    snprintf(h->last_principal, sizeof h->last_principal, "%s/%s", ropc_principal_username(principal),
             ropc_principal_group(principal, 0));
    int mode = h->mode;
    pthread_mutex_unlock(&h->lock);
    if (mode == 1) return ROPC_AUTHORIZE_ERROR;
    return strstr(resource, "/secret") ? ROPC_AUTHORIZE_DENY : ROPC_AUTHORIZE_ALLOW;
}

static const char *CALLBACK_CONFIG =
    "{\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
    "\"throttle\":{\"max_failures\":3,\"lockout_seconds\":100,\"forget_after_seconds\":1000},"
    "\"accounts\":{\"min_verify_ms\":2,\"owner_cache_seconds\":60},"
    "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
    "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"sha256:6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8\","
    "\"grant_types\":[\"password\",\"refresh_token\"],\"scopes\":[\"read\"],\"default_scopes\":[\"read\"]}],"
    "\"rules\":[{\"resources\":[\"* /docs/*\"],\"groups\":[\"staff\"]}]}";

static ropc_status grant(ropc_server *s, const char *user, const char *pw, ropc_token_response **t, ropc_error **err) {
    return ropc_server_password_grant(s, "app", "app-secret", user, pw, NULL, t, err);
}

/* Audit events, as a host's callback receives them on ropc's event thread. */
typedef struct {
    pthread_mutex_t lock;
    char seen[8192];
    int count;
} event_log;

static void on_event(void *userdata, const char *json) {
    event_log *log = userdata;
    pthread_mutex_lock(&log->lock);
    size_t used = strlen(log->seen);
    snprintf(log->seen + used, sizeof log->seen - used, "%s\n", json);
    log->count++;
    pthread_mutex_unlock(&log->lock);
}

static int events_seen(event_log *log) {
    pthread_mutex_lock(&log->lock);
    int n = log->count;
    pthread_mutex_unlock(&log->lock);
    return n;
}

static void test_events(void) {
    event_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.lock, NULL);
    char json[2048];
    snprintf(json, sizeof json,
             "{\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"]}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
             APP_SECRET_HASH, CHEAP_USER_HASH);
    ropc_server_builder *b = NULL;
    CHECK(ropc_server_builder_new_from_json(json, &b, NULL) == ROPC_OK, "builder");
    CHECK(ropc_server_builder_set_event_callback(NULL, on_event, &log) == ROPC_NULL_PARAMETER, "null builder");
    CHECK(ropc_server_builder_set_event_callback(b, NULL, &log) == ROPC_NULL_PARAMETER, "callback required");
    CHECK(ropc_server_builder_set_event_callback(b, on_event, &log) == ROPC_OK, "set");
    ropc_server *server = NULL;
    CHECK(ropc_server_builder_build(b, &server, NULL) == ROPC_OK, "build");
    CHECK(ropc_request_context_set("198.51.100.4", "req-42") == ROPC_OK, "context");
    CHECK(ropc_request_context_set("\xff", NULL) == ROPC_INVALID_UTF8, "bad utf8");
    ropc_token_response *t = NULL;
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_OK, "grant");
    ropc_token_response_free(t);
    CHECK(ropc_request_context_set(NULL, NULL) == ROPC_OK, "cleared");
    CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "Not-It-9", NULL, &t, NULL) == ROPC_INVALID_GRANT,
          "refused");
    /* Delivered on ropc's thread: wait for both (a bound, not a timing test). */
    for (int i = 0; i < 2000 && events_seen(&log) < 2; i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&log.lock);
    CHECK(log.count == 2, "two events: %d", log.count);
    CHECK(strstr(log.seen, "\"kind\":\"token_issued\"") != NULL, "issued: %s", log.seen);
    CHECK(strstr(log.seen, "\"remote_addr\":\"198.51.100.4\",\"request_id\":\"req-42\"") != NULL, "context: %s", log.seen);
    CHECK(strstr(log.seen, "\"kind\":\"login_failed\"") != NULL && strstr(log.seen, "\"reason\":\"wrong_password\"") != NULL,
          "refused: %s", log.seen);
    CHECK(strstr(log.seen, "Not-It-9") == NULL && strstr(log.seen, "alice-pw") == NULL, "no password in events");
    pthread_mutex_unlock(&log.lock);
    ropc_server_free(server);
    pthread_mutex_destroy(&log.lock);
}

/* The warnings only: a store outage reaches the callback, a grant makes no event. */
static void test_warning_events(void) {
    event_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.lock, NULL);
    char json[2048];
    const char *stores[] = {"memory", "unavailable"};
    for (int i = 0; i < 2; i++) {
        snprintf(json, sizeof json,
                 "{\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
                 "\"store\":{\"type\":\"%s\"},\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
                 "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],"
                 "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"]}],"
                 "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
                 "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
                 stores[i], APP_SECRET_HASH, CHEAP_USER_HASH);
        ropc_server_builder *b = NULL;
        CHECK(ropc_server_builder_new_from_json(json, &b, NULL) == ROPC_OK, "builder");
        CHECK(ropc_server_builder_set_warning_callback(NULL, on_event, &log) == ROPC_NULL_PARAMETER, "null builder");
        CHECK(ropc_server_builder_set_warning_callback(b, NULL, &log) == ROPC_NULL_PARAMETER, "callback required");
        CHECK(ropc_server_builder_set_warning_callback(b, on_event, &log) == ROPC_OK, "set");
        ropc_server *server = NULL;
        CHECK(ropc_server_builder_build(b, &server, NULL) == ROPC_OK, "build");
        ropc_token_response *t = NULL;
        ropc_status expected = i == 0 ? ROPC_OK : ROPC_TEMPORARILY_UNAVAILABLE;
        CHECK(ropc_server_password_grant(server, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == expected,
              "grant %d", i);
        ropc_token_response_free(t);
        ropc_server_free(server); /* delivers what is queued before it returns */
    }
    pthread_mutex_lock(&log.lock);
    CHECK(log.count == 1, "one event, the outage: %d %s", log.count, log.seen);
    CHECK(strstr(log.seen, "\"kind\":\"store_error\"") != NULL, "store error: %s", log.seen);
    pthread_mutex_unlock(&log.lock);
    pthread_mutex_destroy(&log.lock);
}

/* Every kind of audit event reaches a C callback. */
static void test_every_event_kind(void) {
    static const char *kinds[] = {"token_issued", "token_refreshed", "refresh_retried", "refresh_reuse",
                                  "login_failed", "account_locked", "account_unlocked", "token_revoked",
                                  "user_tokens_revoked", "introspected", "password_rehashed", "store_error"};
    event_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.lock, NULL);
    char json[2048];
    snprintf(json, sizeof json,
             "{\"password_hashing\":{\"m_cost\":128,\"t_cost\":1,\"p_cost\":1},\"allow_weak_password_hashing\":true,"
             "\"throttle\":{\"max_failures\":2,\"lockout_seconds\":1,\"forget_after_seconds\":60},"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\",\"refresh_token\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"],\"refresh_grace_seconds\":30}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"},{\"username\":\"bob\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
             APP_SECRET_HASH, CHEAP_USER_HASH, CHEAP_USER_HASH);
    ropc_server_builder *b = NULL;
    ropc_server *s = NULL;
    CHECK(ropc_server_builder_new_from_json(json, &b, NULL) == ROPC_OK, "builder");
    CHECK(ropc_server_builder_set_event_callback(b, on_event, &log) == ROPC_OK, "callback");
    CHECK(!ropc_test_clock_advance(1), "no test clock yet");
    ropc_test_clock_set(1700000000); /* the lock runs out when this test says */
    CHECK(ropc_server_builder_build(b, &s, NULL) == ROPC_OK && s, "build");
    if (!s) return;
    ropc_token_response *t = NULL, *first = NULL, *retry = NULL, *on = NULL;
    CHECK(ropc_server_password_grant(s, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_OK, "grant");
    ropc_introspection *info = NULL;
    CHECK(ropc_server_introspect(s, "app", "app-secret", ropc_token_response_access_token(t), NULL, &info, NULL) == ROPC_OK,
          "introspect");
    ropc_introspection_free(info);
    const char *rt = ropc_token_response_refresh_token(t);
    CHECK(ropc_server_refresh_grant(s, "app", "app-secret", rt, NULL, &first, NULL) == ROPC_OK, "refresh");
    CHECK(ropc_server_revoke(s, "app", "app-secret", ropc_token_response_access_token(first), NULL, NULL) == ROPC_OK,
          "revoke");
    CHECK(ropc_server_refresh_grant(s, "app", "app-secret", rt, NULL, &retry, NULL) == ROPC_OK, "retry");
    CHECK(ropc_server_refresh_grant(s, "app", "app-secret", ropc_token_response_refresh_token(retry), NULL, &on, NULL) ==
              ROPC_OK,
          "the lineage moves on");
    ropc_token_response *reused = NULL;
    CHECK(ropc_server_refresh_grant(s, "app", "app-secret", rt, NULL, &reused, NULL) == ROPC_INVALID_GRANT, "reuse");
    CHECK(ropc_server_revoke_user_tokens(s, "alice") == ROPC_OK, "end alice's tokens");
    ropc_token_response *none = NULL;
    for (int i = 0; i < 3; i++)
        CHECK(ropc_server_password_grant(s, "app", "app-secret", "bob", "Bad-Guess-5", NULL, &none, NULL) ==
                  ROPC_INVALID_GRANT,
              "bob's wrong password");
    ropc_token_response *bob = NULL;
    CHECK(ropc_server_password_grant(s, "app", "app-secret", "bob", "alice-pw", NULL, &bob, NULL) == ROPC_INVALID_GRANT &&
              bob == NULL,
          "locked, even to the right password");
    CHECK(ropc_test_clock_advance(1), "the lock's one second runs out");
    ropc_test_clock_unset();
    CHECK(ropc_server_password_grant(s, "app", "app-secret", "bob", "alice-pw", NULL, &bob, NULL) == ROPC_OK, "unlocked");
    ropc_token_response_free(bob);
    ropc_token_response_free(t);
    ropc_token_response_free(first);
    ropc_token_response_free(retry);
    ropc_token_response_free(on);
    ropc_server_free(s); /* delivers what is queued before returning */

    char down_json[2200];
    snprintf(down_json, sizeof down_json, "%.*s,\"store\":{\"type\":\"unavailable\"}}", (int)(strlen(json) - 1), json);
    ropc_server *down = NULL;
    CHECK(ropc_server_builder_new_from_json(down_json, &b, NULL) == ROPC_OK, "builder");
    CHECK(ropc_server_builder_set_event_callback(b, on_event, &log) == ROPC_OK, "callback");
    CHECK(ropc_server_builder_build(b, &down, NULL) == ROPC_OK, "build");
    CHECK(ropc_server_password_grant(down, "app", "app-secret", "alice", "alice-pw", NULL, &none, NULL) ==
              ROPC_TEMPORARILY_UNAVAILABLE,
          "the store is down");
    ropc_server_free(down);

    pthread_mutex_lock(&log.lock);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kinds[i]);
        CHECK(strstr(log.seen, needle) != NULL, "an event of kind %s", kinds[i]);
    }
    CHECK(strstr(log.seen, "Bad-Guess-5") == NULL && strstr(log.seen, "alice-pw") == NULL, "no password in events");
    pthread_mutex_unlock(&log.lock);
    pthread_mutex_destroy(&log.lock);
}

/* DPoP (RFC 9449): a proof at the token endpoint binds the token; the
 * proof below is RFC 8037's Ed25519 key's, made for the issuer's /token at
 * the test clock's time (tests/c, not ropc, made it: cryptography). */
static const char *DPOP_PROOF =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVkRFNBIiwiandrIjp7Imt0eSI6Ik9LUCIsImNydiI6IkVkMjU1MTkiLCJ4IjoiMTFxWUFZS3hDcmZWU183VHlX"
    "UUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9fQ.eyJqdGkiOiJjLXRlc3QtMSIsImh0bSI6IlBPU1QiLCJodHUiOiJodHRwczovL2FzLmV4YW1wbGUvdG9rZW4i"
    "LCJpYXQiOjE3MDAwMDAwMDB9.Kd_oeVqG92c27j-kIKLbzKQD05fU0Uq1AUk83JtOsBkcn_KttbRiEBcX5vDPqXtR0gCe9XdT0gWp7cAHrP2oAw";

static void test_dpop(void) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"issuer\":\"https://as.example\",\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},"
             "\"allow_weak_password_hashing\":true,"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"],\"dpop\":\"required\"}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
             APP_SECRET_HASH, CHEAP_USER_HASH);
    ropc_test_clock_set(1700000000);
    ropc_server *s = NULL;
    CHECK(ropc_server_new_from_json(json, &s, NULL) == ROPC_OK && s, "dpop server");
    ropc_test_clock_unset();
    if (!s) return;
    const char *form = "application/x-www-form-urlencoded";
    const char *basic = "Basic YXBwOmFwcC1zZWNyZXQ="; /* app:app-secret */
    const char *body = "grant_type=password&username=alice&password=alice-pw";
    ropc_response *r = NULL;
    size_t len = 0;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, NULL, (const uint8_t *)body, strlen(body), &r) == ROPC_OK &&
              ropc_response_status(r) == 400,
          "a proof is required");
    const char *b = r ? ropc_response_body(r, &len) : "";
    CHECK(strstr(b, "\"error\":\"invalid_dpop_proof\"") != NULL, "invalid_dpop_proof: %s", b);
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, "not.a.proof", (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_OK &&
              ropc_response_status(r) == 400,
          "a bad proof");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, DPOP_PROOF, (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_OK &&
              ropc_response_status(r) == 200,
          "bound");
    b = r ? ropc_response_body(r, &len) : "";
    CHECK(strstr(b, "\"token_type\":\"DPoP\"") != NULL, "token_type DPoP: %s", b);
    char token[128] = "";
    const char *at = strstr(b, "\"access_token\":\"");
    if (at) {
        at += 16;
        size_t n = strcspn(at, "\"");
        if (n < sizeof token) memcpy(token, at, n), token[n] = '\0';
    }
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, DPOP_PROOF, (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_OK &&
              ropc_response_status(r) == 400,
          "a proof is used once");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, "\xff", (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_INVALID_UTF8 &&
              r == NULL,
          "utf8");
    /* A bound token: refused as Bearer, and as DPoP without a proof. */
    char header[256];
    ropc_principal *p = NULL;
    snprintf(header, sizeof header, "Bearer %s", token);
    CHECK(ropc_server_check_with_proof(s, header, NULL, "GET", "https://api.example/docs/1", "GET /docs/1", NULL, &p, &r) ==
                  ROPC_INVALID_TOKEN &&
              p == NULL && r != NULL,
          "a bound token is no bearer token");
    ropc_response_free(r);
    r = NULL;
    snprintf(header, sizeof header, "DPoP %s", token);
    CHECK(ropc_server_check_with_proof(s, header, NULL, "GET", "https://api.example/docs/1", "GET /docs/1", NULL, &p, &r) ==
                  ROPC_INVALID_DPOP_PROOF &&
              p == NULL && r != NULL && ropc_response_status(r) == 401,
          "no proof");
    const char *hn = NULL, *hv = NULL;
    int challenge = 0;
    for (size_t i = 0; r && i < ropc_response_header_count(r); i++)
        if (ropc_response_header(r, i, &hn, &hv) == ROPC_OK && strcmp(hn, "WWW-Authenticate") == 0 &&
            strncmp(hv, "DPoP realm=", 11) == 0 && strstr(hv, "algs=\"EdDSA ES256\"") != NULL)
            challenge = 1;
    CHECK(challenge, "a DPoP challenge");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_check_with_proof(NULL, header, NULL, "GET", "u", "GET /docs/1", NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_server_check_with_proof(s, header, NULL, NULL, "u", "GET /docs/1", NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_server_check_with_proof(s, header, NULL, "GET", NULL, "GET /docs/1", NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_server_check_with_proof(s, header, NULL, "GET", "u", "GET /docs/1", NULL, NULL, &r) == ROPC_NULL_PARAMETER &&
              ropc_server_check_with_proof(s, header, "\xff", "GET", "u", "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_UTF8 &&
              r == NULL && p == NULL,
          "arguments");
    CHECK(ropc_status_http_status(ROPC_INVALID_DPOP_PROOF) == 400 &&
              STR_EQ(ropc_status_oauth_error(ROPC_INVALID_DPOP_PROOF), "invalid_dpop_proof"),
          "the status");
    ropc_server_free(s);
}

/* Server nonces (RFC 9449 §8): with the key 0x42 x 32 and the test clock,
 * the nonce is AAAAAGVT8QBLetP4nKHd_ye5to4PAL5h (computed apart with
 * Python's hmac); the proof below carries it (made by cryptography, RFC
 * 8037's key). */
static const char *NONCE = "AAAAAGVT8QBLetP4nKHd_ye5to4PAL5h";
static const char *NONCE_PROOF =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVkRFNBIiwiandrIjp7Imt0eSI6Ik9LUCIsImNydiI6IkVkMjU1MTkiLCJ4IjoiMTFxWUFZS3hDcmZWU183VHlX"
    "UUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9fQ.eyJqdGkiOiJjLW5vbmNlLTEiLCJodG0iOiJQT1NUIiwiaHR1IjoiaHR0cHM6Ly9hcy5leGFtcGxlL3Rva2Vu"
    "IiwiaWF0IjoxNzAwMDAwMDAwLCJub25jZSI6IkFBQUFBR1ZUOFFCTGV0UDRuS0hkX3llNXRvNFBBTDVoIn0.fiig12sZ3oHSH_roMWJKRSkMYOrWqOxW3p5k3jW"
    "Z_-ZtKjiNltcTQNRG3ybyyUWlHKokwnqNjN1JVkFgcbNRAA";

static const char *header_of(const ropc_response *r, const char *name) {
    const char *hn = NULL, *hv = NULL;
    for (size_t i = 0; r && i < ropc_response_header_count(r); i++)
        if (ropc_response_header(r, i, &hn, &hv) == ROPC_OK && strcmp(hn, name) == 0) return hv;
    return NULL;
}

static void test_dpop_nonce(void) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"issuer\":\"https://as.example\",\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},"
             "\"allow_weak_password_hashing\":true,\"dpop_nonce\":{\"key_env\":\"ROPC_C_TEST_NONCE_KEY\"},"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"],\"dpop\":\"required\"}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}]}",
             APP_SECRET_HASH, CHEAP_USER_HASH);
    ropc_server *s = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_new_from_json(json, &s, &err) == ROPC_INVALID_CONFIG && s == NULL, "the key's variable is unset");
    ropc_error_free(err);
    setenv("ROPC_C_TEST_NONCE_KEY", "4242424242424242424242424242424242424242424242424242424242424242", 1);
    ropc_test_clock_set(1700000000);
    CHECK(ropc_server_new_from_json(json, &s, NULL) == ROPC_OK && s, "nonce server");
    ropc_test_clock_unset();
    if (!s) return;
    const char *form = "application/x-www-form-urlencoded";
    const char *basic = "Basic YXBwOmFwcC1zZWNyZXQ="; /* app:app-secret */
    const char *body = "grant_type=password&username=alice&password=alice-pw";
    ropc_response *r = NULL;
    size_t len = 0;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, DPOP_PROOF, (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_OK &&
              ropc_response_status(r) == 400,
          "a proof without the server's nonce");
    const char *b = r ? ropc_response_body(r, &len) : "";
    CHECK(strstr(b, "\"error\":\"use_dpop_nonce\"") != NULL, "use_dpop_nonce: %s", b);
    const char *given = header_of(r, "DPoP-Nonce");
    CHECK(given && STR_EQ(given, NONCE), "the nonce to retry with: %s", given ? given : "(none)");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_token_endpoint_dpop(s, "POST", form, basic, NONCE_PROOF, (const uint8_t *)body, strlen(body), &r) ==
                  ROPC_OK &&
              ropc_response_status(r) == 200,
          "a proof with it");
    b = r ? ropc_response_body(r, &len) : "";
    CHECK(strstr(b, "\"token_type\":\"DPoP\"") != NULL && header_of(r, "DPoP-Nonce") != NULL, "bound, and a nonce: %s", b);
    ropc_response_free(r);
    CHECK(ropc_status_http_status(ROPC_USE_DPOP_NONCE) == 400 &&
              STR_EQ(ropc_status_oauth_error(ROPC_USE_DPOP_NONCE), "use_dpop_nonce"),
          "the status");
    ropc_server_free(s);
    unsetenv("ROPC_C_TEST_NONCE_KEY");
}

/* A resource server elsewhere (a guard) takes a DPoP-bound token with its
 * proof: the proof below (RFC 8037's key, made by cryptography for this
 * token, GET https://api.example/docs/1 at the test clock's time) and an
 * introspection answer binding the token to that key. */
static void test_guard_dpop(void) {
    const char *token = "c-guard-token-0123456789abcdefghijklmnopqrstu";
    const char *proof =
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVkRFNBIiwiandrIjp7Imt0eSI6Ik9LUCIsImNydiI6IkVkMjU1MTkiLCJ4IjoiMTFxWUFZS3hDcmZWU183"
        "VHlXUUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9fQ.eyJqdGkiOiJjLWd1YXJkLTEiLCJodG0iOiJHRVQiLCJodHUiOiJodHRwczovL2FwaS5leGFt"
        "cGxlL2RvY3MvMSIsImlhdCI6MTcwMDAwMDAwMCwiYXRoIjoicGNUZk1xTzlhOElPYjRWYTl5QXFQODlaYjV1aE50cFdOQ3N2a3hGY29MUSJ9.cIVgntK"
        "18FZD0l7pkxLVQTDUyeoeX_MBloioAg1k3B05imPwj-fVsb_ZzEtshXv0hWDCJ8SvdxTOTYGcy5lvCA";
    const char *answer = "{\"active\":true,\"scope\":\"read\",\"client_id\":\"app\",\"username\":\"alice\","
                         "\"token_type\":\"DPoP\",\"exp\":4102444800,\"cnf\":{\"jkt\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\"}}";
    ropc_test_clock_set(1700000000);
    ropc_guard *g = NULL;
    CHECK(ropc_guard_new_from_json("{\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
                                   "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
                                   &g, NULL) == ROPC_OK,
          "guard");
    ropc_test_clock_unset();
    if (!g) return;
    char *t = NULL;
    ropc_response *r = NULL;
    char header[128];
    snprintf(header, sizeof header, "DPoP %s", token);
    CHECK(ropc_guard_dpop_token(g, header, &t, &r) == ROPC_OK && t && strcmp(t, token) == 0 && r == NULL, "the DPoP scheme");
    ropc_string_free(t);
    t = (char *)header; /* not NULL: the call must write it */
    CHECK(ropc_guard_dpop_token(g, "Bearer abc", &t, &r) == ROPC_OK && t == NULL, "another scheme");
    CHECK(ropc_guard_dpop_token(g, "DPoP a b", &t, &r) == ROPC_INVALID_REQUEST && r != NULL, "malformed");
    ropc_response_free(r);
    r = NULL;
    ropc_principal *p = NULL;
    /* As a bearer token: refused. */
    CHECK(ropc_guard_check_introspection(g, answer, "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_TOKEN && p == NULL,
          "a bound token is no bearer token");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_introspection_with_proof(g, answer, token, NULL, "GET", "https://api.example/docs/1", "GET /docs/1",
                                                    NULL, &p, &r) == ROPC_INVALID_DPOP_PROOF &&
              ropc_response_status(r) == 401,
          "no proof");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_introspection_with_proof(g, answer, token, proof, "GET", "https://api.example/docs/1", "GET /docs/1",
                                                    "read", &p, &r) == ROPC_OK &&
              p && r == NULL && strcmp(ropc_principal_username(p), "alice") == 0,
          "with its proof");
    ropc_principal_free(p);
    p = NULL;
    CHECK(ropc_guard_check_introspection_with_proof(g, answer, token, proof, "GET", "https://api.example/docs/1", "GET /docs/1",
                                                    NULL, &p, &r) == ROPC_INVALID_DPOP_PROOF &&
              p == NULL,
          "a proof is used once");
    ropc_response_free(r);
    r = NULL;
    ropc_key_set *none = NULL;
    CHECK(ropc_key_set_new_from_json("{\"keys\":[]}", &none, NULL) == ROPC_OK, "an empty key set");
    CHECK(ropc_guard_check_jwt_with_proof(g, token, none, proof, "GET", "https://api.example/docs/1", "GET /docs/1", NULL, &p,
                                          &r) != ROPC_OK &&
              p == NULL && r != NULL,
          "a JWT's proof: no JWT here");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_jwt_with_proof(g, token, NULL, proof, "GET", "u", "GET /docs/1", NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_guard_check_introspection_with_proof(g, answer, token, proof, NULL, "u", "GET /docs/1", NULL, &p, &r) ==
                  ROPC_NULL_PARAMETER &&
              ropc_guard_check_introspection_with_proof(g, answer, token, "\xff", "GET", "u", "GET /docs/1", NULL, &p, &r) ==
                  ROPC_INVALID_UTF8 &&
              ropc_guard_dpop_token(g, header, NULL, &r) == ROPC_NULL_PARAMETER && r == NULL && p == NULL,
          "arguments");
    ropc_key_set_free(none);
    ropc_guard_free(g);
}

static void test_callbacks(void) {
    host_state h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.lock, NULL);
    h.alice_enabled = 1;
    ropc_server_builder *b = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_builder_new_from_json(NULL, &b, NULL) == ROPC_NULL_PARAMETER, "null json");
    CHECK(ropc_server_builder_new_from_json("{}", NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_builder_new_from_json("{\"nope\":1}", &b, &err) == ROPC_INVALID_CONFIG && b == NULL, "bad json");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_builder_new_from_json(CALLBACK_CONFIG, &b, NULL) == ROPC_OK && b, "builder from json");
    CHECK(ropc_server_builder_set_accounts(b, NULL, host_lookup, &h) == ROPC_NULL_PARAMETER, "verify required");
    CHECK(ropc_server_builder_set_accounts(b, host_verify, NULL, &h) == ROPC_NULL_PARAMETER, "lookup required");
    CHECK(ropc_server_builder_set_accounts(NULL, host_verify, host_lookup, &h) == ROPC_NULL_PARAMETER, "builder");
    CHECK(ropc_server_builder_set_owner_authorizer(b, NULL, &h) == ROPC_NULL_PARAMETER, "authorize required");
    CHECK(ropc_server_builder_set_owner_authorizer(NULL, host_authorize, &h) == ROPC_NULL_PARAMETER, "builder");
    CHECK(ropc_server_builder_set_accounts_options(NULL, 1, 1, 1, false) == ROPC_NULL_PARAMETER, "builder");
    CHECK(ropc_server_builder_set_accounts_options(b, 60, 10000, 2, false) == ROPC_OK, "options");
    CHECK(ropc_server_builder_set_accounts(b, host_verify, host_lookup, &h) == ROPC_OK, "accounts");
    CHECK(ropc_server_builder_set_owner_authorizer(b, host_authorize, &h) == ROPC_OK, "authorizer");
    ropc_server *s = NULL;
    CHECK(ropc_server_builder_build(b, &s, &err) == ROPC_OK && s, "build: %s", err ? ropc_error_message(err) : "");
    if (!s) return;
    CHECK(ropc_server_call_blocking(s, ROPC_CALL_STORE, NULL) == ROPC_BLOCKING_WAITS, "callbacks may wait");

    /* Unknown, wrong, disabled, locked: one answer; the locked one never reaches the host. */
    const char *attempts[][2] = {{"nobody", "x"}, {"dave", "dave-pw"}, {"alice", "wrong"}, {"alice", "wrong"},
                                 {"alice", "wrong"}, {"alice", "alice-pw"}};
    char first[256] = "";
    for (int i = 0; i < 6; i++) {
        ropc_token_response *t = NULL;
        CHECK(grant(s, attempts[i][0], attempts[i][1], &t, &err) == ROPC_INVALID_GRANT && t == NULL, "refused %d", i);
        if (i == 0) snprintf(first, sizeof first, "%s", ropc_error_message(err));
        CHECK(STR_EQ(ropc_error_message(err), first), "the same words %d: %s", i, ropc_error_message(err));
        ropc_error_free(err);
        err = NULL;
    }
    ropc_accounts_stats st;
    CHECK(ropc_server_accounts_stats(s, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_accounts_stats(NULL, &st) == ROPC_NULL_PARAMETER, "null server");
    CHECK(ropc_server_accounts_stats(s, &st) == ROPC_OK, "stats");
    CHECK(st.verify_calls == 5 && h.verifies == 5, "the locked attempt was not verified: %d", h.verifies);
    CHECK(st.paced == 6, "every answer was paced: %llu", (unsigned long long)st.paced);
    CHECK(st.pace_target_us >= 2000, "at least min_verify_ms");

    /* A password with a NUL byte reaches the callback whole. */
    const char *form = "grant_type=password&username=carol&password=a%00b";
    ropc_response *r = NULL;
    CHECK(ropc_server_token_endpoint(s, "POST", "application/x-www-form-urlencoded",
                                     "Basic YXBwOmFwcC1zZWNyZXQ=", (const uint8_t *)form, strlen(form), &r) == ROPC_OK,
          "endpoint");
    CHECK(ropc_response_status(r) == 400 && h.last_password_len == 3, "3 bytes: %zu", h.last_password_len);
    ropc_response_free(r);

    /* Failures: 500 server_error, never a grant. */
    for (int mode = 1; mode <= 3; mode++) {
        h.mode = mode;
        ropc_token_response *t = NULL;
        CHECK(grant(s, "carol2", "x", &t, NULL) == (mode == 3 ? ROPC_INVALID_GRANT : ROPC_SERVER_ERROR) && !t,
              "mode %d", mode);
        h.mode = 0;
    }
    h.mode = 3;
    ropc_token_response *t = NULL;
    ropc_server_revoke_user_tokens(s, "dave");
    CHECK(grant(s, "dave", "dave-pw", &t, &err) == ROPC_SERVER_ERROR && !t, "a bad group is a server error");
    CHECK(ropc_status_http_status(ROPC_SERVER_ERROR) == 500, "500");
    CHECK(STR_EQ(ropc_status_oauth_error(ROPC_SERVER_ERROR), "server_error"), "code");
    CHECK(STR_EQ(ropc_error_message(err), "the account service failed"), "%s", ropc_error_message(err));
    ropc_error_free(err);
    err = NULL;
    h.mode = 0;

    CHECK(grant(s, "alice", "alice-pw", &t, NULL) == ROPC_INVALID_GRANT, "alice is still locked");

    /* Reload: settings change, the callbacks stay; a bad document changes nothing. */
    CHECK(ropc_server_reload_json(s, "{\"scopes\":[}", &err) == ROPC_INVALID_CONFIG, "bad reload");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_reload_json(NULL, "{}", NULL) == ROPC_NULL_PARAMETER, "null server");
    CHECK(ropc_server_reload_json(s, NULL, NULL) == ROPC_NULL_PARAMETER, "null json");
    char json[2048];
    snprintf(json, sizeof json, "%s", CALLBACK_CONFIG);
    char *throttle = strstr(json, "\"max_failures\":3");
    if (throttle) throttle[15] = '9'; /* a looser throttle: alice may try again */
    CHECK(ropc_server_reload_json(s, json, &err) == ROPC_OK, "reload: %s", err ? ropc_error_message(err) : "");
    CHECK(grant(s, "alice", "alice-pw", &t, NULL) == ROPC_OK && t, "alice signs in");

    /* Checks: the lookup is cached; the authorize callback decides last. */
    ropc_principal *p = NULL;
    const char *at = t ? ropc_token_response_access_token(t) : "";
    int lookups = h.lookups;
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_OK, "allowed");
    ropc_principal_free(p);
    p = NULL;
    CHECK(h.lookups == lookups, "the owner's state came with the verification: %d", h.lookups);
    CHECK(STR_EQ(h.last_principal, "alice/staff"), "the callback saw %s", h.last_principal);
    CHECK(ropc_server_check(s, at, "GET /docs/secret", NULL, &p, &err) == ROPC_ACCESS_DENIED && !p, "denied");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_server_forget_owner(s, "alice") == ROPC_OK, "forget");
    CHECK(ropc_server_forget_owner(NULL, "alice") == ROPC_NULL_PARAMETER, "null");
    CHECK(ropc_server_forget_owner(s, NULL) == ROPC_NULL_PARAMETER, "null");
    h.mode = 1;
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_SERVER_ERROR && !p, "lookup failed");
    h.mode = 0;
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_OK, "and back");
    ropc_principal_free(p);
    p = NULL;
    CHECK(h.lookups == lookups + 2, "asked again after forget_owner: %d", h.lookups);
    h.mode = 1; /* the lookup is cached now; the authorize callback fails */
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_SERVER_ERROR && !p, "authorize failed");
    h.mode = 0;

    /* The host changed alice's password: it ends her tokens at once. */
    CHECK(ropc_server_set_user_enabled(s, "alice", false, NULL) == ROPC_INVALID_ARGUMENT, "not ropc's users");
    CHECK(ropc_server_revoke_user_tokens(s, "alice") == ROPC_OK, "revoke");
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_INVALID_TOKEN && !p, "ended");
    ropc_token_response_free(t);
    t = NULL;

    /* The host changes alice's password elsewhere and reports a new
     * credential version: her older tokens end when ropc next looks. */
    CHECK(grant(s, "alice", "alice-pw", &t, NULL) == ROPC_OK && t, "alice signs in again");
    at = t ? ropc_token_response_access_token(t) : "";
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_OK, "valid");
    ropc_principal_free(p);
    p = NULL;
    h.credential = 42;
    ropc_server_forget_owner(s, "alice");
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_INVALID_TOKEN && !p,
          "a new credential version ends older tokens");
    ropc_token_response_free(t);
    t = NULL;
    CHECK(grant(s, "alice", "alice-pw", &t, NULL) == ROPC_OK && t, "a sign-in under the new one");
    at = t ? ropc_token_response_access_token(t) : "";
    ropc_server_forget_owner(s, "alice");
    CHECK(ropc_server_check(s, at, "GET /docs/1", NULL, &p, NULL) == ROPC_OK, "lasts");
    ropc_principal_free(p);
    p = NULL;
    ropc_token_response_free(t);
    t = NULL;

    /* A host that matches names loosely names the account: every spelling
     * gets tokens for one subject, and revoking it ends them all. */
    h.mode = 4;
    const char *spellings[] = {" ALICE", "Alice ", "aLiCe"};
    ropc_token_response *ts[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        CHECK(grant(s, spellings[i], "alice-pw", &ts[i], NULL) == ROPC_OK && ts[i], "%s signs in", spellings[i]);
        if (!ts[i]) continue;
        CHECK(ropc_server_check(s, ropc_token_response_access_token(ts[i]), "GET /docs/1", NULL, &p, NULL) == ROPC_OK,
              "valid");
        CHECK(p && STR_EQ(ropc_principal_username(p), "alice"), "issued to alice, not %s",
              p ? ropc_principal_username(p) : "");
        ropc_principal_free(p);
        p = NULL;
    }
    h.mode = 0;
    CHECK(ropc_server_revoke_user_tokens(s, "alice") == ROPC_OK, "revoke");
    for (int i = 0; i < 3; i++) {
        if (!ts[i]) continue;
        CHECK(ropc_server_check(s, ropc_token_response_access_token(ts[i]), "GET /docs/1", NULL, &p, NULL) ==
                  ROPC_INVALID_TOKEN,
              "ended %d", i);
        ropc_token_response_free(ts[i]);
    }

    /* Owner helpers refuse NULL. */
    CHECK(ropc_owner_set_name(NULL, "x") == ROPC_NULL_PARAMETER, "null owner");
    CHECK(ropc_owner_set_credential_version(NULL, 1) == ROPC_NULL_PARAMETER, "null owner");
    CHECK(ropc_owner_add_group(NULL, "x") == ROPC_NULL_PARAMETER, "null owner");
    CHECK(ropc_owner_set_enabled(NULL, true) == ROPC_NULL_PARAMETER, "null owner");
    ropc_server_free(s);
    pthread_mutex_destroy(&h.lock);
}

/* The resource-name rule, from the shared vectors (resource_names.txt). */
static void test_resource_names(const char *dir) {
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/resource_names.txt", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *method = line, *target = strchr(method, '\t');
        if (!target) continue;
        *target++ = '\0';
        char *want = strchr(target, '\t');
        if (!want) continue;
        *want++ = '\0';
        char *name = NULL;
        ropc_error *err = NULL;
        ropc_status st = ropc_resource_name(method, target, &name, &err);
        if (strcmp(want, "!") == 0) {
            CHECK(st == ROPC_INVALID_REQUEST && name == NULL && err != NULL, "%s %s refused", method, target);
        } else {
            CHECK(st == ROPC_OK && STR_EQ(name, want), "%s %s -> %s", method, target, name ? name : "(refused)");
        }
        ropc_string_free(name);
        ropc_error_free(err);
        n++;
    }
    fclose(f);
    CHECK(n >= 20, "read %d resource-name vectors", n);
    char *name = NULL;
    CHECK(ropc_resource_name(NULL, "/", &name, NULL) == ROPC_NULL_PARAMETER, "null method");
    CHECK(ropc_resource_name("GET", NULL, &name, NULL) == ROPC_NULL_PARAMETER, "null target");
    CHECK(ropc_resource_name("GET", "/", NULL, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_resource_name("GET", "/\xff", &name, NULL) == ROPC_INVALID_UTF8 && name == NULL, "bad utf8");
}

/* JWT access tokens (RFC 9068): issued by a client set to "jwt", the key
 * set and the metadata served, and the offline check with the key set. */
static void test_jwt(const char *dir) {
    char kek[512], json[2048];
    snprintf(kek, sizeof kek, "%s/jwt-kek", dir);
    FILE *f = fopen(kek, "w");
    CHECK(f != NULL, "kek file");
    if (!f) return;
    for (int i = 0; i < 32; i++) fputs("ab", f);
    fclose(f);
    snprintf(json, sizeof json,
             "{\"issuer\":\"https://as.example\",\"password_hashing\":{\"m_cost\":64,\"t_cost\":1,\"p_cost\":1},"
             "\"allow_weak_password_hashing\":true,"
             "\"signing\":{\"algorithm\":\"EdDSA\",\"key_encryption_key_file\":\"%s\"},"
             "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
             "\"clients\":[{\"id\":\"app\",\"secret_hash\":\"%s\",\"grant_types\":[\"password\"],"
             "\"scopes\":[\"read\"],\"default_scopes\":[\"read\"],\"access_token_format\":\"jwt\","
             "\"audience\":[\"https://api.example\"]}],"
             "\"users\":[{\"username\":\"alice\",\"password_hash\":\"%s\"}],"
             "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
             kek, APP_SECRET_HASH, CHEAP_USER_HASH);
    ropc_server *s = NULL;
    ropc_error *err = NULL;
    CHECK(ropc_server_new_from_json(json, &s, &err) == ROPC_OK && s, "jwt server: %s", err ? ropc_error_message(err) : "");
    ropc_error_free(err);
    err = NULL;
    if (!s) return;
    ropc_token_response *t = NULL;
    CHECK(ropc_server_password_grant(s, "app", "app-secret", "alice", "alice-pw", NULL, &t, NULL) == ROPC_OK, "grant");
    if (!t) {
        ropc_server_free(s);
        return;
    }
    const char *token = ropc_token_response_access_token(t);
    int dots = 0;
    for (const char *c = token; *c; c++) dots += *c == '.';
    CHECK(dots == 2, "a JWT");
    ropc_response *r = NULL;
    CHECK(ropc_server_key_set_endpoint(s, "GET", &r) == ROPC_OK && ropc_response_status(r) == 200, "key set");
    size_t len = 0;
    const char *body = r ? ropc_response_body(r, &len) : NULL;
    char jwks[2048] = "";
    if (body && len < sizeof jwks) memcpy(jwks, body, len), jwks[len] = '\0';
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_key_set_endpoint(s, "POST", &r) == ROPC_OK && ropc_response_status(r) == 405, "GET only");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_key_set_endpoint(NULL, "GET", &r) == ROPC_NULL_PARAMETER &&
              ropc_server_key_set_endpoint(s, NULL, &r) == ROPC_NULL_PARAMETER &&
              ropc_server_key_set_endpoint(s, "GET", NULL) == ROPC_NULL_PARAMETER && r == NULL,
          "null");
    CHECK(ropc_server_metadata_endpoint(s, "GET", &r) == ROPC_OK && ropc_response_status(r) == 200, "metadata");
    body = r ? ropc_response_body(r, &len) : NULL;
    CHECK(body && strstr(body, "\"jwks_uri\":\"https://as.example/jwks.json\"") != NULL, "jwks_uri");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_metadata_endpoint(s, "\xff", &r) == ROPC_INVALID_UTF8 && r == NULL, "utf8");

    ropc_key_set *keys = NULL;
    CHECK(ropc_key_set_new_from_json(jwks, &keys, NULL) == ROPC_OK && ropc_key_set_len(keys) == 1, "one key");
    ropc_key_set *bad = NULL;
    CHECK(ropc_key_set_new_from_json("[]", &bad, &err) == ROPC_INVALID_ARGUMENT && bad == NULL && err, "not a key set");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_key_set_new_from_json(NULL, &bad, NULL) == ROPC_NULL_PARAMETER, "null json");
    CHECK(ropc_key_set_len(NULL) == 0, "null set");
    ropc_key_set_free(NULL);

    ropc_guard *g = NULL;
    CHECK(ropc_guard_new_from_json("{\"issuer\":\"https://as.example\",\"audience\":\"https://api.example\","
                                   "\"scopes\":[{\"name\":\"read\",\"resources\":[\"GET /docs/*\"]}],"
                                   "\"rules\":[{\"resources\":[\"* /docs/*\"],\"users\":[\"*\"]}]}",
                                   &g, NULL) == ROPC_OK,
          "guard");
    char header[1200];
    snprintf(header, sizeof header, "Bearer %s", token);
    ropc_principal *p = NULL;
    CHECK(ropc_guard_check_jwt_request(g, header, keys, "GET /docs/1", "read", &p, &r) == ROPC_OK && p && r == NULL,
          "checked offline");
    CHECK(p && strcmp(ropc_principal_username(p), "alice") == 0, "alice");
    ropc_principal_free(p);
    p = NULL;
    header[strlen(header) - 2] = '\0';
    CHECK(ropc_guard_check_jwt_request(g, header, keys, "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_TOKEN && p == NULL &&
              ropc_response_status(r) == 401,
          "a cut token");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_jwt_request(g, NULL, keys, "GET /docs/1", NULL, &p, &r) == ROPC_INVALID_TOKEN && p == NULL,
          "no credentials");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_guard_check_jwt_request(g, header, NULL, "GET /docs/1", NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_guard_check_jwt_request(g, header, keys, NULL, NULL, &p, &r) == ROPC_NULL_PARAMETER &&
              ropc_guard_check_jwt_request(g, header, keys, "GET /docs/1", NULL, NULL, &r) == ROPC_NULL_PARAMETER,
          "null arguments");

    /* The key-set cache: the core says when to fetch, the C host fetches. */
    snprintf(header, sizeof header, "Bearer %s", token);
    ropc_key_cache *cache = NULL;
    CHECK(ropc_key_cache_new(0, 30, &cache) == ROPC_INVALID_ARGUMENT && cache == NULL, "max age above 0");
    CHECK(ropc_key_cache_new(600, 30, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_key_cache_new(600, 30, &cache) == ROPC_OK && cache, "cache");
    ropc_key_plan plan = ROPC_KEY_PLAN_USE;
    ropc_key_set *held = (ropc_key_set *)&plan; /* not NULL: the call must write it */
    CHECK(ropc_key_cache_plan(cache, "opaque-token", 1000, true, &plan, &held) == ROPC_OK && plan == ROPC_KEY_PLAN_NOT_JWT &&
              held == NULL,
          "an opaque token");
    CHECK(ropc_key_cache_plan(cache, token, 1000, true, &plan, &held) == ROPC_OK && plan == ROPC_KEY_PLAN_FETCH && held == NULL,
          "fetch first");
    CHECK(ropc_key_cache_plan(cache, token, 1001, true, &plan, &held) == ROPC_OK && plan == ROPC_KEY_PLAN_UNAVAILABLE,
          "one fetch at a time");
    CHECK(ropc_key_cache_fetched(cache, 200, (const uint8_t *)"<html>", 6, NULL, 1001, &err) == ROPC_INVALID_ARGUMENT && err,
          "not a key set");
    CHECK(err && strstr(ropc_error_message(err), "key set") != NULL, "why: %s", err ? ropc_error_message(err) : "");
    ropc_error_free(err);
    err = NULL;
    CHECK(ropc_key_cache_fetched(cache, 200, NULL, 5, NULL, 1001, NULL) == ROPC_NULL_PARAMETER, "null body");
    CHECK(ropc_key_cache_fetched(cache, 200, (const uint8_t *)jwks, strlen(jwks), "max-age=60", 1001, NULL) == ROPC_OK,
          "fetched");
    CHECK(ropc_key_cache_fetches(cache) == 1 && ropc_key_cache_fetches(NULL) == 0, "one fetch");
    CHECK(ropc_key_cache_plan(cache, token, 1002, false, &plan, &held) == ROPC_OK && plan == ROPC_KEY_PLAN_USE && held &&
              ropc_key_set_len(held) == 1,
          "use");
    CHECK(ropc_guard_check_jwt_request(g, header, held, "GET /docs/1", "read", &p, &r) == ROPC_OK && p, "checked with it");
    ropc_principal_free(p);
    p = NULL;
    ropc_key_set_free(held);
    held = NULL;
    CHECK(ropc_key_cache_plan(cache, token, 1061, true, &plan, &held) == ROPC_OK && plan == ROPC_KEY_PLAN_FETCH,
          "the server's max-age bounds it");
    CHECK(ropc_key_cache_plan(NULL, token, 1, true, &plan, &held) == ROPC_NULL_PARAMETER &&
              ropc_key_cache_plan(cache, NULL, 1, true, &plan, &held) == ROPC_NULL_PARAMETER &&
              ropc_key_cache_plan(cache, token, 1, true, NULL, &held) == ROPC_NULL_PARAMETER &&
              ropc_key_cache_plan(cache, "\xff", 1, true, &plan, &held) == ROPC_INVALID_UTF8,
          "arguments");
    ropc_key_cache_free(cache);
    ropc_key_cache_free(NULL);
    ropc_guard_free(g);
    ropc_key_set_free(keys);

    /* Forward-auth: the gateway's headers, the core decides. */
    snprintf(header, sizeof header, "Bearer %s", token);
    const char *names[] = {"Host", "X-Forwarded-Method", "X-Forwarded-Uri", "authorization"};
    const char *values[] = {"api.example", "GET", "/docs/1?x=1", header};
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", names, values, 4, &r) == ROPC_OK && ropc_response_status(r) == 200, "allowed");
    const char *hn = NULL, *hv = NULL;
    int user = 0;
    for (size_t i = 0; r && i < ropc_response_header_count(r); i++)
        if (ropc_response_header(r, i, &hn, &hv) == ROPC_OK && strcmp(hn, "X-Auth-User") == 0 && strcmp(hv, "alice") == 0)
            user = 1;
    CHECK(user, "X-Auth-User: alice");
    ropc_response_free(r);
    r = NULL;
    values[1] = "PUT";
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", names, values, 4, &r) == ROPC_OK && ropc_response_status(r) == 403, "no scope");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", names, values, 1, &r) == ROPC_OK && ropc_response_status(r) == 400,
          "no held request named");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_forward_auth(s, NULL, NULL, NULL, NULL, 0, &r) == ROPC_OK && ropc_response_status(r) == 400, "no headers");
    ropc_response_free(r);
    r = NULL;
    /* Envoy: the held request whole, under /auth. */
    const char *auth_only[] = {"Authorization"}, *bearer_only[] = {header};
    CHECK(ropc_server_forward_auth(s, "GET", "/auth/docs/2", auth_only, bearer_only, 1, &r) == ROPC_OK &&
              ropc_response_status(r) == 200,
          "envoy's form");
    ropc_response_free(r);
    r = NULL;
    CHECK(ropc_server_forward_auth(s, "GET", "/auth/docs/2", auth_only, bearer_only, 1, NULL) == ROPC_NULL_PARAMETER &&
              ropc_server_forward_auth(s, "\xff", "/auth/docs/2", auth_only, bearer_only, 1, &r) == ROPC_INVALID_UTF8,
          "bad method");
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", NULL, values, 2, &r) == ROPC_NULL_PARAMETER && r == NULL, "null names");
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", names, values, 2, NULL) == ROPC_NULL_PARAMETER, "null out");
    CHECK(ropc_server_forward_auth(NULL, "GET", "/auth", names, values, 2, &r) == ROPC_NULL_PARAMETER, "null server");
    const char *badv[] = {"X-Forwarded-Method", "\xff"};
    CHECK(ropc_server_forward_auth(s, "GET", "/auth", names, badv, 2, &r) == ROPC_INVALID_UTF8 && r == NULL, "invalid UTF-8");
    ropc_token_response_free(t);
    ropc_server_free(s);
}

int main(int argc, char **argv) {
    const char *vectors_dir = argc > 1 ? argv[1] : "build/c";
    test_statuses();
    test_construction(vectors_dir);
    test_builder_errors();
    ropc_server *server = build_server();
    if (server) {
        test_hashing(server);
        test_typed_flow(server);
        test_metrics(server);
        test_events();
    test_warning_events();
        test_every_event_kind();
        test_http_and_account_events(server);
        test_threads(server);
        ropc_server_free(server);
    }
    test_guard();
    test_stores(vectors_dir);
    test_jwt(vectors_dir);
    test_dpop();
    test_dpop_nonce();
    test_guard_dpop();
    test_callbacks();
    test_resource_names(vectors_dir);
    test_vectors(vectors_dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
