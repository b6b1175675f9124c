"""Empty apps, for the ceiling each server puts on the HTTP figures: what
gunicorn and uvicorn answer a second with no work at all, under the same
settings as the apps measured (bench/http/run.py)."""

BODY = b'{"ok":true}'


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [BODY]


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
