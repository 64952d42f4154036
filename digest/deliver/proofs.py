"""Test copies ("proofs") of an edition to addresses an operator names explicitly.

They touch no delivery row: a proof is not a delivery. `digest send --to` and the admin
API's test-send endpoint both come here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from digest.config import Settings
from digest.deliver.pool import SMTPConfig, send_each
from digest.deliver.replies import SmtpOutcome, Verdict
from digest.mail.compose import EditionComposer
from digest.models import Edition, OutgoingMessage
from digest.store import Store
from digest.store.editions import get_edition
from digest.subscribers.membership import normalise_address, signed_links


async def send_proofs(
    settings: Settings, editions: Sequence[Edition], addresses: Sequence[str], *, now: datetime
) -> list[tuple[OutgoingMessage, SmtpOutcome]]:
    """Send a test copy of each edition to each address (validated and normalised
    first); the message and the server's verdict for each."""
    normalised = [normalise_address(a) for a in addresses]
    composer = EditionComposer.from_settings(settings, signed_links(settings))
    messages = [composer.compose_test(ed, address, now) for address in normalised for ed in editions]
    outcomes = await send_each(SMTPConfig.from_settings(settings), messages)
    return list(zip(messages, outcomes, strict=True))


class ProofSender:
    """The admin API's test-send hook: ``await proofs(edition_id, addresses)`` gives
    each address "sent" or the reason it was not."""

    def __init__(self, settings: Settings, store: Store, *, clock: object) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

    async def __call__(self, edition_id: int, addresses: Sequence[str]) -> Mapping[str, str]:
        edition = get_edition(self.store, edition_id)
        now = self.clock()  # type: ignore[operator]
        assert isinstance(now, datetime)
        results = await send_proofs(self.settings, [edition], addresses, now=now)
        return {
            message.rcpt_to: "sent" if outcome.verdict is Verdict.SENT else outcome.message
            for message, outcome in results
        }
