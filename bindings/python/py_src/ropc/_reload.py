"""Reloading a running Server or ResourceGuard from its file on SIGHUP."""
from __future__ import annotations

import signal
import sys
from typing import Any, Callable, Optional, Protocol

from ._errors import ConfigError, OAuthError


class _Reloadable(Protocol):
    def reload(self, config: Any = None, **kwargs: Any) -> None: ...


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
        try:
            with open(path, encoding="utf-8") as f:
                target.reload(f.read())
        except (OSError, ConfigError, OAuthError) as e:
            say(f"reload refused, the running configuration stays: {e}")
            return
        say("configuration reloaded")

    return signal.signal(signal.SIGHUP, handler)
