"""The introspection client against tests/vectors/introspection_client.json:
the options by the names the vectors give, and what a resource request gets
for each answer of a stub authorization server. Node's suite runs the same
file (bindings/node/test/introspection_vectors.test.js)."""
import http.server
import json
import os
import threading

import pytest
import ropc

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "..", "tests", "vectors", "introspection_client.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)


class Stub:
    """An authorization server answering every POST with one status and body."""

    def __init__(self, status, body):
        stub = self
        self.asked = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.asked += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/introspect"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_the_options_are_the_vectors_names():
    guard = ropc.ResourceGuard(VECTORS["config"])
    given = {o["python"]: o["default"] for o in VECTORS["options"] if o["default"] is not None}
    checker = ropc.IntrospectionChecker(guard, "http://127.0.0.1:1/introspect", "rs", "rs-secret",
                                        clock=lambda: 0.0, log=lambda m: None, **given)
    assert (checker.timeout_ms, checker.cache_seconds) == (given["timeout_ms"], given["cache_seconds"])
    with pytest.raises(TypeError):
        ropc.IntrospectionChecker(guard, "http://127.0.0.1:1/introspect", "rs", "rs-secret", max_sockets=8)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_every_answer_of_the_authorization_server(case):
    stub = Stub(case["as_status"], case["as_body"])
    logged = []
    try:
        checker = ropc.IntrospectionChecker(ropc.ResourceGuard(VECTORS["config"]), stub.url, "rs", "rs-secret",
                                            log=logged.append)
        expect = case["expect"]
        if "principal" in expect:
            assert checker.check_request(case["authorization"], case["resource"]).username == expect["principal"]
        else:
            with pytest.raises(ropc.OAuthError) as refused:
                checker.check_request(case["authorization"], case["resource"])
            err = refused.value
            assert (err.status_code, err.error, dict(err.headers).get("Retry-After")) == (
                expect["status"], expect["error"], expect["retry_after"])
        if "logged" in expect:
            assert len(logged) == 1 and expect["logged"] in logged[0], logged
        else:
            assert logged == []
        if "asked" in expect:
            assert stub.asked == expect["asked"]
    finally:
        stub.close()
