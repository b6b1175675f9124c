"""The stores from Python: a store failure is TemporarilyUnavailable (503),
two servers on one file share tokens, and the GIL is free while a call waits
on the database (PostgreSQL from ROPC_TEST_POSTGRES_URL, which `make
test-python` starts)."""
import os
import secrets
import threading
import time

import psycopg
import pytest
import ropc


def postgres_database():
    base = os.environ.get("ROPC_TEST_POSTGRES_URL")
    assert base, "ROPC_TEST_POSTGRES_URL is not set: run `make test-python`, which starts a PostgreSQL"
    name = "ropc_py_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


def test_a_store_outage_is_temporarily_unavailable(config):
    server = ropc.Server({**config, "store": {"type": "unavailable"}})
    assert server.call_blocking("store") == "inline", "a store that is down answers at once"
    with pytest.raises(ropc.TemporarilyUnavailable) as info:
        server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    e = info.value
    assert isinstance(e, ropc.OAuthError)
    assert (e.error, e.status_code) == ("temporarily_unavailable", 503)
    assert ("Retry-After", "2") in e.headers
    with pytest.raises(ropc.TemporarilyUnavailable) as info:
        server.check("A" * 43, "GET /invoices/1")
    assert not any(name == "WWW-Authenticate" for name, _ in info.value.headers), "no challenge: the token is not in question"
    for call in (lambda: server.revoke_user_tokens("alice"), server.purge_expired,
                 lambda: server.set_user_enabled("alice", False)):
        with pytest.raises(ropc.TemporarilyUnavailable):
            call()
    with pytest.raises(ropc.AccountError):
        server.set_user_enabled("nobody", False)  # an unknown user is still the caller's error
    resp = server.token_endpoint("POST", {"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "Basic YXBwOmFwcC1zZWNyZXQ="},
                                 b"grant_type=password&username=alice&password=alice-pw&scope=read")
    assert resp.status == 503 and b"temporarily_unavailable" in resp.body


def test_two_servers_on_one_sqlite_file_share_everything(config, tmp_path):
    cfg = {**config, "store": {"type": "sqlite", "path": str(tmp_path / "ropc.db")}}
    a, b = ropc.Server(cfg), ropc.Server(cfg)
    assert a.call_blocking("store") == "waits"
    assert a.call_blocking("as_client", "app") == "waits"
    t = a.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    assert b.check(t.access_token, "GET /invoices/1").username == "alice"
    revoked = a.password_grant("app", "app-secret", "alice", "alice-pw", "read")
    b.revoke("app", "app-secret", revoked.refresh_token)
    assert b.revoke_user_tokens("alice")
    with pytest.raises(ropc.InvalidToken):
        a.check(t.access_token, "GET /invoices/1")
    assert a.purge_expired() == 2, "the revoked grant's two tokens, revoked through the other server"
    assert b.purge_expired() == 0, "one store: nothing left for the other to drop"


def test_bad_store_settings_name_the_field(config):
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server({**config, "store": {"type": "postgres", "url_env": "ROPC_NO_SUCH_VARIABLE"}})
    assert info.value.path == "store.url_env"
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server({**config, "store": {"type": "sqlite"}})
    assert "path" in str(info.value)


def test_the_gil_is_free_while_a_check_waits_on_the_database(config):
    url = postgres_database()
    server = ropc.Server({**config, "store": {"type": "postgres", "url": url, "statement_timeout_ms": 20000}})
    token = server.password_grant("app", "app-secret", "alice", "alice-pw", "read").access_token
    done = threading.Event()
    outcome = {}

    def check():
        try:
            outcome["principal"] = server.check(token, "GET /invoices/1")
        finally:
            done.set()

    with psycopg.connect(url) as locker, psycopg.connect(url, autocommit=True) as watcher:
        locker.execute("LOCK TABLE ropc_tokens IN ACCESS EXCLUSIVE MODE")  # held until commit
        worker = threading.Thread(target=check)
        worker.start()
        # Python runs here only if the waiting thread let go of the GIL: it
        # sees the check blocked inside the database, not yet done.
        seen_waiting = False
        for _ in range(2000):
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%ropc_tokens%'"
            ).fetchone()
            if row[0] > 0:
                seen_waiting = not done.is_set()
                break
            time.sleep(0.005)
        locker.commit()
        worker.join(timeout=60)
    assert seen_waiting, "Python made no progress while a check waited on the database: is the GIL held?"
    assert outcome["principal"].username == "alice", "the check completed once the lock was gone"
