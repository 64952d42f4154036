"""Logging: one line per event, text or JSON ([log] format), never a secret or a full
address at info level.

Call :func:`setup` once at the start of a long-running command. Code logs with the
standard library (``logging.getLogger(__name__)``) and passes structured fields through
``extra``: ``log.info("edition built", extra={"edition_date": "2026-03-23"})``. For an
address, log :func:`mask_email` of it; as a safety net, every address that reaches a
record at info level or above is masked anyway, and registered secrets
(:func:`register_secret`) are replaced by ``***`` at every level. Query strings are cut
from web access lines because links carry signed tokens.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9][\w.+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")

# The attributes every LogRecord has; anything else on a record came through ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured duplicate of the message
    "taskName",
}

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


def mask_email(address: str) -> str:
    """``jane.doe@example.org`` -> ``j***@example.org``: enough to tell people apart in
    a log, not enough to write to them."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}" if local else f"***@{domain}"


def mask_emails(text: str) -> str:
    """Every address in ``text`` masked with :func:`mask_email`."""
    return _EMAIL.sub(lambda m: f"{m.group(1)[:1]}***@{m.group(2)}", text)


def register_secret(value: str | None) -> None:
    """Never let ``value`` (a password, key or token) appear in a log line."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def redact_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """Masks addresses (at info and above) and secrets (always) in a record, in place,
    so every handler and formatter sees the safe text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None  # formatted once, below, so the redaction covers it
        cleaned = redact_secrets(message)
        exc_text = redact_secrets(record.exc_text) if record.exc_text else None
        if record.levelno >= logging.INFO:
            cleaned = mask_emails(cleaned)
            exc_text = mask_emails(exc_text) if exc_text else None
        record.msg, record.args, record.exc_text = cleaned, None, exc_text
        for key, value in _extras(record).items():
            if isinstance(value, str):
                safe = redact_secrets(value)
                setattr(record, key, mask_emails(safe) if record.levelno >= logging.INFO else safe)
        return True


_SEGMENT = re.compile(r"(?<=/)[^/]+")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_.=-]+$")


def _token_like(segment: str) -> bool:
    # itsdangerous tokens are payload.timestamp.signature in URL-safe base64; other
    # secrets are long runs of the same alphabet. File names have one dot at most.
    if not _TOKEN_CHARS.match(segment):
        return False
    return (segment.count(".") >= 2 and len(segment) >= 20) or (len(segment) >= 32 and "." not in segment)


def redact_path(path: str) -> str:
    """A request path without its query string and with token-like segments replaced:
    ``/unsubscribe/MTIzNDU.awvEmA.YuivZHv...?x=1`` -> ``/unsubscribe/***``."""
    return _SEGMENT.sub(lambda m: "***" if _token_like(m.group(0)) else m.group(0), path.split("?", 1)[0])


class AccessTokenFilter(logging.Filter):
    """Cuts signed tokens out of uvicorn's access lines: confirm, preferences and
    unsubscribe links carry them (in the path or the query) and they act as keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path: str = record.args[2]
            record.args = (*record.args[:2], redact_path(path), *record.args[3:])
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", " | ")


class TextFormatter(logging.Formatter):
    """``2026-03-23T06:00:00.123Z INFO digest.runtime.scheduler edition built edition_date=2026-03-23``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        parts = [ts, record.levelname, record.name, record.getMessage()]
        parts += [f"{k}={_text_value(v)}" for k, v in sorted(_extras(record).items())]
        if record.exc_text:
            parts.append(f"error={record.exc_text}")
        return _one_line(" ".join(parts))


def _text_value(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        data: dict[str, Any] = {"ts": ts, "level": record.levelname.lower(), "logger": record.name}
        data["message"] = record.getMessage()
        for key, value in _extras(record).items():
            data[key] = value if isinstance(value, int | float | bool | type(None) | list | dict) else str(value)
        if record.exc_text:
            data["error"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


# Loggers whose lines we own: digest's, and the libraries running inside `digest serve`.
_LOGGERS = ("digest", "uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler", "aiosmtplib", "aiosmtpd")
_OWN = frozenset({"digest", "uvicorn", "apscheduler", "aiosmtplib", "aiosmtpd"})  # carry the handler
_HANDLER_NAME = "digest"


_saved: dict[int, list[tuple[logging.Logger, bool, int]]] = {}  # id(handler) -> what setup changed


def setup(level: str = "info", fmt: str = "text", *, stream: TextIO | None = None) -> logging.Handler:
    """Route digest's and its servers' logs to one handler on ``stream`` (stderr).

    Safe to call again (tests, a second command): the previous digest handler is replaced.
    Returns the handler; :func:`teardown` undoes everything this changed.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.name = _HANDLER_NAME
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    numeric = logging.getLevelName(level.upper())
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    _saved[id(handler)] = [(lg, lg.propagate, lg.level) for lg in loggers]
    for logger in loggers:
        for old in [h for h in logger.handlers if h.name == _HANDLER_NAME]:
            logger.removeHandler(old)
        if logger.name in _OWN:
            logger.addHandler(handler)
            logger.propagate = False
        else:  # uvicorn.error, uvicorn.access: through their parent "uvicorn"
            logger.propagate = True
    logging.getLogger("digest").setLevel(numeric)
    logging.getLogger("uvicorn").setLevel(numeric)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessTokenFilter) for f in access.filters):
        access.addFilter(AccessTokenFilter())
    # APScheduler says "Running job ..." at info every minute: noise, not events.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.WARNING))
    # Client and server libraries log whole SMTP conversations (addresses) at debug.
    for name in ("aiosmtplib", "aiosmtpd"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    return handler


def teardown(handler: logging.Handler) -> None:
    """Remove a handler :func:`setup` installed and restore the loggers it changed."""
    for logger, propagate, level in _saved.pop(id(handler), []):
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)
    for name in _LOGGERS:
        logging.getLogger(name).removeHandler(handler)


def secrets_from(values: Iterable[str | None]) -> None:
    """Register several secrets at once (:func:`register_secret`)."""
    for value in values:
        register_secret(value)
