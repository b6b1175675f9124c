"""The WSGI and ASGI apps, the protecting middlewares, and the Flask and
FastAPI helpers, driven the way each framework drives them."""
import asyncio
import base64
import concurrent.futures
import io
import json

import fastapi
import flask
import pytest
import ropc
import ropc.asgi
import ropc.frameworks
import ropc.wsgi
from ropc.frameworks import fastapi_require, flask_require

FORM = "application/x-www-form-urlencoded"
BASIC = "Basic " + base64.b64encode(b"app:app-secret").decode()
LOGIN = b"grant_type=password&username=alice&password=alice-pw&scope=read"


@pytest.fixture
def server(config):
    return ropc.Server(config)


def wsgi_call(app, method, path, headers=None, body=b""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    return int(seen["status"].split()[0]), dict(seen["headers"]), body, environ


def test_wsgi_token_app_and_protect(server):
    app = ropc.wsgi.token_app(server)
    status, headers, body, _ = wsgi_call(app, "POST", "/token", {"Content-Type": FORM, "Authorization": BASIC}, LOGIN)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    token = json.loads(body)["access_token"]
    status, _, body, _ = wsgi_call(app, "POST", "/introspect",
                                   {"Content-Type": FORM, "Authorization": "Basic " + base64.b64encode(b"rs:rs-secret").decode()},
                                   f"token={token}".encode())
    assert status == 200 and json.loads(body)["active"] is True
    assert wsgi_call(app, "POST", "/elsewhere")[0] == 404
    assert wsgi_call(app, "GET", "/revoke")[0] == 405

    def inner(environ, start):
        start("200 OK", [])
        return [environ["ropc.principal"].username.encode()]

    protected = ropc.wsgi.protect(inner, server, scope="read")
    status, _, body, _ = wsgi_call(protected, "GET", "/invoices/1", {"Authorization": f"Bearer {token}"})
    assert (status, body) == (200, b"alice")
    status, headers, _, _ = wsgi_call(protected, "GET", "/invoices/1")
    # The configuration has a DPoP client: both schemes, in one field.
    assert status == 401 and headers["WWW-Authenticate"] == 'Bearer realm="ropc-test", DPoP realm="ropc-test", algs="EdDSA ES256"'
    status, headers, body, _ = wsgi_call(protected, "GET", "/users/bob/x", {"Authorization": f"Bearer {token}"})
    assert status == 403 and json.loads(body)["error"] == "access_denied"


def test_wsgi_reads_no_more_than_the_limit(server):
    app = ropc.wsgi.token_app(server)
    huge = b"x" * (ropc.MAX_BODY_BYTES * 4)
    status, _, body, environ = wsgi_call(app, "POST", "/token", {"Content-Type": FORM, "Authorization": BASIC}, huge)
    assert status == 400 and b"larger than 65536" in body
    assert environ["wsgi.input"].tell() == ropc.MAX_BODY_BYTES + 1


def asgi_call(app, method, path, headers=None, body=b"", chunk=None, root_path=""):
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path,
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk and body else [body]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, sent[1]["body"], scope


def test_asgi_token_app_mounted_under_a_prefix_answers_there(server):
    app = ropc.asgi.token_app(server)
    auth = {"Content-Type": FORM, "Authorization": BASIC}
    assert asgi_call(app, "POST", "/oauth/token", auth, LOGIN, root_path="/oauth")[0] == 200
    assert asgi_call(app, "POST", "/oauth/token", auth, LOGIN, root_path="/oauth/")[0] == 200
    assert asgi_call(app, "POST", "/oauthx/token", auth, LOGIN, root_path="/oauth")[0] == 404
    # As a user mounts it: Starlette's Mount (FastAPI's app.mount is the same).
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    outer = Starlette(routes=[Mount("/oauth", app=app)])
    with TestClient(outer) as client:
        r = client.post("/oauth/token", content=LOGIN, headers=auth)
        assert r.status_code == 200, r.text
        assert client.post("/oauth/nowhere", content=b"").status_code == 404


def test_asgi_token_app_and_protect(server):
    app = ropc.asgi.token_app(server)
    status, headers, body, _ = asgi_call(app, "POST", "/token", {"Content-Type": FORM, "Authorization": BASIC}, LOGIN,
                                         chunk=7)
    assert status == 200 and headers["cache-control"] == "no-store"
    token = json.loads(body)["access_token"]
    assert asgi_call(app, "POST", "/nowhere")[0] == 404

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["ropc.principal"].username.encode()})

    protected = ropc.asgi.protect(inner, server, resource="GET /invoices/1", scope="read")
    status, _, body, _ = asgi_call(protected, "GET", "/anything", {"Authorization": f"Bearer {token}"})
    assert (status, body) == (200, b"alice")
    status, headers, _, _ = asgi_call(protected, "GET", "/anything", {"Authorization": "Bearer nope"})
    assert status == 401 and 'error="invalid_token"' in headers["www-authenticate"]


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A worker pool that counts what it is given."""

    def __init__(self):
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def asgi_hops(app, method, path, headers=None, body=b""):
    """The status of one ASGI request and how many calls it sent to a worker thread."""
    pool = CountingExecutor()

    async def counted(scope, receive, send):
        asyncio.get_running_loop().set_default_executor(pool)
        await app(scope, receive, send)

    status, _, body, _ = asgi_call(counted, method, path, headers, body)
    return status, pool.submitted, body


def test_asgi_sends_to_a_worker_thread_only_what_may_block(server, config, tmp_path):
    auth = {"Content-Type": FORM, "Authorization": BASIC}
    assert server.request_blocking("POST", auth, LOGIN) == "cpu", "a password grant runs argon2"
    status, hops, body = asgi_hops(ropc.asgi.token_app(server), "POST", "/token", auth, LOGIN)
    assert (status, hops) == (200, 1)
    tokens = json.loads(body)
    refresh = f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}".encode()
    assert server.request_blocking("POST", auth, refresh) == "inline", "a refresh on the memory store takes microseconds"
    status, hops, _ = asgi_hops(ropc.asgi.token_app(server), "POST", "/token", auth, refresh)
    assert (status, hops) == (200, 0), "answered on the loop, without the hop"
    assert server.answer_inline("token", "POST", auth, LOGIN) is None, "argon2 is declined"
    assert server.answer_inline("introspection", "POST", auth, b"token=x").status == 200
    with pytest.raises(ValueError, match="not an endpoint"):
        server.answer_inline("authorize", "POST", auth, b"")
    # Typed calls, classified the same way.
    assert [server.call_blocking(c) for c in ("password_grant", "store", "hash_password")] == ["cpu", "inline", "cpu"]
    assert server.call_blocking("as_client", "app") == "inline"
    for bad in (lambda: server.call_blocking("as_client"), lambda: server.call_blocking("store", "app"),
                lambda: server.call_blocking("authorize")):
        with pytest.raises(ValueError):
            bad()

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    protected = ropc.asgi.protect(inner, server, resource="GET /invoices/1", scope="read")
    assert asgi_hops(protected, "GET", "/x", bearer)[:2] == (200, 0)

    # A database store may wait: every call goes to the pool.
    sqlite = ropc.Server({**config, "store": {"type": "sqlite", "path": str(tmp_path / "ropc.db")}})
    status, hops, body = asgi_hops(ropc.asgi.token_app(sqlite), "POST", "/token", auth, LOGIN)
    assert (status, hops) == (200, 1)
    tokens = json.loads(body)
    refresh = f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}".encode()
    assert sqlite.request_blocking("POST", auth, refresh) == "waits"
    assert asgi_hops(ropc.asgi.token_app(sqlite), "POST", "/token", auth, refresh)[:2] == (200, 1)
    protected = ropc.asgi.protect(inner, sqlite, resource="GET /invoices/1", scope="read")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert asgi_hops(protected, "GET", "/x", bearer)[:2] == (200, 1)


def test_fastapi_require_sends_to_the_threadpool_only_what_may_block(server, config, tmp_path, monkeypatch):
    import starlette.concurrency
    from fastapi.testclient import TestClient

    real, hops = starlette.concurrency.run_in_threadpool, []

    async def counting(*args, **kwargs):
        hops.append(args[0])
        return await real(*args, **kwargs)

    monkeypatch.setattr(starlette.concurrency, "run_in_threadpool", counting)
    sqlite = ropc.Server({**config, "store": {"type": "sqlite", "path": str(tmp_path / "ropc.db")}})
    for srv, expected in ((server, 0), (sqlite, 1)):
        app = fastapi.FastAPI()

        @app.get("/invoices/{n}")
        async def invoice(n: str, who=fastapi.Depends(fastapi_require(srv, scope="read"))):
            return {"user": who.username}

        token = srv.password_grant("app", "app-secret", "alice", "alice-pw").access_token
        hops.clear()
        r = TestClient(app).get("/invoices/7", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"user": "alice"}
        assert len(hops) == expected, (srv.call_blocking("store"), hops)


def test_flask_require(server):
    app = flask.Flask("t")

    @app.get("/invoices/<n>")
    @flask_require(server, scope="read")
    def invoice(n):
        return {"n": n, "user": flask.g.ropc_principal.username}

    client = app.test_client()
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    r = client.get("/invoices/7", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json() == {"n": "7", "user": "alice"}
    r = client.get("/invoices/7")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="ropc-test", DPoP realm="ropc-test", algs="EdDSA ES256"'
    # Exactly the core's response: no Content-Type added to the empty body.
    with pytest.raises(ropc.OAuthError) as core:
        server.check_request(None, "GET /invoices/7", "read")
    assert r.data == core.value.body == b"" and "Content-Type" not in r.headers
    r = client.get("/invoices/7", headers={"Authorization": "Bearer nope"})
    with pytest.raises(ropc.OAuthError) as core:
        server.check_request("Bearer nope", "GET /invoices/7", "read")
    assert (r.status_code, r.data, r.headers["Content-Type"]) == (401, core.value.body, "application/json;charset=UTF-8")


def test_fastapi_require(server):
    from fastapi.testclient import TestClient

    app = fastapi.FastAPI()

    @app.get("/invoices/{n}")
    def invoice(n: str, who=fastapi.Depends(fastapi_require(server, scope="read"))):
        return {"n": n, "user": who.username}

    client = TestClient(app)
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    r = client.get("/invoices/7", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json() == {"n": "7", "user": "alice"}
    r = client.get("/invoices/7", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert r.json()["detail"]["error"] == "invalid_token", "without install_fastapi: FastAPI's shape"
    r = client.get("/invoices/7")
    assert r.status_code == 401 and "error" not in r.json()["detail"], "no credentials: no error code (RFC 6750 §3.1)"

    # With install_fastapi (where the app is made): the core's ready responses, exactly.
    from ropc.frameworks import install_fastapi

    app = fastapi.FastAPI()
    install_fastapi(app)
    app.get("/invoices/{n}")(invoice)
    client = TestClient(app)
    for authorization in ("Bearer nope", None):
        headers = {"Authorization": authorization} if authorization else {}
        r = client.get("/invoices/7", headers=headers)
        with pytest.raises(ropc.OAuthError) as core:
            server.check_with_proof(authorization, None, "GET", "http://testserver/invoices/7", "GET /invoices/7",
                                    "read")
        assert (r.status_code, r.content) == (core.value.status_code, core.value.body)
        for name, value in core.value.headers:
            assert r.headers[name] == value
    assert client.get("/nowhere").json() == {"detail": "Not Found"}, "other HTTP errors keep FastAPI's answer"


def test_an_introspection_endpoint_answering_non_200_is_unavailable_and_logged(config, caplog):
    import http.server
    import threading

    for status in (401, 404, 503):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{httpd.server_address[1]}/introspect"
            checker = ropc.IntrospectionChecker(ropc.ResourceGuard(config), url, "rs", "wrong-secret")
            caplog.clear()
            with caplog.at_level("WARNING", logger="ropc"), pytest.raises(ropc.IntrospectionUnavailable):
                checker.check_request("Bearer " + "A" * 43, "GET /invoices/1")
            assert any(str(status) in r.getMessage() for r in caplog.records), "the cause is logged"
            assert not any("A" * 43 in r.getMessage() for r in caplog.records), "no token in the log"
        finally:
            httpd.shutdown()
            httpd.server_close()


def test_an_introspection_outage_answers_as_a_store_outage_in_every_glue(config):
    """One shape for every "try again shortly": an authorization server that
    cannot be asked, and a store that fails, both answer 503 JSON
    temporarily_unavailable with Retry-After, in WSGI, ASGI, Flask and
    FastAPI, and the error is an OAuthError a view can catch."""
    from fastapi.testclient import TestClient

    bearer = {"Authorization": "Bearer " + "A" * 43}
    down_store = ropc.Server(dict(config, store={"type": "unavailable"}))
    # A port nobody listens on: the authorization server is down.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    checker = ropc.IntrospectionChecker(ropc.ResourceGuard(config), f"http://127.0.0.1:{port}/introspect",
                                        "rs", "rs-secret")
    with pytest.raises(ropc.OAuthError) as caught:
        checker.check_request(bearer["Authorization"], "GET /invoices/1")
    assert isinstance(caught.value, ropc.IntrospectionUnavailable)
    assert isinstance(caught.value, ropc.TemporarilyUnavailable)
    with pytest.raises(ropc.TemporarilyUnavailable) as store:
        down_store.check_request(bearer["Authorization"], "GET /invoices/1")
    assert caught.value.status_code == store.value.status_code == 503
    assert dict(caught.value.headers)["Retry-After"] == dict(store.value.headers)["Retry-After"] == "2"
    assert json.loads(caught.value.body)["error"] == json.loads(store.value.body)["error"] == "temporarily_unavailable"

    def inner(environ, start):
        start("200 OK", [])
        return [b"served"]

    def answers(checker):
        status, headers, body, _ = wsgi_call(ropc.wsgi.protect(inner, checker), "GET", "/invoices/1", bearer)
        shapes = [(status, headers.get("Retry-After"), json.loads(body)["error"])]
        app = fastapi.FastAPI()
        ropc.frameworks.install_fastapi(app)

        @app.get("/invoices/{n}")
        def invoice(n: str, who=fastapi.Depends(fastapi_require(checker))):
            return "served"

        r = TestClient(app).get("/invoices/1", headers=bearer)
        shapes.append((r.status_code, r.headers.get("Retry-After"), r.json().get("error")))
        flask_app = flask.Flask("t")

        @flask_app.get("/invoices/<n>")
        @flask_require(checker)
        def flask_invoice(n):
            return "served"

        r = flask_app.test_client().get("/invoices/1", headers=bearer)
        shapes.append((r.status_code, r.headers.get("Retry-After"), r.get_json()["error"]))
        asgi = TestClient(ropc.asgi.protect(fastapi.FastAPI(), checker))
        r = asgi.get("/invoices/1", headers=bearer)
        shapes.append((r.status_code, r.headers.get("Retry-After"), r.json()["error"]))
        return shapes

    expected = [(503, "2", "temporarily_unavailable")] * 4
    assert answers(checker) == answers(down_store) == expected


def test_every_glue_names_resources_by_the_one_rule(server):
    """What is authorized is what a backend would serve: an encoded dot
    segment or '/' is refused (400), in WSGI, ASGI, Flask and FastAPI."""
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    auth = {"Authorization": f"Bearer {token}"}

    def inner(environ, start):
        start("200 OK", [])
        return [b"served"]

    protected = ropc.wsgi.protect(inner, server)
    # A server that keeps the raw target (gunicorn's RAW_URI) ...
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/users/bob/x", "RAW_URI": "/users/alice/%2e%2e/bob/x",
               "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.input": io.BytesIO(b"")}
    seen = {}
    body = b"".join(protected(environ, lambda s, h: seen.update(status=s, headers=h)))
    assert seen["status"].startswith("400") and b"invalid_request" in body
    # ... and one that decoded PATH_INFO already: the dot segment is still refused.
    status, _, body, _ = wsgi_call(protected, "GET", "/users/alice/../bob/x", auth)
    assert status == 400 and b"invalid_request" in body
    status, _, body, _ = wsgi_call(protected, "GET", "/users/alice/x y", auth)
    assert (status, body) == (200, b"served"), "a decoded space is fine"

    sent = asgi_protected_call(server, {"type": "http", "method": "GET", "path": "/invoices/../admin",
                                        "raw_path": b"/invoices/..%2fadmin",
                                        "headers": [(b"authorization", f"Bearer {token}".encode())]})
    assert sent[0]["status"] == 400

    app = flask.Flask("t")

    @app.get("/users/<path:rest>")
    @flask_require(server)
    def user(rest):
        return {"rest": rest}

    client = app.test_client()
    assert client.get("/users/alice/docs", headers=auth).status_code == 200
    assert client.get("/users/alice/%2e%2e/bob/x", headers=auth).status_code == 400


def asgi_protected_call(server, scope):
    """Runs one request through ropc.asgi.protect around an app that serves;
    returns the messages sent."""

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    asyncio.run(ropc.asgi.protect(inner, server)(scope, receive, send))
    return sent


def test_two_authorization_headers_are_refused_by_the_asgi_glue(server):
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    sent = asgi_protected_call(server, {"type": "http", "method": "GET", "path": "/invoices/1",
                                        "raw_path": b"/invoices/1",
                                        "headers": [(b"authorization", f"Bearer {token}".encode()),
                                                    (b"authorization", b"Bearer nope")]})
    assert sent[0]["status"] == 400 and b"appears more than once" in sent[1]["body"]
    sent = asgi_protected_call(server, {"type": "http", "method": "GET", "path": "/invoices/1",
                                        "raw_path": b"/invoices/1",
                                        "headers": [(b"authorization", f"Bearer {token}".encode())]})
    assert sent[0]["status"] == 200, "one header is served"


class _AuthorizationServer:
    """The introspection endpoint of ``server`` on loopback, HTTP/1.1 with
    keep-alive, counting connections and requests; ``drop_after`` closes a
    connection after that many requests without saying so (as a server
    whose idle timeout struck would)."""

    def __init__(self, server, drop_after=None):
        import http.server
        import threading

        outer = self
        self.connections = 0
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                outer.connections += 1
                self.served = 0

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                resp = server.introspection_endpoint("POST", self.headers.items(), body)
                self.send_response(resp.status)
                for name, value in resp.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                self.wfile.write(resp.body)
                self.served += 1
                if drop_after and self.served >= drop_after:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/introspect"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_the_introspection_checker_keeps_its_connection_alive(server, config):
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    auth = _AuthorizationServer(server)
    try:
        checker = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret")
        for _ in range(20):
            assert checker.check_request(f"Bearer {token}", "GET /invoices/1").username == "alice"
        assert (auth.requests, auth.connections, checker.connections_opened) == (20, 1, 1)
    finally:
        auth.close()
    # A connection the server closed while idle is replaced, and the request
    # goes through on the new one.
    auth = _AuthorizationServer(server, drop_after=1)
    try:
        checker = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret")
        for _ in range(3):
            assert checker.check_request(f"Bearer {token}", "GET /invoices/1").username == "alice"
        assert auth.requests == 3 and checker.connections_opened == 3
    finally:
        auth.close()


def test_the_introspection_cache_is_off_by_default_and_bounded_when_on(server, config):
    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    bearer = f"Bearer {token}"
    auth = _AuthorizationServer(server)
    now = [1_000.0]
    try:
        plain = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret")
        cached = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret",
                                           cache_seconds=30, clock=lambda: now[0])
        for _ in range(3):
            plain.check_request(bearer, "GET /invoices/1")
            cached.check_request(bearer, "GET /invoices/1")
        assert auth.requests == 3 + 1, "without a cache every check asks; with one, once"
        server.revoke("app", "app-secret", token)
        with pytest.raises(ropc.InvalidToken):
            plain.check_request(bearer, "GET /invoices/1")
        now[0] += 29
        assert cached.check_request(bearer, "GET /invoices/1").username == "alice", "the documented delay"
        now[0] += 1
        with pytest.raises(ropc.InvalidToken):
            cached.check_request(bearer, "GET /invoices/1")
        # Inactive answers are never kept.
        asked = auth.requests
        with pytest.raises(ropc.InvalidToken):
            cached.check_request(bearer, "GET /invoices/1")
        assert auth.requests == asked + 1
    finally:
        auth.close()
    with pytest.raises(ValueError):
        ropc.IntrospectionChecker(ropc.ResourceGuard(config), "ftp://x/introspect", "rs", "rs-secret")


def test_event_loop_glue_answers_cached_introspections_in_place(server, config, monkeypatch):
    """ASGI's protect and FastAPI's require send an introspection to a worker
    thread only when it must go over the network: an answer the opt-in
    cache holds is used on the event loop; without the cache every check
    goes to a thread."""
    import starlette.concurrency
    from fastapi.testclient import TestClient

    token = server.password_grant("app", "app-secret", "alice", "alice-pw").access_token
    bearer = {"Authorization": f"Bearer {token}"}
    auth = _AuthorizationServer(server)

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["ropc.principal"].username.encode()})

    real, hops = starlette.concurrency.run_in_threadpool, []

    async def counting(*args, **kwargs):
        hops.append(args[0])
        return await real(*args, **kwargs)

    monkeypatch.setattr(starlette.concurrency, "run_in_threadpool", counting)
    try:
        plain = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret")
        assert plain.check_request_cached(f"Bearer {token}", "GET /invoices/1") is None, "no cache: ask"
        cached = ropc.IntrospectionChecker(ropc.ResourceGuard(config), auth.url, "rs", "rs-secret",
                                           cache_seconds=30)
        assert cached.check_request_cached(f"Bearer {token}", "GET /invoices/1") is None, "not yet cached"
        for checker, hops_each in ((plain, 1), (cached, 0)):
            protected = ropc.asgi.protect(inner, checker, resource="GET /invoices/1", scope="read")
            asked = auth.requests
            first = asgi_hops(protected, "GET", "/x", bearer)
            assert first == (200, 1, b"alice"), "the first check asks the authorization server, on a thread"
            for _ in range(3):
                assert asgi_hops(protected, "GET", "/x", bearer) == (200, hops_each, b"alice")
            assert auth.requests - asked == (4 if hops_each else 1)

            app = fastapi.FastAPI()

            @app.get("/invoices/{n}")
            async def invoice(n: str, who=fastapi.Depends(fastapi_require(checker, scope="read"))):
                return {"user": who.username}

            hops.clear()
            for _ in range(3):
                r = TestClient(app).get("/invoices/1", headers=bearer)
                assert r.status_code == 200 and r.json() == {"user": "alice"}
            assert len(hops) == 3 * hops_each
        # A refusal from a cached answer is the same refusal, also in place.
        with pytest.raises(ropc.InsufficientScope):
            cached.check_request_cached(f"Bearer {token}", "GET /invoices/1", "write")
        assert asgi_hops(ropc.asgi.protect(inner, cached, resource="GET /invoices/1", scope="write"),
                         "GET", "/x", bearer)[:2] == (403, 0)
    finally:
        auth.close()
