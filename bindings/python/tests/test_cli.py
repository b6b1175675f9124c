"""``python -m ropc``: the operators' commands as an operator runs them."""

import json
import subprocess
import sys

import ropc


def run(*args: str, stdin: str = ""):
    return subprocess.run(
        [sys.executable, "-m", "ropc", *args], input=stdin.encode(), capture_output=True, timeout=120
    )


def config(user_hash: str, secret_hash: str) -> dict:
    return {
        "password_hashing": {"m_cost": 64, "t_cost": 1, "p_cost": 1},
        "allow_weak_password_hashing": True,
        "scopes": [{"name": "read", "resources": ["GET /docs/*"]}],
        "clients": [
            {"id": "app", "secret_hash": secret_hash, "grant_types": ["password"], "scopes": ["read"]}
        ],
        "users": [{"username": "alice", "password_hash": user_hash}],
        "rules": [{"resources": ["GET /docs/*"], "users": ["alice"]}],
    }


def test_hash_password_and_generate_secret_make_what_a_server_accepts():
    out = run("hash-password", "--m-cost", "64", "--t-cost", "1", stdin="pässword 1\n")
    assert out.returncode == 0, out.stderr
    phc = out.stdout.decode().strip()
    assert phc.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert b"below OWASP's minimums" in out.stderr
    out = run("generate-secret")
    assert out.returncode == 0
    made = json.loads(out.stdout)
    server = ropc.Server(config(phc, made["secret_hash"]))
    tokens = server.password_grant("app", made["secret"], "alice", "pässword 1", "read")
    assert tokens.access_token


def test_refusals_and_usage_have_their_exit_status():
    out = run("hash-password", stdin="\n")
    assert out.returncode == 1 and b"empty" in out.stderr
    assert run("hash-password", "hunter2").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("--help").returncode == 0


def test_check_config_says_ok_or_what_is_wrong_and_where(tmp_path):
    path = tmp_path / "ropc.json"
    secret, secret_hash = ropc.generate_client_secret()
    doc = config(ropc.hash_password("pw", m_cost=64, t_cost=1, p_cost=1), secret_hash)
    path.write_text(json.dumps(doc))
    out = run("check-config", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode() == (
        f"{path}: ok: 1 scopes, 1 clients (1 with the password grant), 1 users, 1 rules, store: memory\n"
    )
    assert ropc.check_config_file(path).startswith("1 scopes")
    doc["rules"][0]["users"] = ["alcie"]
    path.write_text(json.dumps(doc))
    out = run("check-config", str(path))
    assert out.returncode == 1
    assert out.stderr.decode() == (
        f'ropc: invalid configuration in {path} at rules[0].users[0]: no configured user is named "alcie"\n'
    )
    try:
        ropc.check_config_file(path)
        raise AssertionError("accepted")
    except ropc.ConfigError as e:
        assert e.path == "rules[0].users[0]" and e.file == str(path)
    assert run("check-config", str(tmp_path / "missing.json")).returncode == 1
