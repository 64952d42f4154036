"""Placeholder for commands whose behaviour lands in a later issue."""

from __future__ import annotations

from digest.errors import DigestError


class NotYetImplemented(DigestError):
    """The command is wired but its behaviour is not built yet."""

    exit_code = 3


def pending(what: str, issue: int) -> NotYetImplemented:
    """The error a not-yet-built command raises, naming the issue that builds it."""
    return NotYetImplemented(f"{what} is not implemented yet (issue #{issue})")
