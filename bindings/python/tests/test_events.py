"""Audit events in Python: to a callable and to the ``ropc.audit`` logger,
with the request's context, never holding a secret."""
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
