"""The typed API, exceptions and their fields, and bad input of every kind."""
import json
import os
import threading
import time

import pytest
import ropc

APP = ("app", "app-secret")


@pytest.fixture
def server(config):
    return ropc.Server(config)


def login(server, **kw):
    return server.password_grant(*APP, kw.pop("username", "alice"), kw.pop("password", "alice-pw"), **kw)


def test_typed_flow(server):
    t = login(server, scope="read write")
    assert len(t.access_token) == 43 and len(t.refresh_token) == 43
    assert (t.token_type, t.expires_in, t.scope) == ("Bearer", 3600, "read write")
    assert t.access_token not in repr(t) and t.refresh_token not in repr(t)
    p = server.check(t.access_token, "GET /invoices/1", "read")
    assert (p.username, p.client_id, p.scopes, p.groups) == ("alice", "app", ["read", "write"], ["finance"])
    assert p.expires_at > 1_700_000_000
    info = server.introspect("rs", "rs-secret", t.access_token)
    assert info["active"] is True and info["username"] == "alice" and info["token_type"] == "Bearer"
    assert server.introspect("rs", "rs-secret", "nope") == {"active": False}
    t2 = server.refresh_grant(*APP, t.refresh_token, "read")
    assert t2.scope == "read"
    server.revoke(*APP, t2.refresh_token, "refresh_token")
    with pytest.raises(ropc.InvalidToken):
        server.check(t2.access_token, "GET /invoices/1")
    server.revoke(*APP, "unknown-token")


CASES = [
    (lambda s: s.password_grant("app", "wrong", "alice", "alice-pw"), ropc.InvalidClient, 401, "client authentication failed", "Basic"),
    (lambda s: s.password_grant("spa", None, "alice", "alice-pw"), ropc.UnauthorizedClient, 400, "public clients can never use this endpoint", None),
    (lambda s: s.password_grant("nogrant", "nogrant-secret", "alice", "alice-pw"), ropc.UnauthorizedClient, 400, "this client is not allowed the password grant", None),
    (lambda s: s.password_grant(*APP, "alice", "wrong"), ropc.InvalidGrant, 400, "the username or password is wrong", None),
    (lambda s: s.password_grant(*APP, "nobody", "wrong"), ropc.InvalidGrant, 400, "the username or password is wrong", None),
    (lambda s: s.password_grant(*APP, "alice", "alice-pw", "admin"), ropc.InvalidScope, 400, "the scope 'admin' is not allowed for this client", None),
    (lambda s: s.password_grant(*APP, "", "x"), ropc.InvalidRequest, 400, "username and password are required", None),
    (lambda s: s.refresh_grant(*APP, "x" * 43), ropc.InvalidGrant, 400, "the refresh token is invalid, expired or revoked", None),
    (lambda s: s.check("x" * 43, "GET /invoices/1"), ropc.InvalidToken, 401, "the access token is invalid, expired or revoked", "Bearer"),
    (lambda s: s.check(login(s).access_token, "GET /admin/x"), ropc.InsufficientScope, 403, "the resource is outside the access token's scope", "Bearer"),
    (lambda s: s.check(login(s).access_token, "GET /users/bob/x"), ropc.AccessDenied, 403, "the resource owner may not access this resource", None),
    (lambda s: s.check_request("Bearer a b", "GET /x"), ropc.InvalidRequest, 400, "the Bearer credentials are malformed", "Bearer"),
]


@pytest.mark.parametrize("call,cls,status,description,scheme", CASES)
def test_exceptions_carry_code_and_response(server, call, cls, status, description, scheme):
    with pytest.raises(cls) as info:
        call(server)
    err = info.value
    assert isinstance(err, ropc.OAuthError)
    assert err.error == cls.code and err.description == description and err.status_code == status
    body = json.loads(err.body)
    assert body["error"] == cls.code and body["error_description"] == description
    headers = dict(err.headers)
    challenge = headers.get("WWW-Authenticate")
    assert (challenge.split(" ")[0] if challenge else None) == scheme
    if scheme == "Bearer":
        assert f'error="{cls.code}"' in challenge
    assert headers["Cache-Control"] == "no-store"


def test_insufficient_scope_names_the_scope(server):
    with pytest.raises(ropc.InsufficientScope) as info:
        server.check(login(server, scope="read").access_token, "POST /invoices/1")
    assert info.value.scope == "write"
    assert 'scope="write"' in dict(info.value.headers)["WWW-Authenticate"]


def test_missing_credentials_is_the_base_class_without_code(server):
    with pytest.raises(ropc.OAuthError) as info:
        server.check_request(None, "GET /invoices/1")
    err = info.value
    assert type(err) is ropc.OAuthError and err.error is None and err.status_code == 401
    assert err.headers == [("WWW-Authenticate", 'Bearer realm="ropc-test"')] and err.body == b""


def test_every_code_has_a_class():
    codes = ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
             "invalid_scope", "invalid_token", "insufficient_scope", "unsupported_token_type", "access_denied"]
    for code in codes:
        cls = ropc.OAuthError.class_for(code)
        assert cls is not ropc.OAuthError and cls.code == code and cls.__name__ in ropc.__all__
    assert ropc.OAuthError.class_for(None) is ropc.OAuthError


def test_config_errors_say_what_and_where(config):
    config["clients"][0]["scopes"] = ["read", "nope"]
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server(config)
    assert isinstance(info.value, ValueError)
    assert info.value.path == "clients[0].scopes[1]" and "unknown scope" in info.value.message
    with pytest.raises(ropc.ConfigError, match="realm"):
        ropc.Server('{"realm": 5}')
    with pytest.raises(ropc.ConfigError, match="EOF|expected"):
        ropc.Server("{")
    with pytest.raises(FileNotFoundError) as missing:
        ropc.Server.from_file("/nonexistent/ropc.json")
    assert missing.value.filename == "/nonexistent/ropc.json" and missing.value.errno == 2
    with pytest.raises(TypeError, match="dict or a JSON string"):
        ropc.Server(42)


def test_config_error_positions_point_into_text_the_user_gave(config, tmp_path):
    # JSON text: the line and column in it, and a clean path.
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server('{\n  "access_token_ttl": "soon"\n}')
    e = info.value
    assert (e.path, e.line, e.column, e.file) == ("access_token_ttl", 2, 28, None)
    assert "u64" not in e.message and "expected a whole number" in e.message
    # A dict or keyword arguments: ropc wrote that JSON, so no position.
    config["access_token_ttl"] = "soon"
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server(config)
    assert (info.value.path, info.value.line, info.value.column) == ("access_token_ttl", None, None)
    assert "line" not in str(info.value)
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server(access_token_ttl="soon")
    assert info.value.line is None
    # A file: named, with the position in it.
    bad = tmp_path / "ropc.json"
    bad.write_text('{"realm": 5}')
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server.from_file(str(bad))
    assert (info.value.file, info.value.path, info.value.line) == (str(bad), "realm", 1)
    assert str(info.value).startswith(f"invalid configuration in {bad} at realm (line 1, column ")
    with pytest.raises(TypeError):
        ropc.Server()
    with pytest.raises(TypeError, match="not both"):
        ropc.Server({}, realm="x")


def test_constructors(config, tmp_path):
    assert ropc.Server(json.dumps(config)).realm == "ropc-test"
    assert ropc.Server(**config).realm == "ropc-test"
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config))
    assert ropc.Server.from_file(path).realm == "ropc-test"
    assert ropc.Server.from_file(str(path)).realm == "ropc-test"
    assert ropc.ResourceGuard(config).realm == "ropc-test"


@pytest.mark.parametrize("call", [
    lambda s: s.token_endpoint("POST", {}, 42),
    lambda s: s.token_endpoint("POST", 42, b""),
    lambda s: s.token_endpoint("POST", {"Authorization": 5}, b""),
    lambda s: s.token_endpoint(None, {}, b""),
    lambda s: s.password_grant("app", "app-secret", "alice", 42),
    lambda s: s.password_grant("app", "app-secret", None, "x"),
    lambda s: s.check(b"token", "GET /x"),
    lambda s: s.check_request(5, "GET /x"),
])
def test_wrong_python_types_raise_type_error(server, call):
    with pytest.raises(TypeError):
        call(server)


def test_a_type_error_names_the_argument_and_a_str_body_is_accepted(server):
    with pytest.raises(TypeError, match="^body must be bytes, bytearray, memoryview or str, not int"):
        server.token_endpoint("POST", {}, 42)
    with pytest.raises(TypeError) as info:
        server.password_grant("app", "app-secret", "alice", 42)
    named = str(info.value) + " ".join(getattr(info.value, "__notes__", []))
    assert "password" in named, named
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic YXBwOmFwcC1zZWNyZXQ="}
    login = "grant_type=password&username=alice&password=alice-pw"
    for body in (login, login.encode(), bytearray(login.encode()), memoryview(login.encode())):
        assert server.token_endpoint("POST", form, body).status == 200, type(body)
    assert server.token_endpoint("POST", form, None).status == 400, "no body: a missing grant_type"


def test_a_repeated_authorization_header_is_refused_by_the_core(server):
    basic = "Basic YXBwOmFwcC1zZWNyZXQ="
    resp = server.token_endpoint("POST", [("Content-Type", "application/x-www-form-urlencoded"),
                                          ("Authorization", basic), ("authorization", basic)],
                                 b"grant_type=password&username=alice&password=alice-pw&scope=read")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": "invalid_request",
                                     "error_description": "the Authorization header appears more than once"}


def test_headers_as_pairs_and_any_case(server):
    resp = server.token_endpoint("POST", [("content-type", "application/x-www-form-urlencoded"),
                                          ("AUTHORIZATION", "Basic YXBwOmFwcC1zZWNyZXQ=")],
                                 b"grant_type=password&username=alice&password=alice-pw&scope=read")
    assert resp.status == 200 and json.loads(resp.body)["scope"] == "read"


def test_invalid_utf8_and_surrogates(server):
    resp = server.token_endpoint("POST", {"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "Basic YXBwOmFwcC1zZWNyZXQ="},
                                 b"grant_type=password&username=\xff\xfe&password=x")
    assert resp.status == 400 and json.loads(resp.body)["error_description"] == "parameters must be UTF-8"
    with pytest.raises(UnicodeEncodeError):
        server.password_grant("app", "app-secret", "alice\ud800", "x")
    with pytest.raises(ropc.InvalidRequest):
        server.check_request("Bearer x", "GET /a/../b")


def test_huge_bodies_and_passwords_are_refused(server):
    resp = server.token_endpoint("POST", {"Content-Type": "application/x-www-form-urlencoded"},
                                 b"x" * (ropc.MAX_BODY_BYTES + 1))
    assert resp.status == 400 and b"larger than 65536" in resp.body
    with pytest.raises(ropc.InvalidRequest, match="longer than 1024"):
        server.password_grant(*APP, "alice", "x" * 5000)
    with pytest.raises(ValueError, match="longer than 1024"):
        ropc.hash_password("x" * 5000)


def test_response_object(server):
    resp = server.token_endpoint("GET", None, b"")
    assert resp.status == 405 and ("Allow", "POST") in resp.headers
    assert isinstance(resp.body, bytes) and "405" in repr(resp)


def test_hashing_and_secrets(server):
    phc = ropc.hash_password("pw", m_cost=64, t_cost=1, p_cost=1)
    assert phc.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert ropc.hash_password("pw").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "m=64,t=1,p=1" in server.hash_password("pw")
    with pytest.raises(ValueError):
        ropc.hash_password("pw", m_cost=1)
    secret, hashed = ropc.generate_client_secret()
    assert len(secret) == 43 and hashed == ropc.hash_client_secret(secret) and hashed.startswith("sha256:")


def test_account_events(server):
    t = login(server)
    server.set_user_password_hash("alice", ropc.hash_password("new", m_cost=64, t_cost=1, p_cost=1))
    with pytest.raises(ropc.InvalidToken):
        server.check(t.access_token, "GET /invoices/1")
    login(server, password="new")
    server.set_user_enabled("alice", False)
    with pytest.raises(ropc.InvalidGrant):
        login(server, password="new")
    server.set_user_enabled("alice", True)
    assert server.revoke_user_tokens("alice") and not server.revoke_user_tokens("nobody")
    with pytest.raises(ropc.AccountError) as info:
        server.set_user_enabled("nobody", True)
    assert info.value.reason == "unknown_user"
    with pytest.raises(ropc.AccountError) as info:
        server.set_user_password_hash("alice", "not a hash")
    assert info.value.reason == "invalid_hash"
    assert json.loads(server.config_json())["users"][0]["username"] == "alice"
    assert server.purge_expired() == 0
    t = login(server, password="new")
    server.revoke(*APP, t.refresh_token, "refresh_token")  # the lineage: both tokens
    assert server.purge_expired() == 2
    assert server.purge_expired() == 0


def test_guard_inputs(config):
    guard = ropc.ResourceGuard(config)
    active = {"active": True, "token_type": "Bearer", "scope": "read", "username": "alice", "client_id": "app",
              "exp": 4102444800, "groups": ["finance"]}
    assert guard.check_introspection(active, "GET /invoices/1").username == "alice"
    assert guard.check_introspection(json.dumps(active), "GET /invoices/1").username == "alice"
    assert guard.check_introspection(json.dumps(active).encode(), "GET /invoices/1").username == "alice"
    with pytest.raises(TypeError):
        guard.check_introspection(42, "GET /invoices/1")
    with pytest.raises(ValueError):
        guard.check_introspection(b"\xff", "GET /invoices/1")
    assert guard.bearer_token("Bearer abc") == "abc"
    with pytest.raises(ropc.OAuthError):
        guard.bearer_token(None)


def test_guard_builds_the_introspection_request(server, config):
    guard = ropc.ResourceGuard(config)
    t = login(server)
    headers, body = guard.introspection_request(t.access_token, "rs", "rs-secret")
    resp = server.introspection_endpoint("POST", headers, body)
    assert resp.status == 200 and json.loads(resp.body)["active"] is True
    assert guard.check_introspection(resp.body, "GET /invoices/1").username == "alice"


def test_server_is_shared_between_threads(server):
    errors = []

    def sign_in():
        # Four threads, max_failures 3: an extra sign-in in flight is told
        # to retry (503), never refused like a wrong password.
        while True:
            try:
                return login(server)
            except ropc.TemporarilyUnavailable:
                time.sleep(0.001)

    def work():
        try:
            for _ in range(10):
                t = sign_in()
                server.check(t.access_token, "GET /invoices/1")
                server.refresh_grant(*APP, t.refresh_token)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_exceptions_survive_pickle(server):
    import pickle

    with pytest.raises(ropc.InvalidGrant) as info:
        server.password_grant(*APP, "alice", "wrong")
    e = pickle.loads(pickle.dumps(info.value))
    assert type(e) is ropc.InvalidGrant
    assert (e.error, e.description, e.status_code, e.headers, e.body, e.scope) == (
        info.value.error, info.value.description, info.value.status_code, info.value.headers, info.value.body,
        info.value.scope)
    with pytest.raises(ropc.ConfigError) as cfg:
        ropc.Server({"realm": ""})
    c = pickle.loads(pickle.dumps(cfg.value))
    assert (type(c), str(c), c.path, c.message, c.line, c.column, c.file) == (
        ropc.ConfigError, str(cfg.value), cfg.value.path, cfg.value.message, cfg.value.line, cfg.value.column,
        cfg.value.file)


def test_revoking_another_clients_token_answers_like_an_unknown_one_and_revokes_nothing(config):
    server = ropc.Server(config)
    t = login(server)
    assert server.revoke("lite", "lite-secret", t.access_token) is None
    assert server.revoke("lite", "lite-secret", "no-such-token") is None
    assert server.check(t.access_token, "GET /invoices/1").username == "alice"


def test_a_child_forked_after_sign_ins_still_verifies_passwords(config):
    """Pre-forking servers (gunicorn --preload) fork after the parent may
    have started ropc's argon2 threads, which the child does not inherit."""

    server = ropc.Server(config)
    login(server)  # the parent's verification pool is running
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by its exit code
        try:
            code = 0 if login(server).access_token else 1
        except BaseException:
            code = 2
        os._exit(code)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung verifying a password")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0


def test_every_public_name_in_the_stub_has_a_docstring():
    """Editors show the stub's docstrings: none may be missing."""
    import ast
    import pathlib

    stub = pathlib.Path(ropc.__file__).with_name("_ropc.pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    missing = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_"):
            if not ast.get_docstring(node):
                missing.append(node.name)
            if isinstance(node, ast.ClassDef):
                missing += [f"{node.name}.{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)
                            and not f.name.startswith("_") and not ast.get_docstring(f)]
    assert not missing, f"no docstring: {missing}"


def _sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split(" ")[-1])
    return 0.0


def test_metrics_are_prometheus_text_counting_each_outcome(server):
    before = server.metrics()
    assert "# TYPE ropc_requests_total counter" in before
    ok = 'ropc_requests_total{operation="password",outcome="ok"}'
    bad = 'ropc_requests_total{operation="password",outcome="invalid_grant"}'
    tokens = login(server)
    with pytest.raises(ropc.InvalidGrant):
        login(server, password="wrong")
    server.token_endpoint("POST", {"Authorization": "Basic YXBwOmFwcC1zZWNyZXQ=",
                                   "Content-Type": "application/x-www-form-urlencoded"},
                          b"grant_type=password&username=alice&password=alice-pw&scope=read")
    after = server.metrics()
    assert _sample(after, ok) == _sample(before, ok) + 2, "typed and HTTP calls, each once"
    assert _sample(after, bad) == _sample(before, bad) + 1
    assert _sample(after, 'ropc_live_tokens{kind="access"}') >= 2
    assert tokens.access_token not in after and "alice" not in after


METRIC_FAMILIES = ["ropc_requests_total", "ropc_lockouts_total", "ropc_locked_refusals_total", "ropc_refresh_reuse_total", "ropc_refresh_retries_total",
                   "ropc_store_errors_total", "ropc_events_dropped_total", "ropc_live_tokens", "ropc_throttled_accounts",
                   "ropc_store_seconds", "ropc_password_verification_seconds", "ropc_password_queue"]


def test_every_metric_family_is_exposed(server):
    text = server.metrics()
    for family in METRIC_FAMILIES:
        assert f"# TYPE {family} " in text, family


def test_a_server_forked_into_workers_never_mints_its_parents_tokens(server):
    # gunicorn --preload, multiprocessing: a server made (and used) before a
    # fork. The child starts with a copy of the parent's buffered random
    # bytes; drawn from there, both would mint the same next tokens.
    login(server)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one grant, its tokens to the parent, out
        try:
            t = login(server)
            os.write(write, f"{t.access_token} {t.refresh_token} {ropc.generate_client_secret()[0]}".encode())
        finally:
            os._exit(0)
    os.close(write)
    t = login(server)
    mine = {t.access_token, t.refresh_token, ropc.generate_client_secret()[0]}
    with os.fdopen(read, "rb") as f:
        theirs = set(f.read().decode().split())
    os.waitpid(pid, 0)
    assert len(theirs) == 3 and all(len(x) == 43 for x in theirs)
    assert not mine & theirs


def test_reload_file_reads_through_the_core_strictly(config, tmp_path):
    """A file cut inside a UTF-8 character is a ConfigError naming the file,
    for a server and a guard alike, and nothing changes."""
    path = tmp_path / "ropc.json"
    server, guard = ropc.Server(config), ropc.ResourceGuard(config)
    # The client "app" renamed "appé", so the file's text has a two-byte character.
    renamed = [dict(c, id="app\u00e9") if c["id"] == "app" else c for c in config["clients"]]
    whole = json.dumps(dict(config, clients=renamed), ensure_ascii=False).encode()
    path.write_bytes(whole[: whole.index("\u00e9".encode()) + 1])  # cut inside it
    for target in (server, guard):
        with pytest.raises(ropc.ConfigError, match="not UTF-8") as refused:
            target.reload_file(str(path))
        assert refused.value.file == str(path)
    assert server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token
    path.write_bytes(whole)
    server.reload_file(path)
    guard.reload_file(path)
    with pytest.raises(ropc.InvalidClient):
        server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
