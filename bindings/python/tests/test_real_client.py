"""A client no one here wrote: requests-oauthlib's LegacyApplicationClient
against the example servers, over real HTTP on loopback."""
import os
import subprocess
import sys

import pytest
import requests
from oauthlib.oauth2 import InvalidGrantError, LegacyApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "python"
CONFIG = ROOT / "examples" / "config" / "ropc.json"
BILLING = ("billing-app", "demo-billing-secret-do-not-use-in-production")
API_SECRET = "demo-invoice-api-secret-do-not-use-in-production"


def start(script, *args, env=None):
    proc = subprocess.Popen([sys.executable, str(EXAMPLES / script), "--config", str(CONFIG), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, **(env or {})})
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"{script} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


@pytest.fixture(scope="module")
def servers():
    auth, auth_url = start("auth_server.py")
    api = None
    try:
        api, api_url = start("resource_server.py", "--introspect", f"{auth_url}/introspect", "--client-id", "invoice-api",
                             env={"ROPC_CLIENT_SECRET": API_SECRET})
        yield auth_url, api_url
    finally:
        for p in (auth, api):
            if p:
                p.terminate()
                p.wait(timeout=10)


def test_requests_oauthlib_password_flow(servers, monkeypatch):
    auth_url, api_url = servers
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback only
    oauth = OAuth2Session(client=LegacyApplicationClient(client_id=BILLING[0]))
    token = oauth.fetch_token(token_url=f"{auth_url}/token", username="alice", password="correct horse",
                              client_id=BILLING[0], client_secret=BILLING[1], scope=["read"])
    assert token["token_type"] == "Bearer" and token["scope"] == ["read"] and "refresh_token" in token

    r = oauth.get(f"{api_url}/invoices/42")
    assert r.status_code == 200 and r.json()["user"] == "alice"
    r = oauth.get(f"{api_url}/users/bob/profile")
    assert r.status_code == 403 and r.json()["error"] == "access_denied"
    r = oauth.post(f"{api_url}/invoices/42")
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]

    old_refresh = token["refresh_token"]
    token = oauth.refresh_token(f"{auth_url}/token", auth=HTTPBasicAuth(*BILLING))
    assert token["refresh_token"] != old_refresh
    assert oauth.get(f"{api_url}/invoices/42").status_code == 200

    r = requests.post(f"{auth_url}/revoke", data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
                      auth=HTTPBasicAuth(*BILLING), timeout=10)
    assert r.status_code == 200
    r = oauth.get(f"{api_url}/invoices/42")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(f"{auth_url}/token", auth=HTTPBasicAuth(*BILLING))


def test_wrong_password_and_public_client(servers, monkeypatch):
    auth_url, _ = servers
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    oauth = OAuth2Session(client=LegacyApplicationClient(client_id=BILLING[0]))
    with pytest.raises(InvalidGrantError):
        oauth.fetch_token(token_url=f"{auth_url}/token", username="alice", password="wrong",
                          client_id=BILLING[0], client_secret=BILLING[1])
    r = requests.post(f"{auth_url}/token", data={"grant_type": "password", "username": "alice",
                                                 "password": "correct horse", "client_id": "mobile-app"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    assert r.headers["Cache-Control"] == "no-store"
