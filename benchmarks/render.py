"""Time the email: render + inline once per variant, then personalise N messages.

    .venv/bin/python benchmarks/render.py [--subscribers 10000] [--data DIR] [--runs 5]

The edition is a real five-minute French briefing: digest.editorial.plan composes it from 500
OrangeSum news texts in DIR (default ../shared/bench/orangesum), as the daily job
would. Then:

- "variant": Jinja2 render, premailer inlining and quoted-printable encoding of the
  message template, once per (edition, language, topic set) — median of --runs;
- "personalise": N subscribers' finished messages from that one variant — signed
  links (3 itsdangerous tokens), greeting, To, Message-ID, List-Unsubscribe spliced
  into the pre-encoded bytes — without DKIM, then with DKIM (RSA-2048 through the
  cryptography package, body hashed once per message); the splice alone is shown too;
- dkimpy's own sign() on the same message, for scale, and dkimpy's verify() of a
  sample of the fast signatures.

Nothing touches a database or the network.
"""

from __future__ import annotations

import argparse
import lzma
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dkim  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from digest.editorial.plan import EditionRules, assemble_edition  # noqa: E402
from digest.editorial.summarizer import EXTRACTIVE  # noqa: E402
from digest.links import Links  # noqa: E402
from digest.mail.compose import EditionComposer, MailSettings  # noqa: E402
from digest.mail.dkim import DkimSigner  # noqa: E402
from digest.mail.message import Personal  # noqa: E402
from digest.models import Article, Edition, Subscriber, SubscriberStatus  # noqa: E402
from digest.tokens import Tokens  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "orangesum"
CATEGORIES = ("Politique", "Économie", "Monde", "Société", "Sport", "Culture", "Sciences", "Santé")
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
MAIL = MailSettings(
    newsletter="Le Brief",
    sender="Le Brief <brief@lebrief.ma>",
    postal_address="12 boulevard d’Anfa, 20000 Casablanca, Maroc",
    unsubscribe_mailto="unsubscribe@lebrief.ma",
    feedback_id="lebrief",
)


def _lines(data: Path, name: str) -> list[str]:
    """The lines of ``data/name``, or of ``data/name.xz`` (the splits the repository holds)."""
    if (data / name).exists():
        return (data / name).read_text(encoding="utf-8").splitlines()
    with lzma.open(data / f"{name}.xz", "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()


def edition(data: Path, n: int = 500) -> Edition:
    """The edition digest.editorial.plan builds from ``n`` OrangeSum documents."""
    docs = _lines(data, "source_documents.txt")[:n]
    golds = _lines(data, "gold.txt")[:n]
    start = NOW - timedelta(hours=24)
    articles = [
        Article(
            id=i + 1,
            url=f"https://news.example.org/{CATEGORIES[i % len(CATEGORIES)].lower()}/2026/11/28/article-{i}",
            title=" ".join(doc.split()[:10]).rstrip(",.;:"),
            body=doc,
            summary=gold if i % 3 == 0 else "",
            published_at=NOW - timedelta(minutes=(i * 1440) // n + 1),
            language="fr",
            category=CATEGORIES[i % len(CATEGORIES)],
            word_count=len(doc.split()),
        )
        for i, (doc, gold) in enumerate(zip(docs, golds, strict=True))
    ]
    built = assemble_edition(
        articles,
        newsletter=MAIL.newsletter,
        edition_date=NOW.date(),
        language="fr",
        window=(start, NOW),
        rules=EditionRules(),
        summarizer=EXTRACTIVE,
        now=NOW,
    )
    return replace(built, id=1)


def subscribers(n: int) -> list[Subscriber]:
    """Readers with realistic names (a third with accents, a fifth without a name)."""
    names = ("Zoé Dupont", "Karim Benali", "", "Anne-Sophie Lefèvre", "John Smith", "Fatima Zahra El Idrissi")
    return [
        Subscriber(
            email=f"reader{i}@example{i % 7}.org",
            name=names[i % len(names)],
            status=SubscriberStatus.CONFIRMED,
            id=i + 1,
        )
        for i in range(n)
    ]


def per_message(fn, items):  # type: ignore[no-untyped-def]
    """Seconds per call of ``fn`` over ``items``."""
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    ed = edition(args.data)
    print(f"edition: {len(ed.top)} top stories, {len(ed.briefs)} in brief, {ed.word_count} words, "
          f"{ed.reading_minutes} min")  # fmt: skip

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = DkimSigner(domain="lebrief.ma", selector="bench", private_key=key)
    links = Links("https://lebrief.ma", Tokens("bench-secret-key-0123456789abcdef", max_age_seconds=60 * 86400))
    timings = []
    for _ in range(args.runs):
        plain = EditionComposer(MAIL, links)  # a fresh composer has nothing cached
        start = time.perf_counter()
        variant = plain.variant(ed)
        timings.append(time.perf_counter() - start)
    ms_variant = statistics.median(timings) * 1000
    sample = plain.compose(ed, subscribers(1)[0], delivery_id=1, now=NOW)
    print(f"variant (render + inline + encode): {ms_variant:.1f} ms per edition variant (median of {args.runs})")
    print(f"message: {len(sample.data) / 1024:.1f} KB, HTML part {variant.html_bytes / 1024:.1f} KB encoded")

    readers = subscribers(args.subscribers)
    personal = [
        Personal(
            email=s.email,
            name=s.name,
            unsubscribe=links.unsubscribe(s.id or 0, now=NOW),
            preferences=links.preferences(s.id or 0, now=NOW),
            archive=links.archive(1, s.id or 0, now=NOW),
            message_id=f"20261129.fr.{s.id}@lebrief.ma",
            date=NOW,
        )
        for s in readers[:2000]
    ]
    template = variant.template
    splice = per_message(template.message, personal)
    signed_splice = per_message(lambda p: template.message(p, signer=signer), personal)
    no_dkim = per_message(lambda s: plain.compose(ed, s, delivery_id=s.id, now=NOW), readers)
    signing = EditionComposer(MAIL, links, signer)
    with_dkim = per_message(lambda s: signing.compose(ed, s, delivery_id=s.id, now=NOW), readers)
    n = args.subscribers
    print(f"personalise {n:,} subscribers (compose: links + splice [+ DKIM]):")
    print(f"  without DKIM: {no_dkim * 1e6:7.1f} µs per subscriber  ({n * no_dkim:.2f} s in all)")
    print(f"  with DKIM:    {with_dkim * 1e6:7.1f} µs per subscriber  ({n * with_dkim:.2f} s in all)")
    print(f"  of which the splice into pre-encoded bytes: {splice * 1e6:.1f} µs; "
          f"splice + DKIM: {signed_splice * 1e6:.1f} µs")  # fmt: skip

    one = signing.compose(ed, readers[0], delivery_id=1, now=NOW)
    unsigned = one.data[one.data.index(b"From: ") :]  # the same message without our signature
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        dkim.sign(unsigned, b"bench", b"lebrief.ma", pem, canonicalize=(b"relaxed", b"relaxed"))
    dkimpy_ms = (time.perf_counter() - start) / runs * 1000
    print(f"for scale: dkimpy.sign() of the same message: {dkimpy_ms:.1f} ms")

    record = signer.public_record().encode()
    checked = [signing.compose(ed, s, delivery_id=s.id, now=NOW).data for s in readers[:: max(1, n // 20)]]
    ok = all(dkim.verify(m, dnsfunc=lambda name, timeout=5: record) for m in checked)
    print(f"dkimpy verify of {len(checked)} fast signatures: {'all valid' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
