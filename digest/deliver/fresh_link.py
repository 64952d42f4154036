"""The mail that answers "send me a fresh link" on an expired preferences link.

A short plain-text message to the subscriber's own address (never one typed in a
form), in their language, with a newly signed preferences link. The confirmation
link is renewed by sending the confirmation mail again (digest.deliver.transactional).
"""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from digest.config import Settings
from digest.models import Subscriber

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "subject": "Votre lien vers vos préférences – {newsletter}",
        "body": "Bonjour,\n\nVoici un nouveau lien vers vos préférences de {newsletter} :\n{url}\n\n"
        "Il est valable {days} jours. Vous n'avez rien demandé ? Ignorez ce message.\n",
    },
    "en": {
        "subject": "Your preferences link – {newsletter}",
        "body": "Hello,\n\nHere is a fresh link to your {newsletter} preferences:\n{url}\n\n"
        "It is valid for {days} days. Didn't ask for it? Ignore this message.\n",
    },
}


def preferences_link_message(settings: Settings, subscriber: Subscriber, url: str, *, now: datetime) -> EmailMessage:
    """The fresh preferences link for ``subscriber``, in their language."""
    language = subscriber.language if subscriber.language in WORDS else "en"
    values = {"newsletter": settings.newsletter.name, "url": url, "days": settings.web.token_max_age_days}
    words = {k: v.format(**values) for k, v in WORDS[language].items()}
    msg = EmailMessage(policy=email.policy.SMTP)
    sender = settings.newsletter.sender
    msg["Subject"] = words["subject"]
    msg["From"] = sender
    msg["To"] = Address(addr_spec=subscriber.email)
    msg["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring="link", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(words["body"], cte="quoted-printable")
    msg["Content-Language"] = language
    return msg
