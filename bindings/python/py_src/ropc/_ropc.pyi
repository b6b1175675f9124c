from os import PathLike
from typing import Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, final

from ._errors import TemporarilyUnavailable
from ._types import Blocking, HostAccounts

__all__ = [
    "Server",
    "ResourceGuard",
    "Response",
    "TokenResponse",
    "Principal",
    "Owner",
    "_check_accounts",
    "hash_password",
    "check_config_file",
    "_cli",
    "generate_client_secret",
    "hash_client_secret",
    "resource_name",
    "__version__",
    "MAX_BODY_BYTES",
    "METADATA_PATH",
    "KeySet",
    "KeySetCache",
]

__version__: str
MAX_BODY_BYTES: int
METADATA_PATH: str

_Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]
# bytes, bytearray and memoryview as they are; a str as UTF-8; None as empty.
_Body = Union[bytes, bytearray, memoryview, str, None]

@final
class Response:
    """An HTTP response: send status, headers and body as they are."""

    @property
    def status(self) -> int:
        """The HTTP status code."""
    @property
    def headers(self) -> List[Tuple[str, str]]:
        """The headers as (name, value) pairs, in order (a name may repeat)."""
    @property
    def body(self) -> bytes:
        """The body: JSON, or empty."""

@final
class TokenResponse:
    """A token response (RFC 6749 §5.1). Its repr hides the tokens."""

    @property
    def access_token(self) -> str:
        """The bearer access token (43 characters)."""
    @property
    def token_type(self) -> str:
        """Always ``Bearer``."""
    @property
    def expires_in(self) -> int:
        """Seconds until the access token expires."""
    @property
    def refresh_token(self) -> Optional[str]:
        """The refresh token, or None when the client gets none."""
    @property
    def scope(self) -> str:
        """The granted scope, space-separated."""

@final
class Principal:
    """Who is calling a resource."""

    @property
    def username(self) -> str:
        """The resource owner."""
    @property
    def client_id(self) -> str:
        """The client the token was issued to."""
    @property
    def scopes(self) -> List[str]:
        """The token's scopes."""
    @property
    def groups(self) -> List[str]:
        """The owner's groups (for the access rules)."""
    @property
    def expires_at(self) -> int:
        """When the token expires, in seconds since the epoch."""

@final
class Owner:
    """A resource owner as ``host_accounts`` describes it."""

    def __new__(
        cls,
        groups: Optional[Iterable[str]] = None,
        enabled: bool = True,
        credential_version: Optional[int] = None,
        name: Optional[str] = None,
    ) -> "Owner": ...
    @property
    def groups(self) -> List[str]:
        """The owner's groups, for the access rules."""
    @property
    def enabled(self) -> bool:
        """False for a disabled owner: refused like a wrong password."""
    @property
    def credential_version(self) -> Optional[int]:
        """A number the host changes whenever the owner's credentials change: a new one ends older tokens."""
    @property
    def name(self) -> Optional[str]:
        """The account's own name, from ``verify``: tokens are issued to it (one subject however the name was typed)."""

_Authorize = Callable[[Principal, str, Optional[str]], bool]
# An audit event as a dict: kind, time, client_id, username, grant_id,
# remote_addr, request_id, reason, password_hash (the keys that apply).
_Events = Callable[[Dict[str, Any]], Any]

@final
class Server:
    """An authorization server. Safe to share between threads."""

    def __new__(
        cls,
        config: Union[Mapping[str, Any], str, None] = None,
        *,
        host_accounts: Optional[HostAccounts] = None,
        authorize: Optional[_Authorize] = None,
        events: Optional[_Events] = None,
        **kwargs: Any,
    ) -> "Server": ...
    @staticmethod
    def from_file(
        path: Union[str, "PathLike[str]"],
        *,
        host_accounts: Optional[HostAccounts] = None,
        authorize: Optional[_Authorize] = None,
        events: Optional[_Events] = None,
    ) -> "Server":
        """A server from a JSON configuration file; a missing file raises ``FileNotFoundError``."""
    def reload(self, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> None:
        """Swaps in a new configuration without dropping a token; raises ``ConfigError``
        (changing nothing) when it is invalid or moves the store."""
    def reload_file(self, path: Union[str, PathLike[str]]) -> None:
        """The same from a file, read strictly as UTF-8; ``ConfigError`` or ``OSError`` changes nothing."""
    def forget_owner(self, username: str) -> None:
        """Drops this process's cached state of an owner (host accounts)."""
    def accounts_stats(self) -> dict[str, int]:
        """What the account layer did: counts of host calls, paced answers and failures."""
    @property
    def realm(self) -> str:
        """The realm of ``WWW-Authenticate`` challenges."""
    def request_blocking(self, method: str, headers: _Headers, body: _Body) -> Blocking:
        """Where answering this endpoint request may run, as the core classifies it: ``"inline"``
        (microseconds), ``"cpu"`` (argon2) or ``"waits"`` (a database, a host callback). Event-loop glue
        answers ``"inline"`` in place and sends the rest to a worker thread."""
    def call_blocking(
        self, call: Literal["password_grant", "as_client", "store", "hash_password"], client_id: Optional[str] = None
    ) -> Blocking:
        """Where a typed call may run (as ``request_blocking``): ``"as_client"`` is a refresh, an
        introspection or a revocation by ``client_id`` (given for it only); ``"store"`` every other call
        (the checks, metrics, changes to owners)."""
    def token_endpoint(
        self,
        method: str,
        headers: _Headers,
        body: _Body,
        *,
        remote_addr: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> Response:
        """The token endpoint (RFC 6749 §3.2): the password and refresh_token grants. Send the response as it is. ``remote_addr`` and ``request_id`` go into its audit events."""
    def introspection_endpoint(
        self,
        method: str,
        headers: _Headers,
        body: _Body,
        *,
        remote_addr: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> Response:
        """The introspection endpoint (RFC 7662). Send the response as it is. ``remote_addr`` and ``request_id`` go into its audit events."""
    def revocation_endpoint(
        self,
        method: str,
        headers: _Headers,
        body: _Body,
        *,
        remote_addr: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> Response:
        """The revocation endpoint (RFC 7009). Send the response as it is. ``remote_addr`` and ``request_id`` go into its audit events."""
    def key_set_endpoint(self, method: str) -> Response:
        """``GET /jwks.json``: the key set resource servers verify JWT access tokens with (404 when nothing is signed)."""
    def forward_auth(self, headers: _Headers, method: Optional[str] = None, target: Optional[str] = None) -> Response:
        """Forward-auth: the answer for the request a gateway holds (``Authorization`` and ``X-Forwarded-Method``/
        ``X-Forwarded-Uri``, or ``X-Original-Method``/``X-Original-URI``, or a ``target`` under ``/auth`` with its
        ``method``, as Envoy sends it): 200 with ``X-Auth-User``, ``X-Auth-Client`` and ``X-Auth-Scope``, or the
        RFC 6750 refusal to pass back."""
    def metadata_endpoint(self, method: str) -> Response:
        """``GET /.well-known/oauth-authorization-server``: the RFC 8414 metadata (404 without an issuer)."""
    def answer_inline(
        self,
        endpoint: Literal["token", "introspection", "revocation"],
        method: str,
        headers: _Headers,
        body: _Body,
        *,
        remote_addr: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> Optional[Response]:
        """The endpoint named answered here when the request is ``"inline"``, or ``None`` when it is not
        (``request_blocking`` says where it belongs): event-loop glue then calls the endpoint on a worker
        thread. One reading of the request."""
    def password_grant(
        self, client_id: str, client_secret: Optional[str], username: str, password: str, scope: Optional[str] = None
    ) -> TokenResponse:
        """The password grant; raises an ``OAuthError`` subclass when refused."""
    def refresh_grant(
        self, client_id: str, client_secret: Optional[str], refresh_token: str, scope: Optional[str] = None
    ) -> TokenResponse:
        """The refresh_token grant, with rotation; raises an ``OAuthError`` subclass when refused."""
    def introspect(
        self, client_id: str, client_secret: Optional[str], token: str, token_type_hint: Optional[str] = None
    ) -> dict[str, Any]:
        """Introspection (RFC 7662) by an authenticated client: the response as a dict."""
    def revoke(
        self, client_id: str, client_secret: Optional[str], token: str, token_type_hint: Optional[str] = None
    ) -> None:
        """Revocation (RFC 7009); an unknown token succeeds."""
    def check(self, access_token: str, resource: str, scope: Optional[str] = None) -> Principal:
        """Stage 5 with the token itself: the ``Principal``, or an ``OAuthError`` carrying the RFC 6750 response."""
    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = None) -> Principal:
        """Stage 5 from the request's Authorization header (None when absent); as ``check``."""
    def check_with_proof(
        self,
        authorization: Optional[str],
        dpop: Optional[str],
        method: str,
        uri: str,
        resource: str,
        scope: Optional[str] = None,
    ) -> Principal:
        """Stage 5 for ``Authorization: DPoP`` with its proof (RFC 9449), or a bearer token."""
    def hash_password(self, password: str) -> str:
        """An argon2id PHC hash with this server's parameters."""
    def set_user_password_hash(self, username: str, password_hash: str) -> None:
        """Replaces a configured user's hash and ends the user's tokens; raises ``AccountError``."""
    def set_user_enabled(self, username: str, enabled: bool) -> None:
        """Enables or disables a configured user (disabling ends the user's tokens); raises ``AccountError``."""
    def revoke_user_tokens(self, username: str) -> bool:
        """Ends every token of a user in every process sharing the store; False
        for an unknown user. Raises ``TemporarilyUnavailable`` if the store failed."""
    def metrics(self) -> str:
        """The server's metrics as Prometheus text (exposition format 0.0.4), with the GIL released."""
    def purge_expired(self) -> int:
        """Drops expired and revoked tokens now; raises ``TemporarilyUnavailable``
        if the store failed."""
    def config_json(self) -> str:
        """The configuration as it is now (re-hashed passwords included), as JSON."""

@final
class ResourceGuard:
    """A resource server's guard, deciding from introspection responses."""

    def __new__(cls, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> "ResourceGuard": ...
    def reload(self, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> None:
        """Swaps in the scopes and rules of a new configuration; raises ``ConfigError``
        (changing nothing) when it is invalid."""
    def reload_file(self, path: Union[str, PathLike[str]]) -> None:
        """The same from a file, read strictly as UTF-8; ``ConfigError`` or ``OSError`` changes nothing."""
    @property
    def realm(self) -> str:
        """The realm of ``WWW-Authenticate`` challenges."""
    def introspection_request(
        self, token: str, client_id: str, client_secret: str
    ) -> Tuple[List[Tuple[str, str]], bytes]:
        """The introspection request for ``token``, authenticated as this resource server's client: (headers, body) to POST."""
    def unavailable(self) -> TemporarilyUnavailable:
        """The refusal (returned, not raised) when the authorization server could not be asked:
        503 ``temporarily_unavailable`` with ``Retry-After``, as a store outage answers a check."""
    def bearer_token(self, authorization: Optional[str]) -> str:
        """Step one: the bearer token in an Authorization header; raises an ``OAuthError`` with the response to send."""
    def cache_until(self, introspection: bytes, now: float, max_seconds: float) -> Optional[float]:
        """Until when an introspection response given at ``now`` may be kept (at most ``max_seconds``;
        active answers only, never past ``exp``); ``None``: not at all."""
    def check_introspection(
        self, introspection: Union[str, bytes, Mapping[str, Any]], resource: str, scope: Optional[str] = None
    ) -> Principal:
        """Step two: decides from the introspection response (str, bytes or dict)."""
    def check_jwt(self, token: str, keys: KeySet, resource: str, scope: Optional[str] = None) -> Principal:
        """Stage 5 offline for a JWT access token (RFC 9068) with the authorization server's key set: the
        signature, ``typ``, ``iss`` (``issuer``), ``aud`` (``audience``) and ``exp``, then the same rules as an
        introspection response; raises an ``OAuthError`` carrying the RFC 6750 response."""
    def check_jwt_request(
        self, authorization: Optional[str], keys: KeySet, resource: str, scope: Optional[str] = None
    ) -> Principal:
        """``check_jwt`` from a request's Authorization header."""
    def dpop_token(self, authorization: Optional[str]) -> Optional[str]:
        """The token of an ``Authorization: DPoP`` header; ``None`` for another scheme."""
    def check_introspection_with_proof(
        self,
        introspection: str,
        token: str,
        dpop: Optional[str],
        method: str,
        uri: str,
        resource: str,
        scope: Optional[str] = None,
    ) -> Principal:
        """Stage 5 from an introspection answer with the request's DPoP proof (RFC 9449)."""
    def check_jwt_with_proof(
        self,
        token: str,
        keys: KeySet,
        dpop: Optional[str],
        method: str,
        uri: str,
        resource: str,
        scope: Optional[str] = None,
    ) -> Principal:
        """``check_introspection_with_proof`` for a JWT checked offline with ``keys``."""

@final
class KeySet:
    """A key set (RFC 7517): the public keys JWT access tokens are verified with."""

    def __new__(cls, jwks: Union[str, bytes]) -> "KeySet": ...
    @property
    def kids(self) -> List[str]:
        """The keys' ``kid``, in order."""
    def __len__(self) -> int: ...

@final
class KeySetCache:
    """A resource server's copy of a key set and when to fetch it (the HTTP is the caller's)."""

    def __new__(cls, max_age_seconds: float = 600.0, min_refetch_seconds: float = 30.0) -> "KeySetCache": ...
    def plan(self, token: str, now: float, may_fetch: bool = True) -> Tuple[str, Optional[KeySet]]:
        """``("not_jwt" | "use" | "fetch" | "unavailable", keys)``."""
    def ready(self, token: str, now: float) -> Optional[KeySet]:
        """The keys when no fetch could be wanted; ``None``: plan instead."""
    def fetched(self, status: int, body: bytes, cache_control: Optional[str], now: float) -> None:
        """A fetch's answer; ``ValueError`` (why) when it is not a key set."""
    @property
    def fetches(self) -> int:
        """Key sets read so far."""

def hash_password(
    password: str, m_cost: Optional[int] = None, t_cost: Optional[int] = None, p_cost: Optional[int] = None
) -> str:
    """argon2id PHC hash of a password (OWASP's parameters unless given), with the GIL released."""
def check_config_file(path: Union[str, PathLike[str]], *, host_accounts: bool = False) -> str:
    """Validates a configuration file as a server would (without opening its store); returns a
    one-line summary, raises ``ConfigError`` or ``FileNotFoundError``."""
def _cli(args: List[str]) -> int:
    """Runs one of the operators' commands (``python -m ropc``) on the process's standard streams."""
def generate_client_secret() -> Tuple[str, str]:
    """A new client secret (give it to the client once) and its ``sha256:`` hash for the configuration."""
def hash_client_secret(secret: str) -> str:
    """The ``sha256:`` hash of a generated client secret."""
def resource_name(method: str, target: str, realm: str = "ropc") -> str:
    """The resource name of a request (method and raw request target) by ropc's one
    rule; raises ``InvalidRequest`` for a target a backend could read two ways."""
def _check_accounts(
    host_accounts: HostAccounts,
    username: str,
    password: str,
    groups: List[str],
    disabled: Tuple[str, str],
    unknown: str,
) -> None:
    """Runs the core's accounts conformance suite through this adapter (for tests)."""
