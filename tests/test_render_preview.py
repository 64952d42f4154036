"""`digest preview`: the stored (or freshly built) edition written as HTML, text and
.eml exactly as a subscriber gets it, on both databases."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from pathlib import Path

import dkim
from click.testing import CliRunner, Result
from email_samples import DAY, SECRET, dns_txt, french_edition, private_key_pem, signer

from digest.cli import cli
from digest.models import Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store.editions import save_edition

FIXTURE_DAY = Path(__file__).resolve().parent / "fixtures" / "briefing" / "day.jsonl"
NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)


def config_file(tmp_path: Path, db_url: str) -> Path:
    (tmp_path / "dkim.pem").write_bytes(private_key_pem())
    path = tmp_path / "digest.toml"
    path.write_text(
        f'[newsletter]\nname = "Le Brief"\nsender = "Le Brief <brief@lebrief.ma>"\nbase_url = "https://lebrief.ma"\n'
        f'postal_address = "12 boulevard d’Anfa, Casablanca"\n'
        f'[database]\nurl = "{db_url}"\n'
        f'[dkim]\ndomain = "lebrief.ma"\nselector = "brief2026"\nprivate_key_path = "dkim.pem"\n',
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"DIGEST_SECRET_KEY": SECRET})


def printed_files(result: Result) -> dict[str, int]:
    """path -> size in bytes as printed ("path  12.3 KB ...")."""
    out = {}
    for line in result.output.splitlines():
        m = re.match(r"(\S+)  (\d+\.\d) KB", line)
        if m:
            out[m.group(1)] = round(float(m.group(2)) * 1024)
    return out


def test_preview_writes_html_text_and_signed_eml_of_the_stored_edition(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    save_edition(store, french_edition(), rebuild=False, now=NOW)
    config = config_file(tmp_path, db_url)
    out = tmp_path / "out"
    result = run(config, "preview", "--date", str(DAY), "--out", str(out))
    assert result.exit_code == 0, result.output
    files = printed_files(result)
    stem = out / f"edition-{DAY}-fr"
    assert set(files) == {f"{stem}.html", f"{stem}.txt", f"{stem}.eml"}
    for path, size in files.items():
        assert abs(Path(path).stat().st_size - size) <= 52  # printed to 0.1 KB
    eml = Path(f"{stem}.eml").read_bytes()
    msg = email.message_from_bytes(eml, policy=email.policy.default.clone(raise_on_defect=True))
    assert dkim.verify(eml, dnsfunc=dns_txt(signer()))
    html = Path(f"{stem}.html").read_text(encoding="utf-8")
    assert html == msg.get_body(("html",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "Bonjour," in html and "https://lebrief.ma/unsubscribe/" in html
    text = Path(f"{stem}.txt").read_text(encoding="utf-8")
    assert text.startswith("LE BRIEF\ndimanche 29 novembre 2026\n")
    assert "DKIM-signed" in result.output


def test_preview_for_a_subscriber_uses_their_name_topics_and_language(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    save_edition(store, french_edition(), rebuild=False, now=NOW)
    db.insert_subscriber(
        store,
        Subscriber(
            email="zoe@example.com", name="Zoé", language="fr", topics=("Sport",), status=SubscriberStatus.CONFIRMED
        ),
        now=NOW,
    )
    config = config_file(tmp_path, db_url)
    result = run(config, "preview", "--date", str(DAY), "--for", "Zoe@Example.com", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    html = (tmp_path / f"edition-{DAY}-fr-zoe-example-com.html").read_text(encoding="utf-8")
    assert "Bonjour Zoé," in html
    assert "Coupe d’Afrique" in html and "Inflation" not in html
    assert "to zoe@example.com" in result.output


def test_preview_builds_the_edition_when_the_date_has_none(store: Store, db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    assert run(config, "articles", "import", str(FIXTURE_DAY)).exit_code == 0
    result = run(config, "preview", "--date", "2026-11-29", "--language", "en", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("built edition ")
    html = (tmp_path / "edition-2026-11-29-en.html").read_text(encoding="utf-8")
    assert "Reading time:" in html and "Sunday, November 29, 2026" in html
    again = run(config, "preview", "--date", "2026-11-29", "--language", "en", "--out", str(tmp_path))
    assert "built edition" not in again.output  # the stored one is used from now on


def test_preview_errors_are_one_line(store: Store, db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    unknown = run(config, "preview", "--date", str(DAY), "--for", "nobody@example.com", "--out", str(tmp_path))
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: --for: no subscriber nobody@example.com"
    bad_date = run(config, "preview", "--date", "29/11/2026")
    assert bad_date.exit_code != 0 and bad_date.output.count("\n") == 1 and "--date" in bad_date.output
    bad_lang = run(config, "preview", "--language", "xx")
    assert bad_lang.exit_code != 0 and "language 'xx'" in bad_lang.output
