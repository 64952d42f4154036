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
import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from digest.config.sections import (  # re-exported: the section types are part of the API
    SECTIONS,
    BouncesSettings,
    DatabaseSettings,
    DKIMSettings,
    IngestSettings,
    LogSettings,
    NewsletterSettings,
    ScheduleSettings,
    SelectionSettings,
    SMTPSettings,
    SummarizeSettings,
    TrackingSettings,
    WebSettings,
)
from digest.errors import ConfigError


@dataclass(frozen=True)
class Key:
    """One configuration key, read off its section's dataclass: type, default, help."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    item_type: builtins.type | None = None  # for list and dict keys


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SCALARS: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


def _key_of(f: dataclasses.Field[Any], annotation: str) -> Key:
    """A :class:`Key` from a section field (annotations are strings: postponed evaluation)."""
    default: Any = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
    if annotation in _SCALARS:
        return Key(f.name, _SCALARS[annotation], default, f.metadata["help"], f.metadata["choices"])
    if annotation.startswith("tuple["):
        item = _SCALARS[annotation[len("tuple[") :].split(",")[0]]
        return Key(f.name, list, list(default), f.metadata["help"], item_type=item)
    if annotation.startswith("Mapping[str, "):
        item = _SCALARS[annotation[len("Mapping[str, ") : -1]]
        return Key(f.name, dict, dict(default), f.metadata["help"], item_type=item)
    raise TypeError(f"[config] {f.name}: unsupported annotation {annotation}")  # a programming error


#: Every key of every section, derived from the dataclasses in digest.config.sections.
SCHEMA: dict[str, tuple[Key, ...]] = {
    name: tuple(_key_of(f, str(f.type)) for f in dataclasses.fields(cls)) for name, cls in SECTIONS.items()
}


@dataclass(frozen=True)
class Settings:
    """The validated configuration, loaded once: one frozen object per section
    (``settings.smtp.port``). ``source`` is the file it came from, if any."""

    newsletter: NewsletterSettings
    selection: SelectionSettings
    summarize: SummarizeSettings
    database: DatabaseSettings
    smtp: SMTPSettings
    dkim: DKIMSettings
    schedule: ScheduleSettings
    web: WebSettings
    ingest: IngestSettings
    bounces: BouncesSettings
    tracking: TrackingSettings
    log: LogSettings
    source: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Settings:
        """A copy with some keys replaced (validated like the file's)."""
        raw = {name: dict(_raw_section(getattr(self, name))) for name in SECTIONS}
        for section, keys in overrides.items():
            for key, value in keys.items():
                raw[section][key] = _coerce(_key(section, key, "override"), value, f"[{section}] {key}")
        _validate_extra(raw, "override")
        return _build(raw, self.source, self.base_dir)

    def path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_url(self) -> str:
        """The database URL, a relative SQLite path resolved against the config's folder."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            rest = url[len(prefix) :]
            if not rest.startswith("/"):
                return prefix + str(self.base_dir / rest)
        return url


def _raw_section(section: Any) -> dict[str, Any]:
    """A section's values as plain TOML-like values (lists and dicts)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else dict(value) if isinstance(value, Mapping) else value
    return out


def _build(raw: dict[str, dict[str, Any]], source: Path | None, base_dir: Path) -> Settings:
    """Typed, frozen settings from checked raw values (lists become tuples, tables read-only)."""
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        values = {
            k: tuple(v) if isinstance(v, list) else MappingProxyType(dict(v)) if isinstance(v, dict) else v
            for k, v in raw[name].items()
        }
        sections[name] = cls(**values)
    return Settings(**sections, source=source, base_dir=base_dir)


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
    archive_after = values["web"]["archive_after"]
    if archive_after and not _HHMM.match(archive_after):
        raise ConfigError(f"{where}: [web] archive_after: expected HH:MM or empty, got {archive_after!r}")
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
    for section in ("smtp", "web"):
        port = values[section]["port"]
        if not 0 < port < 65536:
            raise ConfigError(f"{where}: [{section}] port: expected 1-65535, got {port}")
    for (section, name), (low, strict) in _MINIMA.items():
        value = values[section][name]
        if value < low or (strict and value == low):
            bound = f"more than {low}" if strict else f"at least {low}"
            raise ConfigError(f"{where}: [{section}] {name}: must be {bound}, got {value}")
    base_url = values["newsletter"]["base_url"]
    if not re.match(r"^https?://[^/\s]+", base_url):
        raise ConfigError(f"{where}: [newsletter] base_url: expected an http(s) URL, got {base_url!r}")
    for proxy in values["web"]["trusted_proxies"]:
        try:
            ipaddress.ip_network(str(proxy), strict=False)
        except ValueError:
            raise ConfigError(f"{where}: [web] trusted_proxies: {proxy!r} is not an address or CIDR") from None
    summarize = values["summarize"]
    if summarize["backend"] == "openai":
        if not summarize["model"].strip():
            raise ConfigError(f"{where}: [summarize] model: required when backend is openai")
        if not re.match(r"^https?://[^/\s]+", summarize["base_url"]):
            raise ConfigError(f"{where}: [summarize] base_url: expected an http(s) URL, got {summarize['base_url']!r}")
    language = values["newsletter"]["language"]
    if language not in values["newsletter"]["languages"]:
        raise ConfigError(f"{where}: [newsletter] language: {language!r} is not in [newsletter] languages")


#: Lower bounds checked at load, (section, key) -> (bound, strict): nothing is clamped later.
_MINIMA: dict[tuple[str, str], tuple[float, bool]] = {
    ("smtp", "connections"): (1, False),
    ("smtp", "processes"): (0, False),
    ("smtp", "rate_per_second"): (0, False),
    ("smtp", "timeout_seconds"): (0, True),
    ("smtp", "reconnect_pause_ms"): (1, False),
    ("smtp", "batch_size"): (1, False),
    ("smtp", "lease_seconds"): (1, False),
    ("smtp", "max_attempts"): (1, False),
    ("smtp", "retry_base_seconds"): (0, False),
    ("schedule", "poll_feeds_minutes"): (0, False),
    ("schedule", "catch_up_hours"): (0, False),
    ("schedule", "build_lead_minutes"): (0, False),
    ("web", "token_max_age_days"): (1, False),
    ("web", "subscribe_per_minute"): (1, False),
    ("web", "admin_session_hours"): (0, True),
    ("web", "admin_session_max_hours"): (0, True),
    ("web", "confirmations_per_address_per_day"): (1, False),
    ("web", "confirmations_per_hour"): (1, False),
    ("web", "max_body_kb"): (1, False),
    ("web", "max_upload_kb"): (1, False),
    ("web", "import_background_rows"): (1, False),
    ("ingest", "timeout_seconds"): (0, True),
    ("ingest", "max_bytes"): (1, False),
    ("bounces", "soft_limit"): (1, False),
    ("summarize", "timeout_seconds"): (0, True),
    ("summarize", "max_concurrency"): (1, False),
    ("summarize", "max_input_words"): (50, False),
    ("summarize", "temperature"): (0, False),
    ("summarize", "deadline_minutes"): (1, False),
    ("bounces", "soft_bounce_limit"): (0, False),
    ("bounces", "soft_bounce_days"): (0, False),
    ("smtp", "give_up_after_hours"): (0, False),
}


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
    return _build(values, found, base_dir)


def read_secret(settings: Settings, section: str, name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Read a secret named by ``[section] <name>_env`` or ``<name>_file``.

    Returns None when neither is set. The value is never logged or printed.
    """
    env = os.environ if env is None else env
    values = _raw_section(getattr(settings, section))
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
