#!/usr/bin/env python3
"""`make demo`: the five stages of the password grant across three real
servers on loopback: an authorization server in C (libmicrohttpd + libropc)
keeping its tokens in an SQLite file, and two resource servers, one in Python
and one in Node, that ask it (introspection) before they let ropc check scope
and the owner's rights. Midway the authorization server is killed and started
again: the tokens it issued keep working.

A client then walks the flow, and the table shows what really happened at
each step. Exits non-zero if any step did not behave as shown; stops the
servers it started, whatever happens. Standard library only.
"""
import argparse
import base64
import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "examples", "config", "ropc.json")
# What the resource servers get: realm, scopes and rules, no hashes.
RS_CONFIG = os.path.join(ROOT, "examples", "config", "resource_server.json")
CLIENT = ("billing-app", "demo-billing-secret-do-not-use-in-production")
API = ("invoice-api", "demo-invoice-api-secret-do-not-use-in-production")


class Server:
    """A child process whose first stdout line is 'NAME listening on URL'
    and whose stderr is one line a request."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **(env or {})}
        self.log = queue.Queue()
        self.start()

    # Where every process started is written down (--pid-file): a test then
    # checks its own processes, not every ropc server on the machine.
    pid_file = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        if Server.pid_file:
            with open(Server.pid_file, "a", encoding="utf-8") as f:
                f.write(f"{self.proc.pid}\n")
        first = self.proc.stdout.readline()
        if "listening on" not in first:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"{self.name} did not start: {first.strip() or err.strip()}")
        self.url = first.split()[-1]
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()

    def _drain(self, proc):
        for line in proc.stderr:
            self.log.put(line.strip())

    def crash_and_restart(self):
        """SIGKILL (no clean shutdown), then the same program on the same port."""
        old = self.proc.pid
        self.proc.kill()
        self.proc.wait(timeout=10)
        port = self.url.rsplit(":", 1)[1]
        self.argv = [*self.argv[: self.argv.index("--port")], "--port", port]
        self.start()
        return old, self.proc.pid

    def lines(self):
        time.sleep(0.05)
        out = []
        while not self.log.empty():
            out.append(self.log.get())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def http(method, url, data=None, headers=None, auth=None):
    headers = dict(headers or {})
    if auth:
        pair = f"{urllib.parse.quote_plus(auth[0])}:{urllib.parse.quote_plus(auth[1])}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def short(token):
    return token[:8] + "..." if token else "-"


def describe(status, body):
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        return f"{status} {body[:60]!r}"
    if "error" in doc:
        return f"{status} {doc['error']}: {doc.get('error_description', '')}"
    if "access_token" in doc:
        extra = f", refresh_token {short(doc.get('refresh_token'))}" if doc.get("refresh_token") else ""
        return f"{status} access_token {short(doc['access_token'])}{extra}, scope '{doc.get('scope')}', expires_in {doc.get('expires_in')}"
    if "user" in doc:
        return f"{status} served by {doc['served_by']} to {doc['user']} (client {doc['client']}, scopes {' '.join(doc['scopes'])})"
    return f"{status} {json.dumps(doc)}"


WIDTH = 100  # the table fits a 100-column terminal


class Table:
    """One step a row: its stage marker, what happens, what is expected and
    whether it happened (ok or FAIL); what came back on the lines under it."""

    def __init__(self):
        self.failures = 0
        print("stage: 1-5 the five stages of the password grant, ~ the authorization server crashes,")
        print("       + a refresh, - what must be refused; under each step, what came back")
        print(f"{'st':<3}{'what':<61}{'expected':<25}result")
        print("-" * WIDTH)

    def row(self, stage, what, expected, got, ok=None, detail=None):
        ok = expected.split()[0] == got.split()[0] if ok is None else ok
        if not ok:
            self.failures += 1
        print(f"{stage:<3}{what:<61}{expected:<25}{'ok' if ok else 'FAIL'}")
        for line in [got, *(detail or [])]:
            print(textwrap.fill(line, WIDTH, initial_indent="     ", subsequent_indent="       "))


def main():
    p = argparse.ArgumentParser(description="ropc's five-stage demo")
    p.add_argument("--auth-server", required=True, help="the C authorization server binary")
    p.add_argument("--python", required=True, help="a Python with the ropc module installed")
    p.add_argument("--node", default="node")
    p.add_argument("--as-port", type=int, default=9000)
    p.add_argument("--py-port", type=int, default=9001)
    p.add_argument("--node-port", type=int, default=9002)
    p.add_argument("--state-dir", default=os.path.join(ROOT, "build", "demo"),
                   help="where the authorization server keeps its SQLite store")
    p.add_argument("--pid-file", help="a file to append the process id of every server started to")
    args = p.parse_args()
    Server.pid_file = args.pid_file

    # The demo's configuration, with the tokens in an SQLite file: they
    # outlive the process (README: "Choosing a store").
    os.makedirs(args.state_dir, exist_ok=True)
    db = os.path.join(args.state_dir, "ropc.db")
    for leftover in (db, db + "-wal", db + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    with open(CONFIG, encoding="utf-8") as f:
        doc = json.load(f)
    doc["store"] = {"type": "sqlite", "path": db}
    as_config = os.path.join(args.state_dir, "ropc.json")
    with open(as_config, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)

    servers = []
    try:
        auth = Server("auth_server (C)", [args.auth_server, "--config", as_config, "--port", str(args.as_port)])
        servers.append(auth)
        rs_args = ["--config", RS_CONFIG, "--introspect", f"{auth.url}/introspect", "--client-id", API[0]]
        env = {"ROPC_CLIENT_SECRET": API[1]}
        py = Server("resource_server (Python)", [args.python, os.path.join(ROOT, "examples", "python", "resource_server.py"),
                                                 *rs_args, "--port", str(args.py_port)], env)
        servers.append(py)
        nd = Server("resource_server (Node)", [args.node, os.path.join(ROOT, "examples", "node", "resource_server.js"),
                                               *rs_args, "--port", str(args.node_port)], env)
        servers.append(nd)
        print(f"authorization server (C, libmicrohttpd + libropc): {auth.url}")
        print(f"  its tokens are in {os.path.relpath(db)}")
        print(f"resource server (Python, http.server + ropc):       {py.url}")
        print(f"resource server (Node, node:http + ropc):          {nd.url}\n")
        auth.lines()
        run(auth, py, nd)
    except Exception as e:  # a server that would not start, or a broken step
        print(f"demo failed: {e}", file=sys.stderr)
        return 1
    finally:
        for s in reversed(servers):
            s.stop()
    return 0 if TABLE.failures == 0 else 1


TABLE = None


def run(auth, py, nd):
    global TABLE
    t = TABLE = Table()
    token_url = f"{auth.url}/token"

    t.row("1", "alice gives her username and password to billing-app", "-", "username alice, password (not shown)", ok=True)
    status, headers, body = http("POST", token_url, {"grant_type": "password", "username": "alice",
                                                     "password": "correct horse", "scope": "read"}, auth=CLIENT)
    t.row("2", "billing-app POSTs grant_type=password to C /token (Basic)", "200", f"{status} from {auth.url}/token")
    tokens = json.loads(body) if status == 200 else {}
    no_store = headers.get("Cache-Control") == "no-store" and headers.get("Pragma") == "no-cache"
    t.row("3", "the C server checks client, grant, scope, password; issues", "200 tokens", describe(status, body),
          ok=status == 200 and bool(tokens.get("refresh_token")) and no_store,
          detail=[f"Cache-Control: {headers.get('Cache-Control')}, Pragma: {headers.get('Pragma')}"])
    access = tokens.get("access_token", "")

    old, new = auth.crash_and_restart()
    auth.lines()
    t.row("~", "the C server crashes (kill -9) and starts again on its file", "restarted",
          f"restarted: pid {old} -> {new}, same port, same SQLite file", ok=auth.proc.poll() is None)

    for rs in (py, nd):
        status, _, body = http("GET", f"{rs.url}/invoices/42", headers={"Authorization": f"Bearer {access}"})
        t.row("4", f"billing-app: GET /invoices/42 on the {rs.name.split('(')[1][:-1]} resource server", "200", f"{status}")
        asked = [line for line in auth.lines() if "/introspect" in line]
        t.row("5", "  it asks C /introspect (the token from before the crash)", "200 allowed", describe(status, body),
              ok=status == 200 and len(asked) == 1, detail=[f"C server log: {a}" for a in asked])

    status, _, body = http("POST", token_url, {"grant_type": "refresh_token", "refresh_token": tokens.get("refresh_token", "")}, auth=CLIENT)
    refreshed = json.loads(body) if status == 200 else {}
    t.row("+", "refresh: grant_type=refresh_token (no password)", "200 rotated", describe(status, body),
          ok=status == 200 and refreshed.get("refresh_token") not in (None, tokens.get("refresh_token")))
    access = refreshed.get("access_token", access)
    bearer = {"Authorization": f"Bearer {access}"}

    status, headers, body = http("POST", f"{py.url}/invoices/42", headers=bearer)
    t.row("-", "out of scope: POST /invoices/42 needs 'write' (Python)", "403 insufficient_scope", describe(status, body),
          ok=status == 403 and json.loads(body or b"{}").get("error") == "insufficient_scope",
          detail=[f"WWW-Authenticate: {headers.get('WWW-Authenticate')}"])
    status, _, body = http("GET", f"{nd.url}/users/bob/profile", headers=bearer)
    t.row("-", "another user's resource: GET /users/bob/profile (Node)", "403 access_denied", describe(status, body),
          ok=status == 403 and json.loads(body or b"{}").get("error") == "access_denied")
    status, _, body = http("POST", token_url, {"grant_type": "password", "username": "alice", "password": "correct horse",
                                               "client_id": "mobile-app"})
    t.row("-", "a public client (mobile-app) tries the password grant", "400 unauthorized_client", describe(status, body),
          ok=status == 400 and json.loads(body or b"{}").get("error") == "unauthorized_client")
    status, _, body = http("POST", token_url, {"grant_type": "password", "username": "alice", "password": "wrong"}, auth=CLIENT)
    t.row("-", "a wrong password", "400 invalid_grant", describe(status, body),
          ok=status == 400 and json.loads(body or b"{}").get("error") == "invalid_grant")
    status, _, body = http("POST", f"{auth.url}/revoke", {"token": refreshed.get("refresh_token", ""),
                                                          "token_type_hint": "refresh_token"}, auth=CLIENT)
    t.row("-", "billing-app revokes its refresh token (and so its grant)", "200", f"{status} {body.decode()}")
    for rs in (py, nd):
        status, headers, body = http("GET", f"{rs.url}/invoices/42", headers=bearer)
        t.row("-", f"  the same request after revocation ({rs.name.split('(')[1][:-1]})", "401 invalid_token", describe(status, body),
              ok=status == 401 and 'error="invalid_token"' in headers.get("WWW-Authenticate", ""))
    print("-" * WIDTH)
    print("every step behaved as shown" if t.failures == 0 else f"{t.failures} step(s) did not behave as shown")


if __name__ == "__main__":
    sys.exit(main())
