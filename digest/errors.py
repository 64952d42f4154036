"""The package's error family.

Every error a user can cause or meet derives from :class:`DigestError`; the CLI turns
them into one-line messages with a non-zero exit code. Leaf module: imports nothing
from digest.
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class of every error digest reports to a person.

    ``exit_code`` is what the CLI exits with when this error reaches it.
    """

    exit_code = 1


class ConfigError(DigestError):
    """The configuration is missing, malformed or names an unknown key."""

    exit_code = 2


class StoreError(DigestError):
    """The database could not be reached, or holds something unexpected."""


class SourceError(DigestError):
    """An article source (file, feed, page) could not be read or parsed."""


class ValidationError(DigestError):
    """A value given by a person (address, language, timezone...) is invalid."""


class NotFoundError(DigestError):
    """Something named by a person (edition, subscriber, feed) does not exist."""


class TokenError(DigestError):
    """A signed link token is forged, altered, expired or for another purpose."""


class RenderError(DigestError):
    """An edition could not be rendered into a message."""


class DeliveryError(DigestError):
    """Sending a message failed.

    ``permanent`` is True for failures that retrying cannot fix (5xx for a
    recipient); ``code`` is the SMTP reply code when there was one.
    """

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class EditionLocked(DigestError):
    """The edition's delivery has started: its content (stories, order, approval) can no
    longer change, and it cannot be rebuilt."""
