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
