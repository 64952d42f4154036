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

from digest import i18n
from digest.config import Settings
from digest.links import Links
from digest.mail.jinja import environment
from digest.models import Subscriber


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def transactional_message(
    settings: Settings,
    *,
    to: Address,
    subject: str,
    template: str,
    context: dict[str, object],
    language: str,
    idstring: str,
    now: datetime,
) -> EmailMessage:
    """One transactional mail: ``template``.txt then ``template``.html as
    multipart/alternative, UTF-8 quoted-printable, with the newsletter's From and
    Reply-To and ``Auto-Submitted: auto-generated``. The headers every such mail
    carries are written here once (confirmation, preferences link, and any added later)."""
    env = environment(language)
    msg = EmailMessage(policy=email.policy.SMTP)
    sender = settings.newsletter.sender
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    if settings.newsletter.reply_to:
        msg["Reply-To"] = settings.newsletter.reply_to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=idstring, domain=_sender_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(env.get_template(f"{template}.txt").render(context), cte="quoted-printable")
    msg.add_alternative(env.get_template(f"{template}.html").render(context), subtype="html", cte="quoted-printable")
    msg["Content-Language"] = language  # after set_content, which clears Content-* headers
    return msg


def confirmation_message(
    settings: Settings, subscriber: Subscriber, confirm_url: str, *, now: datetime
) -> EmailMessage:
    """The double opt-in mail for ``subscriber``, in their language."""
    language = subscriber.language if subscriber.language in i18n.languages() else "en"
    newsletter = settings.newsletter.name
    context = {
        "lang": language,
        "newsletter": newsletter,
        # No name anywhere: it was typed by someone who has not shown they own the address,
        # and would carry their text ("Win 1000 EUR at http://...") to a stranger's inbox.
        "name": "",
        "days": settings.web.token_max_age_days,
        "confirm_url": confirm_url,
        "postal_address": settings.newsletter.postal_address,
    }
    subject = i18n.gettext(language, "Confirm your subscription to %(newsletter)s", newsletter=newsletter)
    return transactional_message(
        settings,
        to=Address(addr_spec=subscriber.email),
        subject=subject,
        template="web/email/confirm",
        context=context,
        language=language,
        idstring="confirm",
        now=now,
    )


def confirmation_for(settings: Settings, links: Links, subscriber: Subscriber, *, now: datetime) -> EmailMessage:
    """The confirmation mail with ``subscriber``'s signed confirm link in it."""
    assert subscriber.id is not None
    return confirmation_message(settings, subscriber, links.confirm(subscriber.id, now=now), now=now)
