#!/usr/bin/env python3
"""An OAuth 2.0 authorization server (token, introspection, revocation) on
the standard library's http.server, with ropc deciding everything.

    python3 auth_server.py --config ../config/ropc.json --port 9000

--port 0 picks a free port; the first line printed says which.
"""
import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ropc


def make_handler(server: ropc.Server):
    routes = {"/token": server.token_endpoint, "/introspect": server.introspection_endpoint,
              "/revoke": server.revocation_endpoint}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            endpoint = routes.get(self.path.split("?", 1)[0])
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, ropc.MAX_BODY_BYTES + 1)) if length > 0 else b""
            if endpoint is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            resp = endpoint(self.command, dict(self.headers.items()), body)
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            self.wfile.write(resp.body)

        do_POST = do_GET = do_PUT = do_DELETE = handle_any

        def log_message(self, fmt, *args):  # one line a request, never a body
            sys.stderr.write("auth_server: %s\n" % (fmt % args))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    server = ropc.Server.from_file(args.config)
    httpd = ThreadingHTTPServer((args.host, args.port), make_handler(server))
    print(f"auth_server listening on http://{args.host}:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
