"""Transactional mail: one message to one person, now — the double opt-in
confirmation, and the preferences link a reader asks for ("here is your preferences
link" from /account, "you are already subscribed" from the subscribe form; the fresh
link of an expired one is :mod:`digest.mail.fresh_link`). Pure: values in, messages out.

Editions go through the delivery table and the sender pool; a transactional mail is
different: it answers a person who just filled in a form, so it is built and sent
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
from typing import Literal

from digest import i18n
from digest.config import Settings
from digest.i18n import N_
from digest.links import Links
from digest.mail.jinja import environment
from digest.models import Subscriber
from digest.text import names

#: Why a reader gets their preferences link: they asked (/account), or they filled in
#: the subscribe form again with a confirmed address.
Reason = Literal["requested", "already"]

_LINK_SUBJECTS: dict[Reason, str] = {
    "requested": N_("Your %(newsletter)s preferences link"),
    "already": N_("You are already subscribed %(to_newsletter)s"),
}


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def plain_message(
    settings: Settings,
    *,
    to: Address,
    subject: str,
    language: str,
    idstring: str,
    now: datetime,
    text: str,
    html: str | None = None,
) -> EmailMessage:
    """One transactional mail: ``text`` (then ``html`` as multipart/alternative when
    given), UTF-8 quoted-printable, with the newsletter's From and Reply-To and
    ``Auto-Submitted: auto-generated``. The headers every such mail carries are
    written here once (confirmation, preferences links, and any added later)."""
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
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    msg["Content-Language"] = language  # after set_content, which clears Content-* headers
    return msg


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
    """:func:`plain_message` with ``template``.txt then ``template``.html rendered
    with ``context`` in ``language``."""
    env = environment(language)
    return plain_message(
        settings,
        to=to,
        subject=subject,
        language=language,
        idstring=idstring,
        now=now,
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
    )


def confirmation_message(
    settings: Settings, subscriber: Subscriber, confirm_url: str, *, now: datetime
) -> EmailMessage:
    """The double opt-in mail for ``subscriber``, in their language."""
    language = i18n.language_for(subscriber.language, default=settings.newsletter.language)
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


def link_message(
    settings: Settings, subscriber: Subscriber, preferences_url: str, *, reason: Reason, now: datetime
) -> EmailMessage:
    """The mail with ``subscriber``'s preferences link, in their language."""
    language = i18n.language_for(subscriber.language, default=settings.newsletter.language)
    newsletter = settings.newsletter.name
    phrases = names.phrases(newsletter, language, settings.newsletter.name_article)
    context = {
        "lang": language,
        "newsletter": newsletter,
        "name": subscriber.name,
        "reason": reason,
        "days": settings.web.token_max_age_days,
        "preferences_url": preferences_url,
        "postal_address": settings.newsletter.postal_address,
        **phrases,
    }
    return transactional_message(
        settings,
        to=Address(display_name=subscriber.name, addr_spec=subscriber.email),
        subject=i18n.gettext(language, _LINK_SUBJECTS[reason], newsletter=newsletter, **phrases),
        template="web/email/link",
        context=context,
        language=language,
        idstring="link",
        now=now,
    )
