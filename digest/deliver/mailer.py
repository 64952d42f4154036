"""Mail that is not an edition (a confirmation, any one-off message) on the one mail path.

An :class:`~email.message.EmailMessage` becomes an :class:`~digest.models.OutgoingMessage`
here — the envelope sender from :mod:`digest.mail.envelope` (VERP included), the
bytes DKIM-signed when ``[dkim]`` is set — and goes out over the same connection code as
editions (:mod:`digest.deliver.pool`: security, ``ca_file``, AUTH), its replies
classified by :mod:`digest.deliver.replies`. Whichever command or process sends a
message, it is configured, enveloped, signed and judged the same way.
"""

from __future__ import annotations

import email.policy
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol

from digest.config import Settings
from digest.deliver.pool import Pool, SMTPConfig
from digest.deliver.replies import SmtpOutcome, Verdict
from digest.errors import DeliveryError
from digest.mail.compose import load_signer
from digest.mail.dkim import DkimSigner
from digest.mail.envelope import check_template, envelope_from
from digest.models import OutgoingMessage


class Mailer(Protocol):
    """What needs to send a one-off mail (the web app, the CLI) asks for."""

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its To address; DeliveryError when it was not accepted."""
        ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def delivery_error(outcome: SmtpOutcome) -> DeliveryError | None:
    """None for a sent message, else the error (permanent when the reply was a
    failure for good, with the reply code when there was one)."""
    if outcome.verdict is Verdict.SENT:
        return None
    return DeliveryError(f"SMTP: {outcome.message}", permanent=outcome.verdict is Verdict.FAILED, code=outcome.code)


class SMTPMailer:
    """Sends one-off mail with the ``[smtp]`` configuration, signed with ``[dkim]``."""

    def __init__(
        self,
        config: SMTPConfig,
        *,
        sender: str,
        envelope_template: str = "",
        signer: DkimSigner | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        check_template(envelope_template)
        self.config = config
        self.sender = sender
        self.envelope_template = envelope_template
        self.signer = signer
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], datetime] = _utcnow) -> SMTPMailer:
        """A mailer for ``settings``: [smtp] to connect, [newsletter] sender and [smtp]
        envelope_from for MAIL FROM, [dkim] to sign (ConfigError on a bad key)."""
        return cls(
            SMTPConfig.from_settings(settings),
            sender=settings.newsletter.sender,
            envelope_template=settings.smtp.envelope_from,
            signer=load_signer(settings),
            clock=clock,
        )

    def outgoing(self, message: EmailMessage) -> OutgoingMessage:
        """``message`` as the bytes and envelope to send (signed when DKIM is on)."""
        recipient = parseaddr(str(message["To"]))[1]
        data = message.as_bytes(policy=email.policy.SMTP)
        if self.signer is not None:
            data = self.signer.sign_message(data, timestamp=int(self.clock().timestamp()))
        return OutgoingMessage(
            mail_from=envelope_from(self.envelope_template, self.sender, recipient),
            rcpt_to=recipient,
            data=data,
            message_id=str(message["Message-ID"] or ""),
        )

    async def send(self, message: EmailMessage) -> None:
        """Send one message (a connection of its own); DeliveryError when refused."""
        (error,) = await self.send_many([message])
        if error is not None:
            raise error

    async def send_many(self, messages: Sequence[EmailMessage]) -> list[DeliveryError | None]:
        """Send several messages over one connection; per message, None when accepted
        or the error. Once the server is down (connections refused again and again, a
        refused login), the messages not yet sent fail with that error."""
        outgoing = [self.outgoing(m) for m in messages]
        results: list[DeliveryError | None] = []
        pool = Pool(self.config, 1)
        try:
            for message in outgoing:
                if pool.down:
                    results.append(DeliveryError(f"SMTP: {pool.fatal or pool.last_error}"))
                    continue
                results.append(delivery_error(await pool.deliver(pool.connections[0], message)))
        finally:
            await pool.close()
        return results
