"""Transactional mail: one message to one person, now — the double opt-in confirmation.

Editions go through the delivery table and the sender pool; a confirmation mail is
different: it answers a person who just filled in a form, so it is built and sent at
once, over its own short SMTP connection ([smtp] settings), in the subscriber's language.

The message is multipart/alternative (text, then HTML), UTF-8, quoted-printable, with
``Auto-Submitted: auto-generated`` so that auto-responders stay quiet. It carries no
List-Unsubscribe: it is not list mail, and ignoring it is enough to stay off the list.
"""

from __future__ import annotations

import email.policy
from collections.abc import Callable, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest.config import Settings, read_secret
from digest.errors import DeliveryError
from digest.links import Links
from digest.models import Subscriber

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web" / "email"

#: Words of the confirmation mail, per language ({newsletter}, {days} are filled in).
LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "subject": "Confirmez votre inscription à {newsletter}",
        "preheader": "Un clic pour recevoir {newsletter} chaque matin.",
        "heading": "Confirmez votre inscription",
        "greeting_named": "Bonjour {name},",
        "greeting": "Bonjour,",
        "body": "Vous avez demandé à recevoir {newsletter}, l'essentiel de l'information en cinq minutes, "
        "chaque matin. Confirmez votre adresse pour recevoir la prochaine édition.",
        "button": "Confirmer mon inscription",
        "fallback": "Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :",
        "ignore": "Vous n'avez rien demandé ? Ignorez ce message : sans confirmation, vous ne recevrez rien.",
        "expires": "Ce lien est valable {days} jours.",
    },
    "en": {
        "subject": "Confirm your subscription to {newsletter}",
        "preheader": "One click to get {newsletter} every morning.",
        "heading": "Confirm your subscription",
        "greeting_named": "Hello {name},",
        "greeting": "Hello,",
        "body": "You asked to receive {newsletter}, the essential news in five minutes, every morning. "
        "Confirm your address to get the next edition.",
        "button": "Confirm my subscription",
        "fallback": "If the button does not work, copy this link into your browser:",
        "ignore": "Didn't ask for this? Ignore this message: without confirmation you will receive nothing.",
        "expires": "This link is valid for {days} days.",
    },
}


class Mailer(Protocol):
    """What needs to send a transactional mail (the web app, the CLI) asks for."""

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its To address; DeliveryError when it was not accepted."""
        ...


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


_ENV = _environment()


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def confirmation_message(
    settings: Settings, subscriber: Subscriber, confirm_url: str, *, now: datetime
) -> EmailMessage:
    """The double opt-in mail for ``subscriber``, in their language."""
    language = subscriber.language if subscriber.language in LABELS else "en"
    newsletter = settings.newsletter.name
    days = settings.web.token_max_age_days
    # No name anywhere: it was typed by someone who has not shown they own the address,
    # and would carry their text ("Win 1000 EUR at http://...") to a stranger's inbox.
    words = {k: v.format(newsletter=newsletter, days=days, name="") for k, v in LABELS[language].items()}
    context = {
        "t": words,
        "lang": language,
        "newsletter": newsletter,
        "name": "",
        "confirm_url": confirm_url,
        "postal_address": settings.newsletter.postal_address,
    }
    text = _ENV.get_template("confirm.txt").render(context)
    html = _ENV.get_template("confirm.html").render(context)

    msg = EmailMessage(policy=email.policy.SMTP)
    sender = settings.newsletter.sender
    msg["Subject"] = words["subject"]
    msg["From"] = sender
    msg["To"] = Address(addr_spec=subscriber.email)
    if settings.newsletter.reply_to:
        msg["Reply-To"] = settings.newsletter.reply_to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring="confirm", domain=_sender_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    msg["Content-Language"] = language  # after set_content, which clears Content-* headers
    return msg


def confirmation_for(settings: Settings, links: Links, subscriber: Subscriber, *, now: datetime) -> EmailMessage:
    """The confirmation mail with ``subscriber``'s signed confirm link in it."""
    assert subscriber.id is not None
    return confirmation_message(settings, subscriber, links.confirm(subscriber.id, now=now), now=now)


def envelope_sender(settings: Settings, recipient: str) -> str:
    """MAIL FROM for ``recipient``: [smtp] envelope_from ({local} and {domain} of the
    recipient filled in, for VERP), else the From address."""
    template: str = settings.smtp.envelope_from
    if not template:
        return parseaddr(settings.newsletter.sender)[1]
    local, _, domain = recipient.rpartition("@")
    # str.replace, not format(): an address may legally contain braces.
    return template.replace("{local}", local).replace("{domain}", domain)


class SMTPMailer:
    """Sends transactional mail over SMTP with the [smtp] settings (aiosmtplib).

    ``sign`` is an optional hook turning the message bytes into signed bytes (DKIM):
    the delivery code can pass its signer so confirmation mails are signed too.
    """

    def __init__(self, settings: Settings, *, sign: Callable[[bytes], bytes] | None = None) -> None:
        smtp = settings.smtp
        self.settings = settings
        self.host: str = smtp.host
        self.port: int = smtp.port
        self.security: str = smtp.security
        self.username: str = smtp.username
        self.timeout: float = smtp.timeout_seconds
        self.sign = sign

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            # never None: aiosmtplib would upgrade opportunistically, against "security = none"
            start_tls=self.security == "starttls",
        )

    async def send(self, message: EmailMessage) -> None:
        """Send one message (a connection of its own); DeliveryError when refused."""
        (error,) = await self.send_many([message])
        if error is not None:
            raise error

    async def send_many(self, messages: Sequence[EmailMessage]) -> list[DeliveryError | None]:
        """Send several messages over one connection; per message, None when accepted
        or the error. A connection failure fails every message not yet sent."""
        results: list[DeliveryError | None] = [None] * len(messages)
        if not messages:
            return results
        client = self._client()
        try:
            await client.connect()
            if self.username:
                password = read_secret(self.settings, "smtp", "password") or ""
                await client.login(self.username, password)
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = DeliveryError(f"SMTP {self.host}:{self.port}: {_describe(exc)}", code=_code(exc))
            return [error] * len(messages)
        try:
            for i, message in enumerate(messages):
                results[i] = await self._send_one(client, message)
                if isinstance(results[i], DeliveryError) and not client.is_connected:
                    lost = DeliveryError(f"SMTP {self.host}:{self.port}: connection lost")
                    for j in range(i + 1, len(messages)):
                        results[j] = lost
                    break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return results

    async def _send_one(self, client: aiosmtplib.SMTP, message: EmailMessage) -> DeliveryError | None:
        recipient = parseaddr(str(message["To"]))[1]
        data = message.as_bytes(policy=email.policy.SMTP)
        if self.sign is not None:
            data = self.sign(data)
        try:
            await client.sendmail(envelope_sender(self.settings, recipient), [recipient], data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            code = refused.code if refused is not None else None
            return DeliveryError(f"recipient refused: {_describe(exc)}", permanent=_permanent(code), code=code)
        except aiosmtplib.SMTPResponseException as exc:
            return DeliveryError(f"SMTP: {exc.code} {exc.message}", permanent=_permanent(exc.code), code=exc.code)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return DeliveryError(f"SMTP: {_describe(exc)}")
        return None


def _permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600


def _code(exc: BaseException) -> int | None:
    return exc.code if isinstance(exc, aiosmtplib.SMTPResponseException) else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        r = exc.recipients[0]
        return f"{r.code} {r.message}"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return str(exc) or type(exc).__name__
