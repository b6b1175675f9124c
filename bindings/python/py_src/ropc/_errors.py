"""Exceptions: one class per OAuth error code, each carrying the ready response."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type


class OAuthError(Exception):
    """A refusal, with the HTTP response to send as it is.

    ``error`` is the RFC error code (None only when a resource request carried
    no credentials at all: RFC 6750 §3 then has no code), ``description`` the
    human-readable reason, ``status_code``, ``headers`` and ``body`` the
    response, ``scope`` the scope an ``insufficient_scope`` refusal needed.
    """

    code: ClassVar[Optional[str]] = None
    _classes: ClassVar[Dict[Optional[str], Type["OAuthError"]]] = {}

    def __init__(
        self,
        error: Optional[str],
        description: str,
        status_code: int,
        headers: List[Tuple[str, str]],
        body: bytes,
        scope: Optional[str] = None,
    ) -> None:
        super().__init__(f"{error}: {description}" if error else description)
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.scope = scope

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        # Picklable (multiprocessing, task queues): rebuilt from its fields.
        return (type(self), (self.error, self.description, self.status_code, self.headers, self.body, self.scope))

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:  # a subclass of a code's class keeps that class the code's
            OAuthError._classes[cls.code] = cls

    @staticmethod
    def class_for(code: Optional[str]) -> Type["OAuthError"]:
        """The class for an error code (the base class for none)."""
        return OAuthError._classes.get(code, OAuthError) if code else OAuthError


class InvalidRequest(OAuthError):
    """``invalid_request``: a parameter is missing, repeated or malformed."""

    code = "invalid_request"


class InvalidClient(OAuthError):
    """``invalid_client``: client authentication failed (HTTP 401)."""

    code = "invalid_client"


class InvalidGrant(OAuthError):
    """``invalid_grant``: bad credentials, or a bad, expired or revoked refresh token."""

    code = "invalid_grant"


class UnauthorizedClient(OAuthError):
    """``unauthorized_client``: the client may not use this grant (public clients never)."""

    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    """``unsupported_grant_type``."""

    code = "unsupported_grant_type"


class InvalidScope(OAuthError):
    """``invalid_scope``: unknown, malformed or not allowed."""

    code = "invalid_scope"


class InvalidToken(OAuthError):
    """``invalid_token``: the access token is invalid, expired or revoked (HTTP 401)."""

    code = "invalid_token"


class InsufficientScope(OAuthError):
    """``insufficient_scope``: the token's scope does not cover the request (HTTP 403)."""

    code = "insufficient_scope"


class UnsupportedTokenType(OAuthError):
    """``unsupported_token_type`` (RFC 7009)."""

    code = "unsupported_token_type"


class AccessDenied(OAuthError):
    """``access_denied``: the access rules do not let the resource owner use this resource (HTTP 403)."""

    code = "access_denied"


class TemporarilyUnavailable(OAuthError):
    """``temporarily_unavailable`` (HTTP 503): the token store failed. Nothing
    was changed; retry after ``Retry-After`` seconds. Never a verdict on the
    credentials or tokens, which a client must keep."""

    code = "temporarily_unavailable"


class ServerError(OAuthError):
    """``server_error`` (HTTP 500): a host callback (``host_accounts``,
    ``authorize``) raised, answered with the wrong type, or took longer than
    ``accounts.callback_timeout_ms``. Never a grant; the cause is logged
    (logger ``ropc.accounts``), never sent to the client."""

    code = "server_error"


class InvalidTarget(OAuthError):
    """``invalid_target`` (RFC 8707): a requested ``resource`` is not an
    absolute URI, or not one of the client's configured ``audience``."""

    code = "invalid_target"


class InvalidDpopProof(OAuthError):
    """``invalid_dpop_proof`` (RFC 9449): a DPoP proof is missing where the
    client must send one, malformed, replayed, or not for this request."""

    code = "invalid_dpop_proof"


class UseDpopNonce(OAuthError):
    """``use_dpop_nonce`` (RFC 9449 §8): the server requires a nonce of its
    own in DPoP proofs; the response's ``DPoP-Nonce`` header holds one to
    retry with."""

    code = "use_dpop_nonce"


class AccountError(ValueError):
    """A run-time change to a resource owner that could not be made.
    ``reason``: ``"unknown_user"``, ``"invalid_hash"`` or ``"not_configured"``
    (the server's owners are the host's: change them there, then call
    ``revoke_user_tokens``)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text)
        self.reason = reason

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        return (type(self), (str(self), self.reason))


class ConfigError(ValueError):
    """A configuration that cannot be loaded: ``path`` says where in the
    document (``clients[0].scopes``; empty for the whole of it), ``message``
    what. ``line`` and ``column`` locate it in JSON text you gave (None for
    a dict or keyword arguments, and for errors found after parsing);
    ``file`` names the file of ``Server.from_file``."""

    def __init__(self, text: str, path: str, message: str, line: Optional[int] = None,
                 column: Optional[int] = None, file: Optional[str] = None) -> None:
        super().__init__(text)
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.file = file

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        return (type(self), (str(self), self.path, self.message, self.line, self.column, self.file))
