"""The editor's desk: the pure decisions, and edits stored beside the original."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from delivery_support import add_edition, add_subscribers

from digest.daily.desk import SendDecision, build_due, send_decision
from digest.store import Store
from digest.store.desk import EditionLocked, approval, approve, edits, save_edit
from digest.store.editions import get_edition, original_items, save_edition

SEND_AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("review", "unapproved", "approved", "expected"),
    [
        ("off", "hold", False, SendDecision.SEND),
        ("approve", "hold", True, SendDecision.SEND),
        ("approve", "hold", False, SendDecision.HOLD),
        ("approve", "send", False, SendDecision.SEND_UNAPPROVED),
    ],
)
def test_send_time_decision(review: str, unapproved: str, approved: bool, expected: SendDecision) -> None:
    assert send_decision(review=review, unapproved=unapproved, approved=approved) is expected


def test_review_mode_builds_the_lead_time_before_the_first_send() -> None:
    early = SEND_AT - timedelta(minutes=61)
    assert not build_due(review="approve", lead_minutes=60, first_send_at=SEND_AT, now=early)
    assert build_due(review="approve", lead_minutes=60, first_send_at=SEND_AT, now=SEND_AT - timedelta(minutes=60))
    assert not build_due(review="off", lead_minutes=60, first_send_at=SEND_AT, now=SEND_AT - timedelta(minutes=1))
    assert build_due(review="off", lead_minutes=60, first_send_at=SEND_AT, now=SEND_AT)


def test_edits_are_read_with_the_edition_and_the_original_is_kept(store: Store, now: datetime) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    before = get_edition(store, edition_id)
    first, second = before.items[0], before.items[1]
    save_edit(
        store,
        edition_id,
        first.position,
        headline="A better headline",
        summary=None,
        dropped=False,
        by="ed@example.org",
        now=now,
    )
    save_edit(
        store, edition_id, second.position, headline=None, summary=None, dropped=True, by="ed@example.org", now=now
    )
    after = get_edition(store, edition_id)
    assert after.items[0].title == "A better headline" and after.items[0].summary == first.summary
    assert second.position not in [i.position for i in after.items]
    assert len(after.items) == len(before.items) - 1
    assert original_items(store, edition_id) == before.items
    # Restoring with the original text leaves no edit behind.
    save_edit(
        store,
        edition_id,
        first.position,
        headline=first.title,
        summary=first.summary,
        dropped=False,
        by="ed@example.org",
        now=now,
    )
    assert set(edits(store, edition_id)) == {second.position}


def test_edits_are_locked_once_a_delivery_exists_and_a_rebuild_clears_them(store: Store, now: datetime) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    edition = get_edition(store, edition_id)
    save_edit(store, edition_id, 0, headline="Edited", summary=None, dropped=False, by="e", now=now)
    approve(store, edition_id, by="e", now=now)
    rebuilt = save_edition(store, edition, rebuild=True, now=now)
    assert rebuilt.items[0].title == edition.items[0].title
    assert edits(store, edition_id) == {} and approval(store, edition_id) is None
    from digest.daily.build import fan_out_now

    add_subscribers(store, 1, now=now)
    fan_out_now(store, [rebuilt], now=now)
    with pytest.raises(EditionLocked):
        save_edit(store, edition_id, 0, headline="Too late", summary=None, dropped=False, by="e", now=now)


def test_review_warnings_name_each_unapproved_edition_after_its_send_time(store: Store, now: datetime) -> None:
    from digest import config
    from digest.daily.desk import first_send_time, review_warnings

    settings = config.load(env={}).with_overrides(
        {"newsletter": {"name": "Le Brief"}, "schedule": {"review": "approve"}}
    )
    day = now.date()
    edition_id = add_edition(store, day=day, now=now)
    at = first_send_time(settings, day)
    assert review_warnings(settings, store, day, now=at - timedelta(minutes=1)) == []
    (warning,) = review_warnings(settings, store, day, now=at)
    assert "held" in warning and f"digest edition approve --date {day.isoformat()} --language fr" in warning
    approve(store, edition_id, by="e", now=now)
    assert review_warnings(settings, store, day, now=at) == []
    off = settings.with_overrides({"schedule": {"review": "off"}})
    assert review_warnings(off, store, day, now=at + timedelta(hours=1)) == []
