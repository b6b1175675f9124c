"""A resource server's offline JWT check from Python (make bench-jwt): ropc's
ResourceGuard.check_jwt beside PyJWT verifying the same token (signature,
iss, aud, exp; PyJWT checks no scope or owner rules), nanoseconds per call,
the median of seven rounds. Usage: bench_jwt.py CONFIG TOKEN JWKS."""
import json
import statistics
import sys
import time

import jwt
import ropc

ROUNDS, CALLS = 7, 20_000


def per_call(f):
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter_ns()
        for _ in range(CALLS):
            f()
        rounds.append((time.perf_counter_ns() - start) / CALLS)
    return statistics.median(rounds)


def main():
    config, token, jwks = (open(p, encoding="utf-8").read() for p in sys.argv[1:4])
    guard = ropc.ResourceGuard(config)
    keys = ropc.KeySet(jwks)
    key = jwt.PyJWK(json.loads(jwks)["keys"][0]).key
    assert guard.check_jwt(token, keys, "GET /invoices/42", "read").username == "alice"
    assert jwt.decode(token, key, algorithms=["EdDSA"], audience="https://api.example",
                      issuer="https://as.example")["sub"] == "alice"
    print(json.dumps({"language": "python", "ns": {
        "check_jwt": per_call(lambda: guard.check_jwt(token, keys, "GET /invoices/42", "read")),
        "pyjwt_decode": per_call(lambda: jwt.decode(token, key, algorithms=["EdDSA"], audience="https://api.example",
                                                    issuer="https://as.example")),
    }}))


main()
