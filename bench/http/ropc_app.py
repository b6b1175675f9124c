"""ropc's WSGI and ASGI glue, served like the Authlib peer (gunicorn) and
under uvicorn, for the HTTP figures (bench/http/run.py): the token,
introspection and revocation endpoints, and GET /invoices/<id> protected in
process (scope read), from the configuration file in $ROPC_CONFIG.

    ROPC_CONFIG=ropc.json gunicorn -w 1 --threads 4 ropc_app:wsgi_app
    ROPC_CONFIG=ropc.json uvicorn ropc_app:asgi_app
"""
import json
import os

import ropc
from ropc import asgi, wsgi

server = ropc.Server.from_file(os.environ["ROPC_CONFIG"])


def _invoice(path):
    return json.dumps({"invoice": path.rsplit("/", 1)[-1]}).encode()


def _wsgi_invoice(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [_invoice(environ.get("PATH_INFO", ""))]


_wsgi_tokens = wsgi.token_app(server)
_wsgi_protected = wsgi.protect(_wsgi_invoice, server, scope="read")


def wsgi_app(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/invoices/"):
        return _wsgi_protected(environ, start_response)
    return _wsgi_tokens(environ, start_response)


async def _asgi_invoice(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": _invoice(scope["path"])})


_asgi_tokens = asgi.token_app(server)
_asgi_protected = asgi.protect(_asgi_invoice, server, scope="read")


async def asgi_app(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith("/invoices/"):
        await _asgi_protected(scope, receive, send)
    else:
        await _asgi_tokens(scope, receive, send)
