"""The scheduler's tick driven with simulated instants: plans, decisions, builds,
fan-out with per-subscriber due times, catch-up after downtime, several processes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from digest import config
from digest.config import Settings
from digest.daily.tick import DailyTicker, SendPlanner
from digest.models import DeliveryState, Subscriber, SubscriberStatus
from digest.store import Store, delivery_admin, schedule_runs
from digest.store import tables as t
from digest.store.subscribers import insert_subscriber
from digest.timing import Action, candidate_dates, propose

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "briefing" / "day.jsonl"
FIXTURE_DAY = date(2026, 11, 29)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def settings_for(**schedule: object) -> Settings:
    return config.load(env={}).with_overrides({"schedule": schedule} if schedule else {})


def add_articles(store: Store, day: date, *, now: datetime) -> int:
    """The fixture news day (tests/fixtures/briefing), moved to ``day``."""
    shift = day - FIXTURE_DAY
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rows.append(
            {
                "url": f"{r['url']}?day={day.isoformat()}",
                "guid": f"{r['guid']}:{day.isoformat()}",
                "title": r["title"],
                "body": r["body"],
                "summary": r.get("summary", ""),
                "category": r["category"],
                "language": r["language"],
                "source": r["source"],
                "published_at": datetime.fromisoformat(r["published_at"]) + shift,
                "word_count": len(r["body"].split()),
                "reading_minutes": max(1, len(r["body"].split()) // 200),
                "created_at": now,
                "updated_at": now,
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(t.articles), rows)
    return len(rows)


def subscribe(
    store: Store, email: str, *, now: datetime, language: str = "fr", timezone: str = "", send_at: str = ""
) -> int:
    at = time.fromisoformat(send_at) if send_at else None
    sub = Subscriber(
        email=email,
        language=language,
        timezone=timezone,
        send_at=at,
        status=SubscriberStatus.CONFIRMED,
        confirmed_at=now,
    )
    return insert_subscriber(store, sub, now=now)


def deliveries(store: Store) -> dict[str, dict[str, Any]]:
    """Every delivery row by subscriber address."""
    d, s = t.deliveries.c, t.subscribers.c
    query = select(s.email, d.state, d.due_at, d.last_error, d.edition_id).join(t.subscribers, s.id == d.subscriber_id)
    with store.engine.connect() as conn:
        return {r.email: r._asdict() for r in conn.execute(query)}


def runs(store: Store) -> list[schedule_runs.ScheduleRun]:
    return schedule_runs.recent_runs(store, limit=100)


WORLD = [("", ""), ("Europe/Paris", "07:00"), ("America/New_York", "07:00"), ("Asia/Kolkata", "07:00")]


# The plan (pure) -------------------------------------------------------------------


def test_plan_builds_at_the_earliest_send_time_of_the_day() -> None:
    planner = SendPlanner(settings_for())
    plan = planner.plan(date(2026, 3, 23), "fr", WORLD)
    # Kolkata's 07:00 (01:30 UTC) comes before Casablanca's (06:00 UTC): build then.
    assert plan.build_at == utc(2026, 3, 23, 1, 30)
    assert plan.newsletter.due == utc(2026, 3, 23, 6, 0)
    assert plan.last_due == utc(2026, 3, 23, 11, 0)
    assert [t.label for t in plan.targets] == [
        "07:00 Africa/Casablanca",
        "07:00 Africa/Casablanca",
        "07:00 Europe/Paris",
        "07:00 America/New_York",
        "07:00 Asia/Kolkata",
    ]


def test_unreadable_stored_send_time_falls_back_to_the_newsletters() -> None:
    planner = SendPlanner(settings_for())
    plan = planner.plan(date(2026, 3, 23), "fr", [("Atlantis/Capital", "07:00"), ("", "7h")])
    assert [t.due for t in plan.subscribers] == [plan.newsletter.due, plan.newsletter.due]
    assert planner.invalid == {("Atlantis/Capital", "07:00"), ("", "7h")}


def test_candidate_dates_cover_every_local_day_on_earth() -> None:
    now = utc(2026, 3, 23, 11, 0)
    assert candidate_dates(now) == (date(2026, 3, 22), date(2026, 3, 23), date(2026, 3, 24))
    # Kiritimati (UTC+14) and Baker Island (UTC-12) at the same instant.
    for tz in ("Pacific/Kiritimati", "Etc/GMT+12"):
        assert now.astimezone(ZoneInfo(tz)).date() in candidate_dates(now)


def test_propose_on_time_caught_up_and_skipped() -> None:
    planner = SendPlanner(settings_for())
    plan = planner.plan(date(2026, 3, 23), "fr", [("", "")])
    grace = planner.grace
    on_time = propose(plan, plan.build_at + timedelta(seconds=30), grace)
    assert (on_time.action, on_time.reason) == (Action.SEND, "on time")
    two_hours = propose(plan, plan.build_at + timedelta(hours=2), grace)
    assert two_hours.action is Action.SEND and two_hours.reason.startswith("caught up: started 2h after")
    five_hours = propose(plan, plan.build_at + timedelta(hours=5), grace)
    assert five_hours.action is Action.SKIP
    assert five_hours.reason == (
        "every send time missed; the last one, 07:00 Africa/Casablanca, was missed by 5h, "
        "more than the 3h catch-up grace"
    )


def test_propose_sends_to_later_send_times_and_names_the_missed_ones() -> None:
    planner = SendPlanner(settings_for())
    plan = planner.plan(date(2026, 3, 23), "fr", WORLD)
    # Back at 10:00 UTC: Kolkata (8h 30m late) and Casablanca/Paris (4h late) are
    # missed, New York (07:00 EDT = 11:00 UTC) is still ahead.
    decision = propose(plan, utc(2026, 3, 23, 10, 0), planner.grace)
    assert decision.action is Action.SEND
    assert decision.sending == ("07:00 America/New_York",)
    assert len(decision.skipped) == 4
    assert "07:00 Asia/Kolkata (missed by 8h 30m" in decision.reason


# The tick against a real store --------------------------------------------------------

DAY = FIXTURE_DAY  # Sunday 29 November 2026: Casablanca and Paris at UTC+1, New York at UTC-5
EARLY = utc(2026, 11, 28, 12, 0)  # when the test's subscribers signed up


def test_edition_built_at_first_send_time_and_rows_due_at_each_local_time(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    subscribe(store, "paris@example.org", now=EARLY, timezone="Europe/Paris", send_at="07:00")
    subscribe(store, "ny@example.org", now=EARLY, timezone="America/New_York", send_at="07:00")
    subscribe(store, "kolkata@example.org", now=EARLY, timezone="Asia/Kolkata", send_at="07:00")
    schedule = DailyTicker(store, settings_for())

    before = schedule.tick(utc(2026, 11, 29, 1, 29))
    assert before.built == [] and runs(store) == [] and deliveries(store) == {}
    assert schedule.next_send(utc(2026, 11, 29, 1, 29)) == utc(2026, 11, 29, 1, 30)

    at_kolkata = schedule.tick(utc(2026, 11, 29, 1, 30))
    assert at_kolkata.built == [(DAY, "fr")]
    (run,) = runs(store)
    assert (run.run_date, run.language, run.outcome, run.reason) == (DAY, "fr", "send", "on time")
    rows = deliveries(store)
    assert {email: row["due_at"] for email, row in rows.items()} == {
        "kolkata@example.org": utc(2026, 11, 29, 1, 30),
        "casa@example.org": utc(2026, 11, 29, 6, 0),
        "paris@example.org": utc(2026, 11, 29, 6, 0),
        "ny@example.org": utc(2026, 11, 29, 12, 0),
    }
    assert {row["state"] for row in rows.values()} == {"pending"}

    again = schedule.tick(utc(2026, 11, 29, 1, 31))
    assert (again.built, again.decisions, again.fanned_out) == ([], [], 0)
    assert deliveries(store) == rows

    # The English edition has no reader with an earlier time: built at the newsletter's.
    assert schedule.tick(utc(2026, 11, 29, 5, 59)).built == []
    assert schedule.tick(utc(2026, 11, 29, 6, 0)).built == [(DAY, "en")]


def test_service_starting_two_hours_after_send_time_sends(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "reader@example.org", now=EARLY)
    report = DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 8, 0), start_up=True)
    assert report.built == [(DAY, "fr"), (DAY, "en")]
    run = schedule_runs.decision(store, job="edition", run_date=DAY, language="fr")
    assert run is not None and run.outcome == "send"
    assert run.reason == "caught up: started 2h after the first send time"
    row = deliveries(store)["reader@example.org"]
    assert (row["state"], row["due_at"]) == ("pending", utc(2026, 11, 29, 6, 0))  # due: the senders take it now


def test_service_starting_five_hours_after_send_time_skips_and_records_why(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "reader@example.org", now=EARLY)
    schedule = DailyTicker(store, settings_for())
    report = schedule.tick(utc(2026, 11, 29, 11, 0), start_up=True)
    assert report.built == [] and deliveries(store) == {}
    (decision,) = [d for d in report.decisions if d.language == "fr"]
    assert decision.action is Action.SKIP
    run = schedule_runs.decision(store, job="edition", run_date=DAY, language="fr")
    assert run is not None and run.outcome == "skip"
    assert run.reason == (
        "every send time missed; the last one, 07:00 Africa/Casablanca, was missed by 5h, "
        "more than the 3h catch-up grace"
    )
    assert run.at == utc(2026, 11, 29, 11, 0)
    # Later ticks follow the recorded decision: nothing is built or sent that day.
    assert schedule.tick(utc(2026, 11, 29, 11, 1)).built == []
    assert deliveries(store) == {}


def test_five_hours_late_still_sends_to_readers_whose_time_is_ahead(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    subscribe(store, "paris@example.org", now=EARLY, timezone="Europe/Paris", send_at="07:00")
    subscribe(store, "ny@example.org", now=EARLY, timezone="America/New_York", send_at="07:00")
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 11, 0), start_up=True)
    run = schedule_runs.decision(store, job="edition", run_date=DAY, language="fr")
    assert run is not None and run.outcome == "send"
    assert "skipped 3 missed send time(s)" in run.reason
    rows = deliveries(store)
    assert rows["ny@example.org"]["state"] == "pending"
    assert rows["ny@example.org"]["due_at"] == utc(2026, 11, 29, 12, 0)
    for who in ("casa@example.org", "paris@example.org"):
        assert rows[who]["state"] == "skipped"
        assert "missed by 5h, more than the 3h catch-up grace" in rows[who]["last_error"]


def test_rows_left_pending_by_downtime_are_judged_at_start_up(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    subscribe(store, "ny@example.org", now=EARLY, timezone="America/New_York", send_at="07:00")
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 6, 0))  # built and fanned out on time
    # ... then the machine went down before sending anything, and is back at 10:00.
    report = DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 10, 0), start_up=True)
    rows = deliveries(store)
    assert rows["casa@example.org"]["state"] == "skipped"
    assert "was down at the send time" in rows["casa@example.org"]["last_error"]
    assert rows["ny@example.org"]["state"] == "pending"
    assert report.skipped_rows == 1


def test_a_backlog_being_sent_elsewhere_is_not_skipped(store: Store) -> None:
    from digest.store.claims import claim

    add_articles(store, DAY, now=EARLY)
    for i in range(3):
        subscribe(store, f"r{i}@example.org", now=EARLY)
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 6, 0))
    # Another machine is working through a slow send: it holds a live claim at 10:00.
    later = utc(2026, 11, 29, 10, 0)
    claimed = claim(store, "other-host:1:0", batch=1, now=later, lease=timedelta(minutes=5))
    assert len(claimed) == 1
    DailyTicker(store, settings_for()).tick(later, start_up=True)
    assert {row["state"] for row in deliveries(store).values()} == {"pending"}


def test_subscriber_confirmed_after_fan_out_joins_if_still_in_time(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "first@example.org", now=EARLY)
    schedule = DailyTicker(store, settings_for())
    schedule.tick(utc(2026, 11, 29, 6, 0))
    subscribe(store, "soon@example.org", now=utc(2026, 11, 29, 6, 40))
    schedule.tick(utc(2026, 11, 29, 6, 41))
    subscribe(store, "late@example.org", now=utc(2026, 11, 29, 10, 0))
    schedule.tick(utc(2026, 11, 29, 10, 1))
    rows = deliveries(store)
    assert rows["soon@example.org"]["state"] == "pending"  # 41 minutes late: within the grace
    assert rows["late@example.org"]["state"] == "skipped"  # 4 hours late: from tomorrow on
    assert "07:00 Africa/Casablanca missed by 4h 01m" in rows["late@example.org"]["last_error"]
    assert rows["first@example.org"]["state"] == "pending"


def test_only_todays_missed_edition_is_considered(store: Store) -> None:
    add_articles(store, DAY - timedelta(days=1), now=EARLY)
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "reader@example.org", now=EARLY - timedelta(days=1))
    # Down since Friday; back on Sunday 29th at 07:30 UTC (1h 30m after today's send time).
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 7, 30), start_up=True)
    assert {(r.run_date, r.language) for r in runs(store)} == {(DAY, "fr"), (DAY, "en")}
    (row,) = deliveries(store).values()
    edition_dates = select(t.editions.c.edition_date).where(t.editions.c.id == row["edition_id"])
    with store.engine.connect() as conn:
        assert conn.execute(edition_dates).scalar_one() == DAY


def test_two_processes_ticking_together_build_and_fan_out_once(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    for i in range(20):
        subscribe(store, f"r{i}@example.org", now=EARLY, timezone=["", "Europe/Paris"][i % 2], send_at="07:00")
    other = Store(store.url)
    try:
        first, second = DailyTicker(store, settings_for()), DailyTicker(other, settings_for())
        for minute in range(3):
            now = utc(2026, 11, 29, 6, minute)
            first.tick(now)
            second.tick(now)
    finally:
        other.close()
    with store.engine.connect() as conn:
        editions = conn.execute(select(t.editions.c.language)).scalars().all()
        decided = conn.execute(select(t.schedule_runs.c.language)).scalars().all()
    assert sorted(editions) == ["en", "fr"] and sorted(decided) == ["en", "fr"]
    assert len(deliveries(store)) == 20


def test_day_without_articles_records_send_but_mails_nothing(store: Store) -> None:
    subscribe(store, "reader@example.org", now=EARLY)
    report = DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 6, 0))
    assert (DAY, "fr") in report.built
    assert deliveries(store) == {}


def test_retry_rows_are_not_swept(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "reader@example.org", now=EARLY)
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 6, 0))
    with store.engine.begin() as conn:
        conn.execute(update(t.deliveries).values(state=DeliveryState.RETRY.value, attempts=1))
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 12, 0), start_up=True)
    assert deliveries(store)["reader@example.org"]["state"] == "retry"


# The APScheduler runner ---------------------------------------------------------------


async def test_runner_jobs_have_explicit_misfire_and_coalesce_and_report_status(store: Store) -> None:
    from digest.runtime.scheduler import ScheduleRunner

    add_articles(store, DAY, now=EARLY)
    subscribe(store, "reader@example.org", now=EARLY)
    clock_now = utc(2026, 11, 29, 6, 0, 20)
    runner = ScheduleRunner(DailyTicker(store, settings_for(poll_feeds_minutes=15)), clock=lambda: clock_now)
    report = await runner.catch_up()
    assert (DAY, "fr") in report.built and runner.last_tick == clock_now
    runner.start()
    try:
        jobs = {job.id: job for job in runner.scheduler.get_jobs()}
        assert set(jobs) == {"tick", "poll_feeds"}
        tick, poll = jobs["tick"], jobs["poll_feeds"]
        assert (tick.coalesce, tick.misfire_grace_time, tick.max_instances) == (True, None, 1)
        assert (poll.coalesce, poll.misfire_grace_time, poll.max_instances) == (True, 15 * 60, 1)
        status = runner.status(clock_now)
        assert status["running"] is True
        assert status["next_send"] == utc(2026, 11, 30, 6, 0).isoformat()
        assert {j["id"] for j in status["jobs"]} == {"tick", "poll_feeds"}
        assert all(j["next_run_time"] for j in status["jobs"])
        # No good tick for more than five minutes: /healthz must say the scheduler is down.
        stale = runner.status(clock_now + timedelta(minutes=6))
        assert (stale["running"], stale["stale"]) == (False, True)
    finally:
        await runner.shutdown()
    assert runner.status(clock_now)["running"] is False


async def test_runner_without_polling_has_only_the_tick(store: Store) -> None:
    from digest.runtime.scheduler import ScheduleRunner

    runner = ScheduleRunner(DailyTicker(store, settings_for(poll_feeds_minutes=0)), clock=lambda: EARLY)
    runner.start()
    try:
        assert [job.id for job in runner.scheduler.get_jobs()] == ["tick"]
    finally:
        await runner.shutdown()


def test_feeds_are_polled_once_per_slot_whatever_the_number_of_processes(store: Store) -> None:
    from fixtures.ingest.http_server import Route, feed_server

    from digest.ingest import register_feed

    rss = (Path(__file__).parent / "fixtures" / "ingest" / "rss.xml").read_bytes()
    settings = settings_for(poll_feeds_minutes=30).with_overrides({"ingest": {"allow_private_networks": True}})
    with feed_server() as server:
        server.routes["/rss"] = Route(body=rss, etag='"v1"')
        register_feed(store, settings, server.url("/rss"), now=EARLY)
        first, second = DailyTicker(store, settings), DailyTicker(store, settings)
        assert first.poll(utc(2026, 11, 29, 6, 1)) is True
        assert second.poll(utc(2026, 11, 29, 6, 20)) is False  # same 06:00-06:30 slot
        assert second.poll(utc(2026, 11, 29, 6, 31)) is True  # the next slot
        assert first.poll(utc(2026, 11, 29, 6, 45)) is False
        assert len(server.seen("/rss")) == 2
    polls = [r for r in runs(store) if r.job == "poll_feeds"]
    assert sorted(r.language for r in polls) == ["06:00", "06:30"]


def test_an_operators_send_reopens_what_the_catch_up_rules_skipped(store: Store) -> None:
    add_articles(store, DAY, now=EARLY)
    subscribe(store, "casa@example.org", now=EARLY)
    gone = subscribe(store, "gone@example.org", now=EARLY)
    subscribe(store, "ny@example.org", now=EARLY, timezone="America/New_York", send_at="07:00")
    DailyTicker(store, settings_for()).tick(utc(2026, 11, 29, 11, 0), start_up=True)
    assert {e: r["state"] for e, r in deliveries(store).items()} == {
        "casa@example.org": "skipped",
        "gone@example.org": "skipped",
        "ny@example.org": "pending",
    }
    with store.engine.begin() as conn:
        conn.execute(update(t.subscribers).where(t.subscribers.c.id == gone).values(status="unsubscribed"))
    edition_id = deliveries(store)["casa@example.org"]["edition_id"]
    operator_now = utc(2026, 11, 29, 11, 30)
    assert delivery_admin.reopen_missed(store, [edition_id], now=operator_now) == 1
    rows = deliveries(store)
    assert (rows["casa@example.org"]["state"], rows["casa@example.org"]["due_at"]) == ("pending", operator_now)
    assert rows["gone@example.org"]["state"] == "skipped"
    assert rows["ny@example.org"]["due_at"] == utc(2026, 11, 29, 12, 0)
