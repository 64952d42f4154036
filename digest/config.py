"""Configuration: a TOML file plus ``DIGEST_<SECTION>_<KEY>`` environment overrides,
validated into frozen settings.

The file is found from ``--config PATH``, else env ``DIGEST_CONFIG``, else
``./digest.toml`` when present, else built-in defaults. Every key is declared once in
:data:`SCHEMA` (name, type, default, help), the one table config.example.toml mirrors.
Secrets are never keys: the config names the environment variable or file that holds
them, and :func:`read_secret` reads it on demand. Leaf module: imports only errors.
"""

from __future__ import annotations

import builtins
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from digest.errors import ConfigError


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default and one-line help."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    item_type: builtins.type | None = None  # for list and dict keys


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

SCHEMA: dict[str, tuple[Key, ...]] = {
    "newsletter": (
        Key("name", str, "Le Brief", "Name shown in the From header, subject and masthead."),
        Key("language", str, "fr", "Default language of editions and new subscribers."),
        Key("languages", list, ["fr", "en"], "Languages an edition is built in.", item_type=str),
        Key("reading_minutes", int, 5, "Reading time the whole email is written to."),
        Key("sender", str, "Le Brief <brief@example.org>", 'From address, "Name <addr>".'),
        Key("reply_to", str, "", "Reply-To address; empty for none."),
        Key("postal_address", str, "", "Postal address printed in the footer (CAN-SPAM)."),
        Key("base_url", str, "http://127.0.0.1:8000", "Public URL of the web app, for links."),
        Key("window_hours", int, 24, "Articles published this many hours before send time are candidates."),
        Key("categories", list, [], "Known categories, in section order; empty accepts any.", item_type=str),
        Key("category_weights", dict, {}, "Score multiplier per category, e.g. {Politique = 1.2}.", item_type=float),
        Key("unsubscribe_mailto", str, "", "Address for the mailto: form of List-Unsubscribe; empty for none."),
        Key("feedback_id", str, "digest", "Stable sender id used in the Feedback-ID header."),
        Key("logo_url", str, "", "Absolute https URL of a logo image for the email masthead; empty shows the name."),
    ),
    "selection": (
        Key("top_stories", int, 6, "Most top stories (2-3 sentence summaries) in an edition."),
        Key(
            "max_category_share",
            float,
            0.4,
            "Largest share of an edition's stories one category may take while others have stories.",
        ),
        Key("category_decay", float, 0.7, "Score factor per story of the same category ranked before (balance)."),
        Key("duplicate_similarity", float, 0.3, "TF-IDF cosine from which two articles count as the same story."),
    ),
    "database": (
        Key("url", str, "sqlite:///digest.db", "SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://..."),
    ),
    "smtp": (
        Key("host", str, "127.0.0.1", "SMTP server host."),
        Key("port", int, 25, "SMTP server port."),
        Key("security", str, "none", "none, starttls or tls (implicit TLS).", choices=("none", "starttls", "tls")),
        Key("username", str, "", "Login name; empty for no authentication."),
        Key("password_env", str, "DIGEST_SMTP_PASSWORD", "Environment variable holding the SMTP password."),
        Key("password_file", str, "", "File holding the SMTP password (used when the env variable is unset)."),
        Key("connections", int, 8, "SMTP connections kept open per sender process."),
        Key("processes", int, 0, "Sender processes `digest send` runs on this machine; 0 = one per CPU core (max 4)."),
        Key("ca_file", str, "", "PEM file of CAs trusted for the SMTP server's certificate; empty = system CAs."),
        Key("rate_per_second", float, 0.0, "Messages per second across the pool; 0 = unlimited."),
        Key("timeout_seconds", float, 30.0, "Timeout for each SMTP command."),
        Key("envelope_from", str, "", "Envelope sender (MAIL FROM); {local} and {domain} give VERP; empty = sender."),
        Key("batch_size", int, 200, "Delivery rows one sender claims at a time."),
        Key("lease_seconds", int, 300, "How long a claim lasts before another sender may take the rows."),
        Key("max_attempts", int, 6, "Attempts for a temporary failure before the row is failed."),
        Key("retry_base_seconds", int, 60, "First retry delay; doubles each attempt, with jitter."),
        Key(
            "in_flight_policy",
            str,
            "resend",
            "After a crash, rows caught mid-DATA: resend or hold.",
            choices=("resend", "hold"),
        ),
    ),
    "dkim": (
        Key("domain", str, "", "Signing domain (d=); signing is off when empty."),
        Key("selector", str, "", "DNS selector (s=)."),
        Key("private_key_path", str, "", "PEM file with the RSA private key; signing is off when empty."),
    ),
    "schedule": (
        Key("send_at", str, "07:00", "Local time the edition is built and sent (HH:MM)."),
        Key("timezone", str, "Africa/Casablanca", "The newsletter's timezone (IANA name)."),
        Key("poll_feeds_minutes", int, 30, "Minutes between feed polls; 0 disables polling."),
        Key("catch_up_hours", float, 3.0, "After downtime, a missed edition is still sent within this grace period."),
        Key(
            "review",
            str,
            "off",
            "off, or approve: an editor approves each edition before it is sent.",
            choices=("off", "approve"),
        ),
        Key("build_lead_minutes", int, 60, "In review mode, minutes before the first send time an edition is built."),
        Key(
            "unapproved",
            str,
            "hold",
            "In review mode, what send time does to an unapproved edition: hold or send.",
            choices=("hold", "send"),
        ),
    ),
    "web": (
        Key("host", str, "127.0.0.1", "Address the web app listens on."),
        Key("port", int, 8000, "Port the web app listens on."),
        Key("secret_key_env", str, "DIGEST_SECRET_KEY", "Environment variable holding the key that signs links."),
        Key("secret_key_file", str, "", "File holding the signing key (used when the env variable is unset)."),
        Key("admin_token_env", str, "DIGEST_ADMIN_TOKEN", "Environment variable holding the admin API bearer token."),
        Key("admin_token_file", str, "", "File holding the admin token (used when the env variable is unset)."),
        Key("token_max_age_days", int, 60, "Days a link in an email stays valid."),
        Key("subscribe_per_minute", int, 5, "Subscribe requests allowed per IP address per minute."),
        Key("admin_session_hours", float, 8.0, "Hours of inactivity after which an admin console session ends."),
    ),
    "ingest": (
        Key("allow_private_networks", bool, False, "Allow fetching from loopback/private addresses (tests)."),
        Key("timeout_seconds", float, 20.0, "Timeout for one HTTP fetch."),
        Key("max_bytes", int, 5_000_000, "Largest feed or page accepted, in bytes."),
        Key("user_agent", str, "digest/0.1 (+https://github.com/digest)", "User-Agent sent with every fetch."),
    ),
    "bounces": (Key("soft_limit", int, 3, "Soft bounces (4.x.x) after which an address is suppressed."),),
    "log": (
        Key("level", str, "info", "debug, info, warning or error.", choices=("debug", "info", "warning", "error")),
        Key("format", str, "text", "text or json (one JSON object per line).", choices=("text", "json")),
    ),
}


@dataclass(frozen=True)
class Settings:
    """Validated configuration: ``settings.section("smtp")["port"]`` or
    ``settings.get("smtp", "port")``. ``source`` is the file it came from, if any."""

    values: Mapping[str, Mapping[str, Any]]
    source: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    def get(self, section: str, key: str) -> Any:
        """The value of ``[section] key``."""
        return self.values[section][key]

    def section(self, section: str) -> Mapping[str, Any]:
        """All keys of one section."""
        return self.values[section]

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Settings:
        """A copy with some keys replaced (validated like the file's)."""
        raw = {s: dict(v) for s, v in self.values.items()}
        for section, keys in overrides.items():
            for key, value in keys.items():
                raw[section][key] = _coerce(_key(section, key, "override"), value, f"[{section}] {key}")
        return Settings(_freeze(raw), self.source, self.base_dir)

    def path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_url(self) -> str:
        """The database URL, a relative SQLite path resolved against the config's folder."""
        url: str = self.get("database", "url")
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            rest = url[len(prefix) :]
            if not rest.startswith("/"):
                return prefix + str(self.base_dir / rest)
        return url


def _key(section: str, key: str, where: str) -> Key:
    if section not in SCHEMA:
        raise ConfigError(f"{where}: unknown section [{section}]")
    for k in SCHEMA[section]:
        if k.name == key:
            return k
    raise ConfigError(f"{where}: unknown key [{section}] {key}")


def _type_name(t: type) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "table"}[t]


def _coerce(key: Key, value: Any, where: str) -> Any:
    """Check ``value`` against ``key``'s type; ints are accepted where floats are."""
    expected = key.type
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ConfigError(f"{where}: expected {_type_name(expected)}, got {type(value).__name__} {value!r}")
    if expected is list and key.item_type is not None:
        for item in value:
            if not isinstance(item, key.item_type):
                raise ConfigError(f"{where}: expected a list of {_type_name(key.item_type)}s, got {item!r}")
    if expected is dict and key.item_type is not None:
        out = {}
        for k, v in value.items():
            if key.item_type is float and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if not isinstance(v, key.item_type):
                raise ConfigError(f"{where}.{k}: expected {_type_name(key.item_type)}, got {v!r}")
            out[k] = v
        value = out
    if key.choices and value not in key.choices:
        raise ConfigError(f"{where}: expected one of {', '.join(key.choices)}, got {value!r}")
    return value


def _from_env(key: Key, text: str, where: str) -> Any:
    """Parse an environment string into ``key``'s type."""
    try:
        if key.type is bool:
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if key.type is int:
            return int(text)
        if key.type is float:
            return float(text)
        if key.type is list:
            return [part.strip() for part in text.split(",") if part.strip()]
        if key.type is dict:
            return tomllib.loads(f"v = {text}")["v"]
    except (ValueError, tomllib.TOMLDecodeError, KeyError):
        raise ConfigError(f"{where}: expected {_type_name(key.type)}, got {text!r}") from None
    return text


def _validate_extra(values: dict[str, dict[str, Any]], where: str) -> None:
    """Checks that go beyond types: languages, times, timezones."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    send_at = values["schedule"]["send_at"]
    if not _HHMM.match(send_at):
        raise ConfigError(f"{where}: [schedule] send_at: expected HH:MM, got {send_at!r}")
    tz = values["schedule"]["timezone"]
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: [schedule] timezone: unknown timezone {tz!r}") from None
    for name in ("reading_minutes", "window_hours"):
        if values["newsletter"][name] <= 0:
            raise ConfigError(f"{where}: [newsletter] {name}: must be positive")
    sel = values["selection"]
    if sel["top_stories"] < 0:
        raise ConfigError(f"{where}: [selection] top_stories: must be 0 or more")
    for name in ("max_category_share", "category_decay", "duplicate_similarity"):
        if not 0.0 < sel[name] <= 1.0:
            raise ConfigError(f"{where}: [selection] {name}: expected a number in (0, 1], got {sel[name]}")
    port = values["smtp"]["port"]
    if not 0 < port < 65536:
        raise ConfigError(f"{where}: [smtp] port: expected 1-65535, got {port}")
    if values["smtp"]["connections"] < 1:
        raise ConfigError(f"{where}: [smtp] connections: must be at least 1")
    if values["smtp"]["processes"] < 0:
        raise ConfigError(f"{where}: [smtp] processes: must be 0 (one per core) or more")


def _freeze(raw: dict[str, dict[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    return MappingProxyType({s: MappingProxyType(dict(v)) for s, v in raw.items()})


def defaults() -> dict[str, dict[str, Any]]:
    """Every key at its built-in default."""
    out: dict[str, dict[str, Any]] = {}
    for section, keys in SCHEMA.items():
        out[section] = {}
        for k in keys:
            d = k.default
            out[section][k.name] = list(d) if isinstance(d, list) else dict(d) if isinstance(d, dict) else d
    return out


def find_config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    """Where the configuration comes from: --config, DIGEST_CONFIG, ./digest.toml, or none."""
    if explicit:
        return Path(explicit)
    if env.get("DIGEST_CONFIG"):
        return Path(env["DIGEST_CONFIG"])
    local = Path("digest.toml")
    return local if local.is_file() else None


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load and validate the configuration; raise :class:`ConfigError` naming the key or path."""
    env = os.environ if env is None else env
    found = find_config_path(path, env)
    values = defaults()
    where = "defaults"
    base_dir = Path.cwd()
    if found is not None:
        where = str(found)
        try:
            text = found.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {found}") from None
        except IsADirectoryError:
            raise ConfigError(f"config file is a directory: {found}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{found}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {found}: {exc.strerror}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{found}: invalid TOML: {exc}") from None
        base_dir = found.resolve().parent
        for section, table in data.items():
            if section not in SCHEMA:
                raise ConfigError(f"{found}: unknown section [{section}]")
            if not isinstance(table, dict):
                raise ConfigError(f"{found}: [{section}] must be a table")
            for key, value in table.items():
                k = _key(section, key, str(found))
                values[section][key] = _coerce(k, value, f"{found}: [{section}] {key}")
    for name, text in env.items():
        if not name.startswith("DIGEST_") or name == "DIGEST_CONFIG":
            continue
        rest = name[len("DIGEST_") :].lower()
        section, _, key = rest.partition("_")
        if section not in SCHEMA or not any(k.name == key for k in SCHEMA[section]):
            continue  # other DIGEST_* variables (secrets, test settings) are not config keys
        k = _key(section, key, name)
        values[section][key] = _coerce(k, _from_env(k, text, f"env {name}"), f"env {name}")
    _validate_extra(values, where)
    return Settings(_freeze(values), found, base_dir)


def read_secret(settings: Settings, section: str, name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Read a secret named by ``[section] <name>_env`` or ``<name>_file``.

    Returns None when neither is set. The value is never logged or printed.
    """
    env = os.environ if env is None else env
    values = settings.section(section)
    var = values.get(f"{name}_env", "")
    if var and env.get(var):
        return env[var]
    file_key = f"{name}_file" if f"{name}_file" in values else f"{name}_path"
    path = values.get(file_key, "")
    if path:
        p = settings.path(path)
        try:
            return p.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"[{section}] {file_key}: cannot read {p}: {exc.strerror}") from None
    return None
