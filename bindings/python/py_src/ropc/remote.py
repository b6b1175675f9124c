"""A resource server in another process: ask the authorization server's
introspection endpoint (RFC 7662), or check a JWT access token offline with
its key set (RFC 9068, RFC 7517), then let the core decide with the same
scopes and access rules. Only the HTTP round trips live here: when to fetch
the key set is the core's ``KeySetCache``."""
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

from ._ropc import KeySet, KeySetCache, Principal, ResourceGuard
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

    def check_with_proof(self, authorization: Optional[str], dpop: Optional[str], method: str, uri: str,
                         resource: str, scope: Optional[str] = None) -> Principal:
        """``check_request``, or for ``Authorization: DPoP`` (RFC 9449) the
        token introspected and its proof (``dpop``, for ``method`` and the
        absolute ``uri``) checked here against the answer's ``cnf.jkt``. The
        glue calls it when it can (WSGI, ASGI, Flask, FastAPI)."""
        token = self.guard.dpop_token(authorization)
        if token is None:
            return self.check_request(authorization, resource, scope)
        data = self.introspect(token)
        return self.guard.check_introspection_with_proof(
            data.decode() if isinstance(data, bytes) else data, token, dpop, method, uri, resource, scope)

    def check_request_cached(self, authorization: Optional[str], resource: str,
                             scope: Optional[str] = None) -> Optional[Principal]:
        """``check_request`` from the cache alone, never blocking: the
        principal, or the ``OAuthError`` ``check_request`` would raise, or
        ``None`` when the authorization server must be asked (the cache is
        off, or holds no fresh answer for this token). For event loops:
        ``ropc.asgi.protect`` and FastAPI's ``require`` try it before they
        hand the check to a worker thread."""
        if not self.cache_seconds or self.guard.dpop_token(authorization) is not None:
            return None  # a DPoP request is checked with its proof, on a thread
        token = self.guard.bearer_token(authorization)
        data = self._cached(hashlib.sha256(token.encode()).digest())
        return None if data is None else self.guard.check_introspection(data, resource, scope)


class JwtChecker:
    """Checks JWT access tokens offline, with the key set at ``jwks_url``.

    ``check_request`` behaves like ``Server.check_request``: the signature
    by the token's ``kid``, ``typ`` ``at+jwt``, EdDSA or ES256 only, ``iss``
    and ``aud`` (the guard's configuration: ``issuer``, ``audience``),
    ``exp`` with 30 s of leeway, then the same scope and owner rules and
    answers. The key set is fetched when first needed and kept for
    ``max_age_seconds`` (600; less when its ``Cache-Control`` says so); a
    token naming a key the set lacks fetches it again at once, at most once
    every ``min_refetch_seconds`` (30). When the set cannot be had, checks
    answer 503 (``IntrospectionUnavailable``), never a verdict on a token.

    A JWT cannot be recalled: one whose grant was revoked passes here until
    it expires. Tokens that are not JWTs (opaque ones) go to
    ``introspection`` (an ``IntrospectionChecker``) when given, else are
    invalid; a route that must see revocations at once is protected with
    the ``IntrospectionChecker`` itself (it asks about JWTs too).
    """

    def __init__(self, guard: ResourceGuard, jwks_url: str, *, introspection: Optional[IntrospectionChecker] = None,
                 max_age_seconds: float = 600.0, min_refetch_seconds: float = 30.0, timeout_ms: int = 5000,
                 clock: Callable[[], float] = time.time, log: Optional[Callable[[str], None]] = None) -> None:
        url = urllib.parse.urlsplit(jwks_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"jwks_url must be an http or https URL, not {jwks_url!r}")
        if timeout_ms <= 0:
            raise ValueError("timeout_ms must be above 0")
        self.guard = guard
        self.jwks_url = jwks_url
        self.introspection = introspection
        self.timeout_ms = timeout_ms
        self.log: Callable[[str], None] = log or _log.warning
        self._cache = KeySetCache(max_age_seconds, min_refetch_seconds)
        self._clock = clock
        self._https = url.scheme == "https"
        self._host, self._port = url.hostname, url.port
        self._target = (url.path or "/") + (f"?{url.query}" if url.query else "")

    @property
    def fetches(self) -> int:
        """Key sets read so far."""
        return self._cache.fetches

    def _unavailable(self, why: str) -> IntrospectionUnavailable:
        self.log(f"the key set at {self.jwks_url} {why}")
        r = self.guard.unavailable()
        return IntrospectionUnavailable(r.error, r.description, r.status_code, r.headers, r.body)

    def _fetch(self) -> None:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout_ms / 1000)
        try:
            conn.request("GET", self._target, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read(256 * 1024 + 1)
            status, cache_control = response.status, response.getheader("Cache-Control")
        except (OSError, http.client.HTTPException) as e:
            self.log(f"the key set at {self.jwks_url} could not be fetched: {e}")
            return
        finally:
            conn.close()
        try:
            self._cache.fetched(status, body, cache_control, self._clock())
        except ValueError as e:
            self.log(f"the key set at {self.jwks_url} {e}")

    def _keys(self, token: str) -> Optional[KeySet]:
        """The keys to check ``token`` with (fetched first when the core's
        policy says so); ``None``: it is not a JWT. Raises
        ``IntrospectionUnavailable`` when there are none."""
        what, keys = self._cache.plan(token, self._clock(), True)
        if what == "fetch":
            self._fetch()
            what, keys = self._cache.plan(token, self._clock(), False)
        if what == "not_jwt":
            return None
        if what == "unavailable" or keys is None:
            raise self._unavailable("could not be had")
        return keys

    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = None) -> Principal:
        token = self.guard.bearer_token(authorization)
        keys = self._keys(token)
        if keys is None and self.introspection is not None:
            return self.introspection.check_request(authorization, resource, scope)
        if keys is None:
            keys = KeySet('{"keys": []}')  # not a JWT: the core's invalid_token
        return self.guard.check_jwt(token, keys, resource, scope)

    def check_with_proof(self, authorization: Optional[str], dpop: Optional[str], method: str, uri: str,
                         resource: str, scope: Optional[str] = None) -> Principal:
        """``check_request``, or for ``Authorization: DPoP`` (RFC 9449) the
        JWT checked offline with its proof (``dpop``, for ``method`` and the
        absolute ``uri``) of the key its ``cnf.jkt`` names; an opaque one
        goes to ``introspection``."""
        token = self.guard.dpop_token(authorization)
        if token is None:
            return self.check_request(authorization, resource, scope)
        keys = self._keys(token)
        if keys is None and self.introspection is not None:
            return self.introspection.check_with_proof(authorization, dpop, method, uri, resource, scope)
        if keys is None:
            keys = KeySet('{"keys": []}')
        return self.guard.check_jwt_with_proof(token, keys, dpop, method, uri, resource, scope)

    def check_request_cached(self, authorization: Optional[str], resource: str,
                             scope: Optional[str] = None) -> Optional[Principal]:
        """``check_request`` without blocking, for event loops (as
        ``IntrospectionChecker.check_request_cached``): ``None`` when the key
        set must be fetched or an opaque token introspected."""
        if self.guard.dpop_token(authorization) is not None:
            return None  # a DPoP request is checked with its proof, on a thread
        token = self.guard.bearer_token(authorization)
        keys = self._cache.ready(token, self._clock())
        if keys is not None:
            return self.guard.check_jwt(token, keys, resource, scope)
        if self.introspection is not None and self._cache.plan(token, self._clock(), False)[0] == "not_jwt":
            return self.introspection.check_request_cached(authorization, resource, scope)
        return None
