#!/usr/bin/env python3
"""An OAuth 2.0 authorization server (token, introspection, revocation) on
the standard library's http.server, with ropc deciding everything.

    python3 auth_server.py --config ../config/ropc.json --port 9000

--port 0 picks a free port; the first line printed says which. SIGHUP
reloads the configuration file without dropping a token.
"""
import argparse
import ipaddress
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ropc


def framing_error(handler):
    """Why a request's framing must be refused (and its connection closed),
    or None. http.server is lenient where a proxy in front may not be, and
    a request the two frame differently smuggles a second one past the
    proxy: two different Content-Lengths (it reads the first), one that is
    not plain digits (int() takes "+9" and "0_9"), Transfer-Encoding (it
    reads no chunked body), and a malformed header line (a name with a
    space: CPython stops reading headers there, silently dropping the rest,
    Content-Length included, so the body would run as the next request)."""
    headers = handler.headers
    if headers.defects or headers.get_payload():
        return "a malformed header line"
    if "Transfer-Encoding" in headers:
        return "Transfer-Encoding is not supported"
    lengths = headers.get_all("Content-Length") or []
    if len(set(lengths)) > 1:
        return "conflicting Content-Length headers"
    if lengths and not re.fullmatch(r"[0-9]{1,18}", lengths[0]):
        return "bad Content-Length"
    return None


def raw_target(handler):
    """The request target as the client sent it: http.server turns a leading
    "//" into "/" in .path before the handler runs, so ropc would authorize
    another target than the one C, Node and the ASGI glue see."""
    parts = handler.requestline.split(" ")
    return parts[1] if len(parts) == 3 else handler.path


class SafeHandler(BaseHTTPRequestHandler):
    """What every handler here needs under hostile clients (the resource
    server's too)."""
    protocol_version = "HTTP/1.1"
    # A connection idle (or trickling) this long is closed: slow clients
    # cannot hold threads forever.
    timeout = 30
    # Head and body leave in one go, not 40 ms apart behind Nagle's
    # algorithm and the client's delayed ACK.
    disable_nagle_algorithm = True

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    #: Who the log lines are from.
    name = "auth_server"

    # One line a request: method, path and status. Never the query string
    # (credentials sent there by mistake), never a body.
    def log_request(self, code="-", size="-"):
        path = self.path.split("?", 1)[0] if hasattr(self, "path") else "-"
        sys.stderr.write(f"{self.name}: {getattr(self, 'command', '-')} {path} {code}\n")

    def log_error(self, fmt, *args):
        # The default message quotes the raw request line: log the code only.
        sys.stderr.write(f"{self.name}: refused a malformed request ({args[0] if args else '?'})\n")

    def refused_framing(self):
        """Answers 400 and closes when the request's framing is one a proxy
        could read otherwise (``framing_error``): a body it cannot frame
        would be read as the next request (smuggling). Whether it did."""
        why = framing_error(self)
        if why:
            self.close_connection = True
            self.reply(400, [("Content-Type", "text/plain")], why.encode())
        return bool(why)


def make_handler(server: ropc.Server):
    routes = {"/token": server.token_endpoint, "/introspect": server.introspection_endpoint,
              "/revoke": server.revocation_endpoint}

    class Handler(SafeHandler):
        def handle_any(self):
            if self.refused_framing():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, ropc.MAX_BODY_BYTES + 1)) if length > 0 else b""
            if length > len(body):
                # The rest of an over-long body is never read: it must not
                # be taken for another request on this connection.
                self.close_connection = True
            path = raw_target(self).split("?", 1)[0]
            if path == "/metrics" and self.command == "GET":
                # Prometheus text, to loopback scrapers only: counts of
                # sign-ins and failures are for the operator, not the world.
                if ipaddress.ip_address(self.client_address[0]).is_loopback:
                    self.reply(200, [("Content-Type", "text/plain; version=0.0.4")], server.metrics().encode())
                else:
                    self.reply(403, [], b"")
                return
            if path == "/auth" or path.startswith("/auth/"):
                # Forward-auth for a gateway in front of an API (NGINX
                # auth_request, Traefik ForwardAuth: the held request's
                # token, method and target in the gateway's headers; Envoy
                # ext_authz: the held request itself, under /auth).
                resp = server.forward_auth(self.headers.items(), self.command, raw_target(self))
                self.reply(resp.status, resp.headers, resp.body)
                return
            if path in ("/jwks.json", ropc.METADATA_PATH):
                get = server.key_set_endpoint if path == "/jwks.json" else server.metadata_endpoint
                resp = get(self.command)
                self.reply(resp.status, resp.headers, resp.body)
                return
            endpoint = routes.get(path)
            if endpoint is None:
                self.reply(404, [], b"")
                return
            # items(), not a dict: a repeated header must reach ropc, which refuses it.
            resp = endpoint(self.command, self.headers.items(), body, remote_addr=self.client_address[0],
                            request_id=self.headers.get("X-Request-Id"))
            self.reply(resp.status, resp.headers, resp.body)

        do_POST = do_GET = do_PUT = do_DELETE = handle_any

    return Handler


class Server(ThreadingHTTPServer):
    # The default backlog of 5 resets connections under a burst.
    request_queue_size = 128
    daemon_threads = True


def serve(server: ropc.Server, host: str, port: int, config_path: str, name: str = "auth_server") -> None:
    """Serves the three endpoints until interrupted; reloads on SIGHUP."""
    httpd = Server((host, port), make_handler(server))
    # `kill -HUP`: the configuration file again, without dropping a token.
    ropc.reload_on_sighup(server, config_path, lambda message: sys.stderr.write(f"{name}: {message}\n"))
    print(f"{name} listening on http://{host}:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    serve(ropc.Server.from_file(args.config), args.host, args.port, args.config)


if __name__ == "__main__":
    main()
