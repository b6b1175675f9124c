#!/usr/bin/env python3
"""A resource server on http.server. For each request it asks the
authorization server's introspection endpoint whether the bearer token is
valid (stage 5), then lets ropc check the scope and the resource owner's
right to the resource, with the shared configuration's scopes and rules.

    ROPC_CLIENT_SECRET=... python3 resource_server.py --config ../config/resource_server.json \\
        --port 9001 --introspect http://127.0.0.1:9000/introspect --client-id invoice-api

The client secret comes from the environment, never the command line.
--cache-seconds N keeps positive introspection answers N seconds (off by
default): fewer round trips, but a revoked token is accepted that long.
SIGHUP reloads the scopes and rules from the configuration file.
"""
import argparse
import json
import os
import sys
from http.server import ThreadingHTTPServer

import ropc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth_server import SafeHandler, raw_target  # noqa: E402 (beside this file)


def make_handler(checker):
    class Handler(SafeHandler):
        name = "resource_server"

        def handle_any(self):
            # No chunked bodies, no bodies read in part, no framing a proxy
            # could read otherwise: each could be taken for the next request
            # on the connection. Refuse or close.
            if self.refused_framing():
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1 << 20:
                self.close_connection = True
                self.reply(400, [("Content-Type", "text/plain")], b"bad or too long Content-Length")
                return
            if length > 0:
                self.rfile.read(length)
            try:
                # The raw request target, decoded by ropc's one rule: what is
                # authorized is what a backend would serve (an encoded "/",
                # a dot segment or "//" is refused with 400).
                resource = ropc.resource_name(self.command, raw_target(self), checker.guard.realm)
                # Every Authorization header, joined: ropc refuses two.
                authorization = ", ".join(self.headers.get_all("Authorization") or []) or None
                # A DPoP-bound token (RFC 9449) comes with its proof, which
                # names the URI the client reached: this server's, over
                # plain HTTP (behind a TLS proxy, say https here).
                dpop = ", ".join(self.headers.get_all("DPoP") or []) or None
                uri = f"http://{self.headers.get('Host', '')}{raw_target(self)}"
                who = checker.check_with_proof(authorization, dpop, self.command, uri, resource)
            except ropc.OAuthError as err:
                # A refusal, or the authorization server unreachable (an
                # IntrospectionUnavailable: 503 with Retry-After, as a store
                # outage answers): the core's ready response either way.
                self.reply(err.status_code, err.headers, err.body)
                return
            body = json.dumps({"resource": resource, "user": who.username, "client": who.client_id,
                               "scopes": who.scopes, "served_by": "python"}).encode()
            self.reply(200, [("Content-Type", "application/json")], body)

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

    return Handler


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 resets connections under a burst
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the shared configuration (scopes and rules)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--introspect", required=True, help="the authorization server's introspection URL")
    parser.add_argument("--client-id", required=True, help="this resource server's client id")
    parser.add_argument("--cache-seconds", type=float, default=0.0,
                        help="keep positive introspection answers this long (default 0: ask every time); "
                             "a revoked token is still accepted here until its answer expires")
    args = parser.parse_args()
    if not 0 <= args.cache_seconds <= 300:
        parser.error("--cache-seconds must be between 0 and 300")
    secret = os.environ.get("ROPC_CLIENT_SECRET")
    if not secret:
        parser.error("set ROPC_CLIENT_SECRET to this resource server's client secret")
    with open(args.config, encoding="utf-8") as f:
        text = f.read()
    guard = ropc.ResourceGuard(text)
    # A resource server needs the realm, scopes and rules only (see
    # examples/config/resource_server.json): hashes it holds can only leak.
    doc = json.loads(text)
    if doc.get("users") or any(c.get("secret_hash") for c in doc.get("clients", [])):
        sys.stderr.write(
            "resource_server: warning: the configuration holds password or client secret hashes;"
            " give a resource server only realm, scopes and rules\n"
        )
    checker = ropc.IntrospectionChecker(guard, args.introspect, args.client_id, secret,
                                        cache_seconds=args.cache_seconds)

    # `kill -HUP`: the scopes and rules again, from the same file.
    ropc.reload_on_sighup(guard, args.config, lambda message: sys.stderr.write(f"resource_server: {message}\n"))
    httpd = Server((args.host, args.port), make_handler(checker))
    print(f"resource_server listening on http://{args.host}:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
