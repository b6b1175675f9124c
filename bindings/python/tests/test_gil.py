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

    ratios = []
    for _ in range(3):
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
        if ratios[-1] < 0.75:
            return
    pytest.fail(f"two threads took {min(ratios):.2f} of the serial time at best: is the GIL held?")
