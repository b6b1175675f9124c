#!/usr/bin/env python3
"""Writes flows.json: the wire-level test vectors every language runs.

The expected responses below are written by hand from the RFCs, not
recorded from the implementation. Run `python3 tests/vectors/generate.py`
after editing, and commit both files.

Format (README "Test vectors" has the full description):
- config: a configuration document; every case starts a fresh server on it.
- cases[].steps[]: {endpoint, request, expect}.
  endpoint "token" | "introspect" | "revoke": request {method, content_type,
  authorization, body}; expect {status, headers: [[name, value], ...], body}.
  endpoint "resource": request {authorization, resource, scope}; expect
  either {status, headers, body} or {principal: {...}}.
  endpoint "guard": request {introspection, resource, scope} checked by a
  ResourceGuard on the same config; expect as for "resource".
  endpoint "guard_jwt": request {authorization, resource, scope}: a JWT
  access token checked offline by that ResourceGuard with the key set
  `jwks` (top level); expect as for "resource".
- jwks: the key set (RFC 7517) of the JWT vectors: RFC 8037 A.1's Ed25519
  key, whose tokens are signed here with `cryptography` (not ropc).
- cases[].store (optional): the case's server uses this `store` setting
  instead of the config's (an "unavailable" store shows a store outage).
- cases[].clock (optional): the case's server runs on a manual clock set
  to this time (seconds since the epoch): DPoP proofs are made for it.
- request.dpop (optional, token endpoint): the request's `DPoP` header.
- templates: the one definition of the template language every runner
  (Rust, C, Python, Node) matches expected bodies with. In an expected body
  {{KIND:NAME}} captures the longest run of templates.kinds[KIND].chars at
  that place, which must be min to max characters long (max null: no
  bound); a NAME captured before must match again. {{NAME}} in a request or
  an expectation stands for a captured value. No runner hard-codes a kind.
"""
import base64
import hashlib
import json
import os

REALM = "ropc-test"
CHEAP = {"m_cost": 64, "t_cost": 1, "p_cost": 1}
HASHES = {
    "alice": "$argon2id$v=19$m=64,t=1,p=1$UWBJbSlPBujunbIF5FhKtg$eWgaEu3DUpw1lKaXQ+sDgNcdonxjq2Z8Sxjx5Q1fvSw",  # alice-pw
    "bob": "$argon2id$v=19$m=64,t=1,p=1$0rvat3SjtbwkQfS8C2OrrQ$8FUPtCMdnaKyZ2XUbvZe5QmRD5+7C4Mw5SNlaUlJlf4",  # bob-pw
    "carol": "$argon2id$v=19$m=64,t=1,p=1$tp7u1CSnlS01+oKCHQcVMw$7s0xmO+Zk470FPGu5IIyLbsG5vr7yfgcygFAQKgVPYQ",  # carol-pw
}


def sha(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def basic(encoded_id, encoded_secret):
    return "Basic " + base64.b64encode(f"{encoded_id}:{encoded_secret}".encode()).decode()


CONFIG = {
    "issuer": "https://auth.example",
    # For the resource servers (guard, guard_jwt): the aud they accept.
    "audience": "https://api.example",
    "realm": REALM,
    "access_token_ttl": 3600,
    "refresh_token_ttl": 86400,
    "password_hashing": CHEAP,
    "allow_weak_password_hashing": True,
    "throttle": {"max_failures": 3, "lockout_seconds": 900, "forget_after_seconds": 86400},
    "scopes": [
        {"name": "read", "resources": ["GET /invoices/*", "GET /users/*"]},
        {"name": "write", "resources": ["POST /invoices/*", "PUT /users/*"]},
        {"name": "admin", "resources": ["* /admin/*"]},
    ],
    "clients": [
        {"id": "app", "secret_hash": sha("app-secret"), "grant_types": ["password", "refresh_token"],
         "scopes": ["read", "write"], "default_scopes": ["read"]},
        {"id": "app2", "secret_hash": sha("app2-secret"), "grant_types": ["password", "refresh_token"],
         "scopes": ["read"]},
        {"id": "lite", "secret_hash": sha("lite-secret"), "grant_types": ["password"], "scopes": ["read"]},
        {"id": "nogrant", "secret_hash": sha("nogrant-secret"), "scopes": ["read"]},
        {"id": "my app", "secret_hash": sha("p:s%&"), "grant_types": ["password"], "scopes": ["read"],
         "default_scopes": ["read"]},
        {"id": "spa", "type": "public", "scopes": ["read"]},
        {"id": "rs", "secret_hash": sha("rs-secret"), "introspect": True},
        {"id": "bound", "secret_hash": sha("bound-secret"), "grant_types": ["password", "refresh_token"],
         "scopes": ["read"], "default_scopes": ["read"], "dpop": "required"},
    ],
    "users": [
        {"username": "alice", "password_hash": HASHES["alice"], "groups": ["finance"]},
        {"username": "bob", "password_hash": HASHES["bob"]},
        {"username": "carol", "password_hash": HASHES["carol"], "enabled": False},
    ],
    "rules": [
        {"resources": ["GET /invoices/*", "POST /invoices/*"], "groups": ["finance"]},
        {"resources": ["* /users/{username}/*"], "users": ["*"]},
    ],
}

APP = basic("app", "app-secret")
LITE = basic("lite", "lite-secret")
RS = basic("rs", "rs-secret")
JSON_HEADERS = [["Content-Type", "application/json;charset=UTF-8"], ["Cache-Control", "no-store"], ["Pragma", "no-cache"]]
BASIC_CHALLENGE = ["WWW-Authenticate", f'Basic realm="{REALM}"']
FORM = "application/x-www-form-urlencoded"


def post(endpoint, body, authorization=None, content_type=FORM, method="POST"):
    return {"endpoint": endpoint, "request": {"method": method, "content_type": content_type,
                                              "authorization": authorization, "body": body}}


def ok(step, body):
    step["expect"] = {"status": 200, "headers": JSON_HEADERS, "body": body}
    return step


def err(step, code, description, status=400):
    headers = JSON_HEADERS + ([BASIC_CHALLENGE] if status == 401 else [])
    if status == 405:
        headers = JSON_HEADERS + [["Allow", "POST"]]
    step["expect"] = {"status": status, "headers": headers,
                      "body": json.dumps({"error": code, "error_description": description}, separators=(",", ":"))}
    return step


def tokens(at="at", rt="rt", scope="read write", refresh=True):
    body = '{"access_token":"{{token:%s}}","token_type":"Bearer","expires_in":3600,' % at
    if refresh:
        body += '"refresh_token":"{{token:%s}}",' % rt
    return body + '"scope":"%s"}' % scope


def password(user="alice", pw=None, scope="read write", auth=APP, extra=""):
    body = f"grant_type=password&username={user}&password={pw or user + '-pw'}"
    if scope:
        body += "&scope=" + scope.replace(" ", "+")
    return post("token", body + extra, auth)


def login(**kw):
    refresh = kw.pop("refresh", True)
    at, rt = kw.pop("at", "at"), kw.pop("rt", "rt")
    return ok(password(**kw), tokens(at, rt, kw.get("scope", "read write") or "read", refresh))


def resource(auth, res, scope=None):
    return {"endpoint": "resource", "request": {"authorization": auth, "resource": res, "scope": scope}}


def allowed(step, username="alice", client="app", scopes=("read", "write"), groups=("finance",)):
    step["expect"] = {"principal": {"username": username, "client_id": client, "scopes": list(scopes),
                                    "groups": list(groups)}}
    return step


def bearer_err(step, code, description, status, scope=None):
    challenge = f'Bearer realm="{REALM}", error="{code}", error_description="{description}"'
    body = {"error": code, "error_description": description}
    if scope:
        challenge += f', scope="{scope}"'
        body["scope"] = scope
    # access_denied is no RFC 6750 code and no matter of credentials (the
    # token is good; the owner may not): 403 without a challenge.
    headers = JSON_HEADERS if code == "access_denied" else JSON_HEADERS + [["WWW-Authenticate", challenge]]
    step["expect"] = {"status": status, "headers": headers, "body": json.dumps(body, separators=(",", ":"))}
    return step


BAD_CREDS = "the username or password is wrong"
BAD_RT = "the refresh token is invalid, expired or revoked"
BAD_AT = "the access token is invalid, expired or revoked"
ACTIVE_AT = ('{"active":true,"scope":"read write","client_id":"app","username":"alice","token_type":"Bearer",'
             '"exp":{{int:exp}},"iat":{{int:iat}},"sub":"alice","iss":"https://auth.example","groups":["finance"],'
             '"auth_time":{{int:auth}}}')
INACTIVE = '{"active":false}'
REVOKED = {"status": 200, "headers": JSON_HEADERS, "body": "{}"}


def revoke(token, auth=APP, hint=None):
    step = post("revoke", f"token={token}" + (f"&token_type_hint={hint}" if hint else ""), auth)
    step["expect"] = REVOKED
    return step


CASES = [
    ("the whole flow: password grant, introspection, resource check, refresh", [
        login(),
        ok(post("introspect", "token={{at}}", RS), ACTIVE_AT),
        allowed(resource("Bearer {{at}}", "GET /invoices/42", "read")),
        ok(post("token", "grant_type=refresh_token&refresh_token={{rt}}", APP), tokens("at2", "rt2")),
        allowed(resource("Bearer {{at2}}", "POST /invoices/42", "write")),
        # The sign-in time (auth_time) is the grant's, kept across rotations.
        ok(post("introspect", "token={{at2}}", RS),
           ACTIVE_AT.replace("{{int:exp}}", "{{int:exp2}}").replace("{{int:iat}}", "{{int:iat2}}")),
    ]),
    ("client_secret_post authenticates too", [
        login(auth=None, extra="&client_id=app&client_secret=app-secret"),
    ]),
    ("HTTP Basic credentials are form-urlencoded before base64 (RFC 6749 2.3.1)", [
        login(auth=basic("my+app", "p%3As%25%26"), scope="read", refresh=False),
    ]),
    ("two client authentication methods in one request are refused", [
        err(password(extra="&client_secret=app-secret"), "invalid_request",
            "the client authenticated with both HTTP Basic and client_secret in the body"),
    ]),
    ("a wrong client secret, an unknown client and no authentication all get 401", [
        err(password(auth=basic("app", "wrong")), "invalid_client", "client authentication failed", 401),
        err(password(auth=basic("nobody", "app-secret")), "invalid_client", "client authentication failed", 401),
        err(password(auth=None), "invalid_client", "client authentication is required", 401),
        err(password(auth="Bearer abc"), "invalid_client", "client authentication must use the HTTP Basic scheme", 401),
        err(password(auth="Basic !!!"), "invalid_client", "malformed HTTP Basic credentials", 401),
    ]),
    ("public clients can never use the password grant", [
        err(password(auth=None, extra="&client_id=spa"), "unauthorized_client",
            "public clients can never use this endpoint"),
    ]),
    ("a client not allowed the grant never causes a password check", [
        err(password(auth=basic("nogrant", "nogrant-secret"), pw="wrong", scope="read"), "unauthorized_client",
            "this client is not allowed the password grant"),
        err(post("token", "grant_type=refresh_token&refresh_token=x", LITE), "unauthorized_client",
            "this client is not allowed the refresh_token grant"),
    ]),
    ("grant types: missing, unsupported", [
        err(post("token", "username=alice&password=alice-pw", APP), "invalid_request", "the parameter grant_type is missing"),
        err(post("token", "grant_type=client_credentials", APP), "unsupported_grant_type",
            "ropc supports the password and refresh_token grants"),
    ]),
    ("malformed requests", [
        err(password(extra="&username=bob"), "invalid_request", "the parameter username appears more than once"),
        err(password(extra="&color=red&color=blue"), "invalid_request", "a parameter appears more than once"),
        err(post("token", "grant_type=refresh_token&refresh_token=x&scope=&scope=read", APP), "invalid_request",
            "the parameter scope appears more than once"),
        err(post("token", "grant_type=password&username=alice", APP), "invalid_request", "username and password are required"),
        err(password(user="u" * 257), "invalid_request", "the username is longer than 256 bytes"),
        err(post("token", "grant_type=password&username=alice&password=", APP), "invalid_request", "username and password are required"),
        err(post("token", "grant_type=password&username=%FF&password=x", APP), "invalid_request", "parameters must be UTF-8"),
        err(post("token", "grant_type=password", APP, content_type="application/json"), "invalid_request",
            "the body must be application/x-www-form-urlencoded"),
        err(post("token", "", APP, method="GET"), "invalid_request", "this endpoint accepts only POST", 405),
    ]),
    ("unknown parameters are ignored and the content type may carry a charset", [
        ok(post("token", "grant_type=password&username=alice&password=alice-pw&foo=bar&baz=qux", APP,
                content_type="application/x-www-form-urlencoded; charset=UTF-8"), tokens(scope="read")),
    ]),
    ("a wrong password and an unknown user get the same answer", [
        err(password(pw="wrong"), "invalid_grant", BAD_CREDS),
        err(password(user="mallory"), "invalid_grant", BAD_CREDS),
        err(password(user="carol"), "invalid_grant", BAD_CREDS),
    ]),
    ("scope: default, not allowed, malformed, no default", [
        login(scope=None),
        err(password(scope="read admin"), "invalid_scope", "the scope 'admin' is not allowed for this client"),
        err(password(scope="read  write"), "invalid_scope", "scope must be scope tokens separated by single spaces"),
        err(password(auth=LITE, scope=None), "invalid_scope", "no scope was requested and the client has no default scope"),
        login(auth=LITE, scope="read", refresh=False, at="at2"),
    ]),
    ("refresh: narrowing is allowed, widening is not, the token is bound to its client", [
        login(),
        err(post("token", "grant_type=refresh_token&refresh_token={{rt}}&scope=admin", APP), "invalid_scope",
            "the scope 'admin' was not granted originally"),
        err(post("token", "grant_type=refresh_token&refresh_token={{rt}}", basic("app2", "app2-secret")),
            "invalid_grant", BAD_RT),
        ok(post("token", "grant_type=refresh_token&refresh_token={{rt}}&scope=read", APP), tokens("at2", "rt2", "read")),
        allowed(resource("Bearer {{at2}}", "GET /invoices/1"), scopes=("read",)),
        bearer_err(resource("Bearer {{at2}}", "POST /invoices/1"), "insufficient_scope",
                   "the resource is outside the access token's scope", 403, "write"),
        ok(post("token", "grant_type=refresh_token&refresh_token={{rt2}}", APP), tokens("at3", "rt3")),
    ]),
    ("reusing a rotated refresh token revokes the whole lineage", [
        login(),
        ok(post("token", "grant_type=refresh_token&refresh_token={{rt}}", APP), tokens("at2", "rt2")),
        err(post("token", "grant_type=refresh_token&refresh_token={{rt}}", APP), "invalid_grant", BAD_RT),
        bearer_err(resource("Bearer {{at2}}", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
        bearer_err(resource("Bearer {{at}}", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
        err(post("token", "grant_type=refresh_token&refresh_token={{rt2}}", APP), "invalid_grant", BAD_RT),
        err(post("token", "grant_type=refresh_token&refresh_token=not-a-token", APP), "invalid_grant", BAD_RT),
    ]),
    ("introspection: caller authenticated, inactive is only active=false", [
        login(),
        err(post("introspect", "token={{at}}", None), "invalid_client", "client authentication is required", 401),
        ok(post("introspect", "token=unknown", RS), INACTIVE),
        ok(post("introspect", "token={{at}}", LITE), INACTIVE),
        ok(post("introspect", "token={{at}}&token_type_hint=refresh_token", APP), ACTIVE_AT),
        ok(post("introspect", "token={{rt}}&token_type_hint=refresh_token", RS), ACTIVE_AT.replace('"Bearer"', '"refresh_token"')
           .replace("{{int:exp}}", "{{int:rexp}}")),
        err(post("introspect", "token_type_hint=access_token", RS), "invalid_request", "the parameter token is missing"),
    ]),
    ("revocation: access token, refresh token with its access tokens, unknown, foreign", [
        login(),
        login(at="at2", rt="rt2"),
        revoke("{{at}}"),
        bearer_err(resource("Bearer {{at}}", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
        ok(post("introspect", "token={{at}}", RS), INACTIVE),
        revoke("{{rt2}}", hint="refresh_token"),
        bearer_err(resource("Bearer {{at2}}", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
        err(post("token", "grant_type=refresh_token&refresh_token={{rt2}}", APP), "invalid_grant", BAD_RT),
        revoke("no-such-token"),
        # Another client's token: the answer of an unknown token (not an
        # oracle of liveness), and nothing is revoked: the owner rotates it next.
        revoke("{{rt}}", auth=LITE),
        ok(post("token", "grant_type=refresh_token&refresh_token={{rt}}", APP), tokens("at3", "rt3")),
    ]),
    ("resource checks: RFC 6750 challenges", [
        login(),
        {"endpoint": "resource", "request": {"authorization": None, "resource": "GET /invoices/1", "scope": None},
         "expect": {"status": 401, "headers": [["WWW-Authenticate", f'Bearer realm="{REALM}"']], "body": ""}},
        {"endpoint": "resource", "request": {"authorization": "Basic abc", "resource": "GET /invoices/1", "scope": None},
         "expect": {"status": 401, "headers": [["WWW-Authenticate", f'Bearer realm="{REALM}"']], "body": ""}},
        bearer_err(resource("Bearer a b", "GET /invoices/1"), "invalid_request", "the Bearer credentials are malformed", 400),
        bearer_err(resource("Bearer {{rt}}", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
        bearer_err(resource("Bearer {{at}}", "GET /admin/x"), "insufficient_scope",
                   "the resource is outside the access token's scope", 403, "admin"),
        bearer_err(resource("Bearer {{at}}", "GET /invoices/1", "admin"), "insufficient_scope",
                   "the access token lacks the required scope", 403, "admin"),
        bearer_err(resource("Bearer {{at}}", "GET /invoices/../admin/x"), "invalid_request",
                   "the resource name has a '.' or '..' path segment; normalize the path first", 400),
        allowed(resource("Bearer {{at}}", "GET /users/alice/profile")),
        bearer_err(resource("Bearer {{at}}", "GET /users/bob/profile"), "access_denied",
                   "the resource owner may not access this resource", 403),
        login(user="bob", at="bat", rt="brt"),
        bearer_err(resource("Bearer {{bat}}", "GET /invoices/1"), "access_denied",
                   "the resource owner may not access this resource", 403),
        allowed(resource("Bearer {{bat}}", "GET /users/bob/profile"), username="bob", groups=()),
    ]),
    ("throttling: after max_failures failures the account is locked, known or not, and says so like a wrong password", [
        err(password(pw="wrong1"), "invalid_grant", BAD_CREDS),
        err(password(pw="wrong2"), "invalid_grant", BAD_CREDS),
        err(password(pw="wrong3"), "invalid_grant", BAD_CREDS),
        err(password(), "invalid_grant", BAD_CREDS),  # locked: the right password, the same answer
        err(password(user="ghost", pw="1"), "invalid_grant", BAD_CREDS),
        err(password(user="ghost", pw="2"), "invalid_grant", BAD_CREDS),
        err(password(user="ghost", pw="3"), "invalid_grant", BAD_CREDS),
        err(password(user="ghost", pw="4"), "invalid_grant", BAD_CREDS),
        login(user="bob"),
    ]),
    ("a success resets the failure count", [
        err(password(pw="wrong1"), "invalid_grant", BAD_CREDS),
        err(password(pw="wrong2"), "invalid_grant", BAD_CREDS),
        login(),
        err(password(pw="wrong3"), "invalid_grant", BAD_CREDS),
        err(password(pw="wrong4"), "invalid_grant", BAD_CREDS),
        login(at="at2", rt="rt2"),
    ]),
    ("a remote resource server decides from the introspection response", [
        {"endpoint": "guard", "request": {"introspection": ACTIVE_AT.replace("{{int:exp}}", "4102444800").replace("{{int:iat}}", "1700000000").replace("{{int:auth}}", "1700000000"),
                                          "resource": "GET /invoices/9", "scope": "read"},
         "expect": {"principal": {"username": "alice", "client_id": "app", "scopes": ["read", "write"], "groups": ["finance"]}}},
        bearer_err({"endpoint": "guard", "request": {"introspection": INACTIVE, "resource": "GET /invoices/9", "scope": None}},
                   "invalid_token", BAD_AT, 401),
        bearer_err({"endpoint": "guard", "request": {"introspection": ACTIVE_AT.replace("{{int:exp}}", "1000").replace("{{int:iat}}", "900").replace("{{int:auth}}", "900"),
                                                     "resource": "GET /invoices/9", "scope": None}},
                   "invalid_token", BAD_AT, 401),
        bearer_err({"endpoint": "guard", "request": {"introspection": ACTIVE_AT.replace("{{int:exp}}", "4102444800").replace("{{int:iat}}", "1").replace("{{int:auth}}", "1").replace('"Bearer"', '"refresh_token"'),
                                                     "resource": "GET /invoices/9", "scope": None}},
                   "invalid_token", BAD_AT, 401),
        bearer_err({"endpoint": "guard", "request": {"introspection": ACTIVE_AT.replace("{{int:exp}}", "4102444800").replace("{{int:iat}}", "1").replace("{{int:auth}}", "1").replace('"groups":["finance"]', '"groups":[]'),
                                                     "resource": "GET /invoices/9", "scope": None}},
                   "access_denied", "the resource owner may not access this resource", 403),
        bearer_err({"endpoint": "guard", "request": {"introspection": "not json", "resource": "GET /invoices/9", "scope": None}},
                   "invalid_token", BAD_AT, 401),
    ]),
    # A NUL would change a name for C (the C ABI drops it: "admin\0" arrives
    # as "admin"); no name with a control character is believed, wherever it is.
    ("an introspection response naming anything with a control character is not believed", [
        bearer_err({"endpoint": "guard", "request": {"introspection": ACTIVE_AT.replace("{{int:exp}}", "4102444800").replace("{{int:iat}}", "1").replace("{{int:auth}}", "1").replace(*swap),
                                                     "resource": "GET /invoices/9", "scope": None}},
                   "invalid_token", BAD_AT, 401)
        for swap in (('"username":"alice"', '"username":"alice\\u0000admin"'),
                     ('"client_id":"app"', '"client_id":"app\\u0001"'),
                     ('"scope":"read write"', '"scope":"read\\twrite"'),
                     ('"groups":["finance"]', '"groups":["finance","x\\u007f"]'))
    ]),
    # A binding joins a header that came twice with ", " (RFC 9110 §5.3):
    # two Authorization headers could be read differently by two layers.
    ("two Authorization headers are refused, whichever comes first", [
        login(),
        err(password(auth=APP + ", " + basic("lite", "lite-secret")), "invalid_request",
            "the Authorization header appears more than once"),
        err(post("introspect", "token={{at}}", RS + ", " + APP), "invalid_request",
            "the Authorization header appears more than once"),
        bearer_err(resource("Bearer {{at}}, Bearer {{at}}", "GET /invoices/1"), "invalid_request",
                   "the Authorization header appears more than once", 400),
        bearer_err(resource("Basic abc, Bearer {{at}}", "GET /invoices/1"), "invalid_request",
                   "the Authorization header appears more than once", 400),
        allowed(resource("Bearer {{at}}", "GET /invoices/42", "read")),
    ]),
]

UNAVAILABLE = "the token store is unavailable; retry shortly"
SOME_TOKEN = "A" * 43


def outage(step):
    """503 temporarily_unavailable with Retry-After (RFC 9110 15.6.4): never a
    verdict on the credentials or the token, which the client keeps."""
    step["expect"] = {"status": 503, "headers": JSON_HEADERS + [["Retry-After", "2"]],
                      "body": json.dumps({"error": "temporarily_unavailable", "error_description": UNAVAILABLE},
                                         separators=(",", ":"))}
    return step


# Cases whose server runs on another store: (name, store, steps).
STORE_CASES = [
    ("a store outage answers 503 temporarily_unavailable, never a token or invalid_token", {"type": "unavailable"}, [
        outage(password()),
        outage(post("token", f"grant_type=refresh_token&refresh_token={SOME_TOKEN}", APP)),
        outage(post("introspect", f"token={SOME_TOKEN}", RS)),
        outage(post("revoke", f"token={SOME_TOKEN}", APP)),
        outage(resource(f"Bearer {SOME_TOKEN}", "GET /invoices/1")),
        # What needs no store is answered as always.
        err(password(auth=basic("app", "wrong")), "invalid_client", "client authentication failed", 401),
        err(password(scope="admin"), "invalid_scope", "the scope 'admin' is not allowed for this client"),
        ok(post("introspect", "token=short", RS), INACTIVE),
        bearer_err(resource("Bearer short", "GET /invoices/1"), "invalid_token", BAD_AT, 401),
    ]),
]

# JWT access tokens (RFC 9068) checked offline: RFC 8037 A.1's key signs
# them here with `cryptography` (Ed25519 signatures are deterministic).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
JWKS = json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": "rfc8037",
                             "alg": "EdDSA", "use": "sig"}]}, separators=(",", ":"))


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims=None, header=None, drop=(), raw_header=None, raw_payload=None, sign=True):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    h = {"alg": "EdDSA", "kid": "rfc8037", "typ": "at+jwt", **(header or {})}
    c = {"iss": "https://auth.example", "sub": "alice", "aud": "https://api.example", "client_id": "app",
         "iat": 1700000000, "exp": 4102444800, "jti": "vector", "scope": "read write", "groups": ["finance"],
         **(claims or {})}
    for name in drop:
        c.pop(name)
    head = raw_header or json.dumps(h, separators=(",", ":"))
    body = raw_payload or json.dumps(c, separators=(",", ":"))
    signing_input = f"{b64u(head.encode())}.{b64u(body.encode())}"
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC8037_D + "="))
    signature = key.sign(signing_input.encode()) if sign else b"\0" * 64
    return f"Bearer {signing_input}.{b64u(signature)}"


def guard_jwt(token, res="GET /invoices/9", scope=None):
    return {"endpoint": "guard_jwt", "request": {"authorization": token, "resource": res, "scope": scope}}


def jwt_refused(token, res="GET /invoices/9"):
    return bearer_err(guard_jwt(token, res), "invalid_token", BAD_AT, 401)


JWT_CASES = [
    ("RFC 8707: a resource the client may not ask for is invalid_target", [
        err(password(extra="&resource=https%3A%2F%2Fapi.example"), "invalid_target",
            "a requested resource is not one this client may ask for"),
        err(password(extra="&resource=%2Finvoices"), "invalid_target",
            "a resource must be an absolute URI without a fragment (RFC 8707)"),
        login(),
    ]),
    ("a JWT access token is checked offline with the key set", [
        {**guard_jwt(jwt(), scope="read"),
         "expect": {"principal": {"username": "alice", "client_id": "app", "scopes": ["read", "write"],
                                  "groups": ["finance"]}}},
        bearer_err(guard_jwt(jwt(claims={"scope": "read"}), "POST /invoices/9"),
                   "insufficient_scope", "the resource is outside the access token's scope", 403, "write"),
        bearer_err(guard_jwt(jwt(), "GET /invoices/9", "admin"),
                   "insufficient_scope", "the access token lacks the required scope", 403, "admin"),
        bearer_err(guard_jwt(jwt(claims={"groups": []})), "access_denied",
                   "the resource owner may not access this resource", 403),
        # A list of audiences names ours among others.
        {**guard_jwt(jwt(claims={"aud": ["https://other.example", "https://api.example"]})),
         "expect": {"principal": {"username": "alice", "client_id": "app", "scopes": ["read", "write"],
                                  "groups": ["finance"]}}},
    ]),
    ("a JWT access token is refused for every reason RFC 8725 and RFC 9068 give", [
        jwt_refused(jwt(claims={"exp": 1000, "iat": 900})),  # expired
        jwt_refused(jwt(claims={"nbf": 4102444000})),  # not yet valid
        jwt_refused(jwt(claims={"aud": "https://other.example"})),
        jwt_refused(jwt(claims={"iss": "https://evil.example"})),
        jwt_refused(jwt(drop=("sub",))),
        jwt_refused(jwt(header={"typ": "JWT"})),
        jwt_refused(jwt(header={"alg": "none"}, sign=False)),
        jwt_refused(jwt(header={"alg": "HS256"})),
        jwt_refused(jwt(header={"kid": "unknown"})),
        jwt_refused(jwt(header={"crit": ["exp"]})),
        jwt_refused(jwt(sign=False)),  # a signature that is not the key's
        jwt_refused(jwt(raw_payload='{"sub":"alice","sub":"admin","iss":"https://auth.example"}')),
        jwt_refused(jwt(raw_header='{"alg":"EdDSA","kid":"rfc8037","typ":"at+jwt","typ":"JWT"}')),
        jwt_refused(jwt(claims={"sub": "alice\u0000admin"})),
        # Bound to a DPoP key (RFC 9449 §7.2): no bearer token.
        bearer_err(guard_jwt(jwt(claims={"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})),
                   "invalid_token", "the access token is bound to a key: present it with a proof (Authorization: DPoP)",
                   401),
        jwt_refused("Bearer a.b.c"),
    ]),
]

# DPoP (RFC 9449): proofs by RFC 8037's key for the token endpoint (the
# issuer's /token) at the case's clock, signed here with `cryptography`.
DPOP_CLOCK = 1_700_000_000
BOUND = basic("bound", "bound-secret")
RFC8037_JKT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"  # RFC 8037 A.3


def dpop_proof(jti, htu="https://auth.example/token", htm="POST", iat=DPOP_CLOCK):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    header = {"typ": "dpop+jwt", "alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}}
    claims = {"jti": jti, "htm": htm, "htu": htu, "iat": iat}
    signing_input = (f"{b64u(json.dumps(header, separators=(',', ':')).encode())}."
                     f"{b64u(json.dumps(claims, separators=(',', ':')).encode())}")
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC8037_D + "="))
    return f"{signing_input}.{b64u(key.sign(signing_input.encode()))}"


def with_dpop(step, proof):
    step["request"]["dpop"] = proof
    return step


BAD_PROOF = "invalid_dpop_proof"
DPOP_CASES = [
    ("DPoP: a proof binds the token to its key, once; a bound token is no bearer token", [
        err(password(scope="read", auth=BOUND), BAD_PROOF, "this client must send a DPoP proof"),
        err(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j0", htu="https://auth.example/other")),
            BAD_PROOF, "the proof is for another URI"),
        err(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j0", htm="GET")),
            BAD_PROOF, "the proof is for another method"),
        err(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j0", iat=DPOP_CLOCK - 61)),
            BAD_PROOF, "the proof was not made now (iat)"),
        err(with_dpop(password(scope="read", auth=BOUND), "not.a.proof"), BAD_PROOF,
            "a part of the token is not base64url"),
        err(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j1") + ", " + dpop_proof("j1")), BAD_PROOF,
            "the request carries more than one DPoP header"),
        ok(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j1")),
           tokens(scope="read").replace('"token_type":"Bearer"', '"token_type":"DPoP"')),
        err(with_dpop(password(scope="read", auth=BOUND), dpop_proof("j1")), BAD_PROOF, "the proof was used before"),
        ok(post("introspect", "token={{at}}", RS),
           '{"active":true,"scope":"read","client_id":"bound","username":"alice","token_type":"DPoP",'
           '"exp":{{int:exp}},"iat":{{int:iat}},"sub":"alice","iss":"https://auth.example","groups":["finance"],'
           '"auth_time":{{int:auth}},"cnf":{"jkt":"%s"}}' % RFC8037_JKT),
        bearer_err(resource("Bearer {{at}}", "GET /invoices/1"), "invalid_token",
                   "the access token is bound to a key: present it with a proof (Authorization: DPoP)", 401),
        ok(with_dpop(post("token", "grant_type=refresh_token&refresh_token={{rt}}", BOUND), dpop_proof("j2")),
           tokens("at2", "rt2", "read").replace('"token_type":"Bearer"', '"token_type":"DPoP"')),
    ]),
]

# The resource-name rule (core/src/target.rs): (method, raw request target,
# the resource name, or None where the target is refused with invalid_request).
RESOURCE_NAMES = [
    ("GET", "/", "GET /"),
    ("GET", "/invoices/42", "GET /invoices/42"),
    ("GET", "/invoices/42?page=2&next=/../admin", "GET /invoices/42"),
    ("POST", "/docs/a%20b", "POST /docs/a b"),
    ("GET", "/docs/%C3%A9t%C3%A9", "GET /docs/\u00e9t\u00e9"),
    ("GET", "/docs/", "GET /docs/"),
    ("GET", "/docs/..x", "GET /docs/..x"),
    ("get", "/docs", "get /docs"),
    ("GET", "/users/carol/%2e%2e/bob/x", None),
    ("GET", "/invoices/..%2fadmin", None),
    ("GET", "/invoices/%2F", None),
    ("GET", "/a/%5c..", None),
    ("GET", "/a/../b", None),
    ("GET", "/a/./b", None),
    ("GET", "/a/%2E", None),
    ("GET", "//evil/invoices/1", None),
    ("GET", "/a//b", None),
    ("GET", "invoices/1", None),
    ("GET", "http://host/invoices/1", None),
    ("OPTIONS", "*", None),
    ("GET", "/a%zz", None),
    ("GET", "/a%4", None),
    ("GET", "/a%ff", None),
    ("GET", "/a%00b", None),
    ("GET", "/a%0d%0aX-Injected:%201", None),
    ("GET", "/a#frag", None),
    ("G T", "/", None),
]

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # base64url
TEMPLATES = {
    "syntax": "{{KIND:NAME}} captures the longest run of kinds[KIND].chars, min to max long (max null: "
              "unbounded); a NAME captured twice must match; {{NAME}} stands for a captured value",
    "kinds": {
        "token": {"chars": TOKEN_CHARS, "min": 43, "max": 43},
        "int": {"chars": "0123456789", "min": 1, "max": None},
    },
}

doc = {
    "description": "ropc wire-level vectors: same request, same status, headers and body in every language.",
    "templates": TEMPLATES,
    "config": CONFIG,
    "jwks": JWKS,
    "resource_names": [{"method": m, "target": t, "name": n} for m, t, n in RESOURCE_NAMES],
    "cases": [{"name": name, "steps": steps} for name, steps in CASES + JWT_CASES]
    + [{"name": name, "store": store, "steps": steps} for name, store, steps in STORE_CASES]
    + [{"name": name, "clock": DPOP_CLOCK, "steps": steps} for name, steps in DPOP_CASES],
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flows.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {out}: {len(doc['cases'])} cases, {sum(len(c['steps']) for c in doc['cases'])} steps")
