"""Flask, FastAPI and Django helpers. No framework is a dependency of ropc:
each is imported only when its helper is called."""

import functools
import json
from typing import Any, Callable, Optional, TypeVar

from ._errors import OAuthError
from .asgi import _cached_check, checks_may_block
from .asgi import _check as asgi_check
from .asgi import resource_of as asgi_resource_of
from .wsgi import Checker, _realm
from .wsgi import request_uri as wsgi_request_uri
from .wsgi import resource_of as wsgi_resource_of

F = TypeVar("F", bound=Callable[..., Any])


def flask_require(checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> Callable[[F], F]:
    """A Flask view decorator: the request must carry a bearer token that
    ``checker`` accepts for ``resource`` (default: the request's resource name
    by ``ropc.resource_name``) and ``scope`` (a ``Server`` also takes a
    DPoP-bound token with its proof). The principal is in
    ``flask.g.ropc_principal``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            import flask

            request = flask.request
            try:
                name = resource or wsgi_resource_of(request.environ, _realm(checker))
                authorization = ", ".join(request.headers.getlist("Authorization")) or None
                with_proof = getattr(checker, "check_with_proof", None)
                flask.g.ropc_principal = (
                    with_proof(authorization, ", ".join(request.headers.getlist("DPoP")) or None, request.method,
                               wsgi_request_uri(request.environ), name, scope)
                    if with_proof is not None else checker.check_request(authorization, name, scope))
            except OAuthError as err:
                return _flask_response(flask, err)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _flask_response(flask: Any, err: OAuthError) -> Any:
    return flask_response(err)


def _parts(answer: Any) -> Any:
    """Status, headers and body of a ``Response`` or an ``OAuthError``."""
    if isinstance(answer, OAuthError):
        return answer.status_code, list(answer.headers), answer.body
    return answer.status, list(answer.headers), answer.body


def flask_response(answer: Any) -> Any:
    """A ``flask.Response`` of the core's ready answer (an endpoint's
    ``Response`` or an ``OAuthError``) as it is: status, headers, body, and
    no Content-Type Flask would add to an empty body."""
    import flask

    status, headers, body = _parts(answer)
    resp = flask.Response(body, status=status, headers=headers)
    if not any(name.lower() == "content-type" for name, _ in headers):
        del resp.headers["Content-Type"]
    return resp


def django_response(answer: Any) -> Any:
    """A Django ``HttpResponse`` of the core's ready answer (an endpoint's
    ``Response`` or an ``OAuthError``) as it is: no ``text/html`` Django
    would give an empty 401 that carries none."""
    from django.http import HttpResponse  # type: ignore[import-untyped]

    status, headers, body = _parts(answer)
    resp = HttpResponse(body, status=status)
    if not any(name.lower() == "content-type" for name, _ in headers):
        del resp["Content-Type"]
    for name, value in headers:
        resp[name] = value
    return resp


def fastapi_require(checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> Callable[..., Any]:
    """A FastAPI dependency returning the ``Principal``: use it as
    ``principal: Principal = Depends(fastapi_require(server, scope="read"))``.

    A refusal is raised as a ``RefusedHTTPException`` (an ``HTTPException``
    carrying the core's ready response). With ``install_fastapi(app)`` it is
    answered exactly as the core words it (RFC 6750: top-level ``error``
    fields, the challenge header, an empty body without credentials);
    without, FastAPI's own handler answers the same status and headers with
    the fields under ``detail``."""
    from fastapi import Depends, Request
    from fastapi.security import HTTPBearer
    from starlette.concurrency import run_in_threadpool

    # Declares the bearer scheme in the OpenAPI document (an "Authorize"
    # button in /docs); it refuses nothing itself: ropc reads the headers.
    bearer = HTTPBearer(auto_error=False, description="an access token from the token endpoint")

    async def dependency(request: Request, _: Any = Depends(bearer)) -> Any:
        try:
            name = resource or asgi_resource_of(request.scope, _realm(checker))
            authorization = ", ".join(request.headers.getlist("authorization")) or None
            if not checks_may_block(checker):
                return asgi_check(checker, request.scope, authorization, name, scope)  # the memory store: microseconds
            principal = _cached_check(checker, authorization, name, scope)  # a cached introspection
            if principal is not None:
                return principal
            return await run_in_threadpool(asgi_check, checker, request.scope, authorization, name, scope)
        except OAuthError as err:
            raise _refused(err) from None

    return dependency


_REFUSED: Any = None


def _refused_class() -> Any:
    """``RefusedHTTPException``: an ``HTTPException`` carrying the core's
    ready response in ``.refusal`` (made when FastAPI is first used)."""
    global _REFUSED
    if _REFUSED is None:
        from fastapi import HTTPException

        _REFUSED = type("RefusedHTTPException", (HTTPException,), {"__doc__": _refused_class.__doc__, "refusal": None})
    return _REFUSED


def _refused(err: OAuthError) -> Any:
    detail = json.loads(err.body) if err.body else {"error_description": err.description}
    exc = _refused_class()(status_code=err.status_code, detail=detail, headers=dict(err.headers))
    exc.refusal = err
    return exc


def install_fastapi(app: Any) -> None:
    """Makes ``app`` answer ``fastapi_require``'s refusals exactly as the
    core's ready responses (call once, where the app is made)."""
    from fastapi import HTTPException
    from fastapi.exception_handlers import http_exception_handler
    from starlette.responses import Response

    async def handler(request: Any, exc: Exception) -> Any:
        err = getattr(exc, "refusal", None)
        if err is None:  # another HTTPException: FastAPI's own answer
            return await http_exception_handler(request, exc)  # type: ignore[arg-type]
        return Response(content=err.body, status_code=err.status_code, headers=dict(err.headers))

    app.add_exception_handler(HTTPException, handler)
