#!/usr/bin/env python3
"""From Python: ropc beside oauthlib and Authlib on one fixture. Each figure
is run for a few seconds after a warm-up, repeated, and the median taken;
one request in flight unless said otherwise. Prints JSON."""
import argparse
import json
import statistics
import sys
import threading
import time
import urllib.parse

import argon2
import ropc

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import peers  # noqa: E402

LOGIN = "grant_type=password&username=alice&password=correct+horse&scope=read+write"


def make_ropc(store=None):
    secret_hash = ropc.hash_client_secret(peers.CLIENT_SECRET)
    server = ropc.Server({
        "store": store or {"type": "memory"},
        "throttle": {"max_failures": 100, "lockout_seconds": 900, "forget_after_seconds": 86400},
        "scopes": [{"name": "read", "resources": ["GET /invoices/*"]}, {"name": "write", "resources": ["POST /invoices/*"]}],
        "clients": [{"id": peers.CLIENT_ID, "secret_hash": secret_hash, "grant_types": ["password", "refresh_token"],
                     "scopes": ["read", "write"], "default_scopes": ["read"]}],
        "users": [{"username": "alice", "password_hash": ropc.hash_password("correct horse")}],
        "rules": [{"resources": ["* /invoices/*"], "users": ["alice"]}],
    })
    headers = {"Content-Type": peers.FORM, "Authorization": peers.BASIC}

    def token(body):
        r = server.token_endpoint("POST", headers, body.encode())
        return r.status, r.body

    def check(access_token):
        try:
            server.check_request(f"Bearer {access_token}", "GET /invoices/42", "read")
            return True
        except ropc.OAuthError:
            return False

    return token, check


def rate(fn, seconds, repeats, threads=1):
    """Median operations per second over `repeats` runs of `seconds`."""
    fn()  # warm-up
    end = time.perf_counter() + min(0.5, seconds)
    while time.perf_counter() < end:
        fn()
    results = []
    for _ in range(repeats):
        counts = [0] * threads
        stop = time.perf_counter() + seconds

        def loop(i):
            n = 0
            while time.perf_counter() < stop:
                fn()
                n += 1
            counts[i] = n

        start = time.perf_counter()
        ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        results.append(sum(counts) / (time.perf_counter() - start))
    return statistics.median(results)


def field(body, name):
    return (body if isinstance(body, dict) else json.loads(body))[name]


def measure(name, make, seconds, repeats):
    token, check = make()
    out = {}

    def login():
        status, body = token(LOGIN)
        assert status == 200, (name, status, body)
        return body

    out["password_grant_per_s"] = rate(login, seconds, repeats)
    out["password_grant_2_threads_per_s"] = rate(login, seconds, repeats, threads=2)

    current = [field(login(), "refresh_token")]

    def refresh():
        status, body = token("grant_type=refresh_token&refresh_token=" + urllib.parse.quote(current[0]))
        assert status == 200, (name, status, body)
        current[0] = field(body, "refresh_token")

    out["refresh_grant_per_s"] = rate(refresh, seconds, repeats)

    live = []
    for _ in range(1000):  # 1000 live tokens, cycled (refresh is cheap: no argon2)
        status, body = token("grant_type=refresh_token&refresh_token=" + urllib.parse.quote(current[0]))
        current[0] = field(body, "refresh_token")
        live.append(field(body, "access_token"))
    i = [0]

    def bearer():
        i[0] = (i[0] + 1) % len(live)
        assert check(live[i[0]]), name

    out["bearer_check_per_s"] = rate(bearer, seconds, repeats)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    phc = peers.OWASP.hash("pw")
    results = {
        "argon2_cffi_verify_per_s": rate(lambda: peers.OWASP.verify(phc, "pw"), args.seconds, args.repeats),
        "libraries": {},
    }
    for name, make in (("ropc", make_ropc), ("oauthlib", peers.make_oauthlib), ("authlib", peers.make_authlib)):
        print(f"python: {name}...", file=sys.stderr, flush=True)
        results["libraries"][name] = measure(name, make, args.seconds, args.repeats)
    import authlib
    import oauthlib
    results["versions"] = {"ropc": ropc.__version__, "oauthlib": oauthlib.__version__, "authlib": authlib.__version__,
                           "argon2-cffi": argon2.__version__ if hasattr(argon2, "__version__") else "?",
                           "python": sys.version.split()[0]}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
