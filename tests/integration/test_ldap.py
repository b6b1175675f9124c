"""The Python example whose resource owners live in a real OpenLDAP
directory (tests/services/slapd.sh: alice in staff and finance, bob in
staff, dave disabled). Signs in over HTTP, LDAP groups reach the rules and
introspection, unknown / wrong / disabled / locked / injected names answer
alike, a directory outage is a 500 and never a token, and SIGHUP reloads."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import Client, host_accounts_config, sha
from test_examples import EXAMPLES, start, stop, wait_logged


def ldap_env():
    url = os.environ.get("ROPC_TEST_LDAP_URL")
    assert url, "ROPC_TEST_LDAP_URL is not set: run `make test-integration`, which starts slapd"
    return url


def config(rules):
    doc = host_accounts_config(throttle={"max_failures": 3, "lockout_seconds": 900, "forget_after_seconds": 3600})
    doc["rules"] = rules
    return doc


RULES = [{"resources": ["GET /docs/*"], "groups": ["staff"]}, {"resources": ["GET /ledger/*"], "groups": ["finance"]}]


@pytest.fixture
def ldap_server(tmp_path):
    url = ldap_env()
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config(RULES)))
    proc, base = start(
        [sys.executable, os.path.join(EXAMPLES, "python", "ldap_auth_server.py"), "--config", str(path),
         "--ldap-url", url, "--base-dn", os.environ["ROPC_TEST_LDAP_BASE"],
         "--bind-dn", os.environ["ROPC_TEST_LDAP_BIND_DN"], "--port", "0"],
        env={"LDAP_BIND_PASSWORD": os.environ["ROPC_TEST_LDAP_BIND_PASSWORD"]})
    yield proc, Client(base), path
    if proc.poll() is None:
        stop(proc)


def test_people_sign_in_with_their_directory_password_and_groups_reach_the_rules(ldap_server):
    _, client, _ = ldap_server
    r = client.login("alice")
    assert r.status_code == 200, r.text
    info = client.introspect(r.json()["access_token"])
    assert info["active"] and info["username"] == "alice"
    assert sorted(info["groups"]) == ["finance", "staff"]
    bob = client.login("bob")
    assert bob.status_code == 200
    assert client.introspect(bob.json()["access_token"])["groups"] == ["staff"]


def test_unknown_wrong_disabled_injected_and_locked_answer_alike(ldap_server):
    proc, client, _ = ldap_server
    answers = []
    for user, pw in [("nobody", "x"), ("bob", "wrong"), ("dave", "dave-pw"), ("*", "x"),
                     ("alice,ou=people", "x"), ("*)(uid=*", "x"), ("bob", "wrong"), ("bob", "wrong"),
                     ("bob", "bob-pw")]:  # bob is locked after three failures
        r = client.login(user, pw)
        answers.append((r.status_code, r.text))
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 400 and json.loads(answers[0][1])["error"] == "invalid_grant"
    err = stop(proc)
    for secret in ("dave-pw", "bob-pw", os.environ["ROPC_TEST_LDAP_BIND_PASSWORD"]):
        assert secret not in err


def test_every_spelling_the_directory_accepts_is_one_account(ldap_server):
    # The directory matches uid ignoring case and surrounding spaces: each
    # spelling of bob counts on bob's one counter (3 guesses in all, not 3
    # a spelling), and once locked no spelling gets a token.
    _, client, _ = ldap_server
    for user in ["BOB", "Bob ", " bOb"]:
        r = client.login(user, "wrong")
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    for user in ["bob", "BOB", "Bob", " bob ", "bOb"]:
        r = client.login(user, "bob-pw")
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (user, r.text)
    # Another account signs in under any spelling and gets tokens for its
    # own uid, which introspection (and so every owner rule) sees.
    r = client.login(" ALICE ", "alice-pw")
    assert r.status_code == 200, r.text
    info = client.introspect(r.json()["access_token"])
    assert info["username"] == "alice"


def test_a_directory_outage_is_a_server_error_never_a_token(ldap_server):
    proc, client, _ = ldap_server
    ctl = os.environ["ROPC_TEST_LDAP_CTL"]
    subprocess.run([ctl, "stop"], check=True)
    try:
        r = client.login("alice")
        assert r.status_code == 500, r.text
        assert r.json()["error"] == "server_error"
        assert "access_token" not in r.text
    finally:
        subprocess.run([ctl, "start"], check=True)
    # The example reconnects: the next sign-in works again. (alice's failed
    # attempt counted: a host failure buys no guesses. bob signs in.)
    deadline = time.monotonic() + 20
    while True:
        r = client.login("bob")
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    err = stop(proc)
    assert "the verify callback raised" in err, err  # logged through `logging`
    assert "alice-pw" not in err and "bob-pw" not in err


def test_sighup_reloads_the_clients_and_keeps_the_tokens(ldap_server):
    proc, client, path = ldap_server
    token = client.login("bob").json()["access_token"]
    app2 = ("app2", "app2-secret")
    login2 = {"grant_type": "password", "username": "alice", "password": "alice-pw"}
    assert client.post("/token", login2, client=app2).status_code == 401
    doc = config(RULES)
    doc["clients"].append({"id": "app2", "secret_hash": sha("app2-secret"), "grant_types": ["password"],
                           "scopes": ["read"], "default_scopes": ["read"]})
    path.write_text(json.dumps(doc))
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while client.post("/token", login2, client=app2).status_code != 200:
        assert time.monotonic() < deadline, "the reload did not take"
        time.sleep(0.05)
    assert client.introspect(token)["active"], "tokens survive a reload"
    path.write_text("{ not json")
    proc.send_signal(signal.SIGHUP)
    wait_logged(proc, "reload refused", 1)
    assert client.post("/token", login2, client=app2).status_code == 200, "a bad file changes nothing"
    assert client.introspect(token)["active"]
    err = stop(proc)
    assert "configuration reloaded" in err
    assert "reload refused" in err
