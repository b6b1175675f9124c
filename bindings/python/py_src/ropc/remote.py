"""A resource server in another process: ask the authorization server's
introspection endpoint (RFC 7662), then let the core decide with the same
scopes and access rules. Only the HTTP round trip lives here."""
from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Optional

from ._ropc import Principal, ResourceGuard


_log = logging.getLogger("ropc")


class IntrospectionUnavailable(RuntimeError):
    """The authorization server could not be asked (answer with 503)."""


class IntrospectionChecker:
    """Checks requests against a remote authorization server.

    ``guard`` is a ``ResourceGuard`` over the shared configuration; the
    client credentials are the resource server's own (a client allowed to
    introspect). ``check_request`` behaves like ``Server.check_request``.
    """

    def __init__(self, guard: ResourceGuard, introspection_url: str, client_id: str, client_secret: str,
                 timeout: float = 5.0) -> None:
        self.guard = guard
        self.introspection_url = introspection_url
        self.timeout = timeout
        self._client = (client_id, client_secret)

    def introspect(self, token: str) -> bytes:
        """POSTs the token to the introspection endpoint; returns the JSON body."""
        headers, body = self.guard.introspection_request(token, *self._client)
        request = urllib.request.Request(self.introspection_url, data=body, method="POST", headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as e:
            # Any non-200 (HTTPError) too: a wrong secret or URL, or the
            # authorization server's own 503, is never an inactive token.
            # The cause goes to the log (logger "ropc"); no token is in it.
            _log.warning("introspection at %s failed: %s", self.introspection_url, e)
            raise IntrospectionUnavailable(f"introspection at {self.introspection_url} failed: {e}") from e

    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = None) -> Principal:
        token = self.guard.bearer_token(authorization)
        return self.guard.check_introspection(self.introspect(token), resource, scope)
