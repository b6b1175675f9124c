"""The example servers are what users copy: they must be safe to copy.
Request smuggling, secrets in logs, Nagle's stall, the backlog and idle
connections, checked on the real examples (Python and Node)."""
import base64
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time

import requests
import ropc
from conftest import Client, config, resource_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
SECRET = "s3cr3t-in-the-query-string"


RESOURCE_SERVERS = ([sys.executable, os.path.join(EXAMPLES, "python", "resource_server.py")],
                    ["node", os.path.join(EXAMPLES, "node", "resource_server.js")])


def start(argv, env=None):
    """A server started; its standard error is read as it comes (see
    wait_logged), the rest of its standard output discarded."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    first = proc.stdout.readline()
    if "listening on" not in first:
        proc.kill()
        raise AssertionError(f"{argv[-1]} did not start: {first!r} {proc.stderr.read()!r}")
    proc.logged = []
    proc.drains = [threading.Thread(target=lambda: proc.logged.extend(iter(proc.stderr.readline, "")), daemon=True),
                   threading.Thread(target=lambda: proc.stdout.read(), daemon=True)]
    for t in proc.drains:
        t.start()
    return proc, first.split()[-1]


def wait_logged(proc, text, count=1):
    """Waits until the server has written `text` to standard error `count`
    times: that it handled something (a reload, say) is shown by what it
    said, not by a pause."""
    deadline = time.monotonic() + 30
    while "".join(proc.logged).count(text) < count:
        assert proc.poll() is None, f"the server ended: {''.join(proc.logged)}"
        assert time.monotonic() < deadline, f"never logged {text!r} {count} times: {''.join(proc.logged)}"
        time.sleep(0.02)


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)
    for t in proc.drains:
        t.join(timeout=10)
    return "".join(proc.logged)


def example_auth_server(tmp_path):
    """The Python example authorization server on the test configuration;
    also that configuration's file and the resource servers' share of it."""
    full = tmp_path / "ropc.json"
    full.write_text(json.dumps(config({"type": "memory"})))
    only = tmp_path / "rs.json"
    only.write_text(json.dumps(resource_config(config({"type": "memory"}))))
    auth, as_url = start([sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py"), "--config", str(full),
                          "--port", "0"])
    return auth, as_url, full, only


def raw(url, data):
    """Sends raw bytes; returns everything read until the server closes."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def python_auth_server(tmp_path):
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(config({"type": "memory"})))
    return start([sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py"), "--config", str(path), "--port", "0"])


def test_a_long_body_cannot_smuggle_a_second_request(tmp_path):
    proc, url = python_auth_server(tmp_path)
    try:
        hidden = b"POST /introspect HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        body = b"a" * (ropc.MAX_BODY_BYTES + 1) + hidden + b"b" * 1000
        head = f"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" \
               f"Content-Length: {len(body)}\r\n\r\n".encode()
        out = raw(url, head + body)
        assert out.count(b"HTTP/1.1 ") == 1, f"one request, one response: {out[:300]!r}"
        assert b"Connection: close" in out
        chunked = b"POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + hidden
        out = raw(url, chunked)
        assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400"), out[:200]
    finally:
        stop(proc)


def test_the_python_examples_refuse_framing_a_proxy_could_read_otherwise(tmp_path):
    """Two Content-Lengths, lengths int() would take ("+9", "0_9"), and a
    header name with a space (after which CPython drops every header, so
    the body would run as a hidden second request): 400, one answer, the
    connection closed, at the authorization and the resource server."""
    auth, as_url, _, only = example_auth_server(tmp_path)
    rs, rs_url = start([*RESOURCE_SERVERS[0], "--config", str(only), "--port", "0",
                        "--introspect", as_url + "/introspect", "--client-id", "rs"],
                       env={"ROPC_CLIENT_SECRET": "rs-secret"})
    hidden = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        for url in (as_url, rs_url):
            for head in [b"Content-Length: 3\r\nContent-Length: 0\r\n", b"Content-Length: +3\r\n",
                         b"Content-Length: 0_3\r\n", b"Bad Header: x\r\nContent-Length: 41\r\n"]:
                out = raw(url, b"POST /token HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + hidden)
                assert out.startswith(b"HTTP/1.1 400"), (url, head, out[:200])
                assert out.count(b"HTTP/1.1 ") == 1, f"the hidden request was answered: {out[:400]!r}"
                assert b"Connection: close" in out
    finally:
        stop(rs)
        stop(auth)


def test_no_example_logs_a_query_string(tmp_path):
    cfg = tmp_path / "ropc.json"
    cfg.write_text(json.dumps(config({"type": "memory"})))
    servers = []
    try:
        for argv in ([sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
                     ["node", os.path.join(EXAMPLES, "node", "auth_server.js")]):
            servers.append(start([*argv, "--config", str(cfg), "--port", "0"]))
        as_url = servers[0][1]
        env = {"ROPC_CLIENT_SECRET": "rs-secret"}
        rs_cfg = tmp_path / "rs.json"
        rs_cfg.write_text(json.dumps(resource_config(config({"type": "memory"}))))
        for argv in RESOURCE_SERVERS:
            servers.append(start([*argv, "--config", str(rs_cfg), "--port", "0", "--introspect", f"{as_url}/introspect",
                                  "--client-id", "rs"], env))
        for _, url in servers[:2]:
            requests.post(f"{url}/token?client_id=app&client_secret={SECRET}&password={SECRET}",
                          data={"grant_type": "password"}, timeout=10)
        for _, url in servers[2:]:
            requests.get(f"{url}/docs/1?access_token={SECRET}", timeout=10)
    finally:
        logs = [stop(proc) for proc, _ in servers]
    assert all(logs), "every server logged its requests"
    for log in logs:
        assert SECRET not in log, f"a secret reached the log: {log}"


def test_the_python_examples_send_without_nagle_and_keep_a_backlog(tmp_path):
    for name, arg in (("auth_server", ropc.Server(json.dumps(config({"type": "memory"})))),
                      ("resource_server", object())):
        spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, "python", f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        seen = {}

        class Probe(module.make_handler(arg)):
            def setup(self):
                super().setup()
                seen["nodelay"] = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen["timeout"] = self.connection.gettimeout()

            def handle_any(self):
                self.reply(204, [], b"")

            do_GET = handle_any

        httpd = module.Server(("127.0.0.1", 0), Probe)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            requests.get(f"http://127.0.0.1:{httpd.server_address[1]}/", timeout=10)
        finally:
            httpd.shutdown()
            httpd.server_close()
        assert seen["nodelay"] == 1, f"{name}: responses wait for the client's delayed ACK"
        assert seen["timeout"] and seen["timeout"] <= 60, f"{name}: idle connections are held forever"
        assert module.Server.request_queue_size >= 128, f"{name}: a backlog of 5 resets bursts"


def test_the_example_resource_servers_need_no_hashes_and_warn_when_given_them(tmp_path):
    shipped = {name: json.load(open(os.path.join(EXAMPLES, "config", name), encoding="utf-8"))
               for name in ("ropc.json", "resource_server.json")}
    assert shipped["resource_server.json"] == resource_config(shipped["ropc.json"]), \
        "examples/config/resource_server.json has the realm, scopes and rules of ropc.json, nothing else"
    auth, as_url, full, only = example_auth_server(tmp_path)
    try:
        token = Client(as_url).login().json()["access_token"]
        for argv in RESOURCE_SERVERS:
            logs = {}
            for name, path in (("only", only), ("full", full)):
                rs, url = start([*argv, "--config", str(path), "--port", "0", "--introspect", f"{as_url}/introspect",
                                 "--client-id", "rs"], {"ROPC_CLIENT_SECRET": "rs-secret"})
                try:
                    got = requests.get(f"{url}/docs/1", headers={"Authorization": f"Bearer {token}"}, timeout=10)
                    assert got.status_code == 200, (argv[-1], name, got.text)
                finally:
                    logs[name] = stop(rs)
            assert "hashes" not in logs["only"], logs["only"]
            assert "warning: the configuration holds password or client secret hashes" in logs["full"], logs["full"]
    finally:
        stop(auth)


def test_the_example_authorization_servers_serve_their_metrics_to_loopback(tmp_path):
    cfg = tmp_path / "ropc.json"
    cfg.write_text(json.dumps(config({"type": "memory"})))
    servers = {
        "c": [os.environ["ROPC_AUTH_SERVER"]],
        "python": [sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
        "node": ["node", os.path.join(EXAMPLES, "node", "auth_server.js")],
    }
    for name, argv in servers.items():
        proc, url = start([*argv, "--config", str(cfg), "--port", "0"])
        try:
            Client(url).login()
            Client(url).login(password="wrong")
            got = requests.get(f"{url}/metrics", timeout=10)
            assert got.status_code == 200, (name, got.status_code)
            assert got.headers["Content-Type"].startswith("text/plain; version=0.0.4"), name
            text = got.text
            assert 'ropc_requests_total{operation="password",outcome="ok"} 1\n' in text, (name, text)
            assert 'ropc_requests_total{operation="password",outcome="invalid_grant"} 1\n' in text, name
            assert "ropc_password_verification_seconds_count" in text, name
            assert "alice" not in text, name
            assert requests.post(f"{url}/metrics", timeout=10).status_code in (404, 405), name
        finally:
            stop(proc)


def test_the_example_resource_servers_cache_introspection_only_when_asked(tmp_path):
    """Off by default: a revoked token is refused at once. With
    --cache-seconds, the documented trade: it is accepted until its cached
    answer expires, and an out-of-range value is refused at start."""
    auth, as_url, full, only = example_auth_server(tmp_path)
    client = Client(as_url)
    try:
        for argv in RESOURCE_SERVERS:
            bad = subprocess.run([*argv, "--config", str(only), "--port", "0", "--introspect", f"{as_url}/introspect",
                                  "--client-id", "rs", "--cache-seconds", "301"],
                                 env={**os.environ, "ROPC_CLIENT_SECRET": "rs-secret"}, capture_output=True, text=True,
                                 timeout=30)
            assert bad.returncode == 2 and "--cache-seconds" in bad.stderr, (argv[-1], bad.stderr)
            for cache, after_revocation in (([], 401), (["--cache-seconds", "60"], 200)):
                token = client.login().json()["access_token"]
                rs, url = start([*argv, "--config", str(only), "--port", "0", "--introspect", f"{as_url}/introspect",
                                 "--client-id", "rs", *cache], {"ROPC_CLIENT_SECRET": "rs-secret"})
                try:
                    bearer = {"Authorization": f"Bearer {token}"}
                    assert requests.get(f"{url}/docs/1", headers=bearer, timeout=10).status_code == 200
                    assert client.post("/revoke", {"token": token}).status_code == 200
                    assert not client.active(token)
                    got = requests.get(f"{url}/docs/1", headers=bearer, timeout=10)
                    assert got.status_code == after_revocation, (argv[-1], cache, got.text)
                finally:
                    stop(rs)
    finally:
        stop(auth)


def test_a_dpop_client_no_one_here_wrote_uses_the_example_servers(tmp_path):
    """requests-oauth2client and oauth4webapi (their DPoP support) each get a
    DPoP-bound token from each example authorization server with the
    password grant, refresh it, and call the Python and Node example
    resource servers (which ask introspection and check the proof against
    its cnf.jkt); the token as Bearer, or with another key's proof, is
    refused (RFC 9449)."""
    from requests_oauth2client import DPoPKey, OAuth2Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    doc = config({"type": "memory"})
    doc["issuer"] = f"http://127.0.0.1:{port}"  # proofs name its /token
    doc["clients"].append({**doc["clients"][0], "id": "bound", "dpop": "required"})
    full, only = tmp_path / "ropc.json", tmp_path / "rs.json"
    full.write_text(json.dumps(doc))
    only.write_text(json.dumps(resource_config(doc)))
    for argv in ([os.environ["ROPC_AUTH_SERVER"]],
                 [sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
                 ["node", os.path.join(EXAMPLES, "node", "auth_server.js")]):
        auth, as_url = start([*argv, "--config", str(full), "--port", str(port)])
        servers = []
        try:
            for rs_argv in RESOURCE_SERVERS:
                servers.append(start([*rs_argv, "--config", str(only), "--port", "0", "--introspect",
                                      as_url + "/introspect", "--client-id", "rs"],
                                     env={"ROPC_CLIENT_SECRET": "rs-secret"}))
            client = OAuth2Client(token_endpoint=as_url + "/token", auth=("bound", "app-secret"),
                                  dpop_bound_access_tokens=True, testing=True)
            token = client.resource_owner_password("alice", "alice-pw", scope="read")
            assert token.token_type == "DPoP", argv
            refreshed = client.refresh_token(token)
            for _, rs_url in servers:
                for t in (token, refreshed):
                    r = requests.get(rs_url + "/docs/report", auth=t, timeout=10)
                    assert r.status_code == 200 and r.json()["user"] == "alice", (argv, rs_url, r.text)
                r = requests.get(rs_url + "/docs/report", headers={"Authorization": f"Bearer {refreshed.access_token}"},
                                 timeout=10)
                assert r.status_code == 401, (argv, rs_url)
                # With a proof made by another key: refused.
                thief = DPoPKey.generate()
                ath = base64.urlsafe_b64encode(hashlib.sha256(str(refreshed.access_token).encode()).digest())
                proof = thief.proof(htm="GET", htu=rs_url + "/docs/report", ath=ath.rstrip(b"=").decode())
                r = requests.get(rs_url + "/docs/report", timeout=10, headers={
                    "Authorization": f"DPoP {refreshed.access_token}", "DPoP": str(proof)})
                assert r.status_code == 401 and 'error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"], \
                    (argv, rs_url, r.headers)
            # And oauth4webapi, the same way (tests/integration/oauth4webapi_client.mjs).
            node = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "oauth4webapi_client.mjs"),
                                   as_url, *(u for _, u in servers)], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "ROPC_NODE_PKG": os.path.join(ROOT, "bindings", "node")})
            assert (node.returncode, node.stdout) == (0, "ok\n"), (argv, node.stdout, node.stderr)
        finally:
            for rs, _ in servers:
                stop(rs)
            stop(auth)
