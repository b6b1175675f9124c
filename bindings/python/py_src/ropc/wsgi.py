"""WSGI glue, framework-free: an app serving the token, introspection and
revocation endpoints, and a middleware that protects an app."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, Tuple
from urllib.parse import quote

from ._errors import OAuthError
from ._ropc import MAX_BODY_BYTES, METADATA_PATH, Principal, Server, resource_name

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 503: "Service Unavailable"}


class Checker(Protocol):
    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = ...) -> Principal: ...


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, '')}".rstrip()


def _read_body(environ: Environ) -> bytes:
    # Read at most one byte past the limit: the core refuses what is too big.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    return stream.read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""


def token_app(server: Server, *, token_path: str = "/token", introspection_path: str = "/introspect",
              revocation_path: str = "/revoke", jwks_path: str = "/jwks.json") -> WSGIApp:
    """A WSGI app answering the three endpoints at the given paths, the key set
    at ``jwks_path`` and the RFC 8414 metadata at its well-known path (404
    elsewhere)."""
    routes = {token_path: server.token_endpoint, introspection_path: server.introspection_endpoint,
              revocation_path: server.revocation_endpoint}
    gets = {jwks_path: server.key_set_endpoint, METADATA_PATH: server.metadata_endpoint}

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        get = gets.get(environ.get("PATH_INFO", ""))
        if get is not None:
            resp = get(environ.get("REQUEST_METHOD", "GET"))
            start_response(_status(resp.status), resp.headers)
            return [resp.body]
        endpoint = routes.get(environ.get("PATH_INFO", ""))
        if endpoint is None:
            start_response(_status(404), [("Content-Type", "text/plain")])
            return [b"not found"]
        headers = {"Content-Type": environ.get("CONTENT_TYPE", ""),
                   "Authorization": environ.get("HTTP_AUTHORIZATION"),
                   "DPoP": environ.get("HTTP_DPOP")}
        resp = endpoint(environ.get("REQUEST_METHOD", "GET"),
                        {k: v for k, v in headers.items() if v}, _read_body(environ),
                        remote_addr=environ.get("REMOTE_ADDR") or None,
                        request_id=environ.get("HTTP_X_REQUEST_ID") or None)
        start_response(_status(resp.status), resp.headers)
        return [resp.body]

    return app


def refusal(err: OAuthError) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """The response an ``OAuthError`` carries, as (status, headers, body)."""
    return err.status_code, list(err.headers), err.body


def _realm(checker: Any) -> str:
    guard = getattr(checker, "guard", checker)
    realm = getattr(guard, "realm", "ropc")
    return realm if isinstance(realm, str) else "ropc"


def request_target(environ: Environ) -> str:
    """The raw request target of a WSGI request: the server's own copy when it
    keeps one (gunicorn's RAW_URI, uWSGI's and werkzeug's REQUEST_URI), else
    SCRIPT_NAME + PATH_INFO encoded again (where an encoded ``/`` can no
    longer be told from a plain one: prefer a server that keeps the raw one)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    # PEP 3333: PATH_INFO holds the decoded bytes as latin-1.
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    return quote(path.encode("latin-1"), safe="/!$&'()*+,;=:@-._~")


def resource_of(environ: Environ, realm: str = "ropc") -> str:
    """The resource name of a WSGI request by ropc's one rule (raises
    ``InvalidRequest`` for a target a backend could read two ways)."""
    return resource_name(environ.get("REQUEST_METHOD", "GET"), request_target(environ), realm)


def request_uri(environ: Environ) -> str:
    """The absolute URI a WSGI request reached (scheme, host, path: what a
    DPoP proof's ``htu`` names, RFC 9449 §4.3), from the server's own
    ``wsgi.url_scheme`` and the ``Host`` header."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{request_target(environ)}"


def protect(app: WSGIApp, checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> WSGIApp:
    """Wraps a WSGI app: every request must carry a bearer token that
    ``checker`` (a ``Server``, an ``IntrospectionChecker`` or a
    ``JwtChecker``) accepts for ``resource`` (default: the request's
    resource name by ropc's rule, ``ropc.resource_name``) and ``scope``; a
    ``Server`` also takes a DPoP-bound token with its proof (RFC 9449). The
    principal is put in ``environ["ropc.principal"]``."""

    def middleware(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            name = resource or resource_of(environ, _realm(checker))
            authorization = environ.get("HTTP_AUTHORIZATION")
            with_proof = getattr(checker, "check_with_proof", None)
            environ["ropc.principal"] = (
                with_proof(authorization, environ.get("HTTP_DPOP"), environ.get("REQUEST_METHOD", "GET"),
                           request_uri(environ), name, scope)
                if with_proof is not None else checker.check_request(authorization, name, scope))
        except OAuthError as err:
            status, headers, body = refusal(err)
            start_response(_status(status), headers)
            return [body]
        return app(environ, start_response)

    return middleware
