"""Every example server reloads its configuration file on SIGHUP without
dropping a token: the C, Python and Node authorization servers (a client
added by the new file can sign in, an old token stays active) and the
Python and Node resource servers (new rules apply). A file that does not
load leaves the running configuration be. And the resource servers name
resources by ropc's one rule: a target a backend could read two ways is 400."""
import json
import os
import signal
import sys
import time

import pytest
import requests
from conftest import Client, config, resource_config, sha
from test_examples import EXAMPLES, start, stop, wait_logged


def wait_for(predicate, what):
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def with_app2(doc):
    doc = json.loads(json.dumps(doc))
    doc["clients"].append({"id": "app2", "secret_hash": sha("app2-secret"), "grant_types": ["password"],
                           "scopes": ["read"], "default_scopes": ["read"]})
    return doc


AUTH_SERVERS = {
    "c": lambda: [os.environ["ROPC_AUTH_SERVER"]],
    "python": lambda: [sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
    "node": lambda: ["node", os.path.join(EXAMPLES, "node", "auth_server.js")],
}


@pytest.mark.parametrize("language", sorted(AUTH_SERVERS))
def test_an_authorization_server_reloads_on_sighup(language, tmp_path):
    path = tmp_path / "ropc.json"
    doc = config({"type": "memory"})
    path.write_text(json.dumps(doc))
    proc, url = start([*AUTH_SERVERS[language](), "--config", str(path), "--port", "0"])
    client = Client(url)
    try:
        token = client.login().json()["access_token"]
        login = {"grant_type": "password", "username": "bob", "password": "bob-pw"}
        assert client.post("/token", login, client=("app2", "app2-secret")).status_code == 401
        path.write_text(json.dumps(with_app2(doc)))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: client.post("/token", login, client=("app2", "app2-secret")).status_code == 200,
                 "the reload did not take")
        assert client.active(token), "tokens survive a reload"
        path.write_text("{ not json")
        proc.send_signal(signal.SIGHUP)
        wait_logged(proc, "reload refused", 1)
        assert client.post("/token", login, client=("app2", "app2-secret")).status_code == 200
        assert client.active(token)
        # A file cut inside a UTF-8 character (an editor mid-write): refused
        # like any bad file; the server lives on with what it had.
        whole = json.dumps(with_app2(doc), ensure_ascii=False).replace('"app2"', '"app2-\u00e9"').encode()
        cut = whole[: whole.index("\u00e9".encode()) + 1]
        path.write_bytes(cut)
        proc.send_signal(signal.SIGHUP)
        wait_logged(proc, "reload refused", 2)
        assert proc.poll() is None, "the server survived the reload"
        assert client.post("/token", login, client=("app2", "app2-secret")).status_code == 200
        assert client.active(token)
    finally:
        err = stop(proc)
    assert "configuration reloaded" in err and "reload refused" in err, err


RESOURCE_SERVERS = {
    "python": lambda: [sys.executable, os.path.join(EXAMPLES, "python", "resource_server.py")],
    "node": lambda: ["node", os.path.join(EXAMPLES, "node", "resource_server.js")],
}


@pytest.mark.parametrize("language", sorted(RESOURCE_SERVERS))
def test_a_resource_server_reloads_its_rules_on_sighup(language, tmp_path):
    auth_path = tmp_path / "auth.json"
    doc = config({"type": "memory"})
    auth_path.write_text(json.dumps(doc))
    auth, auth_url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(auth_path), "--port", "0"])
    rs_path = tmp_path / "rs.json"
    rs_path.write_text(json.dumps(resource_config(doc)))
    rs, rs_url = start([*RESOURCE_SERVERS[language](), "--config", str(rs_path), "--port", "0",
                        "--introspect", auth_url + "/introspect", "--client-id", "rs"],
                       env={"ROPC_CLIENT_SECRET": "rs-secret"})
    try:
        token = Client(auth_url).login().json()["access_token"]
        get = lambda: requests.get(rs_url + "/docs/1", headers={"Authorization": f"Bearer {token}"}, timeout=10)  # noqa: E731
        assert get().status_code == 200
        stricter = resource_config(doc)
        stricter["rules"] = [{"resources": ["* /docs/*"], "users": ["bob"]}]
        rs_path.write_text(json.dumps(stricter))
        rs.send_signal(signal.SIGHUP)
        wait_for(lambda: get().status_code == 403, "the new rules did not apply")
        rs_path.write_text("{ not json")
        rs.send_signal(signal.SIGHUP)
        wait_logged(rs, "reload refused", 1)
        assert get().status_code == 403, "a bad file changes nothing"
    finally:
        err = stop(rs)
        stop(auth)
    assert "configuration reloaded" in err and "reload refused" in err, err


@pytest.mark.parametrize("language", sorted(RESOURCE_SERVERS))
def test_a_resource_server_refuses_targets_a_backend_could_read_two_ways(language, tmp_path):
    from test_examples import raw

    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config({"type": "memory"})))
    rs_path = tmp_path / "rs.json"
    rs_path.write_text(json.dumps(resource_config(config({"type": "memory"}))))
    auth, auth_url = start([os.environ["ROPC_AUTH_SERVER"], "--config", str(path), "--port", "0"])
    rs, rs_url = start([*RESOURCE_SERVERS[language](), "--config", str(rs_path), "--port", "0",
                        "--introspect", auth_url + "/introspect", "--client-id", "rs"],
                       env={"ROPC_CLIENT_SECRET": "rs-secret"})
    try:
        token = Client(auth_url).login().json()["access_token"]
        # The raw target, in every language: http.server's own "//" -> "/"
        # is not what ropc decides on, so "//docs/1" is refused as in Node.
        for target, status in [("/docs/1", b"200"), ("/docs/%2e%2e/admin", b"400"), ("/docs/..%2fadmin", b"400"),
                               ("//docs/1", b"400"), ("/docs/a//b", b"400"), ("/docs/a%00", b"400")]:
            reply = raw(rs_url, f"GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                                "Connection: close\r\n\r\n".encode())
            assert reply.split(b" ", 2)[1] == status, (target, reply[:200])
    finally:
        stop(rs)
        stop(auth)
