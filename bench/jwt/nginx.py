"""NGINX in front of an upstream, with and without forward-auth to ropc
(make bench-jwt): wrk (one thread, 16 connections, 10 s, three runs each,
by turns) against one NGINX worker that either proxies straight to the
upstream (itself, a `return 200`) or first asks ropc's C example server
(`auth_request` to /auth) about an opaque token or a JWT. Prints JSON:
requests per second, the median run. Usage: nginx.py AUTH_SERVER CONFIG."""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port):
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {port}")
            time.sleep(0.05)


def token(port, client):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/token", method="POST",
        data=b"grant_type=password&username=alice&password=pw&scope=read",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": "Basic " + __import__("base64").b64encode(f"{client}:app-secret".encode()).decode()})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["access_token"]


def wrk(port, bearer):
    out = subprocess.run(["wrk", "-t1", "-c16", "-d10s", "-H", f"Authorization: Bearer {bearer}",
                          f"http://127.0.0.1:{port}/invoices/42"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"refused requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    auth_server, config = sys.argv[1:3]
    d = tempfile.mkdtemp(prefix="ropc-bench-nginx-")
    auth = subprocess.Popen([auth_server, "--config", config, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    auth_port = int(auth.stdout.readline().decode().rsplit(":", 1)[1].strip().rstrip("/"))
    wait(auth_port)
    upstream, plain, checked = free_port(), free_port(), free_port()
    os.makedirs(f"{d}/tmp")
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(f"""
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    upstream app {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    upstream ropc {{ server 127.0.0.1:{auth_port}; keepalive 32; }}
    server {{ listen 127.0.0.1:{upstream}; location / {{ return 200 "ok\\n"; }} }}
    server {{
        listen 127.0.0.1:{plain};
        location / {{ proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app; }}
    }}
    server {{
        listen 127.0.0.1:{checked};
        location / {{
            auth_request /_auth;
            auth_request_set $user $upstream_http_x_auth_user;
            proxy_set_header X-Auth-User $user;
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://app;
        }}
        location = /_auth {{
            internal;
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://ropc/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }}
    }}
}}
""")
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-p", d],
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for p in (upstream, plain, checked):
            wait(p)
        opaque, jwt = token(auth_port, "app"), token(auth_port, "jwt")
        runs = {"nginx_alone": [], "forward_auth_opaque": [], "forward_auth_jwt": []}
        for _ in range(3):
            runs["nginx_alone"].append(wrk(plain, opaque))
            runs["forward_auth_opaque"].append(wrk(checked, opaque))
            runs["forward_auth_jwt"].append(wrk(checked, jwt))
        print(json.dumps({"rps": {k: statistics.median(v) for k, v in runs.items()}, "runs": runs}))
    finally:
        for p in (nginx, auth):
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


main()
