"""The grant, from the installed wheel (tests/dist/check.sh)."""
import ropc

phc = ropc.hash_password("alice-pw", 64, 1, 1)
server = ropc.Server({
    "password_hashing": {"m_cost": 64, "t_cost": 1, "p_cost": 1}, "allow_weak_password_hashing": True,
    "scopes": [{"name": "read", "resources": ["GET /docs/*"]}],
    "clients": [{"id": "app", "secret_hash": ropc.hash_client_secret("app-secret"),
                 "grant_types": ["password"], "scopes": ["read"]}],
    "users": [{"username": "alice", "password_hash": phc}],
    "rules": [{"resources": ["GET /docs/*"], "users": ["*"]}],
})
tokens = server.password_grant("app", "app-secret", "alice", "alice-pw", "read")
assert server.check(tokens.access_token, "GET /docs/1", "read").username == "alice"
try:
    server.password_grant("app", "app-secret", "alice", "wrong", "read")
    raise SystemExit("a wrong password was let in")
except ropc.InvalidGrant:
    pass
from ropc import _ropc  # noqa: E402

hooks = [n for n in dir(_ropc) if "test_clock" in n]
assert not hooks, f"test-only functions in the wheel: {hooks}"
print(f"Python (wheel): ropc {ropc.__version__}: grant and check ok")
