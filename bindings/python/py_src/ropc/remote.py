"""A resource server in another process: ask the authorization server's
introspection endpoint (RFC 7662), then let the core decide with the same
scopes and access rules. Only the HTTP round trip lives here."""
from __future__ import annotations

import hashlib
import http.client
import logging
import queue
import threading
import time
import urllib.parse
from collections import OrderedDict
from typing import Callable, Optional, Tuple

from ._ropc import Principal, ResourceGuard
from ._errors import TemporarilyUnavailable


_log = logging.getLogger("ropc")

# What a kept-alive connection the server has closed meanwhile raises on reuse.
_STALE = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError, BrokenPipeError)


class IntrospectionUnavailable(TemporarilyUnavailable):
    """The authorization server could not be asked: a ``TemporarilyUnavailable``
    (so an ``OAuthError``) whose response is the one a store outage gets, 503
    JSON with ``Retry-After``; never a verdict on the token. The cause is in
    the log (logger ``ropc``), not in the response."""


class IntrospectionChecker:
    """Checks requests against a remote authorization server.

    ``guard`` is a ``ResourceGuard`` over the shared configuration; the
    client credentials are the resource server's own (a client allowed to
    introspect). ``check_request`` behaves like ``Server.check_request``.

    The options, with the same names and meaning as Node's
    (tests/vectors/introspection_client.json lists them): ``timeout_ms``
    (5000) for each introspection; connections to the authorization server
    are kept alive and reused (at most ``pool_size``, 8, idle ones; threads
    beyond that open their own, closed after use); ``cache_seconds`` (0: off,
    the default) keeps *active* answers that long (never past the token's
    ``exp``; at most ``cache_size``, 10000, tokens, by their SHA-256): a
    token revoked at the authorization server is still accepted here for up
    to that long; ``clock`` (seconds since the epoch, for tests); ``log``
    receives why an introspection failed (default: the ``ropc`` logger, at
    WARNING); no token or secret is in it.
    """

    def __init__(self, guard: ResourceGuard, introspection_url: str, client_id: str, client_secret: str, *,
                 timeout_ms: int = 5000, pool_size: int = 8, cache_seconds: float = 0.0, cache_size: int = 10_000,
                 clock: Callable[[], float] = time.time, log: Optional[Callable[[str], None]] = None) -> None:
        url = urllib.parse.urlsplit(introspection_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"introspection_url must be an http or https URL, not {introspection_url!r}")
        if timeout_ms <= 0 or pool_size < 0 or cache_seconds < 0 or cache_size < 1:
            raise ValueError("timeout_ms must be above 0, pool_size and cache_seconds at least 0, cache_size at least 1")
        self.guard = guard
        self.introspection_url = introspection_url
        self.timeout_ms = timeout_ms
        self.log: Callable[[str], None] = log or _log.warning
        self.cache_seconds = cache_seconds
        self._client = (client_id, client_secret)
        self._https = url.scheme == "https"
        self._host, self._port = url.hostname, url.port
        self._target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._idle: "queue.LifoQueue[http.client.HTTPConnection]" = queue.LifoQueue(maxsize=pool_size)
        self._cache: "OrderedDict[bytes, Tuple[float, bytes]]" = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._clock = clock
        #: Connections opened so far (tests and monitoring).
        self.connections_opened = 0

    def _connection(self) -> Tuple[http.client.HTTPConnection, bool]:
        try:
            return self._idle.get_nowait(), True
        except queue.Empty:
            pass
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        with self._lock:
            self.connections_opened += 1
        return cls(self._host, self._port, timeout=self.timeout_ms / 1000), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def _unavailable(self, why: object) -> IntrospectionUnavailable:
        # A wrong secret or URL, or the authorization server's own 503, is
        # never an inactive token. The cause goes to the log (logger "ropc");
        # no token is in it.
        self.log(f"introspection at {self.introspection_url} {why}")
        r = self.guard.unavailable()
        return IntrospectionUnavailable(r.error, r.description, r.status_code, r.headers, r.body)

    def _cached(self, key: bytes) -> Optional[bytes]:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and self._clock() < hit[0]:
                self._cache.move_to_end(key)
                return hit[1]
        return None

    def introspect(self, token: str) -> bytes:
        """POSTs the token to the introspection endpoint; returns the JSON body."""
        key = hashlib.sha256(token.encode()).digest() if self.cache_seconds else b""
        if key:
            hit = self._cached(key)
            if hit is not None:
                return hit
        headers, body = self.guard.introspection_request(token, *self._client)
        for attempt in (0, 1):
            conn, reused = self._connection()
            try:
                conn.request("POST", self._target, body=body, headers=dict(headers))
                response = conn.getresponse()
                data = response.read()
            except _STALE as e:
                conn.close()
                if reused and attempt == 0:
                    continue  # closed while idle: once more, on a new connection
                raise self._unavailable(f"failed: {e}") from e
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise self._unavailable(f"failed: {e}") from e
            if response.will_close:
                conn.close()
            else:
                self._release(conn)
            if response.status != 200:
                raise self._unavailable(f"answered HTTP {response.status}")
            if key:
                self._remember(key, data)
            return data
        raise self._unavailable("failed: no connection")  # not reached: the loop returns or raises

    def _remember(self, key: bytes, data: bytes) -> None:
        until = self.guard.cache_until(data, self._clock(), self.cache_seconds)
        if until is None:
            return
        with self._lock:
            self._cache[key] = (until, data)
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = None) -> Principal:
        token = self.guard.bearer_token(authorization)
        return self.guard.check_introspection(self.introspect(token), resource, scope)

    def check_request_cached(self, authorization: Optional[str], resource: str,
                             scope: Optional[str] = None) -> Optional[Principal]:
        """``check_request`` from the cache alone, never blocking: the
        principal, or the ``OAuthError`` ``check_request`` would raise, or
        ``None`` when the authorization server must be asked (the cache is
        off, or holds no fresh answer for this token). For event loops:
        ``ropc.asgi.protect`` and FastAPI's ``require`` try it before they
        hand the check to a worker thread."""
        if not self.cache_seconds:
            return None
        token = self.guard.bearer_token(authorization)
        data = self._cached(hashlib.sha256(token.encode()).digest())
        return None if data is None else self.guard.check_introspection(data, resource, scope)
