"""ropc: an OAuth 2.0 authorization server and resource-server check for the
resource owner password credentials grant, with a Rust core.

    server = ropc.Server.from_file("ropc.json")
    resp = server.token_endpoint("POST", request_headers, request_body)
    principal = server.check_request(authorization, "GET /invoices/42", "read")

See the README for the configuration format and the WSGI/ASGI glue.
"""
from ._errors import (
    AccessDenied,
    AccountError,
    ConfigError,
    InsufficientScope,
    InvalidClient,
    InvalidDpopProof,
    UseDpopNonce,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    InvalidToken,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedTokenType,
)
from ._ropc import (
    MAX_BODY_BYTES,
    METADATA_PATH,
    KeySet,
    KeySetCache,
    Owner,
    Principal,
    ResourceGuard,
    Response,
    Server,
    TokenResponse,
    __version__,
    check_config_file,
    generate_client_secret,
    hash_client_secret,
    hash_password,
    resource_name,
)
from ._reload import reload_on_sighup
from ._types import Blocking, HostAccounts
from .remote import IntrospectionChecker, IntrospectionUnavailable, JwtChecker

#: What ``host_accounts.verify`` returns for a wrong password (and ``None``
#: for an unknown user; an ``Owner`` when the password is right).
WRONG_PASSWORD = False
UNKNOWN_USER = None

__all__ = [
    "AccessDenied",
    "AccountError",
    "Blocking",
    "ConfigError",
    "HostAccounts",
    "InsufficientScope",
    "IntrospectionChecker",
    "IntrospectionUnavailable",
    "InvalidClient",
    "InvalidDpopProof",
    "UseDpopNonce",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "InvalidTarget",
    "InvalidToken",
    "MAX_BODY_BYTES",
    "METADATA_PATH",
    "KeySet",
    "KeySetCache",
    "JwtChecker",
    "OAuthError",
    "Owner",
    "Principal",
    "ResourceGuard",
    "Response",
    "Server",
    "ServerError",
    "TemporarilyUnavailable",
    "UNKNOWN_USER",
    "WRONG_PASSWORD",
    "TokenResponse",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "UnsupportedTokenType",
    "__version__",
    "check_config_file",
    "generate_client_secret",
    "hash_client_secret",
    "hash_password",
    "reload_on_sighup",
    "resource_name",
]
