#!/usr/bin/env python3
"""The HTTP figures of `make bench`: wrk (one thread, 16 connections unless
said, best of --runs) against ropc's example servers in C, Python and Node,
ropc's WSGI and ASGI apps under gunicorn and uvicorn, and the peers served
as their documentation shows (Authlib on Flask under gunicorn,
@node-oauth/oauth2-server on Express), all on one fixture
(examples/config/ropc.json, argon2id at OWASP's parameters), one server at a
time on this machine. Prints JSON: per server and figure, requests a second,
p50/p99 latency and the count of non-2xx answers and socket errors.

    run.py --c-auth-server BIN --c-resource BIN --python PY --node-modules DIR --logs DIR
"""
import argparse
import base64
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIG = os.path.join(ROOT, "examples", "config", "ropc.json")
RS_CONFIG = os.path.join(ROOT, "examples", "config", "resource_server.json")
CLIENT = ("billing-app", "demo-billing-secret-do-not-use-in-production")
API = ("invoice-api", "demo-invoice-api-secret-do-not-use-in-production")
PASSWORD_FORM = urllib.parse.urlencode({"grant_type": "password", "username": "alice",
                                        "password": "correct horse", "scope": "read"})
CONNECTIONS = 16
# Rows that measure a server with an empty app, not an OAuth server.
EMPTY = "empty app: "


def basic(pair):
    return "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A server process: started, its port learnt (its first line, or a
    port given and waited for), stopped."""

    def __init__(self, name, argv, logs, env=None, cwd=None, port=None):
        self.name = name
        log = open(os.path.join(logs, re.sub(r"[^A-Za-z0-9.-]+", "_", name) + ".log"), "wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE if port is None else log, stderr=log,
                                     env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)
        if port is None:
            line = self.proc.stdout.readline().decode()
            if "http://" not in line:
                self.stop()
                raise SystemExit(f"{name}: did not start (see {log.name})")
            self.port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
        else:
            self.port = port
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit(f"{name}: not listening (see {log.name})")
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def post(port, path, body, auth):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status != 200:
        raise SystemExit(f"POST {path} on port {port}: {r.status} {data[:200]!r}")
    return json.loads(data)


def tokens(port, n):
    return [post(port, "/token", PASSWORD_FORM, basic(CLIENT)) for _ in range(n)]


def wrk(port, args, connections, seconds):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", os.path.join(HERE, "wrk.lua"), f"http://127.0.0.1:{port}", "--", *args],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    seconds = result["duration_us"] / 1e6
    return {"rps": result["requests"] / seconds, "p50_ms": result["p50_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000, "requests": result["requests"],
            "non2xx": result["non2xx"], "socket_errors": result["socket_errors"]}


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = {}

    def best(self, server, figure, port, make_args, connections=CONNECTIONS):
        """The best of the runs (fresh tokens for each); non-2xx and socket
        errors summed over all of them."""
        runs = [wrk(port, make_args(), connections, self.args.seconds) for _ in range(self.args.runs)]
        best = max(runs, key=lambda r: r["rps"])
        best["non2xx"] = sum(r["non2xx"] for r in runs)
        best["socket_errors"] = sum(r["socket_errors"] for r in runs)
        self.results.setdefault(server, {})[figure] = best
        print(f"{server:>28} {figure:<24} {best['rps']:>10,.0f}/s  p50 {best['p50_ms']:.2f} ms"
              f"  p99 {best['p99_ms']:.2f} ms  non-2xx {best['non2xx']}", file=sys.stderr, flush=True)

    def authorization_server(self, server, port, introspection=True):
        if introspection:
            access = tokens(port, 1)[0]["access_token"]
            self.best(server, "introspection", port, lambda: ["introspect", basic(API), access])

        def refresh_tokens():
            path = os.path.join(self.args.logs, "refresh_tokens.txt")
            with open(path, "w") as f:
                f.write("\n".join(t["refresh_token"] for t in tokens(port, CONNECTIONS + 4)) + "\n")
            return ["refresh", basic(CLIENT), path]

        self.best(server, "refresh", port, refresh_tokens)
        for n in (2, 8):
            self.best(server, f"password_{n}", port, lambda: ["password", basic(CLIENT), PASSWORD_FORM], n)

    def resource(self, server, port, figure, token_port=None):
        access = tokens(token_port or port, 1)[0]["access_token"]
        self.best(server, figure, port, lambda: ["resource", "/invoices/42", access])

    def run(self):
        a, logs = self.args, self.args.logs
        py, node = a.python, "node"
        node_env = {"NODE_PATH": a.node_modules}
        authlib_env = {"AUTHLIB_INSECURE_TRANSPORT": "1"}
        ropc_env = {"ROPC_CONFIG": CONFIG}
        gunicorn = [py, "-m", "gunicorn", "-w", "1", "--threads", "4", "--chdir", HERE]

        def uvicorn(port):
            return [py, "-m", "uvicorn", "--app-dir", HERE, "--port", str(port), "--lifespan", "off",
                    "--no-access-log", "--log-level", "warning"]

        with Process("ropc C", [a.c_auth_server, "--config", CONFIG, "--port", "0", "--per-ip", "64"], logs) as c:
            self.authorization_server("ropc C", c.port)
            rs_env = {"ROPC_CLIENT_SECRET": API[1]}
            introspect = f"http://127.0.0.1:{c.port}/introspect"
            rs_args = ["--config", RS_CONFIG, "--port", "0", "--introspect", introspect, "--client-id", API[0]]
            for lang, argv in (("Python", [py, os.path.join(ROOT, "examples/python/resource_server.py")]),
                               ("Node", [node, os.path.join(ROOT, "examples/node/resource_server.js")])):
                with Process(f"ropc {lang} RS", [*argv, *rs_args], logs, env=rs_env) as rs:
                    self.resource(f"ropc {lang}", rs.port, "resource_via_introspection", c.port)
                # The opt-in cache (a revoked token is accepted up to 5 s).
                with Process(f"ropc {lang} RS cached", [*argv, *rs_args, "--cache-seconds", "5"], logs,
                             env=rs_env) as rs:
                    self.resource(f"ropc {lang}", rs.port, "resource_via_cached_introspection", c.port)
        with Process("ropc C resource", [a.c_resource, "--config", CONFIG], logs) as p:
            self.resource("ropc C", p.port, "resource")
        with Process("ropc Python", [py, os.path.join(ROOT, "examples/python/auth_server.py"), "--config", CONFIG,
                                     "--port", "0"], logs) as p:
            self.authorization_server("ropc Python", p.port)
        with Process("ropc Node", [node, os.path.join(ROOT, "examples/node/auth_server.js"), "--config", CONFIG,
                                   "--port", "0"], logs) as p:
            self.authorization_server("ropc Node", p.port)
        with Process("ropc Node resource", [node, os.path.join(HERE, "ropc_node.js"), "--config", CONFIG], logs,
                     env=node_env) as p:
            self.resource("ropc Node", p.port, "resource")
        self.app("ropc WSGI (gunicorn)", lambda port: [*gunicorn, "-b", f"127.0.0.1:{port}", "ropc_app:wsgi_app"],
                 ropc_env)
        self.app("ropc ASGI (uvicorn)", lambda port: [*uvicorn(port), "ropc_app:asgi_app"], ropc_env)
        self.app("Authlib (gunicorn)", lambda port: [*gunicorn, "-b", f"127.0.0.1:{port}", "authlib_app:app"],
                 authlib_env)
        with Process("node-oauth2-server", [node, os.path.join(HERE, "peer_node.js")], logs, env=node_env) as p:
            self.authorization_server("node-oauth2-server (Express)", p.port, introspection=False)
            self.resource("node-oauth2-server (Express)", p.port, "resource")
        # Each server's empty app: the most any app on it can answer here.
        self.app(f"{EMPTY}gunicorn", lambda port: [*gunicorn, "-b", f"127.0.0.1:{port}", "empty_app:wsgi_app"],
                 {}, empty=True)
        self.app(f"{EMPTY}uvicorn", lambda port: [*uvicorn(port), "empty_app:asgi_app"], {}, empty=True)
        with Process("empty node", [node, os.path.join(HERE, "empty.js")], logs, env=node_env) as p:
            self.empty(f"{EMPTY}node:http", p.port)
        with Process("empty express", [node, os.path.join(HERE, "empty.js"), "--express"], logs, env=node_env) as p:
            self.empty(f"{EMPTY}Express", p.port)
        return self.results

    def app(self, server, argv, env, empty=False):
        """An app on a server that takes its port on the command line
        (gunicorn, uvicorn): every figure, or the empty app's one."""
        port = free_port()
        with Process(server, argv(port), self.args.logs, env=env, port=port) as p:
            if empty:
                self.empty(server, p.port)
            else:
                self.authorization_server(server, p.port)
                self.resource(server, p.port, "resource")

    def empty(self, server, port):
        self.best(server, "resource", port, lambda: ["resource", "/invoices/42", "none"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--c-auth-server", required=True)
    p.add_argument("--c-resource", required=True)
    p.add_argument("--python", required=True, help="a Python with ropc, Authlib, gunicorn and uvicorn")
    p.add_argument("--node-modules", required=True, help="bench/node/node_modules (ropc, express, the peer)")
    p.add_argument("--logs", required=True, help="a directory for the servers' logs")
    p.add_argument("--seconds", type=int, default=int(os.environ.get("HTTP_SECONDS", "10")))
    p.add_argument("--runs", type=int, default=int(os.environ.get("HTTP_RUNS", "2")))
    a = p.parse_args()
    os.makedirs(a.logs, exist_ok=True)
    results = Bench(a).run()
    json.dump({"seconds": a.seconds, "runs": a.runs, "connections": CONNECTIONS, "servers": results},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
