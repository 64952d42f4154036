"""The list's rules: validation, consent, double opt-in, suppression, erasure, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from database_support import new_sqlite_store
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from digest import config
from digest.config import Settings
from digest.errors import NotFoundError, SourceError, ValidationError
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import consent as consent_db
from digest.store import subscribers as db
from digest.store import tables as t
from digest.subscribers import csv_file as subs_csv
from digest.subscribers import membership as subs
from digest.subscribers import signup as consent

CATEGORIES = ["Politique", "Économie", "Sport", "Culture", "Tech"]


@pytest.fixture
def settings() -> Settings:
    return config.load(env={}).with_overrides({"newsletter": {"categories": CATEGORIES}})


def web_consent(now: datetime) -> Consent:
    return Consent(at=now, source="web", ip="203.0.113.9", user_agent="Firefox/140", text_version="web-1")


def profile(settings: Settings, **fields: Any) -> subs.Profile:
    p, _ = subs.check_profile(settings, CATEGORIES, **fields)
    return p


def dump(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every subscriber and suppression row, to compare before and after."""
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(t.subscribers).order_by(t.subscribers.c.id))]
        supp = [tuple(r) for r in conn.execute(select(t.suppressions).order_by(t.suppressions.c.id))]
    return rows, supp


# Validation ------------------------------------------------------------------------


def test_addresses_are_normalised_and_lower_cased() -> None:
    assert subs.normalise_address("  Jean.Dupont@Example.ORG ") == "jean.dupont@example.org"
    assert subs.normalise_address("lea@café.fr") == "lea@xn--caf-dma.fr"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "missing"),
        ("marie curie@example.fr", "contains a space"),
        ("jean@@example.fr", "not a valid address"),
        ("no-at-sign.example.fr", "not a valid address"),
        ("a@localhost", "not a valid address"),
    ],
)
def test_invalid_addresses_are_refused_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why) as info:
        subs.normalise_address(raw)
    assert str(info.value).startswith("email: ")


@given(st.emails())
def test_normalising_is_idempotent(address: str) -> None:
    try:
        once = subs.normalise_address(address)
    except ValidationError:
        return
    assert subs.normalise_address(once) == once
    assert once == once.lower()


def test_names_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValidationError, match="name: contains control characters"):
        subs.check_name("Eve\r\nBcc: victim@example.org")
    assert subs.check_name("  Zoé O'Neil ") == "Zoé O'Neil"


def test_languages_timezones_and_send_times_are_checked(settings: Settings) -> None:
    assert subs.check_language("", default="fr") == "fr"
    assert subs.check_language("EN", default="fr") == "en"
    with pytest.raises(ValidationError, match="language: unknown language 'de'"):
        subs.check_language("de", default="fr")
    assert subs.check_timezone("Asia/Kolkata") == "Asia/Kolkata"
    with pytest.raises(ValidationError, match="timezone: unknown timezone 'Europe/Atlantis'"):
        subs.check_timezone("Europe/Atlantis")
    with pytest.raises(ValidationError, match="timezone"):
        subs.check_timezone("../../etc/passwd")
    assert subs.check_send_at("06:30") == time(6, 30)
    assert subs.check_send_at("") is None
    with pytest.raises(ValidationError, match="send_at: expected HH:MM"):
        subs.check_send_at("25:00")


def test_topics_take_the_known_spelling_and_unknown_ones_are_kept_with_a_warning() -> None:
    topics, warnings = subs.check_topics("politique; SPORT;Sprot;politique", CATEGORIES)
    assert topics == ("Politique", "Sport", "Sprot")
    assert warnings == ["topics: unknown category 'Sprot' (kept)"]
    assert subs.check_topics("Anything", []) == (("Anything",), [])


def test_known_topics_come_from_the_store_when_none_are_configured(store: Store, now: datetime) -> None:
    bare = config.load(env={})
    assert subs.known_topics(bare, store) == []
    with store.engine.begin() as conn:
        conn.execute(insert(t.feeds).values(url="https://example.org/rss", category="Sport", created_at=now))
    assert subs.known_topics(bare, store) == ["Sport"]


# Adding and the suppression list ---------------------------------------------------


def test_admin_add_is_pending_unless_confirmed_explicitly(store: Store, settings: Settings, now: datetime) -> None:
    consent = Consent(at=now, source="cli")
    pending = subs.add(store, settings, "a@example.org", profile(settings), consent=consent, now=now)
    confirmed = subs.add(store, settings, "b@example.org", profile(settings), consent=consent, confirmed=True, now=now)
    assert pending.status is SubscriberStatus.PENDING and pending.confirmed_at is None
    assert confirmed.status is SubscriberStatus.CONFIRMED and confirmed.confirmed_at == now
    assert db.get(store, confirmed.id or 0) == confirmed


def test_adding_an_address_twice_is_refused_whatever_its_case(store: Store, settings: Settings, now: datetime) -> None:
    consent = Consent(at=now, source="cli")
    subs.add(store, settings, "a@example.org", profile(settings), consent=consent, now=now)
    with pytest.raises(subs.AlreadySubscribed, match="already on the list"):
        subs.add(store, settings, "A@Example.org", profile(settings), consent=consent, now=now)


def test_unsubscribed_address_is_never_added_back_without_override(
    store: Store, settings: Settings, now: datetime
) -> None:
    consent = Consent(at=now, source="cli")
    sub = subs.add(store, settings, "a@example.org", profile(settings), consent=consent, confirmed=True, now=now)
    subs.unsubscribe(store, sub.id or 0, now=now, source="link")
    before = dump(store)
    with pytest.raises(subs.SuppressedAddress, match="suppressed \\(unsubscribed"):
        subs.add(store, settings, "a@example.org", profile(settings), consent=consent, confirmed=True, now=now)
    assert dump(store) == before
    later = now + timedelta(days=1)
    back = subs.add(
        store, settings, "a@example.org", profile(settings), consent=consent, confirmed=True,
        override_suppression=True, now=later,
    )  # fmt: skip
    assert back.id == sub.id and back.status is SubscriberStatus.CONFIRMED
    assert db.suppression(store, "a@example.org") is None


def test_suppression_keeps_only_a_hash_of_the_address(store: Store, settings: Settings, now: datetime) -> None:
    sub = subs.add(store, settings, "secret.person@example.org", profile(settings), consent=web_consent(now), now=now)
    subs.unsubscribe(store, sub.id or 0, now=now, source="one-click")
    with store.engine.connect() as conn:
        (row,) = conn.execute(select(t.suppressions)).all()
    assert row.email_hash == db.address_hash("Secret.Person@example.org ")
    assert len(row.email_hash) == 64 and "secret" not in row.email_hash
    assert (row.reason, row.detail) == ("unsubscribed", "one-click")


# The web journey: subscribe, confirm, preferences, leave ----------------------------


def test_web_subscription_waits_for_confirmation_and_records_consent(
    store: Store, settings: Settings, now: datetime
) -> None:
    result = consent.subscribe(
        store, "Nadia@Example.org", profile(settings, language="en"), consent=web_consent(now), now=now
    )
    assert result.outcome is consent.Outcome.NEW and result.needs_confirmation_mail
    sub = db.get(store, result.subscriber.id or 0) if result.subscriber else None
    assert sub is not None and sub.status is SubscriberStatus.PENDING and sub.language == "en"
    assert sub.consent == web_consent(now)
    confirmed = subs.confirm(store, sub.id or 0, now=now + timedelta(minutes=5))
    assert confirmed.status is SubscriberStatus.CONFIRMED
    assert confirmed.confirmed_at == now + timedelta(minutes=5)
    assert subs.confirm(store, sub.id or 0, now=now + timedelta(hours=1)).confirmed_at == confirmed.confirmed_at


def test_subscribing_again_never_touches_a_confirmed_subscriber(
    store: Store, settings: Settings, now: datetime
) -> None:
    sub = subs.add(store, settings, "a@example.org", profile(settings, name="Ann"), consent=web_consent(now), now=now)
    subs.confirm(store, sub.id or 0, now=now)
    before = dump(store)
    again = consent.subscribe(
        store, "a@example.org", profile(settings, name="Mallory"), consent=web_consent(now), now=now
    )
    assert again.outcome is consent.Outcome.ALREADY and not again.needs_confirmation_mail
    assert dump(store) == before


def test_a_second_request_for_a_pending_address_is_kept_apart_until_confirmed(
    store: Store, settings: Settings, now: datetime
) -> None:
    first = consent.subscribe(store, "a@example.org", profile(settings, name="Ann"), consent=web_consent(now), now=now)
    assert first.subscriber is not None and first.subscriber.id is not None
    before = dump(store)
    later = now + timedelta(hours=1)
    mallory = Consent(at=later, source="web", ip="198.51.100.66", user_agent="evil", text_version="fr-1")
    again = consent.subscribe(
        store, "a@example.org", profile(settings, name="Mallory", language="en"), consent=mallory, now=later
    )
    assert again.outcome is consent.Outcome.PENDING and again.needs_confirmation_mail
    assert again.request_id is not None
    assert dump(store) == before  # name, language, consent record: untouched
    confirmed = consent.confirm_request(store, again.request_id, now=later)
    # the person clicked the link mailed for that request: now it applies
    assert (confirmed.status, confirmed.name, confirmed.language) == (SubscriberStatus.CONFIRMED, "Mallory", "en")
    assert confirmed.consent == mallory
    assert consent.confirm_request(store, again.request_id, now=later + timedelta(hours=1)) == confirmed


def test_person_who_left_comes_back_only_by_confirming(store: Store, settings: Settings, now: datetime) -> None:
    first = consent.subscribe(store, "a@example.org", profile(settings), consent=web_consent(now), now=now).subscriber
    assert first is not None and first.id is not None
    subs.confirm(store, first.id, now=now)
    subs.unsubscribe(store, first.id, now=now, source="link")
    before = dump(store)
    back = consent.subscribe(store, "a@example.org", profile(settings), consent=web_consent(now), now=now)
    assert back.outcome is consent.Outcome.RESUBSCRIBED and back.needs_confirmation_mail
    assert dump(store) == before  # still unsubscribed, still suppressed, same consent record
    assert db.get(store, first.id).status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    assert db.suppression(store, "a@example.org") is not None
    with pytest.raises(subs.SuppressedAddress):  # an admin cannot confirm it behind their back
        subs.set_status(store, first.id, SubscriberStatus.CONFIRMED, now=now, source="api")
    assert back.request_id is not None
    consent.confirm_request(store, back.request_id, now=now)
    assert db.get(store, first.id).status is SubscriberStatus.CONFIRMED  # type: ignore[union-attr]
    assert db.suppression(store, "a@example.org") is None


def test_admin_override_keeps_the_profile_and_is_recorded(store: Store, settings: Settings, now: datetime) -> None:
    sub = subs.add(
        store, settings, "a@example.org", profile(settings, name="Ann", language="en", topics="Sport"),
        consent=web_consent(now), confirmed=True, now=now,
    )  # fmt: skip
    assert sub.id is not None
    subs.unsubscribe(store, sub.id, now=now, source="link")
    later = now + timedelta(days=3)
    back = subs.set_status(
        store, sub.id, SubscriberStatus.CONFIRMED, now=later, source="api", override_suppression=True
    )
    assert (back.status, back.name, back.language, back.topics) == (SubscriberStatus.CONFIRMED, "Ann", "en", ("Sport",))
    subs.unsubscribe(store, sub.id, now=later, source="link")
    readded = subs.add(
        store, settings, "a@example.org", profile(settings), consent=Consent(at=later, source="cli"),
        override_suppression=True, confirmed=True, now=later,
    )  # fmt: skip
    assert (readded.name, readded.language, readded.topics) == ("Ann", "en", ("Sport",))  # not wiped
    with db.transaction(store) as tx:
        assert consent_db.overrides(tx, "a@example.org") == [
            ("unsubscribed", "api", later),
            ("unsubscribed", "cli", later),
        ]


def test_old_confirm_link_does_not_bring_back_someone_who_left(store: Store, settings: Settings, now: datetime) -> None:
    sub = consent.subscribe(store, "a@example.org", profile(settings), consent=web_consent(now), now=now).subscriber
    assert sub is not None and sub.id is not None
    subs.unsubscribe(store, sub.id, now=now, source="link")
    with pytest.raises(subs.StateError):
        subs.confirm(store, sub.id, now=now)
    assert db.get(store, sub.id).status is SubscriberStatus.UNSUBSCRIBED  # type: ignore[union-attr]


def test_bounced_address_cannot_come_back_through_the_form(store: Store, settings: Settings, now: datetime) -> None:
    db.suppress(store, "gone@example.org", "hard_bounce", now=now, detail="550 5.1.1")
    result = consent.subscribe(store, "gone@example.org", profile(settings), consent=web_consent(now), now=now)
    assert result.outcome is consent.Outcome.BLOCKED and not result.needs_confirmation_mail
    assert db.by_email(store, "gone@example.org") is None


def test_hard_bounce_suppresses_and_blocks_every_way_back(store: Store, settings: Settings, now: datetime) -> None:
    sub = subs.add(
        store, settings, "gone@example.org", profile(settings), consent=web_consent(now), confirmed=True, now=now
    )
    bounced = subs.mark_bounced(store, sub.id or 0, now=now, detail="550 5.1.1 user unknown")
    assert bounced.status is SubscriberStatus.BOUNCED
    supp = db.suppression(store, "gone@example.org")
    assert supp is not None and (supp.reason, supp.detail) == ("hard_bounce", "550 5.1.1 user unknown")
    assert consent.subscribe(
        store, "gone@example.org", profile(settings), consent=web_consent(now), now=now
    ).outcome is (consent.Outcome.BLOCKED)
    with pytest.raises(subs.SuppressedAddress, match="hard_bounce"):
        subs.add(store, settings, "gone@example.org", profile(settings), consent=web_consent(now), now=now)
    with pytest.raises(subs.StateError):
        subs.confirm(store, sub.id or 0, now=now)


def test_preferences_are_validated_and_saved(store: Store, settings: Settings, now: datetime) -> None:
    sub = subs.add(store, settings, "a@example.org", profile(settings), consent=web_consent(now), now=now)
    new = profile(settings, language="en", topics=["sport", "Tech"], timezone="Asia/Kolkata", send_at="06:30")
    saved = subs.update_profile(store, sub.id or 0, new, now=now)
    assert db.get(store, sub.id or 0) == saved
    assert (saved.language, saved.topics, saved.timezone, saved.send_at) == (
        "en",
        ("Sport", "Tech"),
        "Asia/Kolkata",
        time(6, 30),
    )


def test_unsubscribing_skips_deliveries_not_yet_sent(store: Store, settings: Settings, now: datetime) -> None:
    sub = subs.add(
        store, settings, "a@example.org", profile(settings), consent=web_consent(now), confirmed=True, now=now
    )
    with store.engine.begin() as conn:
        ed = conn.execute(
            insert(t.editions).values(
                newsletter="n", edition_date=now.date(), language="fr", status="built", built_at=now
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.deliveries).values(
                edition_id=ed, subscriber_id=sub.id, state="pending", due_at=now, created_at=now, updated_at=now
            )
        )
    left = subs.unsubscribe(store, sub.id or 0, now=now, source="link")
    assert left.status is SubscriberStatus.UNSUBSCRIBED and left.unsubscribed_at == now
    with store.engine.connect() as conn:
        assert conn.execute(select(t.deliveries.c.state)).scalar_one() == "skipped"
    # Idempotent: the first date stays.
    assert subs.unsubscribe(store, sub.id or 0, now=now + timedelta(days=1), source="link").unsubscribed_at == now


def test_forget_erases_personal_data_and_keeps_the_address_suppressed(
    store: Store, settings: Settings, now: datetime
) -> None:
    sub = subs.add(
        store, settings, "erase.me@example.org", profile(settings, name="Erase Me", topics="Sport"),
        consent=web_consent(now), confirmed=True, now=now,
    )  # fmt: skip
    with store.engine.begin() as conn:
        ed = conn.execute(
            insert(t.editions).values(
                newsletter="n", edition_date=now.date(), language="fr", status="sent", built_at=now
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.deliveries).values(
                edition_id=ed, subscriber_id=sub.id, state="failed", due_at=now, created_at=now, updated_at=now,
                last_error="550 5.1.1 <erase.me@example.org>: mailbox unavailable",
            )
        )  # fmt: skip
    subs.forget(store, sub.id or 0, now=now)
    rows, supp = dump(store)
    assert "erase.me" not in repr(rows) and "Erase Me" not in repr(rows) and "203.0.113.9" not in repr(rows)
    with store.engine.connect() as conn:
        assert "erase.me" not in conn.execute(select(t.deliveries.c.last_error)).scalar_one()
    assert [s[2] for s in supp] == ["forgotten"]
    with pytest.raises(NotFoundError):
        subs.find(store, "erase.me@example.org")
    with pytest.raises(subs.SuppressedAddress, match="forgotten"):
        subs.add(store, settings, "erase.me@example.org", profile(settings), consent=web_consent(now), now=now)
    report = subs_csv.import_text(store, settings, "email\nerase.me@example.org\n", name="x.csv", now=now)
    assert report.added == 0 and [r.line for r in report.rejected] == [2]


# CSV -------------------------------------------------------------------------------


def test_import_reports_each_bad_row_and_keeps_the_good_ones(store: Store, settings: Settings, now: datetime) -> None:
    text = (
        "email,name,language,topics,timezone,send_at\n"
        "ok@example.org,Ok,fr,Sport,Europe/Paris,07:15\n"
        "bad@@example.org,Bad,fr,,,\n"
        "late@example.org,Late,en,,,7h\n"
        "\n"
        "sprot@example.org,Typo,en,Sprot,,\n"
    )
    report = subs_csv.import_text(store, settings, text, name="list.csv", confirmed=True, now=now)
    assert report.added == 2
    assert [(r.line, r.message.split(":")[0]) for r in report.rejected] == [(3, "email"), (4, "send_at")]
    assert [(w.line, w.message) for w in report.warnings] == [(6, "topics: unknown category 'Sprot' (kept)")]
    ok = db.by_email(store, "ok@example.org")
    assert ok is not None and ok.send_at == time(7, 15) and ok.status is SubscriberStatus.CONFIRMED


def test_reimporting_the_same_file_changes_nothing(store: Store, settings: Settings, now: datetime) -> None:
    text = "email,name\na@example.org,A\nb@example.org,B\n"
    first = subs_csv.import_text(store, settings, text, name="l.csv", now=now)
    before = dump(store)
    second = subs_csv.import_text(store, settings, text, name="l.csv", now=now + timedelta(hours=1))
    assert (first.added, second.added, second.unchanged, second.rejected) == (2, 0, 2, [])
    assert dump(store) == before


def test_confirmed_rows_in_a_file_need_the_explicit_flag(store: Store, settings: Settings, now: datetime) -> None:
    text = "email,status\na@example.org,confirmed\n"
    report = subs_csv.import_text(store, settings, text, name="l.csv", now=now)
    assert report.added == 0 and "need --confirmed" in report.rejected[0].message
    assert subs_csv.import_text(store, settings, text, name="l.csv", confirmed=True, now=now).added == 1


def test_semicolon_files_with_a_bom_are_read() -> None:
    text = '\ufeffemail;name;topics\r\nx@example.org;"Dupont; Jean";"Sport;Tech"\r\n'
    rows = list(subs_csv.read_rows(text.lstrip("\ufeff"), "l.csv"))
    assert rows == [(2, {"email": "x@example.org", "name": "Dupont; Jean", "topics": "Sport;Tech"})]


def test_non_utf8_file_is_refused_naming_the_line(store: Store, settings: Settings, now: datetime) -> None:
    data = "email,name\na@example.org,A\nb@example.org,Zo\xe9\n".encode("latin-1")
    with pytest.raises(SourceError, match=r"^l\.csv:3: not UTF-8"):
        subs_csv.import_bytes(store, settings, data, name="l.csv", now=now)
    assert dump(store) == ([], [])


def test_unknown_column_is_refused_before_anything_is_written(store: Store, settings: Settings, now: datetime) -> None:
    with pytest.raises(SourceError, match=r"l\.csv:1: unknown column 'langauge'"):
        subs_csv.import_text(store, settings, "email,langauge\na@example.org,en\n", name="l.csv", now=now)


def test_export_imports_back_into_an_empty_store_identically(
    store: Store, tmp_path: Any, settings: Settings, now: datetime
) -> None:
    a = subs.add(store, settings, "a@example.org", profile(settings, name="=HYPERLINK(1)", topics="Sport;Tech"),
                 consent=web_consent(now), confirmed=True, now=now)  # fmt: skip
    b = subs.add(store, settings, "b@example.org", profile(settings, timezone="Asia/Kolkata", send_at="05:45"),
                 consent=Consent(at=now, source="cli"), now=now)  # fmt: skip
    subs.unsubscribe(store, b.id or 0, now=now + timedelta(hours=2), source="link")
    out = io.StringIO()
    assert subs_csv.export_csv(store, out) == 2
    assert "'=HYPERLINK(1)" in out.getvalue()  # no formula for a spreadsheet to run

    other = new_sqlite_store(tmp_path / "other.db")
    try:
        report = subs_csv.import_text(other, settings, out.getvalue(), name="e.csv", confirmed=True, now=now)
        assert (report.added, report.rejected) == (2, [])
        again = io.StringIO()
        subs_csv.export_csv(other, again)
        assert again.getvalue() == out.getvalue()
        copy = db.by_email(other, "a@example.org")
        assert copy is not None and copy.consent == a.consent and copy.name == "=HYPERLINK(1)"
        assert db.suppression(other, "b@example.org") is not None
    finally:
        other.close()


names = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=40).map(str.strip)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(
    name=names,
    language=st.sampled_from(["fr", "en"]),
    topics=st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3),
    timezone=st.sampled_from(["", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"]),
    send_at=st.none() | st.times().map(lambda x: x.replace(second=0, microsecond=0)),
    status=st.sampled_from([SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED, SubscriberStatus.UNSUBSCRIBED]),
    created=moments,
    ip=st.sampled_from(["", "198.51.100.7", "2001:db8::1"]),
    agent=names,
)
def test_a_subscriber_survives_the_csv_round_trip(
    name: str, language: str, topics: list[str], timezone: str, send_at: time | None,
    status: SubscriberStatus, created: datetime, ip: str, agent: str,
) -> None:  # fmt: skip
    settings = config.load(env={}).with_overrides({"newsletter": {"categories": CATEGORIES}})
    sub = Subscriber(
        email="p.q+r@example.org", name=name, language=language, topics=tuple(topics), timezone=timezone,
        send_at=send_at, status=status, created_at=created,
        confirmed_at=created if status is not SubscriberStatus.PENDING else None,
        unsubscribed_at=created if status is SubscriberStatus.UNSUBSCRIBED else None,
        consent=Consent(at=created, source="web", ip=ip, user_agent=agent, text_version="web-1"),
    )  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows([subs_csv.EXPORT_COLUMNS, subs_csv.subscriber_cells(sub)])
    ((_, row),) = list(subs_csv.read_rows(out.getvalue(), "x.csv"))
    back, warnings = subs_csv.parse_row(row, settings, CATEGORIES, confirmed=True, now=created + timedelta(days=9))
    assert back == sub and warnings == []
