#!/usr/bin/env python3
"""A resource server on http.server. For each request it asks the
authorization server's introspection endpoint whether the bearer token is
valid (stage 5), then lets ropc check the scope and the resource owner's
right to the resource, with the shared configuration's scopes and rules.

    ROPC_CLIENT_SECRET=... python3 resource_server.py --config ../config/ropc.json \\
        --port 9001 --introspect http://127.0.0.1:9000/introspect --client-id invoice-api

The client secret comes from the environment, never the command line.
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ropc


def make_handler(checker):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, headers, body):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > 0:
                self.rfile.read(min(length, 1 << 20))
            path = self.path.split("?", 1)[0]
            resource = f"{self.command} {path}"
            try:
                who = checker.check_request(self.headers.get("Authorization"), resource)
            except ropc.OAuthError as err:
                self.reply(err.status_code, err.headers, err.body)
                return
            except ropc.IntrospectionUnavailable:
                self.reply(503, [("Content-Type", "text/plain")], b"the authorization server is unavailable")
                return
            body = json.dumps({"resource": resource, "user": who.username, "client": who.client_id,
                               "scopes": who.scopes, "served_by": "python"}).encode()
            self.reply(200, [("Content-Type", "application/json")], body)

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

        def log_message(self, fmt, *args):
            sys.stderr.write("resource_server: %s\n" % (fmt % args))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the shared configuration (scopes and rules)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--introspect", required=True, help="the authorization server's introspection URL")
    parser.add_argument("--client-id", required=True, help="this resource server's client id")
    args = parser.parse_args()
    secret = os.environ.get("ROPC_CLIENT_SECRET")
    if not secret:
        parser.error("set ROPC_CLIENT_SECRET to this resource server's client secret")
    with open(args.config, encoding="utf-8") as f:
        guard = ropc.ResourceGuard(f.read())
    checker = ropc.IntrospectionChecker(guard, args.introspect, args.client_id, secret)
    httpd = ThreadingHTTPServer((args.host, args.port), make_handler(checker))
    print(f"resource_server listening on http://{args.host}:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
