"""``python -m ropc``: the operators' commands, the same as the Rust binary
``ropc`` and ``npx ropc`` (one implementation, in the core).

- ``hash-password [--m-cost KIB] [--t-cost N] [--p-cost N]``: an argon2id
  hash for a user's ``password_hash``; the password is read from standard
  input (asked twice without echo on a terminal), never from the command
  line, where ``ps`` and the shell's history would keep it.
- ``generate-secret``: a new client secret and its ``secret_hash``, as one
  JSON object.
- ``check-config FILE [--host-accounts]``: validates a configuration file as
  a server would (without opening its store).

Exit status: 0 done, 1 refused (the reason on standard error), 2 wrong usage.
"""

from __future__ import annotations

import sys
from typing import List, Optional

from ._ropc import _cli


def main(argv: Optional[List[str]] = None) -> int:
    """Runs a command; ``argv`` defaults to the process's arguments."""
    sys.stdout.flush()
    return _cli(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
