"""A hard bounce an owner undoes in Chromium: a reader's address is refused for good
(550 5.1.1) during a send, the owner re-confirms them from their page with a reason,
"Retry failed" makes their delivery due again, and the next send reaches them."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from browser_support import BROWSER_MARKS, sign_in
from sqlalchemy import select
from test_browser_admin import READERS, Site, send_edition, site  # noqa: F401  (the fixture)

from digest.store import tables as t

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_MARKS


def _reader(served: Site) -> tuple[int, str]:
    with served.store.engine.connect() as conn:
        row = conn.execute(
            select(t.subscribers.c.id, t.subscribers.c.email)
            .where(t.subscribers.c.status == "confirmed")
            .order_by(t.subscribers.c.id)
        ).first()
    assert row is not None
    return row.id, row.email


def _status(served: Site, subscriber_id: int) -> str:
    with served.store.engine.connect() as conn:
        return str(conn.execute(select(t.subscribers.c.status).where(t.subscribers.c.id == subscriber_id)).scalar())


def _send(served: Site) -> None:
    # In a thread of its own: the shared browser holds this thread's event loop.
    sender = threading.Thread(target=send_edition, args=(served,))
    sender.start()
    sender.join(timeout=60)
    assert not sender.is_alive()


def test_an_owner_reconfirms_a_hard_bounced_reader_and_the_retry_reaches_them(
    site: Site,  # noqa: F811
    browser: Browser,
) -> None:
    from playwright.sync_api import expect

    subscriber_id, gone = _reader(site)
    site.smtp.fail_recipient(gone, "550 5.1.1 user unknown", times=1)
    _send(site)
    assert site.smtp.messages_to(gone) == [] and len(site.smtp.received) == READERS - 1
    assert _status(site, subscriber_id) == "bounced"

    base = site.base_url
    page = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 800}).new_page()
    sign_in(page, base, "owner@example.org")

    # Retrying before the suppression is lifted says why nothing was retried.
    page.goto(f"{base}/admin/deliveries")
    page.get_by_role("button", name="Retry failed").first.click()
    expect(page.get_by_role("status").first).to_contain_text("0 deliveries due again.")
    expect(page.get_by_role("status").first).to_contain_text("Not retried")

    page.goto(f"{base}/admin/subscribers/{subscriber_id}")
    page.get_by_label("Reason (kept in the audit log)").fill("The reader says the mailbox works again")
    page.get_by_role("button", name="Re-confirm").click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert _status(site, subscriber_id) == "confirmed"

    page.goto(f"{base}/admin/deliveries")
    page.get_by_role("button", name="Retry failed").first.click()
    expect(page.get_by_role("status").first).to_contain_text("1 delivery due again.")
    _send(site)
    assert len(site.smtp.messages_to(gone)) == 1
    assert len(site.smtp.received) == READERS  # nobody else mailed twice

    page.goto(f"{base}/admin/audit")
    expect(page.locator("body")).to_contain_text("subscriber.reconfirm")
