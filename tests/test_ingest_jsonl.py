"""JSON Lines: every bad line is reported as file:line with its reason; the rest is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from digest.ingest.jsonl import parse_jsonl

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def test_bad_lines_are_reported_with_file_line_and_reason_and_good_lines_kept() -> None:
    parsed = parse_jsonl((FIXTURES / "articles.jsonl").read_bytes(), "articles.jsonl")
    assert [i.where for i in parsed.items] == [
        "articles.jsonl:1",
        "articles.jsonl:2",
        "articles.jsonl:9",
        "articles.jsonl:12",
    ]
    assert parsed.rejections == [
        "articles.jsonl:4: invalid JSON: Expecting ',' delimiter (column 80)",
        "articles.jsonl:5: title: missing",
        "articles.jsonl:6: url: missing",
        "articles.jsonl:7: published_at: no UTC offset in '2026-11-28T08:00:00' (add Z or +01:00)",
        "articles.jsonl:8: not UTF-8 (byte 0xe9 at column 96)",
        "articles.jsonl:10: expected a JSON object, got an array",
        "articles.jsonl:11: body: expected a string, got a number",
    ]
    assert parsed.warnings == ["articles.jsonl:9: unknown key rating ignored"]


def test_every_key_is_read() -> None:
    line = {
        "url": "https://a.example/x",
        "title": "T",
        "body": "B",
        "body_html": "<p>B</p>",
        "published_at": "2026-11-28T07:45:00+01:00",
        "category": "Politique",
        "language": "fr",
        "author": "A",
        "summary": "S",
        "guid": "g-1",
        "source": "Le Reporter",
    }
    (item,) = parse_jsonl(json.dumps(line).encode(), "f").items
    assert item.published_at == datetime(2026, 11, 28, 7, 45, tzinfo=timezone(timedelta(hours=1)))
    assert (item.url, item.title, item.body, item.body_html) == ("https://a.example/x", "T", "B", "<p>B</p>")
    assert (item.category, item.language, item.author, item.summary, item.guid, item.source) == (
        "Politique",
        "fr",
        "A",
        "S",
        "g-1",
        "Le Reporter",
    )


def test_bom_crlf_and_blank_lines_are_tolerated() -> None:
    line = json.dumps({"url": "https://a.example/x", "title": "T", "body": "B", "published_at": "2026-11-28T06:00Z"})
    parsed = parse_jsonl(b"\xef\xbb\xbf" + line.encode() + b"\r\n\r\n   \n" + line.encode() + b"\r\n", "f")
    assert parsed.rejections == [] and [i.where for i in parsed.items] == ["f:1", "f:4"]


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
_record = st.fixed_dictionaries(
    {
        "url": _text,
        "title": _text,
        "body": _text,
        "published_at": st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ).map(lambda d: d.isoformat()),
    },
    optional={"category": st.text(max_size=20), "author": st.text(max_size=20), "summary": st.text(max_size=40)},
)


@given(st.lists(_record, min_size=1, max_size=5))
def test_records_round_trip_through_json_lines(records: list[dict[str, str]]) -> None:
    content = "\n".join(json.dumps(r, ensure_ascii=bool(len(records) % 2)) for r in records).encode()
    parsed = parse_jsonl(content, "f")
    assert parsed.rejections == []
    for item, record in zip(parsed.items, records, strict=True):
        assert (item.url, item.title, item.body) == (record["url"], record["title"], record["body"])
        assert item.published_at == datetime.fromisoformat(record["published_at"])
        assert item.category == record.get("category", "") and item.summary == record.get("summary", "")


@given(st.lists(st.binary(max_size=60), max_size=8))
def test_any_bytes_give_an_item_or_a_reason_per_non_blank_line(lines: list[bytes]) -> None:
    content = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    parsed = parse_jsonl(content, "f")
    split = content.split(b"\n")
    split[0] = split[0].removeprefix(b"\xef\xbb\xbf")
    non_blank = sum(1 for line in split if line.strip())
    assert len(parsed.items) + len(parsed.rejections) == non_blank
    for reason in parsed.rejections:
        assert reason.startswith("f:") and "\n" not in reason
