"""JWT access tokens (RFC 9068) from Python: issued by a client set to
"jwt", checked offline with the key set, served with the RFC 8414
metadata, and verified by a JWT library no one here wrote (PyJWT, its
PyJWKClient reading the key set from the URL the metadata names)."""
import json
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
import pytest
import ropc
import ropc.wsgi

ISSUER = "https://as.example"
API = "https://api.example"


@pytest.fixture
def jwt_config(config, tmp_path):
    kek = tmp_path / "kek"
    kek.write_text("ab" * 32)
    c = json.loads(json.dumps(config))
    c["issuer"] = ISSUER
    c["signing"] = {"algorithm": "EdDSA", "key_encryption_key_file": str(kek)}
    app = next(x for x in c["clients"] if x["id"] == "app")
    app.update(access_token_format="jwt", audience=[API])
    return c


@pytest.fixture
def guard(config):
    c = json.loads(json.dumps(config))
    c.pop("users", None)
    c.pop("clients", None)
    c.update(issuer=ISSUER, audience=API)
    return ropc.ResourceGuard(c)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(jwt_config):
    """The authorization server's WSGI app on a loopback port: its key set
    and metadata are what PyJWT fetches."""
    server = ropc.Server(jwt_config)
    httpd = make_server("127.0.0.1", 0, ropc.wsgi.token_app(server), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_a_jwt_is_issued_and_checked_offline(jwt_config, guard):
    server = ropc.Server(jwt_config)
    t = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    assert t.access_token.count(".") == 2 and len(t.refresh_token) == 43
    resp = server.key_set_endpoint("GET")
    assert resp.status == 200 and ("Content-Type", "application/jwk-set+json") in resp.headers
    keys = ropc.KeySet(resp.body)
    assert len(keys) == 1
    p = guard.check_jwt(t.access_token, keys, "GET /invoices/1", "read")
    assert (p.username, p.client_id, p.scopes) == ("alice", "app", ["read"])
    assert guard.check_jwt_request(f"Bearer {t.access_token}", keys, "GET /invoices/1").username == "alice"
    with pytest.raises(ropc.InsufficientScope) as info:
        guard.check_jwt(t.access_token, keys, "POST /invoices/1", "write")
    assert any(k == "WWW-Authenticate" and 'error="insufficient_scope"' in v for k, v in info.value.headers)
    with pytest.raises(ropc.InvalidToken):
        guard.check_jwt(t.access_token[:-2], keys, "GET /invoices/1")
    with pytest.raises(ropc.OAuthError) as info:
        guard.check_jwt_request(None, keys, "GET /invoices/1")
    assert (info.value.error, info.value.status_code) == (None, 401), "no credentials: a challenge, no code"
    # The server's own check and introspection see it too.
    assert server.check(t.access_token, "GET /invoices/1").username == "alice"
    assert server.introspect("rs", "rs-secret", t.access_token)["active"] is True


def test_key_sets_are_read_strictly():
    for bad in ("[]", '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}', b"\xff"):
        with pytest.raises(ValueError):
            ropc.KeySet(bad)
    with pytest.raises(TypeError):
        ropc.KeySet(42)
    assert ropc.KeySet('{"keys": []}').kids == []


def test_pyjwt_verifies_ropc_tokens_from_the_metadata_s_key_set(served):
    server, base = served
    t = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    import urllib.request

    with urllib.request.urlopen(base + ropc.METADATA_PATH) as r:
        metadata = json.load(r)
    assert metadata["issuer"] == ISSUER
    assert metadata["jwks_uri"] == ISSUER + "/jwks.json"
    # The metadata names the issuer's URL; the test serves it on loopback.
    client = jwt.PyJWKClient(base + "/jwks.json")
    key = client.get_signing_key_from_jwt(t.access_token)
    assert jwt.get_unverified_header(t.access_token)["typ"] == "at+jwt"
    claims = jwt.decode(t.access_token, key.key, algorithms=["EdDSA"], audience=API, issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub", "jti", "client_id"]})
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("alice", "app", "read")
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(t.access_token, key.key, algorithms=["EdDSA"], audience="https://other", issuer=ISSUER)


def test_es256_keys_work_with_pyjwt_too(jwt_config):
    jwt_config["signing"]["algorithm"] = "ES256"
    server = ropc.Server(jwt_config)
    t = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    jwks = json.loads(server.key_set_endpoint("GET").body)
    assert jwks["keys"][0]["kty"] == "EC" and "d" not in jwks["keys"][0]
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(t.access_token, key.key, algorithms=["ES256"], audience=API, issuer=ISSUER)
    assert claims["sub"] == "alice"


def test_forward_auth_reads_the_gateway_s_headers_or_envoy_s_path(config):
    server = ropc.Server(config)
    t = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    bearer = f"Bearer {t.access_token}"
    ok = server.forward_auth({"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/invoices/1", "Authorization": bearer})
    assert ok.status == 200 and ("X-Auth-User", "alice") in ok.headers
    nginx = server.forward_auth([("X-Original-Method", "POST"), ("X-Original-URI", "/invoices/1"),
                                 ("Authorization", bearer)])
    assert nginx.status == 403
    envoy = server.forward_auth({"Authorization": bearer}, "GET", "/auth/invoices/1")
    assert envoy.status == 200
    assert server.forward_auth({"Authorization": bearer}).status == 400, "no held request named"
    with pytest.raises(TypeError):
        server.forward_auth(42)


def test_a_discovery_client_finds_the_endpoints_and_completes_a_password_grant(jwt_config):
    """requests-oauth2client reads the RFC 8414 metadata, then makes the
    password grant and a refresh at the endpoints it names."""
    from requests_oauth2client import OAuth2Client

    holder = {}
    httpd = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), handler_class=Quiet)
    base = f"http://127.0.0.1:{httpd.server_port}"
    # The issuer is where the metadata is served: the client checks they agree.
    server = ropc.Server({**jwt_config, "issuer": base})
    holder["app"] = ropc.wsgi.token_app(server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = OAuth2Client.from_discovery_endpoint(base + ropc.METADATA_PATH, issuer=base,
                                                      auth=("app", "app-secret"), testing=True)
        assert client.token_endpoint == base + "/token"
        token = client.resource_owner_password("alice", "alice-pw", scope="read")
        assert token.refresh_token and str(token.access_token).count(".") == 2
        refreshed = client.refresh_token(token.refresh_token)
        assert refreshed.access_token != token.access_token
        keys = ropc.KeySet(server.key_set_endpoint("GET").body)
        c = json.loads(json.dumps(jwt_config))
        c.pop("users", None)
        c.pop("clients", None)
        c.pop("signing", None)
        resource = ropc.ResourceGuard({**c, "issuer": base, "audience": API})
        assert resource.check_jwt(str(refreshed.access_token), keys, "GET /invoices/1", "read").username == "alice"
    finally:
        httpd.shutdown()


class _Counting:
    """A WSGI app that counts the key-set requests it passes on."""

    def __init__(self, app):
        self.app, self.key_sets = app, 0

    def __call__(self, environ, start):
        if environ["PATH_INFO"] == "/jwks.json":
            self.key_sets += 1
        return self.app(environ, start)


@pytest.fixture
def host(jwt_config):
    """An authorization server (maybe on the test clock, if that fixture
    came first) served on loopback, counting key-set fetches."""
    servers = []

    def start(config=jwt_config):
        server = ropc.Server(config)
        app = _Counting(ropc.wsgi.token_app(server))
        httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return server, app, f"http://127.0.0.1:{httpd.server_port}"

    yield start
    for httpd in servers:
        httpd.shutdown()


def test_the_jwt_checker_fetches_the_key_set_once_and_checks_offline(host, guard):
    server, app, base = host()
    checker = ropc.JwtChecker(guard, base + "/jwks.json")
    t = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    bearer = f"Bearer {t.access_token}"
    for _ in range(5):
        assert checker.check_request(bearer, "GET /invoices/1", "read").username == "alice"
    assert (app.key_sets, checker.fetches) == (1, 1)
    with pytest.raises(ropc.InsufficientScope):
        checker.check_request(bearer, "POST /invoices/1", "write")
    with pytest.raises(ropc.InvalidToken):
        checker.check_request(bearer[:-2], "GET /invoices/1")
    with pytest.raises(ropc.InvalidToken):
        checker.check_request("Bearer " + "A" * 43, "GET /invoices/1")  # opaque, and no introspection
    # A JWT cannot be recalled: revoked, it passes offline until it expires;
    # a route that must know at once asks introspection (about a JWT too).
    introspection = ropc.IntrospectionChecker(guard, base + "/introspect", "rs", "rs-secret")
    assert introspection.check_request(bearer, "GET /invoices/1").username == "alice"
    assert server.revoke("app", "app-secret", t.refresh_token) is None
    assert checker.check_request(bearer, "GET /invoices/1").username == "alice"
    with pytest.raises(ropc.InvalidToken):
        introspection.check_request(bearer, "GET /invoices/1")
    with pytest.raises(ValueError):
        ropc.JwtChecker(guard, "file:///etc/passwd")


def test_opaque_tokens_go_to_introspection_when_it_is_given(host, guard):
    server, app, base = host()
    opaque = server.password_grant("app2", "app2-secret", "alice", "alice-pw", "read")
    assert opaque.access_token.count(".") == 0
    jwt_token = server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token
    introspection = ropc.IntrospectionChecker(guard, base + "/introspect", "rs", "rs-secret")
    checker = ropc.JwtChecker(guard, base + "/jwks.json", introspection=introspection)
    assert checker.check_request(f"Bearer {jwt_token}", "GET /invoices/1").username == "alice"
    assert checker.check_request(f"Bearer {opaque.access_token}", "GET /invoices/1").username == "alice"
    assert app.key_sets == 1, "an opaque token needs no key set"
    with pytest.raises(ropc.InvalidToken):
        checker.check_request("Bearer " + "A" * 43, "GET /invoices/1")  # asked, and inactive


def test_the_key_set_follows_a_rotation_refetching_at_a_bounded_rate(test_clock, host, guard):
    """Two rotations on the test clock: the checker (ropc's) and PyJWT's
    PyJWKClient each verify every token, old and new, fetching the key set
    again only for a key they have not seen, never more than once per
    cooldown however many tokens name unknown keys."""
    day = 86_400
    now = [1_700_000_000.0]
    server, app, base = host()
    # Kept long here; the server's Cache-Control (at most an hour) bounds it.
    checker = ropc.JwtChecker(guard, base + "/jwks.json", clock=lambda: now[0], max_age_seconds=100 * day)
    # PyJWT's own cooldown runs on the real clock, which the test's does not move.
    pyjwt = jwt.PyJWKClient(base + "/jwks.json", lifespan=100 * day, cooldown_duration=0)

    def grant():
        return server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token

    def verified_everywhere(token):
        assert checker.check_request(f"Bearer {token}", "GET /invoices/1").username == "alice"
        key = pyjwt.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience=API, issuer=ISSUER,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        assert claims["sub"] == "alice"

    kids, tokens = [], []
    # Keys rotate every 30 days, the next announced 14 days ahead: a grant
    # on day 16 of each period announces it; at the switch a token signed a
    # minute before by the old key still verifies beside the new key's.
    for step in (0, 16 * day, 14 * day - 60, 120, 16 * day - 60, 14 * day - 60, 120):
        assert test_clock(step) or step == 0
        now[0] += step
        tokens.append(grant())
        kids.append(jwt.get_unverified_header(tokens[-1])["kid"])
        fetched = checker.fetches
        verified_everywhere(tokens[-1])
        if step == 120:
            verified_everywhere(tokens[-2])
            # The new key's first token needed no fetch: the set fetched a
            # minute before (stale by the server's max-age) announced it.
            assert checker.fetches == fetched
        else:
            assert checker.fetches == fetched + 1, "days apart: past the server's max-age"
    assert kids[0] == kids[1] == kids[2] != kids[3] == kids[4] == kids[5] != kids[6], "a new key each period"
    assert checker.fetches == 5
    # Tokens naming keys no one published: one fetch per cooldown at most.
    forged = [jwt.encode({"sub": "alice"}, "k" * 32, algorithm="HS256", headers={"kid": f"made-up-{i}"})
              for i in range(20)]
    before = app.key_sets
    for f in forged:
        with pytest.raises(ropc.InvalidToken):
            checker.check_request(f"Bearer {f}", "GET /invoices/1")
    assert app.key_sets - before <= 1
    now[0] += 30
    with pytest.raises(ropc.InvalidToken):
        checker.check_request(f"Bearer {forged[0]}", "GET /invoices/1")
    assert app.key_sets - before <= 2


def test_a_key_set_that_cannot_be_had_answers_503_never_a_verdict(guard, caplog):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logged = []
    checker = ropc.JwtChecker(guard, f"http://127.0.0.1:{port}/jwks.json", log=logged.append)
    token = jwt.encode({"sub": "alice"}, "k" * 32, algorithm="HS256", headers={"kid": "x"})
    with pytest.raises(ropc.IntrospectionUnavailable) as caught:
        checker.check_request(f"Bearer {token}", "GET /invoices/1")
    assert caught.value.status_code == 503 and dict(caught.value.headers)["Retry-After"] == "2"
    assert logged and all(token not in line for line in logged)


def test_every_glue_works_unchanged_with_the_jwt_checker(host, guard):
    """WSGI (and so Django), ASGI, Flask and FastAPI take the JWT checker
    where they take a Server or an IntrospectionChecker; the event-loop
    glue checks in place once the key set is held (no worker thread)."""
    import fastapi
    import flask
    from fastapi.testclient import TestClient
    from ropc.frameworks import fastapi_require, flask_require

    server, app, base = host()
    checker = ropc.JwtChecker(guard, base + "/jwks.json")
    token = server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token
    good, bad = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {token[:-2]}"}

    def inner(environ, start):
        start("200 OK", [])
        return [environ["ropc.principal"].username.encode()]

    wsgi = ropc.wsgi.protect(inner, checker, scope="read")
    answers = []
    for headers in (good, bad):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/invoices/1", "wsgi.input": None}
        environ.update({"HTTP_AUTHORIZATION": headers["Authorization"]})
        got = {}
        body = b"".join(wsgi(environ, lambda s, h, got=got: got.update(status=s, headers=h)))
        answers.append((int(got["status"][:3]), body if got["status"].startswith("200") else None))
    assert answers == [(200, b"alice"), (401, None)]

    fast = fastapi.FastAPI()
    ropc.frameworks.install_fastapi(fast)

    @fast.get("/invoices/{n}")
    async def invoice(n: str, who=fastapi.Depends(fastapi_require(checker, scope="read"))):
        return {"user": who.username}

    client = TestClient(fast)
    assert client.get("/invoices/1", headers=good).json() == {"user": "alice"}
    r = client.get("/invoices/1", headers=bad)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert checker.check_request_cached(good["Authorization"], "GET /invoices/1") is not None, \
        "held: the event loop checks in place"

    flask_app = flask.Flask("t")

    @flask_app.get("/invoices/<n>")
    @flask_require(checker, scope="read")
    def flask_invoice(n):
        return flask.g.ropc_principal.username

    fc = flask_app.test_client()
    assert fc.get("/invoices/1", headers=good).data == b"alice"
    assert fc.get("/invoices/1", headers=bad).status_code == 401

    async def asgi_inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["ropc.principal"].username.encode()})

    asgi = TestClient(ropc.asgi.protect(asgi_inner, checker, scope="read"))
    assert asgi.get("/invoices/1", headers=good).text == "alice"
    assert asgi.get("/invoices/1", headers=bad).status_code == 401
    assert app.key_sets == 1


_HOST = r"""
import json, sys
import ropc
from ropc import _ropc

_ropc._set_test_clock(1_700_000_000)
server = ropc.Server(json.loads(sys.argv[1]))
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "advance":
        out = str(_ropc._advance_test_clock(int(arg)))
    elif cmd == "grant":
        out = server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token
    elif cmd == "jwks":
        out = server.key_set_endpoint("GET").body.decode()
    elif cmd == "check":
        out = server.check(arg, "GET /invoices/1").username
    print(out, flush=True)
"""


def test_two_processes_on_one_sqlite_file_rotate_keys_together(test_clock, jwt_config, guard, tmp_path):
    """Two processes (each on its own test clock, moved in step with the
    resource server's) share keys through one SQLite file across two
    rotations: every day they publish the same key set and sign with the
    same key, and each token verifies offline with either's key set and at
    the other process."""
    import subprocess
    import sys

    config = {**jwt_config, "store": {"type": "sqlite", "path": str(tmp_path / "ropc.db")}}
    hosts = [subprocess.Popen([sys.executable, "-c", _HOST, json.dumps(config)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]

    def ask(host, line):
        host.stdin.write(line + "\n")
        host.stdin.flush()
        answer = host.stdout.readline().strip()
        assert answer, f"the host answered nothing to {line.split()[0]}"
        return answer

    try:
        kids = []
        for day in range(75):
            if day:
                assert all(ask(h, "advance 86400") == "True" for h in hosts)
                assert test_clock(86_400)
            tokens = [ask(h, "grant") for h in hosts]
            sets = [ask(h, "jwks") for h in hosts]
            assert json.loads(sets[0]) == json.loads(sets[1]), f"day {day}: the same key set"
            signed_by = {jwt.get_unverified_header(t)["kid"] for t in tokens}
            assert len(signed_by) == 1, f"day {day}: one signing key"
            if not kids or kids[-1] != next(iter(signed_by)):
                kids.append(next(iter(signed_by)))
            for token in tokens:
                for s in sets:
                    assert guard.check_jwt(token, ropc.KeySet(s), "GET /invoices/1").username == "alice"
            assert ask(hosts[0], f"check {tokens[1]}") == ask(hosts[1], f"check {tokens[0]}") == "alice"
        assert len(kids) == 3, f"two rotations in 75 days: {kids}"
    finally:
        for h in hosts:
            h.stdin.close()
            h.wait(10)


def test_a_dpop_client_no_one_here_wrote_gets_bound_tokens_and_uses_them(config):
    """requests-oauth2client (its DPoP support, ES256 keys) gets a
    DPoP-bound token with the password grant from ropc's WSGI token app,
    refreshes it with the same key, and calls a resource behind
    ropc.wsgi.protect; the token replayed as Bearer, or with a proof of
    another key, is refused (RFC 9449)."""
    import requests
    from requests_oauth2client import DPoPKey, DPoPToken, OAuth2Client

    holder = {}
    httpd = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), handler_class=Quiet)
    base = f"http://127.0.0.1:{httpd.server_port}"
    c = json.loads(json.dumps(config))
    c["issuer"] = base  # proofs name the token endpoint: the issuer's /token
    next(x for x in c["clients"] if x["id"] == "app")["dpop"] = "required"
    server = ropc.Server(c)
    tokens = ropc.wsgi.token_app(server)

    def resource(environ, start):
        start("200 OK", [("Content-Type", "text/plain")])
        return [environ["ropc.principal"].username.encode()]

    protected = ropc.wsgi.protect(resource, server, scope="read")
    holder["app"] = lambda env, start: (protected if env["PATH_INFO"].startswith("/invoices/") else tokens)(env, start)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        # testing=True: plain http on loopback.
        client = OAuth2Client(token_endpoint=base + "/token", auth=("app", "app-secret"),
                              dpop_bound_access_tokens=True, testing=True)
        token = client.resource_owner_password("alice", "alice-pw", scope="read")
        assert isinstance(token, DPoPToken) and token.token_type == "DPoP"
        url = base + "/invoices/1"
        r = requests.get(url, auth=token, timeout=10)
        assert (r.status_code, r.text) == (200, "alice"), r.text
        intro = server.introspect("rs", "rs-secret", str(token.access_token))
        assert intro["token_type"] == "DPoP" and intro["cnf"] == {"jkt": token.dpop_key.dpop_jkt}
        refreshed = client.refresh_token(token)
        assert isinstance(refreshed, DPoPToken) and refreshed.access_token != token.access_token
        assert requests.get(url, auth=refreshed, timeout=10).status_code == 200
        # Replayed as a bearer token: refused.
        r = requests.get(url, headers={"Authorization": f"Bearer {refreshed.access_token}"}, timeout=10)
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        # With a proof made by another key: refused, with a DPoP challenge.
        thief = DPoPKey.generate()
        ath = ropc_ath(str(refreshed.access_token))
        proof = thief.proof(htm="GET", htu=url, ath=ath)
        r = requests.get(url, headers={"Authorization": f"DPoP {refreshed.access_token}", "DPoP": str(proof)},
                         timeout=10)
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"].startswith('DPoP realm="ropc-test", algs="EdDSA ES256", '
                                                        'error="invalid_dpop_proof"')
        # Two DPoP headers through wsgiref (which joins them): refused.
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", httpd.server_port, timeout=10)
        conn.putrequest("GET", "/invoices/1")
        conn.putheader("Authorization", f"DPoP {refreshed.access_token}")
        for _ in range(2):
            conn.putheader("DPoP", str(refreshed.dpop_key.proof(htm="GET", htu=url, ath=ath)))
        conn.endheaders()
        two = conn.getresponse()
        assert two.status == 401 and "more than one DPoP header" in two.getheader("WWW-Authenticate")
        conn.close()
        # Without a proof at the token endpoint: refused for this client.
        r = requests.post(base + "/token", auth=("app", "app-secret"),
                          data={"grant_type": "password", "username": "alice", "password": "alice-pw"}, timeout=10)
        assert (r.status_code, r.json()["error"]) == (400, "invalid_dpop_proof")
    finally:
        httpd.shutdown()


def test_server_nonces_are_obeyed_by_a_dpop_client_no_one_here_wrote(config):
    """With ``dpop_nonce`` set, the token endpoint answers a proof without
    its nonce with ``use_dpop_nonce`` and a ``DPoP-Nonce``;
    requests-oauth2client retries with it on its own, for the password grant
    and the refresh (RFC 9449 §8)."""
    import requests
    from requests_oauth2client import DPoPToken, OAuth2Client

    holder = {"given": []}
    httpd = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), handler_class=Quiet)
    base = f"http://127.0.0.1:{httpd.server_port}"
    c = json.loads(json.dumps(config))
    c["issuer"] = base
    c["dpop_nonce"] = {"lifetime_seconds": 60}
    next(x for x in c["clients"] if x["id"] == "app")["dpop"] = "required"
    server = ropc.Server(c)
    tokens = ropc.wsgi.token_app(server)

    def app(environ, start):
        def seen(status, headers, *rest):
            holder["given"].append((status.split()[0], dict(headers).get("DPoP-Nonce")))
            return start(status, headers, *rest)

        return tokens(environ, seen)

    holder["app"] = app
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = OAuth2Client(token_endpoint=base + "/token", auth=("app", "app-secret"),
                              dpop_bound_access_tokens=True, testing=True)
        token = client.resource_owner_password("alice", "alice-pw", scope="read")
        assert isinstance(token, DPoPToken) and token.token_type == "DPoP"
        statuses = [s for s, _ in holder["given"]]
        assert statuses == ["400", "200"], "asked for a nonce once, then bound"
        assert all(n and len(n) == 32 for _, n in holder["given"]), "a nonce with every answer"
        refreshed = client.refresh_token(token)
        assert isinstance(refreshed, DPoPToken) and refreshed.access_token != token.access_token
        assert server.introspect("rs", "rs-secret", str(refreshed.access_token))["active"] is True
        # A made-up nonce: use_dpop_nonce, and the exception class for it.
        r = requests.post(base + "/token", auth=("app", "app-secret"), timeout=10,
                          data={"grant_type": "password", "username": "alice", "password": "alice-pw"},
                          headers={"DPoP": str(token.dpop_key.proof(htm="POST", htu=base + "/token",
                                                                    nonce="AAAAAGVT8QBLetP4nKHd_ye5to4PAL5h"))})
        assert (r.status_code, r.json()["error"]) == (400, "use_dpop_nonce")
        assert r.headers["DPoP-Nonce"] != "AAAAAGVT8QBLetP4nKHd_ye5to4PAL5h"
        assert ropc.OAuthError.class_for("use_dpop_nonce") is ropc.UseDpopNonce
    finally:
        httpd.shutdown()


def ropc_ath(token):
    """A proof's ath (RFC 9449 §4.2), computed here with hashlib."""
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


def test_every_python_glue_takes_a_dpop_bound_token_with_its_proof(config):
    """ASGI, Flask and FastAPI (WSGI above) pass the DPoP header and the
    request's absolute URI to the server's check: a bound token with a fresh
    proof of its key is let in, the same token as Bearer is not."""
    import fastapi
    import flask
    from fastapi.testclient import TestClient
    from requests_oauth2client import DPoPKey
    from ropc.frameworks import fastapi_require, flask_require

    c = json.loads(json.dumps(config))
    c["issuer"] = "http://testserver"
    next(x for x in c["clients"] if x["id"] == "app")["dpop"] = "allowed"
    server = ropc.Server(c)
    key = DPoPKey.generate()
    proof = key.proof(htm="POST", htu="http://testserver/token")
    resp = server.token_endpoint("POST", {"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "Basic YXBwOmFwcC1zZWNyZXQ=", "DPoP": str(proof)},
                                 b"grant_type=password&username=alice&password=alice-pw&scope=read")
    body = json.loads(resp.body)
    assert body["token_type"] == "DPoP", body
    at = body["access_token"]
    url = "http://testserver/invoices/1"

    def headers():
        return {"Authorization": f"DPoP {at}", "DPoP": str(key.proof(htm="GET", htu=url, ath=ropc_ath(at)))}

    async def asgi_inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["ropc.principal"].username.encode()})

    asgi = TestClient(ropc.asgi.protect(asgi_inner, server, scope="read"))
    fast = fastapi.FastAPI()
    ropc.frameworks.install_fastapi(fast)

    @fast.get("/invoices/{n}")
    def invoice(n: str, who=fastapi.Depends(fastapi_require(server, scope="read"))):
        return who.username

    flask_app = flask.Flask("t")

    @flask_app.get("/invoices/<n>")
    @flask_require(server, scope="read")
    def flask_invoice(n):
        return flask.g.ropc_principal.username

    flask_client = flask_app.test_client()
    for name, get in (("asgi", lambda h: asgi.get(url, headers=h)),
                      ("fastapi", lambda h: TestClient(fast).get(url, headers=h)),
                      ("flask", lambda h: flask_client.get("/invoices/1", headers=h, base_url="http://testserver"))):
        r = get(headers())
        assert r.status_code == 200, (name, r.status_code)
        r = get({"Authorization": f"Bearer {at}"})
        assert r.status_code == 401, name
        replay = headers()
        assert get(replay).status_code == 200
        assert get(replay).status_code == 401, f"{name}: a proof is used once"
        # Two DPoP headers (RFC 9449 §4.3: one): refused, whichever is good.
        two = [("Authorization", f"DPoP {at}"), ("DPoP", headers()["DPoP"]), ("DPoP", headers()["DPoP"])]
        r = get(two)
        assert r.status_code == 401 and "more than one DPoP header" in r.headers["WWW-Authenticate"], name


def test_resource_servers_elsewhere_take_a_dpop_bound_token_with_its_proof(jwt_config, guard):
    """The IntrospectionChecker and the JwtChecker, behind ropc.wsgi.protect
    and ropc.asgi.protect, take a DPoP-bound token (requests-oauth2client's)
    with its proof, used once, of the token's key; as Bearer it is refused."""
    import requests
    import ropc.asgi
    from fastapi.testclient import TestClient
    from requests_oauth2client import OAuth2Client

    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer

    class Threading(ThreadingMixIn, WSGIServer):
        daemon_threads = True  # the resource server asks introspection on the same server

    holder = {}
    httpd = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), server_class=Threading,
                        handler_class=Quiet)
    base = f"http://127.0.0.1:{httpd.server_port}"
    c = json.loads(json.dumps(jwt_config))
    c["issuer"] = base
    next(x for x in c["clients"] if x["id"] == "app")["dpop"] = "required"
    server = ropc.Server(c)
    rs = ropc.ResourceGuard({**json.loads(json.dumps(guard_config_of(c))), "issuer": base, "audience": API})
    by_introspection = ropc.IntrospectionChecker(rs, base + "/introspect", "rs", "rs-secret")
    offline = ropc.JwtChecker(rs, base + "/jwks.json")

    def inner(environ, start):
        start("200 OK", [])
        return [environ["ropc.principal"].username.encode()]

    apps = {"/a/": ropc.wsgi.protect(inner, by_introspection, resource="GET /invoices/1", scope="read"),
            "/b/": ropc.wsgi.protect(inner, offline, resource="GET /invoices/1", scope="read")}
    tokens = ropc.wsgi.token_app(server)
    holder["app"] = lambda env, start: apps.get(env["PATH_INFO"][:3], tokens)(env, start)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = OAuth2Client(token_endpoint=base + "/token", auth=("app", "app-secret"),
                              dpop_bound_access_tokens=True, testing=True)
        token = client.resource_owner_password("alice", "alice-pw", scope="read")
        for prefix in ("/a/", "/b/"):
            url = base + prefix + "invoices/1"
            r = requests.get(url, auth=token, timeout=10)
            assert (r.status_code, r.text) == (200, "alice"), (prefix, r.status_code, r.headers)
            r = requests.get(url, headers={"Authorization": f"Bearer {token.access_token}"}, timeout=10)
            assert r.status_code == 401, prefix
        # The same through the ASGI glue (checked on a worker thread).
        async def asgi_inner(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": scope["ropc.principal"].username.encode()})

        for checker in (by_introspection, offline):
            asgi = TestClient(ropc.asgi.protect(asgi_inner, checker, resource="GET /invoices/1"))
            url = "http://testserver/invoices/1"
            proof = token.dpop_key.proof(htm="GET", htu=url, ath=ropc_ath(str(token.access_token)))
            headers = {"Authorization": f"DPoP {token.access_token}", "DPoP": str(proof)}
            assert asgi.get(url, headers=headers).text == "alice"
            assert asgi.get(url, headers=headers).status_code == 401, "a proof is used once"
    finally:
        httpd.shutdown()


def guard_config_of(c):
    """What a resource server needs of a configuration."""
    return {k: v for k, v in c.items() if k not in ("users", "clients", "signing")}
