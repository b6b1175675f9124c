from os import PathLike
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, Union, final

from ._types import HostAccounts

__all__ = [
    "Server",
    "ResourceGuard",
    "Response",
    "TokenResponse",
    "Principal",
    "Owner",
    "_check_accounts",
    "hash_password",
    "generate_client_secret",
    "hash_client_secret",
    "resource_name",
    "__version__",
    "MAX_BODY_BYTES",
]

__version__: str
MAX_BODY_BYTES: int

_Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]
# bytes, bytearray and memoryview as they are; a str as UTF-8; None as empty.
_Body = Union[bytes, bytearray, memoryview, str, None]

@final
class Response:
    """An HTTP response: send status, headers and body as they are."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> List[Tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...

@final
class TokenResponse:
    """A token response (RFC 6749 §5.1). Its repr hides the tokens."""

    @property
    def access_token(self) -> str: ...
    @property
    def token_type(self) -> str: ...
    @property
    def expires_in(self) -> int: ...
    @property
    def refresh_token(self) -> Optional[str]: ...
    @property
    def scope(self) -> str: ...

@final
class Principal:
    """Who is calling a resource."""

    @property
    def username(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def scopes(self) -> List[str]: ...
    @property
    def groups(self) -> List[str]: ...
    @property
    def expires_at(self) -> int: ...

@final
class Owner:
    """A resource owner as ``host_accounts`` describes it."""

    def __new__(
        cls, groups: Optional[Iterable[str]] = None, enabled: bool = True, credential_version: Optional[int] = None
    ) -> "Owner": ...
    @property
    def groups(self) -> List[str]: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def credential_version(self) -> Optional[int]:
        """A number the host changes whenever the owner's credentials change: a new one ends older tokens."""

_Authorize = Callable[[Principal, str, Optional[str]], bool]

@final
class Server:
    """An authorization server. Safe to share between threads."""

    def __new__(
        cls,
        config: Union[Mapping[str, Any], str, None] = None,
        *,
        host_accounts: Optional[HostAccounts] = None,
        authorize: Optional[_Authorize] = None,
        **kwargs: Any,
    ) -> "Server": ...
    @staticmethod
    def from_file(
        path: Union[str, "PathLike[str]"],
        *,
        host_accounts: Optional[HostAccounts] = None,
        authorize: Optional[_Authorize] = None,
    ) -> "Server": ...
    def reload(self, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> None:
        """Swaps in a new configuration without dropping a token; raises ``ConfigError``
        (changing nothing) when it is invalid or moves the store."""
    def forget_owner(self, username: str) -> None: ...
    def accounts_stats(self) -> dict[str, int]: ...
    @property
    def realm(self) -> str: ...
    @property
    def calls_may_block(self) -> bool:
        """Whether calls that read tokens may block: a database store (SQLite, PostgreSQL), or host callbacks."""
    def token_endpoint(self, method: str, headers: _Headers, body: _Body) -> Response: ...
    def introspection_endpoint(self, method: str, headers: _Headers, body: _Body) -> Response: ...
    def revocation_endpoint(self, method: str, headers: _Headers, body: _Body) -> Response: ...
    def password_grant(
        self, client_id: str, client_secret: Optional[str], username: str, password: str, scope: Optional[str] = None
    ) -> TokenResponse: ...
    def refresh_grant(
        self, client_id: str, client_secret: Optional[str], refresh_token: str, scope: Optional[str] = None
    ) -> TokenResponse: ...
    def introspect(
        self, client_id: str, client_secret: Optional[str], token: str, token_type_hint: Optional[str] = None
    ) -> dict[str, Any]: ...
    def revoke(
        self, client_id: str, client_secret: Optional[str], token: str, token_type_hint: Optional[str] = None
    ) -> None: ...
    def check(self, access_token: str, resource: str, scope: Optional[str] = None) -> Principal: ...
    def check_request(self, authorization: Optional[str], resource: str, scope: Optional[str] = None) -> Principal: ...
    def hash_password(self, password: str) -> str: ...
    def set_user_password_hash(self, username: str, password_hash: str) -> None: ...
    def set_user_enabled(self, username: str, enabled: bool) -> None: ...
    def revoke_user_tokens(self, username: str) -> bool:
        """Ends every token of a user in every process sharing the store; False
        for an unknown user. Raises ``TemporarilyUnavailable`` if the store failed."""
    def purge_expired(self) -> int:
        """Drops expired and revoked tokens now; raises ``TemporarilyUnavailable``
        if the store failed."""
    def config_json(self) -> str: ...

@final
class ResourceGuard:
    """A resource server's guard, deciding from introspection responses."""

    def __new__(cls, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> "ResourceGuard": ...
    def reload(self, config: Union[Mapping[str, Any], str, None] = None, **kwargs: Any) -> None:
        """Swaps in the scopes and rules of a new configuration; raises ``ConfigError``
        (changing nothing) when it is invalid."""
    @property
    def realm(self) -> str: ...
    def introspection_request(
        self, token: str, client_id: str, client_secret: str
    ) -> Tuple[List[Tuple[str, str]], bytes]: ...
    def bearer_token(self, authorization: Optional[str]) -> str: ...
    def check_introspection(
        self, introspection: Union[str, bytes, Mapping[str, Any]], resource: str, scope: Optional[str] = None
    ) -> Principal: ...

def hash_password(
    password: str, m_cost: Optional[int] = None, t_cost: Optional[int] = None, p_cost: Optional[int] = None
) -> str: ...
def generate_client_secret() -> Tuple[str, str]: ...
def hash_client_secret(secret: str) -> str: ...
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
