"""Audit events from the core: to the ``events`` callable a server was given,
and to the ``ropc.audit`` logger at the level the core gives (WARNING for
reuse, locks and store errors, INFO for the rest). Called on ropc's event
thread, never on a request's."""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional

log = logging.getLogger("ropc.audit")

def levels() -> tuple[bool, bool]:
    """Whether the logger records INFO, and WARNING, now. Read when a server
    is made: without an ``events`` handler, a server delivers only the kinds
    its logger then recorded (by default WARNING: reuse, locks, store
    errors), so that the INFO events of every grant and check do not take
    the GIL from the threads serving requests."""
    return log.isEnabledFor(logging.INFO), log.isEnabledFor(logging.WARNING)


def deliver(handler: Optional[Callable[[dict[str, Any]], Any]], text: str, warning: bool) -> None:
    """One event: logged, then handed to ``handler`` as a dict; a handler
    that raises is logged and the next event comes anyway."""
    log.log(logging.WARNING if warning else logging.INFO, "%s", text)
    if handler is not None:
        event = json.loads(text)  # only a handler needs the dict
        try:
            handler(event)
        except Exception:
            log.exception("the events handler failed on a %s event", event.get("kind"))
