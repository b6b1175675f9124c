"""ropc: an OAuth 2.0 authorization server and resource-server check for the
resource owner password credentials grant, with a Rust core.

    server = ropc.Server.from_file("ropc.json")
    resp = server.token_endpoint("POST", request_headers, request_body)
    principal = server.check_request(authorization, "GET /invoices/42", "read")

See the README for the configuration format and the WSGI/ASGI glue.
"""
from ._errors import (
    AccessDenied,
    ConfigError,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidToken,
    OAuthError,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedTokenType,
)
from ._ropc import (
    MAX_BODY_BYTES,
    Principal,
    ResourceGuard,
    Response,
    Server,
    TokenResponse,
    __version__,
    generate_client_secret,
    hash_client_secret,
    hash_password,
)
from .remote import IntrospectionChecker, IntrospectionUnavailable

__all__ = [
    "AccessDenied",
    "ConfigError",
    "InsufficientScope",
    "IntrospectionChecker",
    "IntrospectionUnavailable",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "InvalidToken",
    "MAX_BODY_BYTES",
    "OAuthError",
    "Principal",
    "ResourceGuard",
    "Response",
    "Server",
    "TemporarilyUnavailable",
    "TokenResponse",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "UnsupportedTokenType",
    "__version__",
    "generate_client_secret",
    "hash_client_secret",
    "hash_password",
]
