"""The Python, Node and C snippets of the README and of the book
(docs/src), run as a user copies them (the Rust ones run as doc tests of
ropc-core).

Every ```python, ```js and ```c block in them carries a
`<!-- test: NAME -->` line and has a test here. A snippet runs as it is
written, in a directory holding the files it names (ropc.json,
resource_server.json, host_accounts.json) exactly as the repository ships
them in examples/readme; the only help it gets is a
prelude defining what the text says is yours (a client secret, a user
table), and the authorization server's real address in place of
127.0.0.1:9000. Needs: the Python module (make python), the Node addon
(make node), the staged C library (make stage-debug)."""
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import types
import wsgiref.simple_server

import pytest
import requests
import ropc
import ropc.wsgi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The README and every chapter of the book (docs/src).
DOCS = [os.path.join(ROOT, "README.md")] + sorted(
    os.path.join(ROOT, "docs", "src", f) for f in os.listdir(os.path.join(ROOT, "docs", "src")) if f.endswith(".md"))
README = ""
for _path in DOCS:
    with open(_path, encoding="utf-8") as f:
        README += f.read() + "\n"
SNIPPETS = {name: (lang, code) for name, lang, code in
            re.findall(r"<!-- test: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", README, re.S)}
TESTED = set()

BILLING_SECRET = "billing-secret"
API_SECRET = "api-secret"
BASIC = "Basic " + base64.b64encode(f"billing:{BILLING_SECRET}".encode()).decode()
LOGIN = {"grant_type": "password", "username": "alice", "password": "correct horse", "scope": "read"}


def sha(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def snippet(name, lang):
    assert name in SNIPPETS, f"the README has no snippet tagged {name}"
    assert SNIPPETS[name][0] == lang
    TESTED.add(name)
    return SNIPPETS[name][1]


SHIPPED = os.path.join(ROOT, "examples", "readme")
FILES = ("ropc.json", "resource_server.json", "host_accounts.json")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A directory with exactly the files the repository ships for the
    snippets (examples/readme), as a user who copies them has."""
    for name in FILES:
        shutil.copy(os.path.join(SHIPPED, name), tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_shipped_files_are_what_the_snippets_say():
    """The plain values examples/readme/README.md gives for its secrets are
    the ones its files hold."""
    with open(os.path.join(SHIPPED, "ropc.json"), encoding="utf-8") as f:
        doc = json.load(f)
    clients = {c["id"]: c for c in doc["clients"]}
    assert clients["billing"]["secret_hash"] == sha(BILLING_SECRET)
    assert clients["invoice-api"]["secret_hash"] == sha(API_SECRET)
    server = ropc.Server(doc)
    assert server.password_grant("billing", BILLING_SECRET, "alice", "correct horse", "read").access_token
    with open(os.path.join(SHIPPED, "host_accounts.json"), encoding="utf-8") as f:
        assert json.load(f) == {k: v for k, v in doc.items() if k != "users"}


@pytest.fixture
def authorization_server(workdir):
    """A real authorization server on loopback (ropc.wsgi on wsgiref), for
    the snippets that introspect; yields its URL."""
    server = ropc.Server.from_file("ropc.json")
    httpd = wsgiref.simple_server.make_server("127.0.0.1", 0, ropc.wsgi.token_app(server), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    access = server.password_grant("billing", BILLING_SECRET, "alice", "correct horse", "read").access_token
    yield f"http://127.0.0.1:{httpd.server_address[1]}", access
    httpd.shutdown()
    httpd.server_close()


class Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


# ---- Python -------------------------------------------------------------------

def run_python(code, **prelude):
    namespace = {"__name__": "readme_snippet", **prelude}
    exec(compile(code, "<README snippet>", "exec"), namespace)
    return namespace


def test_quick_python(workdir, capsys):
    ns = run_python(snippet("quick-python", "python"))
    assert ns["who"].username == "alice"
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "alice ['finance'] ['read']", out
    assert out[1].startswith("400 b'{\"error\":\"invalid_grant\"") and "wrong" in out[1], out


def test_python_api(workdir, capsys):
    ns = run_python(snippet("python-api", "python"), billing_secret=BILLING_SECRET)
    assert ns["who"].username == "alice" and ns["who"].groups == ["finance"]
    out = capsys.readouterr().out
    assert "invalid_grant" in out and "alice ['finance'] ['read']" in out


def check_web_app(post, get, token_path):
    """The token endpoint grants, the protected route answers the owner, and
    refusals are RFC 6750's, exactly."""
    r = post(token_path, "&".join(f"{k}={v.replace(' ', '+')}" for k, v in LOGIN.items()))
    assert r[0] == 200, r
    access = json.loads(r[2])["access_token"]
    assert r[1].get("Cache-Control") == "no-store"
    ok = get("/invoices/42", f"Bearer {access}")
    assert ok[0] == 200 and json.loads(ok[2])["user"] == "alice", ok
    none = get("/invoices/42", None)
    assert none[0] == 401 and none[1].get("WWW-Authenticate") == 'Bearer realm="readme"' and none[2] == b"", none
    assert none[1].get("Content-Type") is None, f"no Content-Type on an empty body: {none}"
    wrong = get(token_path, None)
    assert wrong[0] == 405 and wrong[1].get("Allow") == "POST", wrong
    assert wrong[1].get("Content-Type", "").startswith("application/json"), wrong
    assert json.loads(wrong[2])["error"] == "invalid_request", wrong
    bad = get("/invoices/42", "Bearer nope")
    assert bad[0] == 401 and json.loads(bad[2])["error"] == "invalid_token", bad


def test_python_flask(workdir):
    app = run_python(snippet("python-flask", "python"))["app"]
    client = app.test_client()

    def post(path, body):
        r = client.post(path, data=body, headers={"Authorization": BASIC,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        return r.status_code, r.headers, r.get_data()

    def get(path, authorization):
        r = client.get(path, headers={"Authorization": authorization} if authorization else {})
        return r.status_code, r.headers, r.get_data()

    check_web_app(post, get, "/token")


def test_python_fastapi(workdir):
    from fastapi.testclient import TestClient

    client = TestClient(run_python(snippet("python-fastapi", "python"))["app"])

    def post(path, body):
        r = client.post(path, content=body, headers={"Authorization": BASIC,
                                                     "Content-Type": "application/x-www-form-urlencoded"})
        return r.status_code, r.headers, r.content

    def get(path, authorization):
        r = client.get(path, headers={"Authorization": authorization} if authorization else {})
        return r.status_code, r.headers, r.content

    check_web_app(post, get, "/oauth/token")
    # /docs has an "Authorize" button: the bearer scheme is declared.
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items(), schemes


def test_python_django(workdir):
    import django
    from django.conf import settings

    urls = types.ModuleType("readme_django_urls")
    exec(compile(snippet("python-django", "python"), "<README snippet>", "exec"), urls.__dict__)
    sys.modules[urls.__name__] = urls
    settings.configure(ROOT_URLCONF=urls.__name__, ALLOWED_HOSTS=["testserver"], SECRET_KEY="readme-test",
                       MIDDLEWARE=["django.middleware.common.CommonMiddleware",
                                   "django.middleware.csrf.CsrfViewMiddleware"])
    django.setup()
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    def post(path, body):
        r = client.post(path, data=body, content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=BASIC)
        return r.status_code, r.headers, r.content

    def get(path, authorization):
        r = client.get(path, **({"HTTP_AUTHORIZATION": authorization} if authorization else {}))
        return r.status_code, r.headers, r.content

    check_web_app(post, get, "/token")


def test_python_remote(workdir, authorization_server, capsys):
    url, access = authorization_server
    code = snippet("python-remote", "python").replace("http://127.0.0.1:9000", url)
    ns = run_python(code, api_secret=API_SECRET, authorization=f"Bearer {access}")
    assert ns["who"].username == "alice"
    assert capsys.readouterr().out == "alice\n"


def test_python_accounts(workdir):
    class Row:
        hash = "correct horse"        # the table's "hash": compared by check_hash below
        groups = ["finance"]
        active = True

    class Db:
        def fetch_user(self, username):
            return Row() if username == "alice" else None

    ns = run_python(snippet("python-accounts", "python"), db=Db(), check_hash=lambda password, h: password == h)
    server = ns["server"]
    tokens = server.password_grant("billing", BILLING_SECRET, "alice", "correct horse", "read")
    assert server.check(tokens.access_token, "GET /invoices/1", "read").groups == ["finance"]
    with pytest.raises(ropc.InvalidGrant):
        server.password_grant("billing", BILLING_SECRET, "alice", "wrong", "read")
    with pytest.raises(ropc.InvalidGrant):
        server.password_grant("billing", BILLING_SECRET, "mallory", "correct horse", "read")


# ---- Node -----------------------------------------------------------------------

NODE_PKG = os.path.join(ROOT, "bindings", "node")


def node_project(workdir):
    modules = workdir / "node_modules"
    modules.mkdir(exist_ok=True)
    for name, target in (("ropc", NODE_PKG), ("express", os.path.join(NODE_PKG, "node_modules", "express"))):
        if not (modules / name).exists():
            (modules / name).symlink_to(target)


def run_node(workdir, code, prelude="", epilogue="", env=None, wait=True):
    node_project(workdir)
    (workdir / "snippet.js").write_text(f"{prelude}\n{code}\n{epilogue}\n")
    proc = subprocess.Popen(["node", "snippet.js"], cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    if not wait:
        return proc
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def test_quick_js(workdir):
    out = run_node(workdir, snippet("quick-js", "js"))
    assert out == "alice [ 'finance' ] [ 'read' ]\n400 invalid_grant\n", out


def test_js_api(workdir):
    out = run_node(workdir, snippet("js-api", "js"), prelude=f"const billingSecret = {json.dumps(BILLING_SECRET)}")
    assert "invalid_grant" in out and "alice [ 'finance' ] [ 'read' ]" in out, out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_js_express(workdir):
    port = free_port()
    proc = run_node(workdir, snippet("js-express", "js"), env={"PORT": str(port)}, wait=False)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "no"
                time.sleep(0.1)

        def post(path, body):
            r = requests.post(url + path, data=body, timeout=10,
                              headers={"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"})
            return r.status_code, r.headers, r.content

        def get(path, authorization):
            r = requests.get(url + path, headers={"Authorization": authorization} if authorization else {}, timeout=10)
            return r.status_code, r.headers, r.content

        check_web_app(post, get, "/token")
    finally:
        proc.kill()
        proc.communicate()


def test_js_remote(workdir, authorization_server):
    url, access = authorization_server
    code = snippet("js-remote", "js").replace("http://127.0.0.1:9000", url)
    prelude = f"const apiSecret = {json.dumps(API_SECRET)}\nconst authorization = {json.dumps('Bearer ' + access)}"
    assert run_node(workdir, code, prelude=prelude) == "alice\n"


def test_js_accounts(workdir):
    prelude = """
const db = { async user(name) { return name === 'alice' ? { hash: 'correct horse', groups: ['finance'], active: true } : null } }
const bcrypt = { async compare(password, hash) { return password === hash } } // the table's verifier
"""
    epilogue = """
;(async () => {
  const t = await server.passwordGrant('billing', 'billing-secret', 'alice', 'correct horse', 'read')
  const who = await server.check(t.accessToken, 'GET /invoices/1', 'read')
  await server.passwordGrant('billing', 'billing-secret', 'alice', 'wrong', 'read').catch((e) => console.log(e.code))
  console.log(who.username, who.groups.join(','))
})()
"""
    out = run_node(workdir, snippet("js-accounts", "js"), prelude=prelude, epilogue=epilogue)
    assert out == "invalid_grant\nalice finance\n", out


# ---- C --------------------------------------------------------------------------

CLIB = os.path.join(ROOT, "build", "c", "lib")


def run_c(workdir, name):
    (workdir / "app.c").write_text(snippet(name, "c") + "\n")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "app.c", "-I", os.path.join(ROOT, "include"),
                    "-L", CLIB, "-lropc", f"-Wl,-rpath,{CLIB}", "-o", "app"], cwd=workdir, check=True)
    out = subprocess.run(["./app"], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_c_api(workdir):
    out = run_c(workdir, "c-api")
    assert out.startswith("200\n") and "Cache-Control: no-store" in out and '"access_token":' in out, out
    assert out.endswith("user alice\n"), out


def test_quick_c(workdir):
    assert run_c(workdir, "quick-c") == "user alice\n"


def test_c_accounts(workdir):
    assert run_c(workdir, "c-accounts") == "granted\n"


# ---- last: nothing untested -------------------------------------------------------

def test_zz_every_python_node_and_c_snippet_is_tagged_and_run():
    fences = re.findall(r"^```(python|js|c)$", README, re.M)
    assert len(fences) == len(SNIPPETS), "every ```python, ```js and ```c block carries <!-- test: NAME -->"
    assert TESTED == set(SNIPPETS), f"snippets without a test: {set(SNIPPETS) - TESTED}"
