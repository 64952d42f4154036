"""Configuration: file discovery, types, env overrides, secrets, errors naming the key."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from digest import config
from digest.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "digest.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = config.load(None, env={})
    assert s.source is None
    assert s.newsletter.language == "fr"
    assert s.newsletter.reading_minutes == 5
    assert s.newsletter.window_hours == 24
    assert s.database.url == "sqlite:///digest.db"
    assert s.schedule.send_at == "07:00"
    assert s.schedule.timezone == "Africa/Casablanca"


def test_file_values_and_relative_sqlite_path(tmp_path: Path) -> None:
    p = write(tmp_path, '[smtp]\nport = 2525\nsecurity = "starttls"\n[database]\nurl = "sqlite:///data/x.db"\n')
    s = config.load(p, env={})
    assert s.smtp.port == 2525
    assert s.smtp.security == "starttls"
    assert s.database_url == f"sqlite:///{tmp_path}/data/x.db"


def test_env_overrides_file(tmp_path: Path) -> None:
    p = write(tmp_path, "[smtp]\nport = 2525\n")
    env = {
        "DIGEST_SMTP_PORT": "1025",
        "DIGEST_DATABASE_URL": "sqlite:////tmp/a.db",
        "DIGEST_SMTP_RATE_PER_SECOND": "12.5",
        "DIGEST_INGEST_ALLOW_PRIVATE_NETWORKS": "true",
        "DIGEST_NEWSLETTER_LANGUAGES": "fr,en",
        "DIGEST_TEST_DATABASE_URL": "ignored",
    }
    s = config.load(p, env=env)
    assert s.smtp.port == 1025
    assert s.smtp.rate_per_second == 12.5
    assert s.ingest.allow_private_networks is True
    assert s.newsletter.languages == ("fr", "en")
    assert s.database_url == "sqlite:////tmp/a.db"


def test_digest_config_env_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, '[newsletter]\nname = "Matin"\n')
    s = config.load(None, env={"DIGEST_CONFIG": str(p)})
    assert s.newsletter.name == "Matin"
    assert s.source == p


def test_local_digest_toml_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, '[newsletter]\nname = "Local"\n')
    monkeypatch.chdir(tmp_path)
    assert config.load(None, env={}).newsletter.name == "Local"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[smtp]\nprot = 25\n", "unknown key [smtp] prot"),
        ("[smtpp]\nport = 25\n", "unknown section [smtpp]"),
        ('[smtp]\nport = "abc"\n', "[smtp] port: expected integer"),
        ("[smtp]\nport = 99999\n", "[smtp] port: expected 1-65535"),
        ('[smtp]\nsecurity = "ssl"\n', "[smtp] security: expected one of none, starttls, tls"),
        ('[schedule]\nsend_at = "7h"\n', "[schedule] send_at: expected HH:MM"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "[schedule] timezone: unknown timezone"),
        ("[newsletter]\nreading_minutes = true\n", "[newsletter] reading_minutes: expected integer"),
        ("[smtp\nport = 1\n", "invalid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, body: str, message: str) -> None:
    p = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        config.load(p, env={})
    assert message in str(info.value)
    assert str(p) in str(info.value)


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DIGEST_SMTP_PORT: expected integer"):
        config.load(None, env={"DIGEST_SMTP_PORT": "twenty-five"})


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        config.load(tmp_path / "nope.toml", env={})


def test_secret_from_env_or_file_never_a_key(tmp_path: Path) -> None:
    keyfile = tmp_path / "smtp.pass"
    keyfile.write_text("from-file\n")
    p = write(tmp_path, '[smtp]\npassword_file = "smtp.pass"\n')
    s = config.load(p, env={})
    assert config.read_secret(s, "smtp", "password", env={}) == "from-file"
    assert config.read_secret(s, "smtp", "password", env={"DIGEST_SMTP_PASSWORD": "from-env"}) == "from-env"
    with pytest.raises(ConfigError, match="unknown key \\[smtp\\] password"):
        config.load(write(tmp_path, '[smtp]\npassword = "x"\n'), env={})


def test_example_config_lists_every_key_with_a_comment() -> None:
    s = config.load(EXAMPLE, env={})
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    for section, keys in config.SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            idx = next((i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{key.name} =")), None)
            assert idx is not None, f"[{section}] {key.name} missing from config.example.toml"
            assert lines[idx - 1].startswith("#"), f"[{section}] {key.name} has no comment line above it"
    assert s.newsletter.language == "fr"


@pytest.mark.parametrize(
    ("body", "needle"),
    [("[smtp]\nprot = 25\n", "unknown key [smtp] prot"), ('[smtp]\nport = "x"\n', "[smtp] port")],
)
def test_cli_bad_config_is_one_line_exit_2(tmp_path: Path, body: str, needle: str) -> None:
    p = write(tmp_path, body)
    r = subprocess.run([sys.executable, "-m", "digest", "--config", str(p), "init"], capture_output=True, text=True)
    assert r.returncode == 2
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_cli_missing_config_file_exit_2(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(tmp_path / "gone.toml"), "init"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: config file not found: {tmp_path / 'gone.toml'}"


def test_settings_are_typed_frozen_sections(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, "[smtp]\nport = 2525\n[newsletter]\ncategory_weights = { Sport = 2 }\n"), env={})
    assert isinstance(s.smtp, config.SMTPSettings)
    assert s.smtp.port == 2525
    assert s.newsletter.category_weights == {"Sport": 2.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.smtp.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.newsletter.category_weights["Sport"] = 3.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[smtp]\nbatch_size = 0\n", "[smtp] batch_size: must be at least 1, got 0"),
        ("[smtp]\nlease_seconds = 0\n", "[smtp] lease_seconds: must be at least 1"),
        ("[smtp]\nmax_attempts = 0\n", "[smtp] max_attempts: must be at least 1"),
        ("[smtp]\ntimeout_seconds = 0\n", "[smtp] timeout_seconds: must be more than 0"),
        ("[smtp]\nreconnect_pause_ms = 0\n", "[smtp] reconnect_pause_ms: must be at least 1"),
        ("[schedule]\npoll_feeds_minutes = -5\n", "[schedule] poll_feeds_minutes: must be at least 0"),
        ("[web]\nport = 70000\n", "[web] port: expected 1-65535"),
        ("[bounces]\nsoft_limit = 0\n", "[bounces] soft_limit: must be at least 1"),
        ('[newsletter]\nbase_url = "example.org"\n', "[newsletter] base_url: expected an http(s) URL"),
        ('[newsletter]\nlanguage = "en"\nlanguages = ["fr"]\n', "[newsletter] language: 'en' is not in"),
    ],
)
def test_out_of_range_values_fail_at_load_naming_the_key(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, body), env={})
    assert needle in str(info.value)
    assert str(tmp_path / "digest.toml") in str(info.value)


def test_overrides_are_checked_like_the_file() -> None:
    with pytest.raises(ConfigError, match=r"\[smtp\] batch_size: must be at least 1"):
        config.load(env={}).with_overrides({"smtp": {"batch_size": 0}})
