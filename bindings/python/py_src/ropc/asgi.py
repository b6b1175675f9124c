"""ASGI glue, framework-free: the three endpoints as an ASGI app, and a
middleware that protects an ASGI app. Slow work (argon2, introspection
round trips) runs in the default thread pool, off the event loop."""
from __future__ import annotations

import asyncio
import functools
from typing import Any, Awaitable, Callable, Dict, List, Literal, MutableMapping, Optional, Tuple
from urllib.parse import quote

from ._errors import OAuthError
from ._ropc import MAX_BODY_BYTES, METADATA_PATH, Principal, Server, resource_name
from .wsgi import Checker, _realm

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> Optional[str]:
    # Every copy, joined (RFC 9110 §5.3): the core refuses two Authorization
    # headers, which reading only the first or the last would hide.
    values = [bytes(value).decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]
    return ", ".join(values) if values else None


async def _read_body(receive: Receive) -> bytes:
    chunks: List[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        if size <= MAX_BODY_BYTES:  # keep one byte past the limit; the core refuses
            chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)[: MAX_BODY_BYTES + 1]


async def _send(send: Send, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
    await send({"type": "http.response.body", "body": body})


def token_app(server: Server, *, token_path: str = "/token", introspection_path: str = "/introspect",
              revocation_path: str = "/revoke", jwks_path: str = "/jwks.json") -> ASGIApp:
    """An ASGI app answering the three endpoints at the given paths, the key set
    at ``jwks_path`` (on a worker thread: it reads the store) and the RFC 8414
    metadata at its well-known path (404 elsewhere)."""
    routes: Dict[str, Tuple[Literal["token", "introspection", "revocation"], Callable[..., Any]]] = {
              token_path: ("token", server.token_endpoint),
              introspection_path: ("introspection", server.introspection_endpoint),
              revocation_path: ("revocation", server.revocation_endpoint)}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = _route_path(scope)
        if path in (jwks_path, METADATA_PATH):
            method = scope.get("method", "GET")
            resp = (await asyncio.get_running_loop().run_in_executor(None, server.key_set_endpoint, method)
                    if path == jwks_path else server.metadata_endpoint(method))
            await _send(send, resp.status, resp.headers, resp.body)
            return
        route = routes.get(path)
        if route is None:
            await _send(send, 404, [("Content-Type", "text/plain")], b"not found")
            return
        body = await _read_body(receive)
        headers = {k: v for k, v in (("Content-Type", _header(scope, b"content-type")),
                                     ("Authorization", _header(scope, b"authorization")),
                                     ("DPoP", _header(scope, b"dpop"))) if v}
        client = scope.get("client")
        method = scope.get("method", "GET")
        name, endpoint = route
        context = {"remote_addr": client[0] if client else None, "request_id": _header(scope, b"x-request-id")}
        # What the core classifies inline (a refresh or an introspection on
        # the memory store: microseconds) is answered here; the rest (argon2,
        # a database, a host callback) is declined, and goes to a worker thread.
        answered = server.answer_inline(name, method, headers, body, **context)
        resp = answered if answered is not None else await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(endpoint, method, headers, body, **context))
        await _send(send, resp.status, resp.headers, resp.body)

    return app


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point: ASGI keeps the full ``path``
    and says where the app is mounted in ``root_path`` (Starlette's
    ``Mount``, FastAPI's ``app.mount``, a server's ``--root-path``)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", "")).rstrip("/")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("", "/"):
        return path[len(root):] or "/"
    return path


def request_target(asgi_scope: Scope) -> str:
    """The raw request target of an ASGI request: ``raw_path`` when the server
    gives it (uvicorn, hypercorn), else ``path`` encoded again (where an
    encoded ``/`` can no longer be told from a plain one)."""
    raw = asgi_scope.get("raw_path")
    if raw:
        # Bytes that are not UTF-8 stay escaped: the rule then refuses them.
        return quote(bytes(raw), safe="/%!$&'()*+,;=:@-._~")
    return quote(str(asgi_scope.get("path") or "/").encode("utf-8"), safe="/!$&'()*+,;=:@-._~")


def resource_of(asgi_scope: Scope, realm: str = "ropc") -> str:
    """The resource name of an ASGI request by ropc's one rule (raises
    ``InvalidRequest`` for a target a backend could read two ways)."""
    return resource_name(str(asgi_scope.get("method", "GET")), request_target(asgi_scope), realm)


def request_uri(asgi_scope: Scope) -> str:
    """The absolute URI an ASGI request reached (scheme, host, path: what a
    DPoP proof's ``htu`` names, RFC 9449 §4.3), from the scope's ``scheme``
    and the ``Host`` header (else the ``server`` the app listens on)."""
    host = _header(asgi_scope, b"host")
    if not host:
        server = asgi_scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return f"{asgi_scope.get('scheme', 'http')}://{host}{request_target(asgi_scope)}"


def _check(checker: Checker, asgi_scope: Scope, authorization: Optional[str], name: str,
           scope: Optional[str]) -> Principal:
    """The check the checker offers: a ``Server`` takes a DPoP-bound token
    with its proof too (``check_with_proof``); others a bearer token."""
    with_proof = getattr(checker, "check_with_proof", None)
    if with_proof is None:
        return checker.check_request(authorization, name, scope)
    return with_proof(authorization, _header(asgi_scope, b"dpop"), str(asgi_scope.get("method", "GET")),
                      request_uri(asgi_scope), name, scope)


def checks_may_block(checker: Checker) -> bool:
    """Whether ``checker``'s checks may block (introspection over the network,
    a database, host callbacks) and belong on a worker thread: the core's
    classification of a ``Server``'s checks (``call_blocking("store")``; on
    the memory store they are ``"inline"``, microseconds). A checker that
    does not say is taken to block."""
    classify = getattr(checker, "call_blocking", None)
    return classify is None or classify("store") != "inline"


def _cached_check(checker: Checker, authorization: Optional[str], resource: str,
                 scope: Optional[str]) -> Optional[Principal]:
    """A check a blocking checker can answer in place, from its cache
    (``IntrospectionChecker.check_request_cached``); ``None``: it must block."""
    cached = getattr(checker, "check_request_cached", None)
    return None if cached is None else cached(authorization, resource, scope)


def protect(app: ASGIApp, checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> ASGIApp:
    """Wraps an ASGI app like ``ropc.wsgi.protect``; the principal goes in
    ``scope["ropc.principal"]``."""

    async def middleware(asgi_scope: Scope, receive: Receive, send: Send) -> None:
        if asgi_scope["type"] != "http":
            await app(asgi_scope, receive, send)
            return
        try:
            name = resource or resource_of(asgi_scope, _realm(checker))
            authorization = _header(asgi_scope, b"authorization")
            if not checks_may_block(checker):
                asgi_scope["ropc.principal"] = _check(checker, asgi_scope, authorization, name, scope)
            else:
                principal = _cached_check(checker, authorization, name, scope)
                if principal is None:
                    principal = await asyncio.get_running_loop().run_in_executor(
                        None, _check, checker, asgi_scope, authorization, name, scope)
                asgi_scope["ropc.principal"] = principal
        except OAuthError as err:
            await _send(send, err.status_code, list(err.headers), err.body)
            return
        await app(asgi_scope, receive, send)

    return middleware
