"""The sender loop's options (from [smtp] and [bounces]) and its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from digest.config import Settings
from digest.mail.envelope import check_template


@dataclass(frozen=True)
class SenderOptions:
    """The [smtp] and [bounces] keys the loop runs by."""

    connections: int = 8
    rate_per_second: float = 0.0
    batch_size: int = 200
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 6
    retry_base_seconds: float = 60.0
    in_flight_policy: str = "resend"
    soft_limit: int = 3
    soft_days: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderOptions:
        """Read the options from ``settings`` (ranges were checked when it loaded:
        nothing is clamped here)."""
        smtp = settings.smtp
        check_template(smtp.envelope_from)
        return cls(
            connections=smtp.connections,
            rate_per_second=float(smtp.rate_per_second),
            batch_size=smtp.batch_size,
            lease=timedelta(seconds=smtp.lease_seconds),
            max_attempts=smtp.max_attempts,
            retry_base_seconds=float(smtp.retry_base_seconds),
            in_flight_policy=smtp.in_flight_policy,
            soft_limit=soft_bounce_limit(settings),
            soft_days=float(settings.bounces.soft_bounce_days),
        )


def soft_bounce_limit(settings: Settings) -> int:
    """``[bounces] soft_bounce_limit``, or its older name ``soft_limit`` when it is 0."""
    return int(settings.bounces.soft_bounce_limit or settings.bounces.soft_limit)


@dataclass
class SendReport:
    """What one sender loop did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    lost: int = 0  # rows whose lease another sender took meanwhile (logged)
    claimed: int = 0
    released: int = 0
    throttled: int = 0
    connections_opened: int = 0
    untried: int = 0  # rows put back to wait with no attempt charged (nothing reached their server)
    refunded: int = 0  # rows given back the attempt a stopped send had charged them
    server_down: str = ""  # the last connection error when the server stopped answering
    fatal: str = ""  # a configuration problem that stopped the loop (login, TLS)
    stopped: str = ""  # why the send stopped early: a dominating fault ("ours: 554 5.7.1 ...")
    stopped_fault: str = ""  # its class: ours or temporary
    interrupted: bool = False  # a stop request (SIGINT/SIGTERM) ended it
    pool_limit: int = 0  # connections the server accepted at the end (after throttling)
    editions: set[int] = field(default_factory=set)
    last_errors: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """Transactions whose outcome was written."""
        return self.sent + self.retrying + self.failed
