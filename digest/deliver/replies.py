"""What an SMTP reply means for a delivery (RFC 5321 reply codes, RFC 3463 enhanced
status codes): whose fault it is, whether it costs the reader an attempt, and when to try
again.

Every refusal is one of three :class:`Fault` classes:

* **the reader's** (5.1.x unknown mailbox, 5.2.1 disabled, 5.4.x no route, a plain 550):
  the row fails and the address is suppressed as a hard bounce;
* **temporary** (any 4xx, 5.2.2 mailbox full, a lost connection): retried with
  exponential backoff and jitter up to ``[smtp] max_attempts``, then failed — and retried
  by the next send while the edition is fresh; counted as a soft bounce when the refusal
  was about the recipient;
* **ours** (5.7.x policy, authentication, relaying; 5.3.x/5.5.x/5.6.x system, syntax,
  content; 552 and 5.2.3 size; TLS and login failures; a refused connection; a timeout
  before DATA): never the reader's doing, never a bounce. When such replies dominate
  (see :mod:`digest.deliver.breaker`) the send stops and nobody is charged for them.

A row is *charged* an attempt only when the server answered about that recipient (RCPT,
DATA, or a connection lost after the message was handed over: the at-least-once window).
Replies at the greeting, EHLO, STARTTLS, AUTH or MAIL FROM, throttling replies (421,
454, 4.7.x rate limits) and a server that is down cost nobody an attempt: the row goes
back to wait (:attr:`Verdict.UNTRIED`).
"""

from __future__ import annotations

import enum
import random
import re
import ssl
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import aiosmtplib

from digest.logs import mask_emails
from digest.store.claims import ClaimedDelivery
from digest.store.outcomes import AttemptResult

#: Longest retry delay, whatever the attempt number.
MAX_BACKOFF = timedelta(hours=6)

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_THROTTLE_CODES = frozenset({421, 454})
_THROTTLE_TEXT = re.compile(r"\b(rate limit|too many|slow down|throttl)", re.IGNORECASE)
# Enhanced-code subjects (RFC 3463) about us rather than the address: system (3),
# protocol (5), content (6), policy and security (7).
_OURS_SUBJECTS = frozenset({3, 5, 6, 7})


class Verdict(enum.StrEnum):
    """What happens to the delivery row."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNTRIED = "untried"  # nothing reached the reader's server: back to wait, no attempt charged


class Fault(enum.StrEnum):
    """Whose fault a refusal is (see the module docstring)."""

    READER = "reader"
    TEMPORARY = "temporary"
    OURS = "ours"


class Stage(enum.StrEnum):
    """Where in the transaction the reply came."""

    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH: nothing of the message sent
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    UNKNOWN = "unknown"  # the connection broke after the message was handed over


@dataclass(frozen=True)
class SmtpOutcome:
    """One transaction's result, classified."""

    verdict: Verdict
    stage: Stage
    code: int | None = None
    message: str = ""
    suppress: bool = False  # hard bounce: never mail the address again
    soft_bounce: bool = False  # counts towards [bounces] soft_bounce_limit if the row fails
    throttle: bool = False  # slow the whole pool down
    broken: bool = False  # the connection is unusable: reconnect before the next message
    fatal: bool = False  # a configuration problem (login refused, TLS unavailable): stop sending
    fault: Fault | None = None  # whose fault a refusal is (None: sent)

    @property
    def recipient_level(self) -> bool:
        """True when the reply was about this recipient rather than the connection."""
        return self.stage in (Stage.RCPT, Stage.DATA) and self.code is not None

    @property
    def charged(self) -> bool:
        """True when the outcome costs the row an attempt: the server answered about
        the recipient (or the connection broke once the message was handed over)."""
        if self.verdict is Verdict.SENT:
            return True
        if self.verdict is Verdict.UNTRIED or self.fatal or self.throttle:
            return False
        return self.recipient_level or self.stage is Stage.UNKNOWN


def fault_of(code: int, message: str, stage: Stage) -> Fault:
    """Whose fault the negative reply ``code`` at ``stage`` is."""
    if code < 500:
        return Fault.TEMPORARY
    if stage not in (Stage.RCPT, Stage.DATA):
        return Fault.OURS  # greeting, EHLO, AUTH, MAIL FROM: about us, whoever the reader
    enhanced = enhanced_status(message)
    if enhanced is not None:
        subject, detail = enhanced[1], enhanced[2]
        if (subject, detail) == (2, 2):
            return Fault.TEMPORARY  # mailbox full: it may empty
        if (subject, detail) == (2, 3) or subject in _OURS_SUBJECTS:
            return Fault.OURS  # size, system, protocol, content, policy
        if code == 552 and subject != 1:
            return Fault.OURS
        return Fault.READER  # 5.1.x address, 5.2.x mailbox, 5.4.x routing
    if code in (552, 554):
        return Fault.OURS  # size, "transaction failed" (typically a relay's policy)
    return Fault.READER


_REPLY = re.compile(r"(?:^|[\s;:])([245]\d\d)[ -]+(.*)$")
_CAUSES = {"hard_bounce": "hard", "soft_bounce": "soft"}


def suppression_cause(reason: str, detail: str) -> str:
    """Which class of refusal a suppression came from: ``ours`` (our relay, policy,
    size: never the reader's doing), ``soft`` or ``hard``; other reasons as they are
    (unsubscribed, complaint, forgotten, manual). Read from the reply kept in its
    detail ("550 5.1.1 ...", "5.7.1 smtp; 554 5.7.1 ...", "3 soft bounces ...; last: ...")."""
    if reason not in _CAUSES:
        return reason
    last = detail.rsplit("last: ", 1)[-1]
    match = _REPLY.search(last)
    if match is not None:
        fault = fault_of(int(match.group(1)), match.group(2), Stage.RCPT)
    else:
        enhanced = enhanced_status(last)
        if enhanced is None:
            return _CAUSES[reason]
        fault = fault_of(enhanced[0] * 100 + 50, last, Stage.RCPT)
    if fault is Fault.OURS:
        return "ours"
    return "soft" if fault is Fault.TEMPORARY or reason == "soft_bounce" else "hard"


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
    fault = fault_of(code, message, stage)
    enhanced = enhanced_status(message)
    throttle = code in _THROTTLE_CODES or (
        400 <= code < 500
        and ((enhanced is not None and enhanced[1:] == (7, 28)) or bool(_THROTTLE_TEXT.search(message)))
    )
    broken = code == 421  # the server closes the connection after 421 (RFC 5321 3.8)
    if stage is Stage.CONNECT:
        return SmtpOutcome(Verdict.RETRY, stage, code, text, throttle=throttle, broken=True, fault=fault)
    if code < 500:
        return SmtpOutcome(Verdict.RETRY, stage, code, text, throttle=throttle, broken=broken, fault=fault)
    if stage is Stage.MAIL:
        # MAIL FROM refused for good: about us (sender address, authentication, size),
        # so about every reader: stop sending and keep the rows for after the fix.
        return SmtpOutcome(Verdict.RETRY, stage, code, f"MAIL FROM refused: {text}", fatal=True, fault=fault)
    if stage is not Stage.RCPT and stage is not Stage.DATA:
        return SmtpOutcome(Verdict.FAILED, stage, code, text, fault=fault)
    if fault is Fault.READER:
        return SmtpOutcome(Verdict.FAILED, stage, code, text, suppress=True, fault=fault)
    # Mailbox full (temporary), or a refusal about us: retried, never a hard bounce.
    return SmtpOutcome(Verdict.RETRY, stage, code, text, soft_bounce=fault is Fault.TEMPORARY, fault=fault)


def from_exception(exc: BaseException) -> SmtpOutcome:
    """Classify what :meth:`aiosmtplib.SMTP.sendmail` (or connect) raised. Failures
    without a reply are ours (TLS, login, a refused connection) except a connection lost
    mid-transaction, which is temporary."""
    outcome = _from_exception(exc)
    if outcome.fault is None:
        fault = Fault.TEMPORARY if outcome.stage is Stage.UNKNOWN else Fault.OURS
        outcome = replace(outcome, fault=fault)
    return outcome


def _from_exception(exc: BaseException) -> SmtpOutcome:
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
    if isinstance(exc, aiosmtplib.SMTPConnectError | ConnectionRefusedError):
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
    """What ``outcome`` of the row's attempt makes of the row: sent; back to wait with
    no attempt charged when nothing reached the reader's server; failed and suppressed
    for the reader's refusal; else a retry after a :func:`backoff` while attempts remain,
    then failed (a soft bounce counted when a temporary refusal was the recipient's)."""
    subscriber_id = row.subscriber.id or 0
    attempt = row.attempts + 1
    code, text = outcome.code, mask_emails(outcome.message)  # a reply often names the reader: never kept in clear
    fault = outcome.fault.value if outcome.fault is not None else ""
    if outcome.verdict is Verdict.SENT:
        return AttemptResult(row.id, subscriber_id, "sent", now, code, text, message_id=message_id)
    if not outcome.charged:
        return AttemptResult(row.id, subscriber_id, "untried", now, code, text, retry_at=now, fault=fault)
    if outcome.fault is Fault.READER or outcome.verdict is Verdict.FAILED:
        suppress = "hard_bounce" if outcome.suppress else ""
        return AttemptResult(row.id, subscriber_id, "failed", now, code, text, suppress=suppress, fault=fault)
    if attempt < max_attempts:
        retry_at = now + backoff(attempt, retry_base_seconds, rng)
        return AttemptResult(row.id, subscriber_id, "retry", now, code, text, retry_at=retry_at, fault=fault)
    text = f"gave up after {attempt} attempts: {text}"
    soft = outcome.fault is Fault.TEMPORARY and outcome.recipient_level
    return AttemptResult(row.id, subscriber_id, "failed", now, code, text, soft_bounce=soft, fault=fault)
