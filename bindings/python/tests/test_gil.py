"""The GIL is released around argon2: two threads verify passwords in
parallel. A comparison of two runs on the same machine, with a wide margin,
retried to ride out a noisy neighbour; not a speed benchmark."""
import os
import threading
import time

import pytest
import ropc

PARAMS = {"m_cost": 19456, "t_cost": 2, "p_cost": 1}  # OWASP: ~14 ms per verification


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_threads_verify_passwords_in_parallel():
    phc = ropc.hash_password("pw", **PARAMS)
    server = ropc.Server({
        "password_hashing": PARAMS,
        "throttle": {"max_failures": 100000, "lockout_seconds": 1, "forget_after_seconds": 1},
        "scopes": [{"name": "read"}],
        "clients": [{"id": "app", "secret_hash": ropc.hash_client_secret("s"), "grant_types": ["password"],
                     "scopes": ["read"], "default_scopes": ["read"]}],
        "users": [{"username": "u", "password_hash": phc}],
    })
    n = 8

    def verify(count):
        for _ in range(count):
            server.password_grant("app", "s", "u", "pw")

    # A held GIL makes the two threads take at least the serial time (ratio
    # >= 1); released, about half on two idle cores. The bar sits well above
    # that half because this machine's cores are shared with other work.
    ratios = []
    for _ in range(5):
        start = time.perf_counter()
        verify(2 * n)
        serial = time.perf_counter() - start
        threads = [threading.Thread(target=verify, args=(n,)) for _ in range(2)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parallel = time.perf_counter() - start
        ratios.append(parallel / serial)
        if ratios[-1] < 0.85:
            return
    pytest.fail(f"two threads took {min(ratios):.2f} of the serial time at best: is the GIL held?")


def test_python_code_runs_while_a_password_is_verified():
    """The same property without comparing two timings: a Python thread
    keeps counting while another thread is inside argon2. With the GIL held
    for each ~14 ms verification it would hardly move."""
    phc = ropc.hash_password("pw", **PARAMS)
    server = ropc.Server({
        "password_hashing": PARAMS,
        "scopes": [{"name": "read"}],
        "clients": [{"id": "app", "secret_hash": ropc.hash_client_secret("s"), "grant_types": ["password"],
                     "scopes": ["read"], "default_scopes": ["read"]}],
        "users": [{"username": "u", "password_hash": phc}],
    })

    def count_for(seconds):
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
        return n

    alone = count_for(0.3)
    done = threading.Event()

    def grants():
        while not done.is_set():
            server.password_grant("app", "s", "u", "pw")

    worker = threading.Thread(target=grants)
    worker.start()
    try:
        during = count_for(0.3)
    finally:
        done.set()
        worker.join()
    # Measured here: about 1.0 released, about 0.2 held.
    assert during > 0.5 * alone, f"counted {during} beside argon2 against {alone} alone: is the GIL held?"
