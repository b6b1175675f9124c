"""What the stress scripts share: the resident memory of a process, and a
configuration with one client (app / app-secret) and one user (alice)."""
import base64
import hashlib

import ropc

AUTH = "Basic " + base64.b64encode(b"app:app-secret").decode()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def config(hashing=None, **extra):
    """The configuration, argon2id at `hashing` (default OWASP's), plus `extra` fields."""
    doc = {
        "scopes": [{"name": "read", "resources": ["GET /docs/*"]}],
        "clients": [{"id": "app", "secret_hash": "sha256:" + hashlib.sha256(b"app-secret").hexdigest(),
                     "grant_types": ["password"], "scopes": ["read"], "default_scopes": ["read"]}],
        "users": [{"username": "alice", "password_hash": ropc.hash_password("alice-pw", **(hashing or {}))}],
        **extra,
    }
    if hashing:
        doc["password_hashing"] = hashing
        doc["allow_weak_password_hashing"] = True
    return doc
