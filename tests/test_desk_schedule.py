"""The scheduler in review mode ([schedule] review = "approve"): the edition is built
build_lead_minutes early, fanned out only once approved; unapproved at send time it is
held (or sent, with unapproved = "send") and reported as a warning."""

from __future__ import annotations

from test_schedule import DAY, EARLY, add_articles, deliveries, settings_for, subscribe, utc

from digest.daily.tick import DailyTicker
from digest.store import Store
from digest.store.desk import approve
from digest.store.editions import find_edition

# The newsletter's send time: 07:00 Africa/Casablanca, 06:00 UTC on the fixture day.
SEND = utc(2026, 11, 29, 6, 0)


def edition_id(store: Store) -> int:
    found = find_edition(store, "Le Brief", DAY, "fr")
    assert found is not None and found.id is not None
    return found.id


def test_review_mode_builds_early_holds_until_approved_then_sends(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    ticker = DailyTicker(store, settings_for(review="approve", build_lead_minutes=60))
    assert ticker.tick(utc(2026, 11, 29, 4, 59)).built == []
    early = ticker.tick(utc(2026, 11, 29, 5, 0))
    assert (DAY, "fr") in early.built and deliveries(store) == {}
    held = ticker.tick(SEND)
    assert deliveries(store) == {}
    (warning,) = [w for w in held.held if " fr " in w]
    assert "held" in warning and "digest edition approve --date 2026-11-29 --language fr" in warning
    approve(store, edition_id(store), by="editor@example.org", now=SEND)
    after = ticker.tick(utc(2026, 11, 29, 6, 5))
    assert not [w for w in after.held if " fr " in w] and after.fanned_out == 1
    assert {row["state"] for row in deliveries(store).values()} == {"pending"}


def test_unapproved_send_goes_out_anyway_with_a_warning(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    ticker = DailyTicker(store, settings_for(review="approve", unapproved="send"))
    report = ticker.tick(SEND)
    assert report.fanned_out == 1 and any("fr sent without an approval" in w for w in report.held)


def test_review_off_changes_nothing(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    ticker = DailyTicker(store, settings_for())
    assert ticker.tick(utc(2026, 11, 29, 5, 0)).built == []
    report = ticker.tick(SEND)
    assert (DAY, "fr") in report.built and report.fanned_out == 1 and report.held == []
