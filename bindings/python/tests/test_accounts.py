"""Resource owners kept by the host, from Python: callbacks, their failures,
equal answers for unknown / wrong / disabled / locked (counted, not timed),
the owner-state cache, the authorize hook, reload, and the GIL."""
import hashlib
import logging
import threading

import pytest

import ropc

CHEAP = {"m_cost": 64, "t_cost": 1, "p_cost": 1}
SECRET_HASH = ropc.hash_client_secret("app-secret")


def config(**accounts):
    settings = {"min_verify_ms": 1, "owner_cache_seconds": 60}
    settings.update(accounts)
    return {
        "password_hashing": CHEAP,
        "allow_weak_password_hashing": True,
        "throttle": {"max_failures": 3, "lockout_seconds": 100, "forget_after_seconds": 1000},
        "accounts": settings,
        "scopes": [{"name": "read", "resources": ["GET /docs/*"]}],
        "clients": [{"id": "app", "secret_hash": SECRET_HASH, "grant_types": ["password", "refresh_token"],
                     "scopes": ["read"], "default_scopes": ["read"]}],
        "rules": [{"resources": ["* /docs/*"], "groups": ["staff"]}],
    }


def pbkdf2(password, salt=b"salt"):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000).hex()


class Directory:
    """A host's user table with PBKDF2 hashes from another system."""

    def __init__(self):
        self.users = {"alice": (pbkdf2("alice-pw"), ["staff"], True), "dave": (pbkdf2("dave-pw"), ["staff"], False)}
        self.verifies = self.lookups = 0
        self.fail = None

    def verify(self, username, password):
        self.verifies += 1
        if self.fail:
            return self.fail()
        user = self.users.get(username)
        if user is None:
            return ropc.UNKNOWN_USER
        if pbkdf2(password) != user[0]:
            return ropc.WRONG_PASSWORD
        return ropc.Owner(groups=user[1], enabled=user[2])

    def lookup(self, username):
        self.lookups += 1
        if self.fail:
            return self.fail()
        user = self.users.get(username)
        return None if user is None else ropc.Owner(user[1], enabled=user[2])


def grant(server, username, password):
    return server.password_grant("app", "app-secret", username, password)


@pytest.fixture
def host():
    return Directory()


@pytest.fixture
def server(host):
    return ropc.Server(config(), host_accounts=host)


def test_host_owners_get_tokens_and_their_groups(server, host):
    t = grant(server, "alice", "alice-pw")
    who = server.check(t.access_token, "GET /docs/1")
    assert (who.username, who.groups) == ("alice", ["staff"])
    assert host.lookups == 0  # the verification brought the owner's state
    assert repr(ropc.Owner(["a"])) == "Owner(groups=['a'], enabled=True)"


def test_unknown_wrong_disabled_and_locked_answer_alike(server, host):
    answers = []
    for user, pw in [("nobody", "x"), ("dave", "dave-pw"), ("alice", "no"), ("alice", "no"), ("alice", "no"),
                     ("alice", "alice-pw")]:
        with pytest.raises(ropc.InvalidGrant) as info:
            grant(server, user, pw)
        answers.append((info.value.status_code, info.value.body))
    assert len(set(answers)) == 1, answers
    # The last attempt was locked: the host was not asked; every answer was paced.
    assert host.verifies == 5
    stats = server.accounts_stats()
    assert (stats["verify_calls"], stats["paced"]) == (5, 6)
    assert stats["pace_target_us"] >= 1000


@pytest.mark.parametrize("fail, expected_log", [
    (lambda: 1 / 0, "ZeroDivisionError"),
    (lambda: "yes", "must return"),
    (lambda: ropc.Owner(["bad\ngroup"]), None),
])
def test_a_failing_callback_is_a_server_error_logged_never_a_grant(server, host, caplog, fail, expected_log):
    host.fail = fail
    with caplog.at_level(logging.ERROR, logger="ropc.accounts"):
        with pytest.raises(ropc.ServerError) as info:
            grant(server, "alice", "alice-pw")
    e = info.value
    assert (e.error, e.status_code) == ("server_error", 500)
    assert b"alice-pw" not in e.body and "alice-pw" not in caplog.text
    if expected_log:
        assert expected_log in caplog.text
    assert server.accounts_stats()["failures"] == 1


def test_the_owner_state_cache_and_immediate_revocation(server, host):
    t = grant(server, "alice", "alice-pw")
    server.forget_owner("alice")
    for _ in range(3):
        server.check(t.access_token, "GET /docs/1")
    assert host.lookups == 1
    host.fail = lambda: 1 / 0
    server.check(t.access_token, "GET /docs/1")  # cached: the host is not asked
    server.forget_owner("alice")
    with pytest.raises(ropc.ServerError):
        server.check(t.access_token, "GET /docs/1")
    host.fail = None
    assert server.revoke_user_tokens("alice")
    with pytest.raises(ropc.InvalidToken):
        server.check(t.access_token, "GET /docs/1")
    with pytest.raises(ropc.AccountError) as info:
        server.set_user_enabled("alice", False)
    assert info.value.reason == "not_configured"


def test_the_authorize_hook(host):
    seen = []

    def authorize(principal, resource, scope):
        seen.append((principal.username, resource, scope))
        return not resource.endswith("/secret")

    server = ropc.Server(config(), host_accounts=host, authorize=authorize)
    t = grant(server, "alice", "alice-pw").access_token
    assert server.check(t, "GET /docs/1", "read").username == "alice"
    with pytest.raises(ropc.AccessDenied):
        server.check(t, "GET /docs/secret")
    with pytest.raises(ropc.InsufficientScope):
        server.check(t, "PUT /docs/1")  # outside the scope: the hook is not asked
    assert seen == [("alice", "GET /docs/1", "read"), ("alice", "GET /docs/secret", None)]

    class Policy:
        def authorize(self, principal, resource, scope):
            return "yes"  # not a bool: a server error

    server = ropc.Server(config(authorize="instead_of_rules"), host_accounts=host, authorize=Policy())
    t = grant(server, "alice", "alice-pw").access_token
    with pytest.raises(ropc.ServerError):
        server.check(t, "GET /docs/1")


def test_bad_callbacks_are_refused_when_the_server_is_built(host):
    with pytest.raises(TypeError, match="lookup"):
        ropc.Server(config(), host_accounts=object())
    with pytest.raises(TypeError, match="authorize"):
        ropc.Server(config(), host_accounts=host, authorize=42)
    c = config()
    c["users"] = [{"username": "bob", "password_hash": ropc.hash_password("bob-pw", **CHEAP)}]
    with pytest.raises(ropc.ConfigError) as info:
        ropc.Server(c, host_accounts=host)
    assert info.value.path == "users"


def test_reload_keeps_tokens_and_callbacks(server, host):
    t = grant(server, "alice", "alice-pw")
    c = config()
    c["scopes"].append({"name": "admin", "resources": ["* /admin/*"]})
    server.reload(c)
    assert server.check(t.access_token, "GET /docs/1").username == "alice"
    assert host.verifies == 1
    with pytest.raises(ropc.ConfigError) as info:
        server.reload({"scopes": [{"name": "bad scope", "resources": []}]})
    assert info.value.path == "scopes[0].name"
    c["store"] = {"type": "sqlite", "path": "/nonexistent/x.db"}
    with pytest.raises(ropc.ConfigError) as info:
        server.reload(c)
    assert info.value.path == "store"
    assert server.check(t.access_token, "GET /docs/1").username == "alice"


def test_callbacks_run_with_the_gil_only_while_python_runs(host):
    """Four grants at once meet inside their callbacks: ropc released the GIL
    around them and does not serialize the host."""
    barrier = threading.Barrier(4, timeout=30)
    inner = host.verify

    def verify(username, password):
        barrier.wait()
        return inner(username, password)

    host.verify = verify
    host.users.update({f"user{i}": (pbkdf2(f"pw{i}"), ["staff"], True) for i in range(4)})
    server = ropc.Server(config(), host_accounts=host)
    results = []

    def run(i):
        results.append(grant(server, f"user{i}", f"pw{i}").scope)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == ["read"] * 4
    assert not barrier.broken


def test_the_python_adapter_passes_the_accounts_conformance_suite(host):
    from ropc import _ropc

    _ropc._check_accounts(host, "alice", "alice-pw", ["staff"], ("dave", "dave-pw"), "nobody")

    class Truncating(Directory):
        def verify(self, username, password):
            return super().verify(username, password.split("\0")[0])

    with pytest.raises(AssertionError, match="NUL"):
        _ropc._check_accounts(Truncating(), "alice", "alice-pw", ["staff"], ("dave", "dave-pw"), "nobody")


def test_a_new_credential_version_from_the_host_ends_older_tokens(host):
    credential = {"alice": 1}
    inner_verify, inner_lookup = host.verify, host.lookup

    def with_credential(owner, username):
        if isinstance(owner, ropc.Owner) and username in credential:
            return ropc.Owner(owner.groups, owner.enabled, credential_version=credential[username])
        return owner

    host.verify = lambda u, p: with_credential(inner_verify(u, p), u)
    host.lookup = lambda u: with_credential(inner_lookup(u), u)
    server = ropc.Server(config(), host_accounts=host)
    t = grant(server, "alice", "alice-pw")
    assert repr(ropc.Owner(["a"], credential_version=3)) == "Owner(groups=['a'], enabled=True, credential_version=3)"
    credential["alice"] = 2  # the password changed in the host's system
    server.forget_owner("alice")
    with pytest.raises(ropc.InvalidToken):
        server.check(t.access_token, "GET /docs/1")
    t = grant(server, "alice", "alice-pw")
    server.forget_owner("alice")
    assert server.check(t.access_token, "GET /docs/1").username == "alice"


def test_a_callback_slower_than_the_time_limit_is_a_server_error(host, caplog):
    import time

    inner = host.verify

    def slow(username, password):
        time.sleep(0.3)  # far beyond callback_timeout_ms below, on any machine
        return inner(username, password)

    host.verify = slow
    server = ropc.Server(config(callback_timeout_ms=50), host_accounts=host)
    with pytest.raises(ropc.ServerError):
        grant(server, "alice", "alice-pw")
    assert server.accounts_stats()["failures"] == 1


class LooseDirectory(Directory):
    """A directory that matches names as LDAP matches uid (any case, spaces
    around) and reports the account's own name."""

    def verify(self, username, password):
        self.verifies += 1
        name = username.strip().lower()
        user = self.users.get(name)
        if user is None:
            return ropc.UNKNOWN_USER
        if pbkdf2(password) != user[0]:
            return ropc.WRONG_PASSWORD
        return ropc.Owner(groups=user[1], enabled=user[2], name=name)


def test_one_account_has_one_counter_and_one_subject_however_its_name_is_typed():
    host = LooseDirectory()
    server = ropc.Server(config(), host_accounts=host)
    for who in ["ALICE", "Alice ", " aLiCe"]:
        with pytest.raises(ropc.InvalidGrant):
            grant(server, who, "guess")
    # Locked under every spelling, and the host is not asked again.
    for who in ["alice", "ALICE", "  Alice", "ａｌｉｃｅ"]:
        with pytest.raises(ropc.InvalidGrant):
            grant(server, who, "alice-pw")
    assert host.verifies == 3
    assert repr(ropc.Owner(["staff"], name="alice")) == "Owner(groups=['staff'], enabled=True, name='alice')"


def test_the_name_a_host_reports_is_the_tokens_subject():
    host = LooseDirectory()
    server = ropc.Server(config(), host_accounts=host)
    tokens = [grant(server, who, "alice-pw") for who in [" ALICE", "Alice", "alice "]]
    for t in tokens:
        assert server.check(t.access_token, "GET /docs/1").username == "alice"
    assert server.revoke_user_tokens("alice")
    for t in tokens:
        with pytest.raises(ropc.InvalidToken):
            server.check(t.access_token, "GET /docs/1")


def test_a_configured_user_is_found_under_any_spelling():
    phc = ropc.hash_password("pw", **CHEAP)
    c = config()
    c["users"] = [{"username": "alice", "password_hash": phc, "groups": ["staff"]}]
    server = ropc.Server(c)
    t = grant(server, " ALICE ", "pw")
    assert server.check(t.access_token, "GET /docs/1").username == "alice"
    c["users"].append({"username": "Alice", "password_hash": phc})
    with pytest.raises(ropc.ConfigError, match="one name spelt two ways"):
        ropc.Server(c)


def test_an_argon2_hash_beyond_the_limits_is_refused_where_it_enters():
    huge = "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2pKZ5p2UZlXDHJ2xkq9hYnCixr9+bMVlZH2Ia7qpPfo"
    c = config()
    c["users"] = [{"username": "alice", "password_hash": ropc.hash_password("pw", **CHEAP), "groups": ["staff"]}]
    server = ropc.Server(c)
    with pytest.raises(ropc.AccountError, match="beyond the limits") as refused:
        server.set_user_password_hash("alice", huge)
    assert refused.value.reason == "invalid_hash"
    bad = dict(c, users=[dict(c["users"][0], password_hash=huge)])
    with pytest.raises(ropc.ConfigError, match="beyond the limits"):
        ropc.Server(bad)
    assert grant(server, "alice", "pw").access_token


def test_a_verify_that_hangs_is_answered_at_the_callback_timeout():
    """The answer comes while the callback is still blocked (shown by the
    order of events, not a clock): ropc waited callback_timeout_ms, not for
    the host."""
    release, finished = threading.Event(), threading.Event()

    class Hanging(Directory):
        def verify(self, username, password):
            release.wait(60)
            finished.set()
            return ropc.WRONG_PASSWORD

    server = ropc.Server(config(callback_timeout_ms=100), host_accounts=Hanging())
    try:
        with pytest.raises(ropc.ServerError):
            grant(server, "alice", "alice-pw")
        assert not finished.is_set(), "answered before the host returned"
    finally:
        release.set()
    assert finished.wait(10)
