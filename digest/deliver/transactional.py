"""Transactional mail: one message to one person, now — the double opt-in confirmation.

Editions go through the delivery table and the sender pool; a confirmation mail is
different: it answers a person who just filled in a form, so it is built and sent at
at once, in the subscriber's language, and sent through :mod:`digest.deliver.mailer`
(the same SMTP configuration, envelope and DKIM signature as editions).

The message is multipart/alternative (text, then HTML), UTF-8, quoted-printable, with
``Auto-Submitted: auto-generated`` so that auto-responders stay quiet. It carries no
List-Unsubscribe: it is not list mail, and ignoring it is enough to stay off the list.
"""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest.config import Settings
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
    newsletter = settings.get("newsletter", "name")
    days = settings.get("web", "token_max_age_days")
    words = {k: v.format(newsletter=newsletter, days=days, name=subscriber.name) for k, v in LABELS[language].items()}
    context = {
        "t": words,
        "lang": language,
        "newsletter": newsletter,
        "name": subscriber.name,
        "confirm_url": confirm_url,
        "postal_address": settings.get("newsletter", "postal_address"),
    }
    text = _ENV.get_template("confirm.txt").render(context)
    html = _ENV.get_template("confirm.html").render(context)

    msg = EmailMessage(policy=email.policy.SMTP)
    sender = settings.get("newsletter", "sender")
    msg["Subject"] = words["subject"]
    msg["From"] = sender
    msg["To"] = Address(display_name=subscriber.name, addr_spec=subscriber.email)
    if settings.get("newsletter", "reply_to"):
        msg["Reply-To"] = settings.get("newsletter", "reply_to")
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
