"""Seed corpora for the fuzz targets, from the shared vectors:
fuzz/corpus/<target>/ gets every request, resource name, pattern and the
configuration the vectors hold, in each target's input format.

    python3 fuzz/seeds.py
"""
import base64
import hashlib
import json
import os
import re

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "tests", "vectors", "flows.json")) as f:
    vectors = json.load(f)

# Templates ({{token:at}}) become a plausible token of the vectors' kind.
_token = vectors["templates"]["kinds"]["token"]
TOKEN = _token["chars"][0] * _token["min"]


def fill(text):
    return re.sub(r"\{\{[^}]*\}\}", TOKEN, text or "")


def write(target, data):
    out = os.path.join(here, "corpus", target)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


which = {"token": 0, "introspect": 1, "revoke": 2}
for case in vectors["cases"]:
    for step in case["steps"]:
        req = step.get("request") or {}
        if "endpoint" in step and step["endpoint"] in which:
            head = "\n".join([req.get("method", "POST"), req.get("content_type") or "",
                              fill(req.get("authorization")), req.get("dpop") or ""])
            body = fill(req.get("body"))
            write("endpoints", bytes([which[step["endpoint"]]]) + (head + "\n" + body).encode())
            write("parsers", (fill(req.get("authorization")) + "\n" + body).encode())
        elif "resource" in req or "authorization" in req:
            write("check", "\n".join(["GET", req.get("resource", "/"), fill(req.get("authorization")),
                                      req.get("scope") or ""]).encode())
for item in vectors["resource_names"]:
    write("check", "\n".join([item["method"], item["target"], "Bearer " + TOKEN, ""]).encode())
config = vectors["config"]
write("config", json.dumps(config).encode())
for scope in config.get("scopes", []):
    for pattern in scope.get("resources", []):
        write("glob", f"{pattern}\n{pattern.replace('*', 'x')}\nalice".encode())
for rule in config.get("rules", []):
    for pattern in rule.get("resources", []):
        write("glob", f"{pattern}\n{pattern.replace('*', 'x').replace('{username}', 'alice')}\nalice".encode())
# JWS: a key set, and tokens of the shapes ropc issues (signatures forged:
# the fuzzer cannot make a valid one, which the target asserts).
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


okp = {"kty": "OKP", "crv": "Ed25519", "x": b64(bytes(32)), "kid": "k1", "alg": "EdDSA", "use": "sig"}
ec = {"kty": "EC", "crv": "P-256", "x": b64(bytes(32)), "y": b64(bytes(32)), "kid": "k2", "alg": "ES256"}
write("jws", b"\x00" + json.dumps({"keys": [okp, ec]}).encode())
claims = {"iss": "https://as.example", "sub": "alice", "aud": ["api"], "client_id": "app", "scope": "read",
          "exp": 4102444800, "iat": 1700000000, "jti": "j", "groups": ["staff"]}
write("jws", b"\x01" + json.dumps(claims).encode())
for alg, kid in (("EdDSA", "k1"), ("ES256", "k2"), ("none", "k1"), ("HS256", "k1")):
    header = {"alg": alg, "kid": kid, "typ": "at+jwt"}
    token = ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(bytes(64))])
    write("jws", b"\x02" + token.encode())
# DPoP proofs of the shapes clients send (signatures forged).
jwk = {k: v for k, v in okp.items() if k in ("kty", "crv", "x")}
for alg, extra in (("EdDSA", {}), ("ES256", {}), ("none", {}), ("EdDSA", {"ath": b64(bytes(32)), "nonce": "n"})):
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": jwk}
    body = {"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": "https://as.example/token", "iat": 1700000000, **extra}
    proof = ".".join([b64(json.dumps(header).encode()), b64(json.dumps(body).encode()), b64(bytes(64))])
    write("dpop", (b"\x01" if extra else b"\x00") + proof.encode())
print("seeds in", os.path.join(here, "corpus"))
