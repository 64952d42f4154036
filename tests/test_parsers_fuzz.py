"""Every parser, fed hundreds of malformed inputs (thousands with the thorough profile),
answers with one-line errors that say where, and never with a traceback: CSV subscriber
lists, JSON Lines, feeds, article pages and bounce reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import config
from digest.deliver.bounce_reports import NotAReport, parse_report
from digest.deliver.mailto import request_token
from digest.errors import SourceError, ValidationError
from digest.ingest.feeds import parse_feed
from digest.ingest.items import ItemError, to_article
from digest.ingest.jsonl import parse_jsonl
from digest.ingest.page import extract_page
from digest.subscribers.csv_file import parse_row, read_rows

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SETTINGS = config.load(env={})
# Each example holds several lines or rows, or is tried whole and cut short. How many
# examples is the Hypothesis profile's (tests/conftest.py): 100 in CI, 1,000 with
# `--hypothesis-profile=thorough`; the slower parsers get half as many.
MANY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(MANY, max_examples=max(1, MANY.max_examples // 2))


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


# Building blocks that look almost right: the dangerous inputs are near misses.
_junk = st.sampled_from(
    ["", " ", "\x00", "\r", '"', "'", ";", ",", "=?utf-8?q?v?=", "<script>", "&amp;", "\u202e", "\ufeff", "é", "🙂"]
)
_text = st.lists(st.one_of(_junk, st.text(max_size=12)), max_size=6).map("".join)


# CSV ----------------------------------------------------------------------------------

_columns = st.lists(
    st.sampled_from(["email", "name", "language", "topics", "timezone", "send_at", "status", "created_at", "x"]),
    min_size=1,
    max_size=6,
)
_cell = st.one_of(
    _text,
    st.sampled_from(["a@example.org", "=?utf-8?q?v?=@example.org", "a@@b", "25:99", "Mars/Olympus", "zz", "1"]),
)


@MANY
@given(columns=_columns, rows=st.lists(st.lists(_cell, max_size=8), max_size=5), delimiter=st.sampled_from([",", ";"]))
def test_csv_rows_are_subscribers_or_one_line_errors_with_their_line(
    columns: list[str], rows: list[list[str]], delimiter: str
) -> None:
    text = "\n".join(delimiter.join(r) for r in [columns, *rows])
    try:
        for line, row in read_rows(text, "list.csv"):
            try:
                parse_row(row, SETTINGS, ["Sport"], confirmed=False, now=NOW)
            except ValidationError as exc:
                assert one_line(str(exc)), (line, str(exc))
    except SourceError as exc:
        assert one_line(str(exc)) and str(exc).startswith("list.csv"), str(exc)


# JSON Lines -----------------------------------------------------------------------------

_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=12,
)
_record = st.fixed_dictionaries(
    {},
    optional={
        "url": st.one_of(_text, st.just("https://news.example.org/a"), _json),
        "title": st.one_of(_text, _json),
        "body": st.one_of(_text, st.just("Un texte. " * 20)),
        "published_at": st.one_of(
            _text, st.sampled_from(["9999-12-31T00:00:00+00:00", "2026-11-29T06:00:00Z", "2026-11-29"])
        ),
        "language": _text,
    },
)
_line = st.one_of(
    _record.map(json.dumps),
    _json.map(json.dumps),
    st.integers(min_value=1, max_value=30_000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=30_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(min_value=4300, max_value=6000).map(lambda n: '{"url": ' + "7" * n + "}"),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


@MANY
@given(st.lists(_line, min_size=1, max_size=4))
def test_json_lines_give_items_or_one_line_rejections_with_their_number(lines: list[str]) -> None:
    content = "\n".join(line.replace("\n", " ") for line in lines).encode("utf-8", "surrogatepass")
    parsed = parse_jsonl(content, "a.jsonl")
    for rejection in parsed.rejections:
        assert one_line(rejection) and rejection.startswith("a.jsonl:"), rejection
    for item in parsed.items:
        try:
            to_article(item, fallback_published_at=NOW, default_language="fr", now=NOW)
        except ItemError as exc:
            assert one_line(str(exc)), str(exc)


# Feeds ----------------------------------------------------------------------------------

_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
    "<item><title>{title}</title><link>{link}</link><description>{body}</description>"
    "<pubDate>{date}</pubDate></item></channel></rss>"
)


@SOME
@given(title=_text, link=_text, body=_text, date=_text, cut=st.integers(min_value=0, max_value=400))
def test_feeds_give_items_or_one_line_errors_naming_the_feed(
    title: str, link: str, body: str, date: str, cut: int
) -> None:
    xml = _FEED.format(title=title, link=link or "https://news.example.org/x", body=body, date=date)
    for content in (xml.encode("utf-8", "surrogatepass"), xml.encode("utf-8", "surrogatepass")[:cut]):
        try:
            parsed = parse_feed(content, "feed.xml")
        except SourceError as exc:
            assert one_line(str(exc)) and str(exc).startswith("feed.xml"), str(exc)
            continue
        for item in parsed.items:
            try:
                to_article(item, fallback_published_at=NOW, default_language="fr", now=NOW)
            except ItemError as exc:
                assert one_line(str(exc)), str(exc)


# Article pages ----------------------------------------------------------------------------

_PAGE = (
    '<html lang="{lang}"><head><title>{title}</title><link rel="canonical" href="{url}">'
    '<meta property="article:published_time" content="{date}"></head>'
    "<body><article><h1>{title}</h1><p>{body}</p><p>{body}</p></article></body></html>"
)


@SOME
@given(lang=_text, title=_text, url=_text, date=_text, body=_text, cut=st.integers(min_value=0, max_value=300))
def test_article_pages_give_an_item_or_a_one_line_error_naming_the_page(
    lang: str, title: str, url: str, date: str, body: str, cut: int
) -> None:
    page = _PAGE.format(lang=lang, title=title, url=url, date=date, body=body * 5)
    for content in (page.encode("utf-8", "surrogatepass"), page.encode("utf-8", "surrogatepass")[:cut]):
        try:
            item = extract_page(content, "page.html", url="https://news.example.org/article")
        except SourceError as exc:
            assert one_line(str(exc)) and str(exc).startswith("page.html"), str(exc)
            continue
        try:
            to_article(item, fallback_published_at=NOW, default_language="fr", now=NOW)
        except ItemError as exc:
            assert one_line(str(exc)), str(exc)


# Bounce reports ---------------------------------------------------------------------------

_DSN = (
    "From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type={kind}; boundary="B"\r\n\r\n'
    "--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
    "Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n"
    "Diagnostic-Code: smtp; {diag}\r\n--B--\r\n"
)


@SOME
@given(
    to=_text,
    subject=_text,
    kind=st.sampled_from(["delivery-status", "feedback-report", "x", ""]),
    rcpt=st.one_of(_text, st.just("a@example.org")),
    action=st.one_of(_text, st.sampled_from(["failed", "delayed"])),
    status=st.one_of(_text, st.sampled_from(["5.1.1", "4.2.2", "9.9.9"])),
    diag=_text,
    cut=st.integers(min_value=0, max_value=600),
)
def test_bounce_reports_are_bounces_or_a_one_line_reason(
    to: str, subject: str, kind: str, rcpt: str, action: str, status: str, diag: str, cut: int
) -> None:
    raw = _DSN.format(to=to, subject=subject, kind=kind, rcpt=rcpt, action=action, status=status, diag=diag).encode(
        "utf-8", "surrogatepass"
    )
    for data in (raw, raw[:cut]):
        try:
            parse_report(data, verp_template="bounces+{local}={domain}@bounce.example.org")
        except NotAReport as exc:
            assert one_line(str(exc)), str(exc)
        request_token(data)  # the mailto reader never raises either
