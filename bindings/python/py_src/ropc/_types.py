"""Types for the callbacks a host gives a Server."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, Protocol, Union

#: Where a call may run, as the core classifies it (``Server.request_blocking``,
#: ``Server.call_blocking``): ``"inline"`` (microseconds: in place, keeping the
#: GIL), ``"cpu"`` (argon2) or ``"waits"`` (a database, a host callback): a
#: worker thread, without the GIL.
Blocking = Union[Literal["inline"], Literal["cpu"], Literal["waits"]]

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
