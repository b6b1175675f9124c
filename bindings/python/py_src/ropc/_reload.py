"""Reloading a running Server or ResourceGuard from its file on SIGHUP."""
from __future__ import annotations

import signal
import sys
from typing import Any, Callable, Optional, Protocol



class _Reloadable(Protocol):
    def reload_file(self, path: str) -> None: ...


def _stderr(message: str) -> None:
    sys.stderr.write(f"ropc: {message}\n")


def reload_on_sighup(target: _Reloadable, path: str, log: Optional[Callable[[str], None]] = None) -> Any:
    """On every SIGHUP, reloads ``target`` (a ``Server`` or a ``ResourceGuard``)
    from the configuration file at ``path``, without dropping a token. A file
    that does not load leaves the running configuration be; both outcomes go
    to ``log`` (default: standard error). Call it from the main thread, as
    Python requires for signal handlers; returns the previous handler."""
    say = log or _stderr

    def handler(signum: int, frame: Any) -> None:
        # Whatever fails (the file unreadable, cut inside a UTF-8 character
        # by an editor mid-write, not JSON, not a valid configuration), the
        # running configuration stays and the server serves on: an exception
        # escaping a signal handler would end the process.
        try:
            target.reload_file(path)  # the core reads it (strict UTF-8)
        except Exception as e:  # noqa: BLE001 - see above
            say(f"reload refused, the running configuration stays: {e}")
            return
        say("configuration reloaded")

    return signal.signal(signal.SIGHUP, handler)
