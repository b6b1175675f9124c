"""The shared wire vectors: same status, header list and body bytes as Rust."""
import re

import pytest
import ropc

from conftest import VECTORS
import json

DOC = json.loads(VECTORS.read_text(encoding="utf-8"))
# The template language's kinds, as the vectors define them (no runner hard-codes one).
KINDS = DOC["templates"]["kinds"]
PLACEHOLDER = re.compile(r"\{\{(?:([A-Za-z]+):)?([A-Za-z0-9_]+)\}\}")


def kind_pattern(kind):
    k = KINDS[kind]
    bound = "" if k["max"] is None else str(k["max"])
    return "([" + "".join(re.escape(c) for c in k["chars"]) + "]{" + f"{k['min']},{bound}" + "})"


def substitute(text, env):
    def repl(m):
        if m.group(1):
            return m.group(0)
        return env[m.group(2)]
    return PLACEHOLDER.sub(repl, text)


def matches(template, actual, env):
    """As core/tests/vectors.rs: {{KIND:N}} captures a run of the kind's
    characters (see the vectors' templates), {{N}} must equal a capture; a
    name captured twice must match."""
    pos = 0
    pattern = ""
    names = []
    for m in PLACEHOLDER.finditer(template):
        pattern += re.escape(template[pos:m.start()])
        kind, name = m.group(1), m.group(2)
        if kind:
            pattern += kind_pattern(kind)
        else:
            pattern += "(" + re.escape(env[name]) + ")"
        names.append(name)
        pos = m.end()
    pattern += re.escape(template[pos:])
    found = re.fullmatch(pattern, actual)
    if not found:
        return False
    for name, value in zip(names, found.groups()):
        if env.setdefault(name, value) != value:
            return False
    return True


def check_response(expect, status, headers, body, env):
    assert "principal" not in expect, f"expected a principal, got {status} {body!r}"
    assert status == expect["status"], body
    assert [list(h) for h in headers] == expect["headers"]
    template = substitute(expect["body"], env)
    assert matches(template, body.decode("utf-8"), env), f"{body!r} !~ {template!r}"


def check_principal(expect, p):
    assert "principal" in expect, f"expected an error, got {p!r}"
    assert {"username": p.username, "client_id": p.client_id, "scopes": p.scopes, "groups": p.groups} == expect["principal"]


def run_step(server, guard, step, env):
    req, expect = step["request"], step["expect"]

    def sub(key):
        return substitute(req[key], env) if req.get(key) is not None else None

    endpoint = step["endpoint"]
    if endpoint in ("token", "introspect", "revoke"):
        headers = {k: v for k, v in (("Content-Type", sub("content_type")), ("Authorization", sub("authorization")),
                                     ("DPoP", sub("dpop"))) if v}
        fn = {"token": server.token_endpoint, "introspect": server.introspection_endpoint,
              "revoke": server.revocation_endpoint}[endpoint]
        resp = fn(req["method"], headers, (sub("body") or "").encode())
        check_response(expect, resp.status, resp.headers, resp.body, env)
        return
    try:
        if endpoint == "resource":
            p = server.check_request(sub("authorization"), sub("resource"), sub("scope"))
        elif endpoint == "guard_jwt":
            p = guard.check_jwt_request(sub("authorization"), KEYS, sub("resource"), sub("scope"))
        else:
            assert endpoint == "guard", endpoint
            p = guard.check_introspection(req["introspection"], sub("resource"), sub("scope"))
    except ropc.OAuthError as err:
        check_response(expect, err.status_code, err.headers, err.body, env)
        body = json.loads(err.body) if err.body else {}
        assert err.error == body.get("error"), "the exception's code is the body's"
        assert type(err) is ropc.OAuthError.class_for(err.error)
    else:
        check_principal(expect, p)


KEYS = ropc.KeySet(DOC["jwks"])


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_vector(case):
    config = {**DOC["config"], "store": case["store"]} if "store" in case else DOC["config"]
    if "clock" in case:
        # The test build's clock: the case's proofs are made for this time.
        from ropc import _ropc

        _ropc._set_test_clock(case["clock"])
        try:
            server = ropc.Server(config)
        finally:
            _ropc._set_test_clock(None)
    else:
        server = ropc.Server(config)
    guard = ropc.ResourceGuard(config)
    env = {}
    for i, step in enumerate(case["steps"]):
        try:
            run_step(server, guard, step, env)
        except AssertionError as e:
            raise AssertionError(f"step {i}: {e}") from None


def test_all_vectors_are_read():
    assert len(DOC["cases"]) >= 20
    assert sum(len(c["steps"]) for c in DOC["cases"]) >= 90


def test_matcher_can_fail():
    env = {}
    assert matches('a{{int:n}}b', 'a12b', env) and env["n"] == "12"
    assert not matches('a{{int:n}}b', 'a13b', env)
    assert not matches('x{{token:t}}', 'xshort', env)


@pytest.mark.parametrize("case", DOC["resource_names"], ids=lambda c: f"{c['method']} {c['target']}")
def test_resource_names(case):
    if case["name"] is None:
        with pytest.raises(ropc.InvalidRequest) as info:
            ropc.resource_name(case["method"], case["target"])
        assert info.value.status_code == 400
    else:
        assert ropc.resource_name(case["method"], case["target"]) == case["name"]
