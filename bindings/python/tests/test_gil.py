"""The GIL is released around argon2. Not a comparison of speeds, which a
busy machine skews: a property a held GIL makes impossible. While one thread
is inside a long verification, another thread runs Python code; with the
GIL held, no Python bytecode could run anywhere until the call returned."""
import threading
import time

import ropc

# argon2id at t_cost 40: a few hundred milliseconds a call, on any machine.
SLOW = {"m_cost": 19456, "t_cost": 40, "p_cost": 1}
EDGE = 0.05  # seconds at each end of the call left out, for thread start-up


def python_runs_during(call):
    """Runs `call` in a thread; returns (seconds the call took, whether this
    thread ran Python code strictly inside the call, away from its edges)."""
    span = {}

    def worker():
        span["start"] = time.monotonic()
        call()
        span["end"] = time.monotonic()

    ticks = []
    t = threading.Thread(target=worker)
    t.start()
    while t.is_alive():
        ticks.append(time.monotonic())  # needs the GIL
        time.sleep(0.002)
    t.join()
    start, end = span["start"], span["end"]
    inside = any(start + EDGE < tick < end - EDGE for tick in ticks)
    return end - start, inside


def test_python_runs_while_a_password_is_hashed():
    took, inside = python_runs_during(lambda: ropc.hash_password("pw", **SLOW))
    assert took > 4 * EDGE, f"the call took {took:.3f} s: too short to tell"
    assert inside, "no Python ran while argon2 hashed: is the GIL held?"


def test_python_runs_while_a_password_grant_verifies():
    phc = ropc.hash_password("pw", **SLOW)
    server = ropc.Server({
        "password_hashing": SLOW,
        "scopes": [{"name": "read"}],
        "clients": [{"id": "app", "secret_hash": ropc.hash_client_secret("s"), "grant_types": ["password"],
                     "scopes": ["read"], "default_scopes": ["read"]}],
        "users": [{"username": "u", "password_hash": phc}],
    })
    took, inside = python_runs_during(lambda: server.password_grant("app", "s", "u", "pw"))
    assert took > 4 * EDGE, f"the grant took {took:.3f} s: too short to tell"
    assert inside, "no Python ran while the password grant verified: is the GIL held?"
