"""Flask and FastAPI helpers. Neither framework is a dependency of ropc:
each is imported only when its helper is called."""

import functools
import json
from typing import Any, Callable, Optional, TypeVar

from ._errors import OAuthError
from .remote import IntrospectionUnavailable
from .asgi import resource_of as asgi_resource_of
from .wsgi import Checker, _realm
from .wsgi import resource_of as wsgi_resource_of

F = TypeVar("F", bound=Callable[..., Any])


def flask_require(checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> Callable[[F], F]:
    """A Flask view decorator: the request must carry a bearer token that
    ``checker`` accepts for ``resource`` (default: the request's resource name
    by ``ropc.resource_name``) and
    ``scope``. The principal is in ``flask.g.ropc_principal``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            import flask

            request = flask.request
            try:
                name = resource or wsgi_resource_of(request.environ, _realm(checker))
                authorization = ", ".join(request.headers.getlist("Authorization")) or None
                flask.g.ropc_principal = checker.check_request(authorization, name, scope)
            except OAuthError as err:
                return flask.Response(err.body, status=err.status_code, headers=err.headers)
            except IntrospectionUnavailable:
                return flask.Response(b"the authorization server is unavailable", status=503)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def fastapi_require(checker: Checker, resource: Optional[str] = None, scope: Optional[str] = None) -> Callable[..., Any]:
    """A FastAPI dependency returning the ``Principal``: use it as
    ``principal: Principal = Depends(fastapi_require(server, scope="read"))``.
    A refusal becomes an ``HTTPException`` with the RFC 6750 status and
    ``WWW-Authenticate`` header; its detail is the error object."""
    from fastapi import HTTPException, Request
    from starlette.concurrency import run_in_threadpool

    async def dependency(request: Request) -> Any:
        try:
            name = resource or asgi_resource_of(request.scope, _realm(checker))
            authorization = ", ".join(request.headers.getlist("authorization")) or None
            return await run_in_threadpool(checker.check_request, authorization, name, scope)
        except OAuthError as err:
            detail = json.loads(err.body) if err.body else {"error": None, "error_description": err.description}
            raise HTTPException(status_code=err.status_code, detail=detail, headers=dict(err.headers)) from None
        except IntrospectionUnavailable:
            raise HTTPException(status_code=503, detail="the authorization server is unavailable") from None

    return dependency
