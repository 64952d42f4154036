"""The mail that answers "send me a fresh link" on an expired preferences link.

A short plain-text message to the subscriber's own address (never one typed in a
form), in their language, with a newly signed preferences link, with the headers of
every transactional mail (:func:`digest.mail.transactional.plain_message`). The
confirmation link is renewed by sending the confirmation mail again.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from digest import i18n
from digest.config import Settings
from digest.mail.transactional import plain_message
from digest.models import Subscriber


def preferences_link_message(settings: Settings, subscriber: Subscriber, url: str, *, now: datetime) -> EmailMessage:
    """The fresh preferences link for ``subscriber``, in their language."""
    language = i18n.language_for(subscriber.language, default=settings.newsletter.language)
    newsletter = settings.newsletter.name
    days = settings.web.token_max_age_days
    body = "\n\n".join(
        [
            i18n.gettext(language, "Hello,"),
            i18n.gettext(language, "Here is a fresh link to your %(newsletter)s preferences:", newsletter=newsletter)
            + f"\n{url}",
            i18n.gettext(language, "It is valid for %(days)s days. Didn't ask for it? Ignore this message.", days=days),
        ]
    )
    return plain_message(
        settings,
        to=Address(addr_spec=subscriber.email),
        subject=i18n.gettext(language, "Your preferences link – %(newsletter)s", newsletter=newsletter),
        language=language,
        idstring="link",
        now=now,
        text=body + "\n",
    )
