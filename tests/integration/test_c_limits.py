"""The C example under many and slow connections: one address gets at most
--per-ip connections (the next is answered 503 with Retry-After and
closed, never reset; the others still served), a request head or body
trickled in is cut at --head-deadline or --body-deadline even though bytes
keep arriving (an idle timeout alone would never fire), and framing a proxy
could read otherwise (two Content-Lengths, Content-Length with
Transfer-Encoding) is refused and the connection closed."""
import base64
import concurrent.futures
import json
import os
import socket
import subprocess
import threading
import time

from conftest import Client, config
from test_examples import start, stop


def preload_shim(tmp_path, name, source):
    """A shared object built from C `source`, for LD_PRELOAD."""
    shim, c = tmp_path / f"{name}.so", tmp_path / f"{name}.c"
    c.write_text(source)
    subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O1", "-o", str(shim), str(c), "-ldl"],
                   check=True)
    return shim


def memory_config(tmp_path):
    """The test configuration on the memory store, as a file."""
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config({"type": "memory"})))
    return path


def test_the_c_example_limits_connections_per_address_and_body_time(tmp_path):
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0",
                       "--per-ip", "4", "--body-deadline", "1", "--idle-timeout", "30"])
    host, port = url.split("//")[1].split(":")
    held = []
    try:
        for _ in range(4):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            held.append(s)
        time.sleep(0.2)
        extra = socket.create_connection((host, int(port)), timeout=5)
        extra.sendall(b"GET /token HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = read_until_closed(extra)
        assert reply.startswith(b"HTTP/1.1 503"), f"a fifth connection from one address is answered 503, got {reply!r}"
        assert b"\r\nRetry-After: 1\r\n" in reply and b"\r\nConnection: close\r\n" in reply, reply
        extra.close()
        for s in held:
            s.close()
        time.sleep(0.2)
        assert Client(url).login().status_code == 200, "once they are gone, the address is served again"

        # A body of 100 bytes sent a byte every 0.2 s: cut after about 1 s,
        # long before it would end (20 s) or the idle timeout (30 s) fired.
        s = socket.create_connection((host, int(port)), timeout=15)
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 100\r\n\r\n")
        began = time.monotonic()
        closed = False
        for _ in range(100):
            try:
                s.sendall(b"a")
                time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            s.settimeout(0.01)
            try:
                if s.recv(100) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
            s.settimeout(15)
        assert closed and time.monotonic() - began < 15, "the trickled body was not cut"
        s.close()
    finally:
        for s in held:
            s.close()
        err = stop(proc)
    assert "took longer than 1 s" in err


def read_until_closed(sock):
    """Every byte until the server closes (a reset counts as closed)."""
    out = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_burst_from_one_address_is_answered_and_a_trickled_head_is_cut(tmp_path):
    """Behind a proxy every client shares its address: by default one
    address may hold as many connections as there are in all. A request
    head sent a byte at a time is cut at --head-deadline, so a trickle from
    many connections cannot keep a normal client from an answer."""
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0",
                       "--max-connections", "24", "--head-deadline", "1", "--idle-timeout", "30"])
    host, port = url.split("//")[1].split(":")
    trickles = []
    try:
        # Twenty concurrent refreshes of one token from one address (the
        # issue's case: four were reset): every one answered, one rotates.
        refresh = Client(url).login().json()["refresh_token"]
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            codes = sorted(pool.map(lambda _: Client(url).refresh(refresh).status_code, range(20)))
        assert codes == [200] + [400] * 19, codes
        # Twenty connections trickling a header byte each 0.3 s: every one
        # is cut, though bytes keep coming, and a sign-in is answered.
        for _ in range(20):
            t = socket.create_connection((host, int(port)), timeout=30)
            t.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            trickles.append(t)
        open_ = set(range(20))
        deadline = time.monotonic() + 20
        while open_ and time.monotonic() < deadline:
            for i in list(open_):
                try:
                    trickles[i].sendall(b"a")
                    trickles[i].settimeout(0.01)
                    if trickles[i].recv(100) == b"":
                        open_.discard(i)
                except socket.timeout:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    open_.discard(i)
            time.sleep(0.3)
        assert not open_, f"{len(open_)} trickled heads were not cut"
        assert Client(url).login().status_code == 200
    finally:
        for t in trickles:
            t.close()
        err = stop(proc)
    assert "sent no whole request head in 1 s" in err, err


def test_the_c_example_refuses_framing_a_proxy_could_read_otherwise(tmp_path):
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0"])
    host, port = url.split("//")[1].split(":")
    body = b"grant_type=password&username=alice&password=alice-pw"
    auth = "Basic " + base64.b64encode(b"app:app-secret").decode()
    head = f"POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n" \
           "Content-Type: application/x-www-form-urlencoded\r\n"
    try:
        for extra, why in [(f"Content-Length: {len(body)}\r\nContent-Length: 9\r\n", b"conflicting Content-Length"),
                           (f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n",
                            b"Content-Length with Transfer-Encoding")]:
            s = socket.create_connection((host, int(port)), timeout=10)
            # A second request behind the first: it must never be answered.
            s.sendall((head + extra + "\r\n").encode() + body + b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = read_until_closed(s)
            s.close()
            assert reply.startswith(b"HTTP/1.1 400") and why in reply, reply
            assert reply.count(b"HTTP/1.1 ") == 1, f"one answer, then the connection closes: {reply!r}"
        # The same length twice is one length (RFC 9110 §8.6 allows it).
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall((head + f"Content-Length: {len(body)}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
                  .encode() + body)
        assert read_until_closed(s).startswith(b"HTTP/1.1 200")
        s.close()
    finally:
        stop(proc)


def test_every_example_refuses_two_authorization_headers(tmp_path):
    """libmicrohttpd and Node keep the first of two headers, Python's
    http.server the last: each example hands both on, and ropc refuses."""
    import sys

    from test_examples import EXAMPLES, raw

    path = memory_config(tmp_path)
    servers = [
        [os.environ["ROPC_AUTH_SERVER"]],
        [sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
        ["node", os.path.join(EXAMPLES, "node", "auth_server.js")],
    ]
    body = b"grant_type=password&username=alice&password=alice-pw"
    for argv in servers:
        proc, url = start([*argv, "--config", str(path), "--port", "0"])
        try:
            reply = raw(url, b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\n"
                             b"Authorization: Basic YXBwOmFwcC1zZWNyZXQ=\r\n"
                             b"Authorization: Basic bGl0ZTpsaXRlLXNlY3JldA==\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            assert reply.split(b" ", 2)[1] == b"400", (argv[-1], reply[:300])
            assert b"appears more than once" in reply, (argv[-1], reply[-300:])
        finally:
            stop(proc)


def test_the_c_example_serves_connections_on_a_fixed_set_of_threads(tmp_path):
    """A thread per connection costs a stack and a context switch for every
    request, and on two cores halved the cheap endpoints (issue 16).
    libmicrohttpd's threads (--threads) serve every connection on epoll and
    hand what may block to --workers; test_c_passwd shows that nothing then
    waits behind a blocked request. Counted in /proc, not timed: six more
    open connections add no thread."""
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0", "--per-ip", "16",
                       "--threads", "2", "--workers", "3"])
    host, port = url.split("//")[1].split(":")

    def threads():
        return len(os.listdir(f"/proc/{proc.pid}/task"))

    held = []
    try:
        # A password grant first, so libropc's argon2 threads exist already.
        client = Client(url)
        assert client.login().status_code == 200
        assert client.active(client.login().json()["access_token"])
        before = threads()
        for _ in range(6):
            s = socket.create_connection((host, int(port)), timeout=10)
            s.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive after the answer
            assert s.recv(100).split(b" ", 2)[1] == b"404"
            held.append(s)
        assert threads() == before, f"{before} threads, {threads()} with six more connections open"
    finally:
        for s in held:
            s.close()
        stop(proc)


# Counts the calls that write to stderr through stdio (and so take its
# lock), for the test below: preloaded into the C example.
STDIO_COUNTER = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static unsigned long calls;
int vfprintf(FILE *f, const char *fmt, va_list ap) {
    if (f == stderr) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    int (*real)(FILE *, const char *, va_list) = (int (*)(FILE *, const char *, va_list))dlsym(RTLD_NEXT, "vfprintf");
    return real(f, fmt, ap);
}
int fprintf(FILE *f, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt); int n = vfprintf(f, fmt, ap); va_end(ap); return n;
}
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {
    (void)flag; va_list ap; va_start(ap, fmt); int n = vfprintf(f, fmt, ap); va_end(ap); return n;
}
size_t fwrite(const void *p, size_t size, size_t n, FILE *f) {
    if (f == stderr) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    size_t (*real)(const void *, size_t, size_t, FILE *) = (size_t (*)(const void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fwrite");
    return real(p, size, n, f);
}
int fputs(const char *s, FILE *f) {
    if (f == stderr) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    int (*real)(const char *, FILE *) = (int (*)(const char *, FILE *))dlsym(RTLD_NEXT, "fputs");
    return real(s, f);
}
__attribute__((destructor)) static void report(void) {
    char line[64];
    int n = snprintf(line, sizeof line, "stdio calls on stderr: %lu\n", calls);
    if (write(STDERR_FILENO, line, (size_t)n) < 0) return;
}
"""


def test_the_c_example_logs_each_request_in_one_write_without_stdio(tmp_path):
    """The access log of the C example's threads: every request logged,
    each line whole however the threads interleave, and never through
    stdio, whose stderr lock made the threads queue on each other under
    load (issue 16). stdio's calls are counted by a preloaded shim, not
    timed."""
    shim = preload_shim(tmp_path, "count_stdio", STDIO_COUNTER)
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0", "--per-ip", "16",
                       "--threads", "2"], env={"LD_PRELOAD": str(shim)})
    host, port = url.split("//")[1].split(":")
    request = (b"POST /introspect HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: 13\r\n\r\ntoken=nothing")
    per_connection, connections = 50, 8
    failures = []

    def burst():
        try:
            with socket.create_connection((host, int(port)), timeout=30) as s:
                s.sendall(request * per_connection)  # pipelined: both threads busy at once
                got = b""
                while got.count(b"HTTP/1.1 401") < per_connection:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                if got.count(b"HTTP/1.1 401") != per_connection:
                    failures.append(got[-200:])
        except OSError as e:
            failures.append(e)

    try:
        workers = [threading.Thread(target=burst) for _ in range(connections)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        log = stop(proc)
    assert not failures, failures
    lines = log.splitlines()
    assert lines.count("auth_server: POST /introspect 401") == per_connection * connections, log[-2000:]
    assert lines[-1] == "stdio calls on stderr: 0", lines[-3:]
    assert len(lines) == per_connection * connections + 1, [line for line in lines if "/introspect 401" not in line][:5]


def test_the_c_example_cuts_an_over_long_log_line_and_keeps_it_one_line(tmp_path):
    """A method of 600 bytes (libmicrohttpd takes any token) makes a log
    line longer than the example's 512-byte buffer: it is cut, and still
    ends with its newline, so the next line starts on its own."""
    path = memory_config(tmp_path)
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0"])
    host, port = url.split("//")[1].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"X" * 600 + b" /token HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 405")
        assert Client(url).login().status_code == 200
    finally:
        log = stop(proc)
    lines = log.splitlines()
    assert lines[0] == "auth_server: " + "X" * (511 - len("auth_server: ")), lines[0][:80]
    assert lines[1] == "auth_server: POST /token 200", lines[1:]


FREED_SECRETS = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Counts blocks freed (or moved away from by realloc) while they still hold
 * one of the strings in $SHIM_MARKERS (one a line). */
static void (*real_free)(void *);
static void *(*real_realloc)(void *, size_t);
static unsigned long hits;
static char markers[4096];
static const char *marker[16];
static size_t marker_len[16];
static int count;

__attribute__((constructor)) static void init(void) {
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    const char *m = getenv("SHIM_MARKERS");
    if (!m) return;
    strncpy(markers, m, sizeof markers - 1);
    char *save = NULL;
    for (char *t = strtok_r(markers, "\n", &save); t && count < 16; t = strtok_r(NULL, "\n", &save)) {
        marker[count] = t;
        marker_len[count++] = strlen(t);
    }
}
static int holds_secret(void *p) {
    if (!p) return 0;
    size_t n = malloc_usable_size(p);
    for (int i = 0; i < count; i++)
        if (memmem(p, n, marker[i], marker_len[i])) return 1;
    return 0;
}
void free(void *p) {
    if (!real_free) return; /* while dlsym resolves: leak */
    if (holds_secret(p)) __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
    real_free(p);
}
void *realloc(void *p, size_t n) {
    if (!real_realloc) real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    int secret = holds_secret(p);
    void *q = real_realloc(p, n);
    if (q && q != p && secret) __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
    return q;
}
__attribute__((destructor)) static void report(void) {
    char line[64];
    int n = snprintf(line, sizeof line, "freed blocks holding a secret: %lu\n", hits);
    if (write(STDERR_FILENO, line, (size_t)n) < 0) return;
}
"""


def test_the_c_example_leaves_no_secret_in_memory_it_frees(tmp_path):
    """libropc wipes its own copies of secrets; the example must not leave
    copies of its own behind: the request bodies (passwords, tokens), the
    Authorization header (client secrets) and the response bodies (tokens).
    A preloaded shim looks into every block the server frees, or that a
    realloc moves away from, for what a request or response held."""
    shim = preload_shim(tmp_path, "freed_secrets", FREED_SECRETS)
    path = memory_config(tmp_path)
    basic = base64.b64encode(b"app:app-secret").decode()
    # The token response's keys with their values' quotes: the configuration
    # file, read and freed at start, names the refresh_token grant type.
    markers = [basic, "app-secret", "alice-pw", "token=", '"access_token":"', '"refresh_token":"']
    proc, url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0"],
                      env={"LD_PRELOAD": str(shim), "SHIM_MARKERS": "\n".join(markers)})
    try:
        client = Client(url)
        login = client.login()  # argon2: answered by a worker thread
        assert login.status_code == 200, login.text
        refreshed = client.refresh(login.json()["refresh_token"])  # answered in place
        assert refreshed.status_code == 200, refreshed.text
        assert client.active(refreshed.json()["access_token"])
        big = client.post("/token", {"grant_type": "refresh_token", "refresh_token": "x" * 43, "pad": "y" * 60000})
        assert big.status_code == 400, big.text  # a body that came in several chunks
        client.http.close()
    finally:
        log = stop(proc)
    assert log.splitlines()[-1] == "freed blocks holding a secret: 0", log[-2000:]
