"""Two authorization server processes on one store (SQLite, PostgreSQL):
tokens, rotation races, reuse detection, lockouts and ended users are one
state for both; a crash loses nothing that was answered; an outage is a 503."""
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

import psycopg
import requests
import ropc
from conftest import Client, config


def test_a_token_from_one_process_works_through_the_other(start, store):
    a, b = start(store), start(store)
    t = a.login().json()
    assert b.active(t["access_token"]), "issued by a, introspected by b"
    t2 = b.refresh(t["refresh_token"])
    assert t2.status_code == 200, t2.text
    t2 = t2.json()
    assert a.active(t2["access_token"]), "refreshed by b, seen by a"
    reuse = a.refresh(t["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant", "reuse detected across processes"
    assert not b.active(t2["access_token"]) and not a.active(t2["refresh_token"]), "the lineage is revoked for both"
    t3 = a.login().json()
    assert b.post("/revoke", {"token": t3["refresh_token"]}).status_code == 200
    assert not a.active(t3["access_token"]), "revoked through b, ended for a"


def test_concurrent_refreshes_over_two_processes_have_one_winner(start, store):
    a, b = start(store), start(store)
    t = a.login().json()
    barrier = threading.Barrier(20)
    results = [None] * 20

    def go(i):
        server = (a, b)[i % 2]
        barrier.wait()
        results[i] = server.refresh(t["refresh_token"])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) == {200, 400}, f"the others are refused as reuse, none fails: {statuses}"
    winner = next(r.json() for r in results if r.status_code == 200)
    # The losers presented a rotated token: the lineage is revoked everywhere.
    assert not a.active(winner["access_token"]) and not b.active(winner["refresh_token"])


def test_the_lockout_counts_failures_from_both_processes(start, store):
    a, b = start(store), start(store)
    for server in (a, b, a):
        r = server.login(password="wrong")
        assert r.json()["error_description"] == "the username or password is wrong"
    locked = b.login()  # the right password, but three failures were counted
    assert locked.status_code == 400
    assert locked.json()["error_description"] == "the username or password is wrong", "locked, and says so like a wrong password"
    assert a.login("bob").status_code == 200, "other accounts are not affected"


def test_concurrent_wrong_guesses_over_two_processes_get_the_limit(start, store):
    a, b = start(store), start(store)
    barrier = threading.Barrier(16)
    answers = [None] * 16

    def go(i):
        barrier.wait()
        r = (a, b)[i % 2].login("bob", "wrong")
        answers[i] = (r.status_code, r.json()["error"])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # Locked answers look like wrong passwords (on purpose), and attempts
    # beyond the limit while others are in flight get 503: the store's count
    # says how many passwords were checked (each checked guess failed once).
    assert set(answers) <= {(400, "invalid_grant"), (503, "temporarily_unavailable")}, answers
    assert failures_counted(store, "bob") == 3, f"exactly max_failures passwords were checked: {answers}"


def failures_counted(store, account):
    """The failure count the store keeps for `account`, under the keyed
    hash it stores names as (HMAC-SHA-256 with the database's own key, in
    ropc_secrets; base64url): the table never holds the name as typed."""
    key_query = "SELECT value FROM ropc_secrets WHERE name = 'failures'"
    query = "SELECT count FROM ropc_failures WHERE account = "

    def keyed(key):
        tag = hmac.new(bytes(key), account.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(tag).rstrip(b"=").decode()

    if store["type"] == "sqlite":
        with sqlite3.connect(store["path"]) as db:
            key = db.execute(key_query).fetchone()[0]
            return db.execute(query + "?", (keyed(key),)).fetchone()[0]
    with psycopg.connect(store["url"]) as db:
        key = db.execute(key_query).fetchone()[0]
        return db.execute(query + "%s", (keyed(key),)).fetchone()[0]


def test_a_crash_under_load_loses_nothing_that_was_answered(start, store):
    server = start(store)
    answered, revoked, stop = [], [], threading.Event()
    issued = []  # only grows: every token answered 200, revoked later or not

    def load():
        n = 0
        while not stop.is_set():
            try:
                r = server.login()
                if r.status_code != 200:
                    continue
                t = r.json()
                answered.append(t["access_token"])
                issued.append(t["access_token"])
                r2 = server.refresh(t["refresh_token"])
                if r2.status_code != 200:
                    continue
                answered.append(r2.json()["access_token"])
                issued.append(r2.json()["access_token"])
                n += 1
                if n % 3 == 0:
                    # Revoking the refresh token ends its whole grant: both
                    # access tokens. Until the answer comes they are in doubt:
                    # a revocation the crash cut off may or may not have
                    # committed, so they are neither answered nor revoked.
                    grant = (t["access_token"], r2.json()["access_token"])
                    for token in grant:
                        answered.remove(token)
                    done = server.post("/revoke", {"token": r2.json()["refresh_token"]})
                    (revoked if done.status_code == 200 else answered).extend(grant)
            except requests.RequestException:  # the server died mid-request: that answer never came
                return

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    deadline = time.time() + 30
    while len(issued) < 40 and time.time() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for w in workers:
        w.join()
    assert len(issued) >= 40 and revoked, f"the load ran: {len(issued)} issued, {len(revoked)} revoked"
    # An ended user, ended through another process on the same store.
    again = start(store)
    bob_token = again.login("bob").json()["access_token"]
    other = ropc.Server(json.dumps(config(store)))
    assert other.revoke_user_tokens("bob")
    again.kill()

    restarted = start(store)
    lost = [t for t in answered if not restarted.active(t)]
    assert not lost, f"{len(lost)} of {len(answered)} answered tokens were lost in the crash"
    assert not any(restarted.active(t) for t in revoked), "revoked tokens stay revoked"
    assert not restarted.active(bob_token), "an ended user stays ended"


def pg_ctl(action):
    ctl = os.environ["ROPC_TEST_POSTGRES_CTL"]
    subprocess.run([ctl, action], check=True, timeout=120)


def test_a_stopped_database_gives_503_and_no_token_then_recovers(start):
    base = os.environ["ROPC_TEST_POSTGRES_URL"]
    name = "ropc_outage"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    server = start({"type": "postgres", "url": base.rsplit("/", 1)[0] + "/" + name, "connect_timeout_ms": 2000})
    before = server.login().json()
    pg_ctl("stop")
    try:
        r = server.login()
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == "2" and r.json()["error"] == "temporarily_unavailable"
        assert "access_token" not in r.text
        r = server.post("/introspect", {"token": before["access_token"]}, client=("rs", "rs-secret"))
        assert r.status_code == 503, "never an inactive answer that would make a client drop a good token"
        assert server.refresh(before["refresh_token"]).status_code == 503
        # The operator hears of it: the audit warning, as Python and Node log it.
        deadline = time.monotonic() + 10
        while '"kind":"store_error"' not in server.logged() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert '"kind":"store_error"' in server.logged(), server.logged()
    finally:
        pg_ctl("start")
    # The same process reconnects: the token from before the outage still works.
    assert server.active(before["access_token"])
    assert server.refresh(before["refresh_token"]).status_code == 200


def test_a_locked_sqlite_file_gives_503_and_no_token(start, tmp_path):
    path = tmp_path / "ropc.db"
    server = start({"type": "sqlite", "path": str(path), "busy_timeout_ms": 300})
    before = server.login().json()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        r = server.login()
        assert r.status_code == 503 and "access_token" not in r.text, r.text
        assert server.refresh(before["refresh_token"]).status_code == 503
    finally:
        other.execute("ROLLBACK")
        other.close()
    r = server.refresh(before["refresh_token"])
    assert r.status_code == 200, "the refresh token outlived the outage"
    with sqlite3.connect(path) as db:
        n = db.execute("SELECT count(*) FROM ropc_tokens WHERE kind = 0").fetchone()[0]
    assert n == 2, "exactly the two answered access tokens were saved"


def test_the_python_module_and_the_c_server_share_a_store(start, store):
    server = start(store)
    py = ropc.Server(json.dumps(config(store)))
    assert py.call_blocking("store") == "waits"
    t = py.password_grant("app", "app-secret", "alice", "alice-pw")
    assert server.active(t.access_token)
    c = server.login().json()
    assert py.check(c["access_token"], "GET /docs/1").username == "alice"


def test_the_python_and_node_example_servers_share_the_store_with_the_c_one(start, store, tmp_path):
    """Three example authorization servers, three languages, one store."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = tmp_path / "examples.json"
    path.write_text(json.dumps(config(store)))
    c = start(store)
    others = []
    try:
        for argv in ([sys.executable, os.path.join(root, "examples", "python", "auth_server.py")],
                     ["node", os.path.join(root, "examples", "node", "auth_server.js")]):
            proc = subprocess.Popen([*argv, "--config", str(path), "--port", "0"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            others.append(proc)
            first = proc.stdout.readline()
            assert "listening on" in first, f"{argv[-1]} did not start: {first!r}"
            t = Client(first.split()[-1]).login().json()
            assert c.active(t["access_token"]), f"a token from {os.path.basename(argv[-1])} works on the C server"
    finally:
        for proc in others:
            proc.terminate()
            proc.wait(timeout=10)
