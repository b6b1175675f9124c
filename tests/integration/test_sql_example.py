"""The Node example whose resource owners sit in a SQL table with bcrypt
hashes from another system (async callbacks), on the test PostgreSQL: sign
in over HTTP, groups from the table reach introspection, unknown / wrong /
inactive / injected names answer alike, a failing database is a 500 and
never a token, and SIGHUP reloads without dropping tokens."""
import json
import os
import secrets
import signal
import subprocess
import time

import psycopg
import pytest
from conftest import Client, host_accounts_config, postgres_url, sha
from test_examples import EXAMPLES, ROOT, start, stop

NODE_PKG = os.path.join(ROOT, "bindings", "node")


def bcrypt(password):
    """A bcrypt hash as the other system made it (bcryptjs, cost 4: a test)."""
    return subprocess.run(["node", "-e", "process.stdout.write(require('bcryptjs').hashSync(process.argv[1], 4))", password],
                          cwd=NODE_PKG, check=True, capture_output=True, text=True).stdout


def config(extra_clients=()):
    return host_accounts_config(clients=extra_clients)


@pytest.fixture
def sql_server(tmp_path):
    base = postgres_url()
    name = "ropc_sql_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE legacy_users (username text PRIMARY KEY, password_hash text NOT NULL,"
                  " groups text[] NOT NULL DEFAULT '{}', active boolean NOT NULL DEFAULT true)")
        for user, groups, active in [("alice", ["staff", "finance"], True), ("dave", ["staff"], False)]:
            c.execute("INSERT INTO legacy_users VALUES (%s, %s, %s, %s)", (user, bcrypt(f"{user}-pw"), groups, active))
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config()))
    proc, url_ = start(["node", os.path.join(EXAMPLES, "node", "sql_auth_server.js"), "--config", str(path), "--port", "0"],
                       env={"DATABASE_URL": url})
    yield proc, Client(url_), path, url
    if proc.poll() is None:
        stop(proc)


def test_sign_in_against_the_table_and_groups_reach_introspection(sql_server):
    _, client, _, _ = sql_server
    r = client.login("alice")
    assert r.status_code == 200, r.text
    info = client.introspect(r.json()["access_token"])
    assert info["active"] and sorted(info["groups"]) == ["finance", "staff"]


def test_unknown_wrong_inactive_and_injected_answer_alike(sql_server):
    proc, client, _, _ = sql_server
    answers = set()
    for user, pw in [("nobody", "x"), ("alice", "wrong"), ("dave", "dave-pw"), ("' OR '1'='1", "x"),
                     ("alice' --", "alice-pw")]:
        r = client.login(user, pw)
        answers.add((r.status_code, r.text))
    assert len(answers) == 1 and next(iter(answers))[0] == 400, answers
    err = stop(proc)
    assert "alice-pw" not in err and "dave-pw" not in err


def test_a_failing_database_is_a_server_error_never_a_token(sql_server):
    proc, client, _, url = sql_server
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("ALTER TABLE legacy_users RENAME TO gone")
    r = client.login("alice")
    assert r.status_code == 500 and r.json()["error"] == "server_error", r.text
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("ALTER TABLE gone RENAME TO legacy_users")
    r = client.login("alice")
    assert r.status_code == 200, r.text
    err = stop(proc)
    assert "verify callback failed" in err and "does not exist" in err, err
    assert "alice-pw" not in err


def test_a_stored_hash_whose_cost_would_take_the_host_is_a_server_error(sql_server):
    # $2b$31$: 2^31 rounds, hours a login: refused before it is paid.
    proc, client, _, url = sql_server
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("INSERT INTO legacy_users VALUES ('eve', %s, '{staff}', true)", ("$2b$31$" + "a" * 53,))
    r = client.login("eve")
    assert r.status_code == 500 and r.json()["error"] == "server_error", r.text
    err = stop(proc)
    assert "cost is beyond 16" in err, err


def test_sighup_reloads_without_dropping_tokens(sql_server):
    proc, client, path, _ = sql_server
    token = client.login("alice").json()["access_token"]
    app2 = ("app2", "app2-secret")
    login = {"grant_type": "password", "username": "alice", "password": "alice-pw"}
    assert client.post("/token", login, client=app2).status_code == 401
    path.write_text(json.dumps(config([{"id": "app2", "secret_hash": sha("app2-secret"), "grant_types": ["password"],
                                        "scopes": ["read"], "default_scopes": ["read"]}])))
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while client.post("/token", login, client=app2).status_code != 200:
        assert time.monotonic() < deadline, "the reload did not take"
        time.sleep(0.05)
    assert client.introspect(token)["active"]
    err = stop(proc)
    assert "configuration reloaded" in err
