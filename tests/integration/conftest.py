"""Fixtures for tests that run real processes on one store: the C
authorization server (ROPC_AUTH_SERVER, built by `make test-integration`),
an SQLite file or a fresh database in the test PostgreSQL
(ROPC_TEST_POSTGRES_URL, started by tests/services/postgres.sh)."""
import base64
import hashlib
import json
import os
import secrets
import signal
import subprocess

import psycopg
import pytest
import requests


# alice-pw, bob-pw (argon2id m=64,t=1,p=1: cheap, for tests only)
ALICE = "$argon2id$v=19$m=64,t=1,p=1$UWBJbSlPBujunbIF5FhKtg$eWgaEu3DUpw1lKaXQ+sDgNcdonxjq2Z8Sxjx5Q1fvSw"
BOB = "$argon2id$v=19$m=64,t=1,p=1$0rvat3SjtbwkQfS8C2OrrQ$8FUPtCMdnaKyZ2XUbvZe5QmRD5+7C4Mw5SNlaUlJlf4"


def sha(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def config(store):
    return {
        "realm": "integration",
        "password_hashing": {"m_cost": 64, "t_cost": 1, "p_cost": 1},
        "allow_weak_password_hashing": True,
        "throttle": {"max_failures": 3, "lockout_seconds": 900, "forget_after_seconds": 3600},
        "scopes": [{"name": "read", "resources": ["GET /docs/*"]}],
        "clients": [
            {"id": "app", "secret_hash": sha("app-secret"), "grant_types": ["password", "refresh_token"],
             "scopes": ["read"], "default_scopes": ["read"]},
            {"id": "rs", "secret_hash": sha("rs-secret"), "introspect": True},
        ],
        "users": [{"username": "alice", "password_hash": ALICE}, {"username": "bob", "password_hash": BOB}],
        "rules": [{"resources": ["* /docs/*"], "users": ["*"]}],
        "store": store,
    }


def resource_config(doc):
    """What a resource server needs of a configuration: realm, scopes and
    rules (no client secret or password hashes)."""
    return {key: doc[key] for key in ("realm", "scopes", "rules") if key in doc}


def postgres_url():
    base = os.environ.get("ROPC_TEST_POSTGRES_URL")
    assert base, "ROPC_TEST_POSTGRES_URL is not set: run `make test-integration`, which starts a PostgreSQL"
    return base


def host_accounts_config(throttle=None, clients=()):
    """A configuration without users, for servers whose resource owners are
    the host's: app (password grant) and rs (introspection), rules on the
    staff group, quick pacing and a one-second owner cache."""
    return {
        "realm": "host-accounts",
        "password_hashing": {"m_cost": 64, "t_cost": 1, "p_cost": 1},
        "allow_weak_password_hashing": True,
        "throttle": throttle or {"max_failures": 5, "lockout_seconds": 900, "forget_after_seconds": 3600},
        "accounts": {"min_verify_ms": 20, "owner_cache_seconds": 1},
        "scopes": [{"name": "read", "resources": ["GET /docs/*", "GET /ledger/*"]}],
        "clients": [
            {"id": "app", "secret_hash": sha("app-secret"), "grant_types": ["password", "refresh_token"],
             "scopes": ["read"], "default_scopes": ["read"]},
            {"id": "rs", "secret_hash": sha("rs-secret"), "introspect": True},
            *clients,
        ],
        "rules": [{"resources": ["* /docs/*"], "groups": ["staff"]}],
    }


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A store setting on fresh storage: an SQLite file or a new database."""
    if request.param == "sqlite":
        return {"type": "sqlite", "path": str(tmp_path / "ropc.db"), "busy_timeout_ms": 2000}
    base = postgres_url()
    name = "ropc_it_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return {"type": "postgres", "url": base.rsplit("/", 1)[0] + "/" + name, "connect_timeout_ms": 3000}


class Client:
    """An OAuth client of an authorization server at `url` (as app, or rs)."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()

    def post(self, path, data, client=("app", "app-secret")):
        auth = "Basic " + base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
        return self.http.post(self.url + path, data=data, headers={"Authorization": auth}, timeout=30)

    def login(self, user="alice", password=None):
        return self.post("/token", {"grant_type": "password", "username": user, "password": password or f"{user}-pw"})

    def refresh(self, token):
        return self.post("/token", {"grant_type": "refresh_token", "refresh_token": token})

    def introspect(self, token):
        """The introspection response, asked as the resource server `rs`."""
        r = self.post("/introspect", {"token": token}, client=("rs", "rs-secret"))
        assert r.status_code == 200, r.text
        return r.json()

    def active(self, token):
        return self.introspect(token)["active"]



class AuthServer(Client):
    """The C example authorization server as a child process."""

    def __init__(self, config_path):
        exe = os.environ.get("ROPC_AUTH_SERVER")
        assert exe, "ROPC_AUTH_SERVER is not set: run `make test-integration`"
        # Its log, kept beside the configuration for the tests that read it.
        self.log_path = f"{config_path}.{os.getpid()}.{id(self)}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([exe, "--config", config_path, "--port", "0"],
                                         stdout=subprocess.PIPE, stderr=log, text=True)
        first = self.proc.stdout.readline()
        assert "listening on" in first, f"auth_server did not start: {first!r}"
        super().__init__(first.split()[-1])

    def logged(self):
        """What the server has written to stderr so far."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        """As a crash would: SIGKILL, no cleanup."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def start(tmp_path):
    """start(store) -> a running AuthServer on that store; all stopped at the end."""
    started = []

    def run(store):
        path = tmp_path / f"ropc-{len(started)}.json"
        path.write_text(json.dumps(config(store)))
        s = AuthServer(str(path))
        started.append(s)
        return s

    yield run
    for s in started:
        s.stop()
