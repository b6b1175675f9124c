"""WSGI glue, framework-free: an app serving the token, introspection and
revocation endpoints, and a middleware that protects an app."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, Tuple

from ._errors import OAuthError
from ._ropc import MAX_BODY_BYTES, Principal, Server
from .remote import IntrospectionUnavailable

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
              revocation_path: str = "/revoke") -> WSGIApp:
    """A WSGI app answering the three endpoints at the given paths (404 elsewhere)."""
    routes = {token_path: server.token_endpoint, introspection_path: server.introspection_endpoint,
              revocation_path: server.revocation_endpoint}

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = routes.get(environ.get("PATH_INFO", ""))
        if endpoint is None:
            start_response(_status(404), [("Content-Type", "text/plain")])
            return [b"not found"]
        headers = {"Content-Type": environ.get("CONTENT_TYPE", ""),
                   "Authorization": environ.get("HTTP_AUTHORIZATION")}
        resp = endpoint(environ.get("REQUEST_METHOD", "GET"),
                        {k: v for k, v in headers.items() if v}, _read_body(environ))
        start_response(_status(resp.status), resp.headers)
        return [resp.body]

    return app


def refusal(err: OAuthError) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """The response an ``OAuthError`` carries, as (status, headers, body)."""
    return err.status_code, list(err.headers), err.body


def protect(app: WSGIApp, checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> WSGIApp:
    """Wraps a WSGI app: every request must carry a bearer token that
    ``checker`` (a ``Server`` or an ``IntrospectionChecker``) accepts for
    ``resource`` (default: ``"METHOD /path"``) and ``scope``. The principal
    is put in ``environ["ropc.principal"]``."""

    def middleware(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        name = resource or f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
        try:
            environ["ropc.principal"] = checker.check_request(environ.get("HTTP_AUTHORIZATION"), name, scope)
        except OAuthError as err:
            status, headers, body = refusal(err)
            start_response(_status(status), headers)
            return [body]
        except IntrospectionUnavailable:
            start_response(_status(503), [("Content-Type", "text/plain")])
            return [b"the authorization server is unavailable"]
        return app(environ, start_response)

    return middleware
