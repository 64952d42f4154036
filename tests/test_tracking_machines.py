"""The machine rules, pure: time is an argument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.daily.machines import BURST_SECONDS, EARLY_SECONDS, Bursts, machine_reason

AT = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(
    ("kind", "method", "agent", "ip", "sent", "reason"),
    [
        ("click", "GET", FIREFOX, "203.0.113.5", AT - timedelta(hours=1), ""),
        ("click", "HEAD", FIREFOX, "203.0.113.5", None, "head"),
        ("click", "GET", "Mozilla/5.0 (compatible; Barracuda Sentinel)", "203.0.113.5", None, "scanner"),
        ("click", "GET", "", "203.0.113.5", None, "scanner"),
        ("open", "GET", "Mozilla/5.0 (via ggpht.com GoogleImageProxy)", "66.249.1.1", None, "proxy"),
        ("open", "GET", "Mozilla/5.0", "17.58.63.1", None, "proxy"),
        ("open", "GET", "Mozilla/5.0", "203.0.113.5", None, ""),
        ("click", "GET", FIREFOX, "203.0.113.5", AT - timedelta(seconds=EARLY_SECONDS - 1), "early"),
        ("click", "GET", FIREFOX, "203.0.113.5", AT - timedelta(seconds=EARLY_SECONDS), ""),
    ],
)
def test_machine_reasons(kind: str, method: str, agent: str, ip: str, sent: datetime | None, reason: str) -> None:
    assert machine_reason(kind=kind, method=method, user_agent=agent, ip=ip, at=AT, sent=sent) == reason


def test_a_burst_is_found_once_and_its_continuation_needs_no_reflagging() -> None:
    bursts = Bursts(links=4)
    results = [bursts.click(7, 1, p, at=AT + timedelta(seconds=0.5 * p), edition_links=12) for p in range(1, 7)]
    assert [r.machine for r in results] == [False, False, False, True, True, True]
    assert results[3].reflag_since == AT + timedelta(seconds=0.5)
    assert all(r.reflag_since is None for r in results[4:])
    # a person reading several stories over minutes is not a burst
    person = [bursts.click(8, 1, p, at=AT + timedelta(minutes=2 * p), edition_links=12) for p in range(1, 7)]
    assert not any(r.machine for r in person)
    # after the burst's window, the same client is judged afresh
    later = bursts.click(7, 1, 1, at=AT + timedelta(seconds=3 + 2 * BURST_SECONDS), edition_links=12)
    assert not later.machine
