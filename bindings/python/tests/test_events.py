"""Audit events in Python: to a callable and to the ``ropc.audit`` logger,
with the request's context, never holding a secret."""
import copy
import io
import logging
import threading
import time

import pytest
import ropc
import ropc.wsgi


def wait_for(events, n):
    # Delivered on ropc's own thread: a generous bound, not a timing test.
    deadline = time.monotonic() + 10
    while len(events) < n:
        assert time.monotonic() < deadline, f"fewer than {n} events: {events}"
        time.sleep(0.005)
    return list(events)


def test_events_reach_a_callable_with_their_context(config):
    seen = []
    server = ropc.Server(config, events=seen.append)
    server.password_grant("app", "app-secret", "alice", "alice-pw")
    with pytest.raises(ropc.InvalidGrant):
        server.password_grant("app", "app-secret", "alice", "Bad-Guess-5")
    app = ropc.wsgi.token_app(server)
    body = b"grant_type=password&username=alice&password=alice-pw"
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/token", "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "REMOTE_ADDR": "192.0.2.9",
               "HTTP_X_REQUEST_ID": "abc-1", "HTTP_AUTHORIZATION": "Basic YXBwOmFwcC1zZWNyZXQ="}
    app(environ, lambda status, headers: None)
    got = wait_for(seen, 3)
    assert [(e["kind"], e.get("reason")) for e in got] == [
        ("token_issued", None), ("login_failed", "wrong_password"), ("token_issued", None)]
    assert got[0]["client_id"] == "app" and got[0]["username"] == "alice" and len(got[0]["grant_id"]) == 32
    assert "remote_addr" not in got[0]
    assert (got[2]["remote_addr"], got[2]["request_id"]) == ("192.0.2.9", "abc-1")
    assert not any("alice-pw" in str(e) or "Bad-Guess-5" in str(e) or "app-secret" in str(e) for e in got)


def test_a_failing_handler_is_logged_and_the_next_event_comes(config, caplog):
    calls = []

    def handler(event):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("the host's handler failed")

    with caplog.at_level(logging.ERROR, logger="ropc.audit"):
        server = ropc.Server(config, events=handler)
        server.password_grant("app", "app-secret", "alice", "alice-pw")
        server.password_grant("app", "app-secret", "alice", "alice-pw")
        wait_for(calls, 2)
    assert any("the events handler failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(TypeError, match="events"):
        ropc.Server(config, events=42)


def test_events_go_to_the_logger_without_a_handler(config, caplog):
    with caplog.at_level(logging.INFO, logger="ropc.audit"):
        server = ropc.Server(config)  # the logger listens: events are made
        server.password_grant("app", "app-secret", "alice", "alice-pw")
        deadline = time.monotonic() + 10
        while not any('"kind":"token_issued"' in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, caplog.records
            time.sleep(0.005)
    assert all(r.name == "ropc.audit" for r in caplog.records if "kind" in r.getMessage())


def test_events_come_from_every_thread_without_holding_a_grant(config):
    release = threading.Event()
    seen = []

    def slow(event):
        release.wait(10)
        seen.append(event)

    server = ropc.Server(config, events=slow)
    for _ in range(5):  # the handler is stuck on the first: grants go on
        server.password_grant("app", "app-secret", "alice", "alice-pw")
    release.set()
    assert len(wait_for(seen, 5)) == 5


def test_dropping_a_server_with_events_queued_does_not_wait_for_them(config):
    seen = []
    server = ropc.Server(config, events=seen.append)
    for _ in range(20):
        server.password_grant("app", "app-secret", "alice", "alice-pw")
    del server  # with the GIL held: must not wait on the thread that needs it
    assert len(wait_for(seen, 20)) == 20, "and the queued events still arrive"


ALL_KINDS = {"token_issued", "token_refreshed", "refresh_retried", "refresh_reuse", "login_failed", "account_locked",
             "account_unlocked", "token_revoked", "user_tokens_revoked", "introspected", "password_rehashed",
             "store_error"}


def test_every_kind_of_event_reaches_python(config, caplog, test_clock):
    caplog.set_level(logging.INFO, logger="ropc.audit")
    c = copy.deepcopy(config)
    c["throttle"] = {"max_failures": 2, "lockout_seconds": 1, "forget_after_seconds": 60}
    c["password_hashing"] = {"m_cost": 128, "t_cost": 1, "p_cost": 1}  # alice's hash is re-made at her sign-in
    for client in c["clients"]:
        if client["id"] == "app":
            client["refresh_grace_seconds"] = 30
    seen = []
    s = ropc.Server(c, events=seen.append)  # on the test clock
    t = s.password_grant("app", "app-secret", "alice", "alice-pw")
    s.introspect("rs", "rs-secret", t.access_token)
    first = s.refresh_grant("app", "app-secret", t.refresh_token)
    s.revoke("app", "app-secret", first.access_token)
    retry = s.refresh_grant("app", "app-secret", t.refresh_token)  # the answer above "was lost"
    s.refresh_grant("app", "app-secret", retry.refresh_token)  # the lineage moves on
    with pytest.raises(ropc.InvalidGrant):
        s.refresh_grant("app", "app-secret", t.refresh_token)  # a copy: reuse
    s.revoke_user_tokens("alice")
    for _ in range(3):
        with pytest.raises(ropc.InvalidGrant):
            s.password_grant("app", "app-secret", "bob", "Bad-Guess-5")
    with pytest.raises(ropc.InvalidGrant):
        s.password_grant("app", "app-secret", "bob", "bob-pw")  # locked, even to the right password
    assert test_clock(1), "the lock's one second runs out"
    s.password_grant("app", "app-secret", "bob", "bob-pw")
    down = dict(c, store={"type": "unavailable"})
    with pytest.raises(ropc.TemporarilyUnavailable):
        ropc.Server(down, events=seen.append).password_grant("app", "app-secret", "alice", "alice-pw")
    deadline = time.monotonic() + 10
    while {e["kind"] for e in seen} != ALL_KINDS:
        assert time.monotonic() < deadline, sorted(ALL_KINDS - {e["kind"] for e in seen})
        time.sleep(0.005)
    by_kind = {e["kind"]: e for e in seen}
    assert by_kind["password_rehashed"]["password_hash"].startswith("$argon2id$v=19$m=128,t=1,p=1$")
    assert by_kind["introspected"]["client_id"] == "rs" and by_kind["introspected"]["reason"] == "active"
    first_issued = next(e for e in seen if e["kind"] == "token_issued")
    assert by_kind["refresh_reuse"]["grant_id"] == first_issued["grant_id"]
    assert by_kind["account_locked"]["username"] == "bob"
    text = str(seen)
    for secret in ("alice-pw", "bob-pw", "Bad-Guess-5", "app-secret", t.access_token, t.refresh_token):
        assert secret not in text
    # The logger gets each at the core's level: a warning for reuse, locks and outages.
    levels = {}
    for r in caplog.records:
        if r.name == "ropc.audit" and r.getMessage().startswith("{"):
            levels[r.getMessage().split('"kind":"')[1].split('"')[0]] = r.levelno
    assert levels["refresh_reuse"] == levels["account_locked"] == levels["store_error"] == logging.WARNING
    assert levels["token_issued"] == levels["login_failed"] == logging.INFO


def test_without_a_handler_only_the_levels_the_logger_records_cross_into_python(config, monkeypatch):
    """By default ``ropc.audit`` records WARNING: the INFO events of every
    grant and refresh would each take the GIL for nothing, so they are not
    delivered; a warning (reuse) still is."""
    import ropc._events

    delivered = []
    real = ropc._events.deliver

    def counting(handler, text, warning):
        delivered.append((text, warning))
        real(handler, text, warning)

    monkeypatch.setattr(ropc._events, "deliver", counting)
    assert logging.getLogger("ropc.audit").getEffectiveLevel() == logging.WARNING
    server = ropc.Server(config)
    first = server.password_grant("app", "app-secret", "alice", "alice-pw")
    current = server.refresh_grant("app", "app-secret", first.refresh_token)
    for _ in range(5):
        current = server.refresh_grant("app", "app-secret", current.refresh_token)
    with pytest.raises(ropc.InvalidGrant):
        server.refresh_grant("app", "app-secret", first.refresh_token)
    got = wait_for(delivered, 1)
    assert [w for _, w in got] == [True] and '"kind":"refresh_reuse"' in got[0][0], \
        "one queue, in order: an INFO event delivered would have come first"
    logging.getLogger("ropc.audit").setLevel(logging.INFO)
    try:
        delivered.clear()
        server = ropc.Server(config)  # made while the logger records INFO
        server.password_grant("app", "app-secret", "alice", "alice-pw")
        assert '"kind":"token_issued"' in wait_for(delivered, 1)[0][0]
    finally:
        logging.getLogger("ropc.audit").setLevel(logging.NOTSET)
