#!/usr/bin/env python3
"""Refresh with rotation and a bearer check on a database, from Python:
ropc's SQLite and PostgreSQL stores beside Authlib with its SQLAlchemy
models on the same database, in one run. Prints JSON.

usage: stores.py --sqlite-dir DIR --postgres-url URL"""
import argparse
import json
import os
import secrets
import sys
import urllib.parse

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from bench import LOGIN, field, make_ropc, rate  # noqa: E402


def fresh_postgres(base):
    name = "ropc_bench_" + secrets.token_hex(4)
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


def measure(make, seconds, repeats):
    token, check = make()
    status, body = token(LOGIN)
    assert status == 200, (status, body)
    current = [field(body, "refresh_token")]

    def refresh():
        status, body = token("grant_type=refresh_token&refresh_token=" + urllib.parse.quote(current[0]))
        assert status == 200, (status, body)
        current[0] = field(body, "refresh_token")
        return body

    out = {"refresh_grant_per_s": rate(refresh, seconds, repeats)}
    live = [field(refresh(), "access_token") for _ in range(1000)]
    i = [0]

    def bearer():
        i[0] = (i[0] + 1) % len(live)
        assert check(live[i[0]])

    out["bearer_check_per_s"] = rate(bearer, seconds, repeats)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sqlite-dir", required=True)
    p.add_argument("--postgres-url", required=True)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    os.makedirs(args.sqlite_dir, exist_ok=True)
    results = {}
    for db in ("sqlite", "postgres"):
        if db == "sqlite":
            ours = {"type": "sqlite", "path": os.path.join(args.sqlite_dir, "ropc.db")}
            theirs = "sqlite:///" + os.path.join(args.sqlite_dir, "authlib.db")
            for f in os.listdir(args.sqlite_dir):
                os.remove(os.path.join(args.sqlite_dir, f))
        else:
            ours = {"type": "postgres", "url": fresh_postgres(args.postgres_url)}
            theirs = fresh_postgres(args.postgres_url).replace("postgres://", "postgresql+psycopg://", 1)
        print(f"python stores: {db}...", file=sys.stderr, flush=True)
        results[db] = {
            "ropc": measure(lambda: make_ropc(ours), args.seconds, args.repeats),
            "authlib_sqlalchemy": measure(lambda: peers.make_authlib(theirs), args.seconds, args.repeats),
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
