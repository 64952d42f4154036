"""`digest send` and `digest serve` refuse to mail the world links that cannot work."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from test_deliver_cli import SECRET, deliveries, write_config

from digest import config
from digest.cli import cli
from digest.config.public_links import base_url_problem, check_outbound
from digest.errors import ConfigError
from digest.store import Store

REMOTE_SMTP = {"smtp": {"host": "smtp.example.net"}}


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000",
        "http://news.example.org",
        "https://127.0.0.1",
        "https://localhost:8443",
        "https://10.1.2.3",
        "https://192.168.0.10/digest",
        "https://[::1]:8000",
        "https://[fd00::1]",
        "https://169.254.1.1",
        "https://intranet",
        "https://news.local",
    ],
)
def test_unusable_base_url_is_refused_when_mail_leaves_the_machine(base_url: str) -> None:
    assert base_url_problem(base_url) is not None
    settings = config.load(env={}).with_overrides({**REMOTE_SMTP, "newsletter": {"base_url": base_url}})
    with pytest.raises(ConfigError, match=r"\[newsletter\] base_url") as caught:
        check_outbound(settings, warn=lambda line: None)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)


def test_public_https_base_url_passes_and_dkim_off_warns_once() -> None:
    settings = config.load(env={}).with_overrides({**REMOTE_SMTP, "newsletter": {"base_url": "https://lebrief.ma"}})
    warnings: list[str] = []
    check_outbound(settings, warn=warnings.append)
    assert len(warnings) == 1 and "[dkim] is off" in warnings[0]


def test_loopback_smtp_server_is_not_concerned() -> None:
    # the demo and a local capture server: links to 127.0.0.1 are what the person wants
    settings = config.load(env={})  # default: base_url http://127.0.0.1:8000, SMTP 127.0.0.1
    warnings: list[str] = []
    check_outbound(settings, warn=warnings.append)
    assert warnings == []


def test_send_refuses_a_local_base_url_with_a_remote_server_in_one_line_exit_2(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    add_subscribers(store, 3, now=now)
    day: date = now.date()
    add_edition(store, day=day, now=now)
    path = write_config(tmp_path, db_url, smtp)
    path.write_text(path.read_text().replace(f'host = "{smtp.host}"', 'host = "192.0.2.25"'), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(path), "send", "--date", day.isoformat()], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: [newsletter] base_url 'http://127.0.0.1:8000' is not https")
    assert deliveries(store) == 0 and smtp.received == []


def test_serve_refuses_a_local_base_url_with_a_remote_server(
    store: Store, db_url: str, smtp: SMTPServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path, db_url, smtp)
    path.write_text(path.read_text().replace(f'host = "{smtp.host}"', 'host = "192.0.2.25"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "serve", "--port", "0"], env={"DIGEST_SECRET_KEY": SECRET})
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: [newsletter] base_url")
