"""The peer for the HTTP figures: Authlib's Flask integration as its
documentation shows it (AuthorizationServer, password and refresh_token
grants with rotation, RFC 7662 introspection, ResourceProtector), tokens in
memory, argon2-cffi at OWASP's parameters. The same fixture as
examples/config/ropc.json. Served by gunicorn (bench/http/run.py):

    AUTHLIB_INSECURE_TRANSPORT=1 gunicorn -w 1 --threads 4 authlib_app:app
"""
import hmac
import threading
import time

import argon2
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, jsonify

OWASP = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
SECRETS = {"billing-app": "demo-billing-secret-do-not-use-in-production",
           "invoice-api": "demo-invoice-api-secret-do-not-use-in-production"}
PASSWORDS = {"alice": OWASP.hash("correct horse")}
ACCESS_TTL = 900


class Client(ClientMixin):
    def __init__(self, client_id):
        self.client_id = client_id

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = ("read", "write") if self.client_id == "billing-app" else ()
        return " ".join(s for s in (scope or "read").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), SECRETS[self.client_id].encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return self.client_id == "billing-app" and grant_type in ("password", "refresh_token")


CLIENTS = {cid: Client(cid) for cid in SECRETS}


class Token(TokenMixin):
    def __init__(self, data, client_id, user):
        self.data, self.client_id, self.user = data, client_id, user
        self.issued_at, self.revoked = int(time.time()), False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.data.get("scope", "")

    def get_expires_in(self):
        return self.data["expires_in"]

    def is_expired(self):
        return time.time() > self.issued_at + self.data["expires_in"]

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user

    def get_client(self):
        return CLIENTS[self.client_id]


# gunicorn's threads share these: each change is one dict operation.
BY_ACCESS, BY_REFRESH = {}, {}
LOCK = threading.Lock()


def query_client(client_id):
    return CLIENTS.get(client_id)


def save_token(token, request):
    t = Token(token, request.client.get_client_id(), request.user)
    with LOCK:
        BY_ACCESS[token["access_token"]] = t
        if "refresh_token" in token:
            BY_REFRESH[token["refresh_token"]] = t


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    def authenticate_user(self, username, password):
        phc = PASSWORDS.get(username)
        try:
            return username if phc is not None and OWASP.verify(phc, password) else None
        except argon2.exceptions.VerifyMismatchError:
            return None


class RefreshGrant(grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        return BY_REFRESH.get(refresh_token)

    def authenticate_user(self, refresh_token):
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        with LOCK:
            BY_REFRESH.pop(refresh_token.data.get("refresh_token"), None)


class Introspection(IntrospectionEndpoint):
    def query_token(self, token, token_type_hint):
        return BY_ACCESS.get(token) or BY_REFRESH.get(token)

    def introspect_token(self, token):
        return {"active": True, "client_id": token.client_id, "token_type": "Bearer",
                "username": token.user, "scope": token.get_scope(),
                "iat": token.issued_at, "exp": token.issued_at + token.get_expires_in()}

    def check_permission(self, token, client, request):
        return client.get_client_id() == "invoice-api"


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return BY_ACCESS.get(token_string)


app = Flask(__name__)
app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"password": ACCESS_TTL, "refresh_token": ACCESS_TTL}
app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True  # Authlib issues none unless told
server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
server.register_grant(PasswordGrant)
server.register_grant(RefreshGrant)
server.register_endpoint(Introspection)
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())


@app.route("/token", methods=["POST"])
def token():
    return server.create_token_response()


@app.route("/introspect", methods=["POST"])
def introspect():
    return server.create_endpoint_response(Introspection.ENDPOINT_NAME)


@app.route("/invoices/<invoice>")
@require_oauth("read")
def invoice(invoice):
    return jsonify(invoice=invoice)
