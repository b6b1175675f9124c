"""The same fixture on oauthlib and Authlib: in-memory models, argon2-cffi
for passwords at OWASP's parameters, client_secret_basic, grants password
and refresh_token (with rotation), scopes read and write."""
import base64
import hmac
import secrets
import time
import urllib.parse

import argon2

OWASP = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
CLIENT_ID, CLIENT_SECRET = "app", "app-secret-for-the-benchmark"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
FORM = "application/x-www-form-urlencoded"


def users():
    return {"alice": OWASP.hash("correct horse")}


# ---- oauthlib -----------------------------------------------------------------

def make_oauthlib():
    from oauthlib.oauth2 import LegacyApplicationServer, RequestValidator

    password_hashes = users()
    access, refresh = {}, {}

    class Client:
        client_id = CLIENT_ID

    class Validator(RequestValidator):
        def client_authentication_required(self, request, *a, **k):
            return True

        def authenticate_client(self, request, *a, **k):
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return False
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
            if cid != CLIENT_ID or not hmac.compare_digest(secret, CLIENT_SECRET):
                return False
            request.client = Client()
            request.client_id = cid
            return True

        def validate_grant_type(self, client_id, grant_type, client, request, *a, **k):
            return grant_type in ("password", "refresh_token")

        def validate_user(self, username, password, client, request, *a, **k):
            phc = password_hashes.get(username)
            try:
                ok = phc is not None and OWASP.verify(phc, password)
            except argon2.exceptions.VerifyMismatchError:
                ok = False
            if ok:
                request.user = username
            return ok

        def validate_scopes(self, client_id, scopes, client, request, *a, **k):
            return set(scopes) <= {"read", "write"}

        def get_default_scopes(self, client_id, request, *a, **k):
            return ["read"]

        def save_bearer_token(self, token, request, *a, **k):
            old = getattr(request, "refresh_token", None)
            if old:
                refresh.pop(old, None)  # rotation: the old refresh token goes
            scopes = token["scope"].split()
            access[token["access_token"]] = (request.user, scopes, time.time() + token["expires_in"])
            if "refresh_token" in token:
                refresh[token["refresh_token"]] = (request.user, scopes, CLIENT_ID)

        def validate_bearer_token(self, token, scopes, request):
            found = access.get(token)
            if not found or found[2] < time.time() or not set(scopes) <= set(found[1]):
                return False
            request.user, request.scopes = found[0], found[1]
            return True

        def validate_refresh_token(self, refresh_token, client, request, *a, **k):
            found = refresh.get(refresh_token)
            if not found or found[2] != client.client_id:
                return False
            request.user = found[0]
            return True

        def get_original_scopes(self, refresh_token, request, *a, **k):
            return refresh[refresh_token][1]

    server = LegacyApplicationServer(Validator())

    def token(body):
        headers, out, status = server.create_token_response(
            "https://as.example/token", http_method="POST", body=body,
            headers={"Content-Type": FORM, "Authorization": BASIC})
        return status, out

    def check(access_token):
        valid, _ = server.verify_request("https://rs.example/invoices/42", http_method="GET",
                                         headers={"Authorization": f"Bearer {access_token}"}, scopes=["read"])
        return valid

    return token, check


# ---- Authlib ------------------------------------------------------------------

class MemoryTokens:
    """Authlib's tokens in dicts (the in-memory fixture)."""

    def __init__(self, client):
        from authlib.oauth2.rfc6749 import TokenMixin

        self.by_access, self.by_refresh = {}, {}

        class Token(TokenMixin):
            def __init__(self, data, user):
                self.data, self.user, self.issued, self.revoked = data, user, time.time(), False

            def check_client(self, c):
                return c.get_client_id() == CLIENT_ID

            def get_scope(self):
                return self.data["scope"]

            def get_expires_in(self):
                return self.data["expires_in"]

            def is_expired(self):
                return time.time() > self.issued + self.data["expires_in"]

            def is_revoked(self):
                return self.revoked

            def get_user(self):
                return self.user

            def get_client(self):
                return client

        self.Token = Token

    def save(self, token, user):
        t = self.Token(token, user)
        self.by_access[token["access_token"]] = t
        if "refresh_token" in token:
            self.by_refresh[token["refresh_token"]] = t

    def access(self, access_token):
        return self.by_access.get(access_token)

    def refresh(self, refresh_token):
        t = self.by_refresh.get(refresh_token)
        return t if t and not getattr(t, "refresh_revoked", False) else None

    def user_of(self, token):
        return token.user

    def revoke_refresh(self, token):
        token.refresh_revoked = True
        self.by_refresh.pop(token.data.get("refresh_token"), None)


class SqlaTokens:
    """Authlib's tokens in a database through its SQLAlchemy mixins, as its
    documentation shows (a commit a saved or rotated token)."""

    def __init__(self, client, url):
        from authlib.integrations.sqla_oauth2 import OAuth2TokenMixin
        from sqlalchemy import Column, Integer, String, create_engine
        from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

        Base = declarative_base()

        class Token(Base, OAuth2TokenMixin):
            __tablename__ = "oauth2_token"
            id = Column(Integer, primary_key=True)
            user_id = Column(String(40))

            def check_client(self, c):
                return c.get_client_id() == self.client_id

            def get_user(self):
                return self.user_id

            def get_client(self):
                return client

            def is_revoked(self):
                # The mixin counts a rotated refresh token as revoking its
                # access token; ropc (and the in-memory fixtures) leave that
                # access token alive until it expires.
                return bool(self.access_token_revoked_at)

        engine = create_engine(url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        self.Token, self.session = Token, scoped_session(sessionmaker(bind=engine))

    def save(self, token, user):
        self.session.add(self.Token(client_id=CLIENT_ID, user_id=user, **token))
        self.session.commit()

    def access(self, access_token):
        t = self.session.query(self.Token).filter_by(access_token=access_token).first()
        self.session.commit()  # end the read transaction, as a request would
        return t

    def refresh(self, refresh_token):
        t = self.session.query(self.Token).filter_by(refresh_token=refresh_token).first()
        return t if t and not t.refresh_token_revoked_at else None

    def user_of(self, token):
        return token.user_id

    def revoke_refresh(self, token):
        token.refresh_token_revoked_at = int(time.time())
        self.session.add(token)
        self.session.commit()


def make_authlib(database_url=None):
    """Authlib's AuthorizationServer and ResourceProtector; tokens in memory,
    or with `database_url` in that database through SQLAlchemy."""
    from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, ResourceProtector
    from authlib.oauth2.rfc6749 import grants
    from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
    from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator

    password_hashes = users()

    class Client(ClientMixin):
        def get_client_id(self):
            return CLIENT_ID

        def check_client_secret(self, secret):
            return hmac.compare_digest(secret, CLIENT_SECRET)

        def check_endpoint_auth_method(self, method, endpoint):
            return method == "client_secret_basic"

        def check_grant_type(self, grant_type):
            return grant_type in ("password", "refresh_token")

        def get_allowed_scope(self, scope):
            return " ".join(s for s in (scope or "read").split() if s in ("read", "write"))

    client = Client()
    tokens = SqlaTokens(client, database_url) if database_url else MemoryTokens(client)

    class Request(OAuth2Request):
        def __init__(self, method, uri, headers, form=None):
            super().__init__(method, uri, headers=headers)
            self._form = form or {}
            self.payload = BasicOAuth2Payload(self._form)

        @property
        def form(self):
            return self._form

        @property
        def args(self):
            return {}

    class Server(AuthorizationServer):
        def query_client(self, client_id):
            return client if client_id == CLIENT_ID else None

        def save_token(self, token, request):
            tokens.save(token, request.user)

        def create_oauth2_request(self, request):
            return Request("POST", "https://as.example/token", request["headers"], dict(urllib.parse.parse_qsl(request["body"])))

        def handle_response(self, status, body, headers):
            return status, body

        def send_signal(self, name, *args, **kwargs):
            pass

    class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
        def authenticate_user(self, username, password):
            phc = password_hashes.get(username)
            try:
                return username if phc is not None and OWASP.verify(phc, password) else None
            except argon2.exceptions.VerifyMismatchError:
                return None

    class RefreshGrant(grants.RefreshTokenGrant):
        INCLUDE_NEW_REFRESH_TOKEN = True

        def authenticate_refresh_token(self, refresh_token):
            return tokens.refresh(refresh_token)

        def authenticate_user(self, credential):
            return tokens.user_of(credential)

        def revoke_old_credential(self, credential):
            # Rotation ends the old refresh token, not the access token
            # issued beside it (as in ropc and the oauthlib model).
            tokens.revoke_refresh(credential)

    server = Server()
    server.register_grant(PasswordGrant)
    server.register_grant(RefreshGrant)
    server.register_token_generator("default", BearerTokenGenerator(
        access_token_generator=lambda **kw: secrets.token_urlsafe(32),
        refresh_token_generator=lambda **kw: secrets.token_urlsafe(32)))

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string):
            return tokens.access(token_string)

    protector = ResourceProtector()
    protector.register_token_validator(Validator())

    def token(body):
        status, out = server.create_token_response({"headers": {"Content-Type": FORM, "Authorization": BASIC}, "body": body})
        return status, out

    def check(access_token):
        req = Request("GET", "https://rs.example/invoices/42", {"Authorization": f"Bearer {access_token}"})
        try:
            protector.validate_request(["read"], req)
            return True
        except Exception:
            return False

    return token, check
