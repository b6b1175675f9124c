"""Types for the callbacks a host gives a Server."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, Protocol, Union

if TYPE_CHECKING:
    from ._ropc import Owner


class HostAccounts(Protocol):
    """Resource owners kept by the host (``Server(..., host_accounts=...)``).
    Called from any thread, concurrently, with the GIL held only while they
    run; must not log the password."""

    def verify(self, username: str, password: str) -> Union["Owner", Literal[False], None]:
        """An ``Owner`` (right password), ``False`` (wrong password) or ``None`` (unknown user)."""
        ...

    def lookup(self, username: str) -> Optional["Owner"]:
        """The owner's current state, or ``None`` when there is no such user any more."""
        ...
