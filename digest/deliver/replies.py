"""What an SMTP reply means for a delivery (RFC 5321 reply codes, RFC 3463 enhanced
status codes), and when to try again.

* 2xx after DATA: sent.
* 4xx, at any stage, and a lost or timed-out connection: temporary; the row is retried
  later with exponential backoff and jitter, up to ``[smtp] max_attempts``, then failed.
  A connection that breaks after the message was handed over may have delivered it:
  retrying there is the at-least-once window, and the only place a reader can get a
  message twice.
* 421 and 454 (and rate-limit replies such as Gmail's 4.7.28) are throttling: besides
  the retry, the whole pool slows down (see :mod:`digest.deliver.pacer`).
* 5xx for the recipient (at RCPT, or at DATA since each transaction has a single
  recipient): failed for good, and the address is suppressed as a hard bounce, unless
  the enhanced code says the refusal is about policy, content or the system (X.3, X.5,
  X.6, X.7: a spam filter or a size limit must not erase a reader; those count as soft
  bounces, like 5.2.2 "mailbox full").
* 5xx to MAIL FROM is about us (our sender address, authentication, size), never the
  recipient: sending stops with that error and the rows wait for the fix, as for a
  refused login or a failed TLS handshake.
"""

from __future__ import annotations

import enum
import random
import re
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib

from digest.store.claims import ClaimedDelivery
from digest.store.outcomes import AttemptResult

#: Longest retry delay, whatever the attempt number.
MAX_BACKOFF = timedelta(hours=6)

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_THROTTLE_CODES = frozenset({421, 454})
_THROTTLE_TEXT = re.compile(r"\b(rate limit|too many|slow down|throttl)", re.IGNORECASE)
# Enhanced-code subjects (RFC 3463) that say nothing about the address itself.
_NOT_THE_ADDRESS = frozenset({3, 5, 6, 7})


class Verdict(enum.StrEnum):
    """What happens to the delivery row."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


class Stage(enum.StrEnum):
    """Where in the transaction the reply came."""

    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH: nothing of the message sent
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    UNKNOWN = "unknown"  # the connection broke somewhere in the transaction


@dataclass(frozen=True)
class SmtpOutcome:
    """One transaction's result, classified."""

    verdict: Verdict
    stage: Stage
    code: int | None = None
    message: str = ""
    suppress: bool = False  # hard bounce: never mail the address again
    soft_bounce: bool = False  # counts towards [bounces] soft_limit if the row fails
    throttle: bool = False  # slow the whole pool down
    broken: bool = False  # the connection is unusable: reconnect before the next message
    fatal: bool = False  # a configuration problem (login refused, TLS unavailable): stop sending

    @property
    def recipient_level(self) -> bool:
        """True when the reply was about this recipient rather than the connection."""
        return self.stage in (Stage.RCPT, Stage.DATA) and self.code is not None


def enhanced_status(text: str) -> tuple[int, int, int] | None:
    """The RFC 3463 code at the start of a reply text ("5.1.1 user unknown"), or None."""
    match = _ENHANCED.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def reply_text(code: int | None, message: str) -> str:
    """``550 5.1.1 user unknown`` on one line."""
    flat = " ".join(message.split())
    return f"{code} {flat}".strip() if code is not None else flat


def sent(message: str = "") -> SmtpOutcome:
    """The server answered 250 to the message."""
    return SmtpOutcome(Verdict.SENT, Stage.DATA, 250, reply_text(250, message))


def from_reply(code: int, message: str, stage: Stage) -> SmtpOutcome:
    """Classify a negative reply ``code`` received at ``stage``."""
    text = reply_text(code, message)
    throttle = code in _THROTTLE_CODES or (
        400 <= code < 500 and (enhanced_status(message) == (4, 7, 28) or bool(_THROTTLE_TEXT.search(message)))
    )
    broken = code == 421  # the server closes the connection after 421 (RFC 5321 3.8)
    if stage is Stage.CONNECT:
        return SmtpOutcome(Verdict.RETRY, stage, code, text, throttle=throttle, broken=True)
    if code < 500:
        return SmtpOutcome(Verdict.RETRY, stage, code, text, throttle=throttle, broken=broken)
    enhanced = enhanced_status(message)
    if stage is Stage.MAIL:
        # MAIL FROM refused for good: about us (sender address, authentication, size),
        # so about every reader: stop sending and keep the rows for after the fix.
        return SmtpOutcome(Verdict.RETRY, stage, code, f"MAIL FROM refused: {text}", fatal=True)
    if stage is not Stage.RCPT and stage is not Stage.DATA:
        return SmtpOutcome(Verdict.FAILED, stage, code, text)
    if enhanced is not None and enhanced[1:] == (2, 2):
        return SmtpOutcome(Verdict.FAILED, stage, code, text, soft_bounce=True)
    if enhanced is not None and enhanced[1] in _NOT_THE_ADDRESS:
        # Policy or content: the address is fine, but a provider that keeps refusing
        # us for it ends up suppressed through the soft-bounce count.
        return SmtpOutcome(Verdict.FAILED, stage, code, text, soft_bounce=True)
    return SmtpOutcome(Verdict.FAILED, stage, code, text, suppress=True)


def from_exception(exc: BaseException) -> SmtpOutcome:
    """Classify what :meth:`aiosmtplib.SMTP.sendmail` (or connect) raised."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        first = exc.recipients[0] if exc.recipients else None
        if first is None:
            return SmtpOutcome(Verdict.RETRY, Stage.RCPT, None, "recipient refused")
        return from_reply(first.code, first.message, Stage.RCPT)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return from_reply(exc.code, exc.message, Stage.RCPT)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpOutcome(
            Verdict.RETRY, Stage.CONNECT, exc.code, f"login refused: {reply_text(exc.code, exc.message)}", fatal=True
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return from_reply(exc.code, exc.message, Stage.MAIL)
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return from_reply(exc.code, exc.message, Stage.DATA)
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        return from_reply(exc.code, exc.message, Stage.CONNECT)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return from_reply(exc.code, exc.message, Stage.UNKNOWN)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SmtpOutcome(
            Verdict.RETRY, Stage.CONNECT, None, f"not supported by the server: {exc}", broken=True, fatal=True
        )
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        cause = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
        return SmtpOutcome(Verdict.RETRY, Stage.CONNECT, None, f"TLS failed: {cause}", broken=True, fatal=True)
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return SmtpOutcome(Verdict.RETRY, Stage.CONNECT, None, f"cannot connect: {exc}", broken=True)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return SmtpOutcome(Verdict.RETRY, Stage.UNKNOWN, None, f"timed out: {exc or 'no reply'}", broken=True)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | ConnectionError):
        return SmtpOutcome(Verdict.RETRY, Stage.UNKNOWN, None, f"connection lost: {exc or 'closed'}", broken=True)
    if isinstance(exc, OSError):
        return SmtpOutcome(Verdict.RETRY, Stage.CONNECT, None, f"cannot connect: {exc}", broken=True)
    return SmtpOutcome(Verdict.RETRY, Stage.UNKNOWN, None, f"{type(exc).__name__}: {exc}", broken=True)


def backoff(attempt: int, base_seconds: float, rng: random.Random) -> timedelta:
    """Delay before retry number ``attempt`` (1 = the first retry): ``base * 2**(attempt-1)``
    scaled by a random factor in [0.5, 1.5) so that rows failed together spread out,
    never more than :data:`MAX_BACKOFF`."""
    nominal = base_seconds * 2 ** max(0, attempt - 1)
    delay = min(MAX_BACKOFF.total_seconds(), nominal * (0.5 + rng.random()))
    return timedelta(seconds=delay)


def attempt_result(
    row: ClaimedDelivery,
    outcome: SmtpOutcome,
    *,
    now: datetime,
    message_id: str,
    max_attempts: int,
    retry_base_seconds: float,
    rng: random.Random,
) -> AttemptResult:
    """What ``outcome`` of the row's attempt makes of the row: sent; a retry after a
    :func:`backoff` while attempts remain; else failed (the address suppressed for a
    hard bounce, a soft bounce counted when the refusal was about the recipient)."""
    subscriber_id = row.subscriber.id or 0
    attempt = row.attempts + 1
    code, text = outcome.code, outcome.message
    if outcome.verdict is Verdict.SENT:
        return AttemptResult(row.id, subscriber_id, "sent", now, code, text, message_id=message_id)
    if outcome.verdict is Verdict.RETRY and attempt < max_attempts:
        retry_at = now + backoff(attempt, retry_base_seconds, rng)
        return AttemptResult(row.id, subscriber_id, "retry", now, code, text, retry_at=retry_at)
    if outcome.verdict is Verdict.RETRY:
        text = f"gave up after {attempt} attempts: {text}"
        return AttemptResult(row.id, subscriber_id, "failed", now, code, text, soft_bounce=outcome.recipient_level)
    suppress = "hard_bounce" if outcome.suppress else ""
    return AttemptResult(
        row.id, subscriber_id, "failed", now, code, text, suppress=suppress, soft_bounce=outcome.soft_bounce
    )
