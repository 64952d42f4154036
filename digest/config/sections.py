"""The configuration's one table: a frozen dataclass per ``[section]``, each key a field
with its type, default and one-line help (config.example.toml mirrors it, and a test
checks that). Leaf module: imports nothing from digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def key(default: Any, help: str, *, choices: tuple[str, ...] = ()) -> Any:
    """A configuration key: its default, one-line help and, for strings, the allowed values."""
    metadata = {"help": help, "choices": choices}
    if isinstance(default, Mapping):  # unhashable, so dataclasses want a factory
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class NewsletterSettings:
    """``[newsletter]``: the newsletter's identity, links and edition budget."""

    name: str = key("Le Brief", "Name shown in the From header, subject and masthead.")
    language: str = key("fr", "Default language of editions and new subscribers.")
    languages: tuple[str, ...] = key(("fr", "en"), "Languages an edition is built in.")
    reading_minutes: int = key(5, "Reading time the whole email is written to.")
    sender: str = key("Le Brief <brief@example.org>", 'From address, "Name <addr>".')
    reply_to: str = key("", "Reply-To address; empty for none.")
    postal_address: str = key("", "Postal address printed in the footer (CAN-SPAM).")
    base_url: str = key("http://127.0.0.1:8000", "Public URL of the web app, for links.")
    window_hours: int = key(24, "Articles published this many hours before send time are candidates.")
    categories: tuple[str, ...] = key((), "Known categories, in section order; empty accepts any.")
    category_weights: Mapping[str, float] = key(_EMPTY, "Score multiplier per category, e.g. {Politique = 1.2}.")
    unsubscribe_mailto: str = key("", "Address for the mailto: form of List-Unsubscribe; empty for none.")
    feedback_id: str = key("digest", "Stable sender id used in the Feedback-ID header.")
    logo_url: str = key("", "Absolute https URL of a logo image for the email masthead; empty shows the name.")
    locale: tuple[str, ...] = key(
        (),
        'Date and number locale per language, e.g. ["fr_MA", "en_GB"]; other languages use their own.',
    )
    name_article: str = key(
        "",
        "Article the name starts with, for contractions (au Brief, du Brief): le, la, l', les or none; "
        "empty derives it from the name.",
        choices=("", "le", "la", "l'", "les", "none"),
    )


@dataclass(frozen=True)
class SelectionSettings:
    """``[selection]``: how the day's stories are picked."""

    top_stories: int = key(6, "Most top stories (2-3 sentence summaries) in an edition.")
    max_category_share: float = key(
        0.4, "Largest share of an edition's stories one category may take while others have stories."
    )
    category_decay: float = key(0.7, "Score factor per story of the same category ranked before (balance).")
    duplicate_similarity: float = key(0.3, "TF-IDF cosine from which two articles count as the same story.")
    learn_from_clicks: bool = key(
        False, "Move each topic's weight (x0.5..x2) with its click-through rate over the last 30 editions."
    )


@dataclass(frozen=True)
class SummarizeSettings:
    """``[summarize]``: extractive summaries, or rewrites by the operator's own language model."""

    backend: str = key(
        "extractive",
        "extractive (sentences of the article), or openai: an OpenAI-compatible model rewrites them, guarded.",
        choices=("extractive", "openai"),
    )
    base_url: str = key("http://127.0.0.1:11434/v1", "The endpoint's base URL, up to /v1 (Ollama's shown).")
    model: str = key("", "Model name the endpoint serves, e.g. qwen2.5:7b-instruct.")
    api_key_env: str = key("DIGEST_SUMMARIZE_API_KEY", "Environment variable holding the API key; unset for none.")
    timeout_seconds: float = key(30.0, "Timeout of one call to the model.")
    max_concurrency: int = key(2, "Calls to the model at the same time.")
    max_input_words: int = key(1200, "Longer articles are cut at a paragraph boundary before they are sent.")
    temperature: float = key(0.0, "Sampling temperature of the model.")
    prompt_version: str = key("v1", "Version of the prompts shipped with digest; a new one rewrites again.")
    why_it_matters: bool = key(False, 'Add a one-line "Why it matters" to each rewritten brief.')
    deadline_minutes: int = key(
        20, "With openai, editions are built this long before the send; calls stop by then or the send time."
    )


@dataclass(frozen=True)
class DatabaseSettings:
    """``[database]``: where the store lives."""

    url: str = key("sqlite:///digest.db", "SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://...")


@dataclass(frozen=True)
class SMTPSettings:
    """``[smtp]``: the one mail path's server, pool and retry policy."""

    host: str = key("127.0.0.1", "SMTP server host.")
    port: int = key(25, "SMTP server port.")
    security: str = key("none", "none, starttls or tls (implicit TLS).", choices=("none", "starttls", "tls"))
    username: str = key("", "Login name; empty for no authentication.")
    password_env: str = key("DIGEST_SMTP_PASSWORD", "Environment variable holding the SMTP password.")
    password_file: str = key("", "File holding the SMTP password (used when the env variable is unset).")
    connections: int = key(8, "SMTP connections kept open per sender process.")
    processes: int = key(0, "Sender processes `digest send` runs on this machine; 0 = one per CPU core (max 4).")
    ca_file: str = key("", "PEM file of CAs trusted for the SMTP server's certificate; empty = system CAs.")
    rate_per_second: float = key(0.0, "Messages per second across the pool; 0 = unlimited.")
    timeout_seconds: float = key(30.0, "Timeout for each SMTP command.")
    reconnect_pause_ms: int = key(
        100, "First pause before reconnecting after a connection failure (ms); doubles per failure in a row, to 5 s."
    )
    envelope_from: str = key("", "Envelope sender (MAIL FROM); {local} and {domain} give VERP; empty = sender.")
    batch_size: int = key(200, "Delivery rows one sender claims at a time.")
    lease_seconds: int = key(300, "How long a claim lasts before another sender may take the rows.")
    max_attempts: int = key(6, "Attempts for a temporary failure before the row is failed.")
    retry_base_seconds: int = key(60, "First retry delay; doubles each attempt, with jitter.")
    in_flight_policy: str = key(
        "resend", "After a crash, rows caught mid-DATA: resend or hold.", choices=("resend", "hold")
    )
    give_up_after_hours: float = key(
        24.0, "Rows failed for temporary reasons are retried by later sends until the edition is this old."
    )


@dataclass(frozen=True)
class DKIMSettings:
    """``[dkim]``: signing of every message."""

    domain: str = key("", "Signing domain (d=); signing is off when empty.")
    selector: str = key("", "DNS selector (s=).")
    private_key_path: str = key("", "PEM file with the RSA private key; signing is off when empty.")


@dataclass(frozen=True)
class ScheduleSettings:
    """``[schedule]``: when editions are built and sent."""

    send_at: str = key("07:00", "Local time the edition is built and sent (HH:MM).")
    timezone: str = key("Africa/Casablanca", "The newsletter's timezone (IANA name).")
    poll_feeds_minutes: int = key(30, "Minutes between feed polls; 0 disables polling.")
    catch_up_hours: float = key(3.0, "After downtime, a missed edition is still sent within this grace period.")
    review: str = key(
        "off", "off, or approve: an editor approves each edition before it is sent.", choices=("off", "approve")
    )
    build_lead_minutes: int = key(60, "In review mode, minutes before the first send time an edition is built.")
    unapproved: str = key(
        "hold", "In review mode, what send time does to an unapproved edition: hold or send.", choices=("hold", "send")
    )


@dataclass(frozen=True)
class WebSettings:
    """``[web]``: the web app, its links and limits."""

    host: str = key("127.0.0.1", "Address the web app listens on.")
    port: int = key(8000, "Port the web app listens on.")
    secret_key_env: str = key("DIGEST_SECRET_KEY", "Environment variable holding the key that signs links.")
    secret_key_file: str = key("", "File holding the signing key (used when the env variable is unset).")
    admin_token_env: str = key("DIGEST_ADMIN_TOKEN", "Environment variable holding the admin API bearer token.")
    admin_token_file: str = key("", "File holding the admin token (used when the env variable is unset).")
    token_max_age_days: int = key(60, "Days a link in an email stays valid.")
    subscribe_per_minute: int = key(5, "Subscribe requests allowed per IP address per minute.")
    admin_session_hours: float = key(8.0, "Hours of inactivity after which an admin console session ends.")
    admin_session_max_hours: float = key(72.0, "Hours after sign-in at which an admin console session ends anyway.")
    public_archive: bool = key(False, "Publish past editions at /archive (and /archive/feed.xml).")
    archive_after: str = key(
        "", "Local time (HH:MM) an edition goes public even if sends are unfinished; empty: its latest send time."
    )
    confirmations_per_address_per_day: int = key(2, "Confirmation mails the web form sends one address per 24 h.")
    confirmations_per_hour: int = key(100, "Confirmation mails the web form sends per hour, all addresses.")
    trusted_proxies: tuple[str, ...] = key((), "Proxy addresses/CIDRs whose X-Forwarded-For is believed.")
    max_body_kb: int = key(64, "Largest request body accepted, in KiB (413 beyond).")
    max_upload_kb: int = key(20480, "Largest CSV upload (admin API and console import), in KiB (413 beyond).")
    import_background_rows: int = key(2000, "A console CSV import of more rows runs in the background, with progress.")


@dataclass(frozen=True)
class IngestSettings:
    """``[ingest]``: fetching feeds and pages."""

    allow_private_networks: bool = key(False, "Allow fetching from loopback/private addresses (tests).")
    timeout_seconds: float = key(20.0, "Timeout for one HTTP fetch.")
    max_bytes: int = key(5000000, "Largest feed or page accepted, in bytes.")
    user_agent: str = key("digest/0.1 (+https://github.com/digest)", "User-Agent sent with every fetch.")
    per_host_concurrency: int = key(2, "Most requests in flight at once to one host (feeds and pages).")
    per_host_delay_ms: int = key(250, "Least time between the starts of two requests to one host, in ms.")
    obey_robots: bool = key(True, "Read robots.txt (cached per host) and skip article pages it disallows.")


@dataclass(frozen=True)
class BouncesSettings:
    """``[bounces]``: suppression after bounces."""

    soft_limit: int = key(3, "Older name of soft_bounce_limit (used when soft_bounce_limit is 0).")
    soft_bounce_limit: int = key(0, "Soft bounces with no delivery in between that suppress; 0 = soft_limit.")
    soft_bounce_days: float = key(3.0, "Days those soft bounces must span before the address is suppressed.")


@dataclass(frozen=True)
class LogSettings:
    """``[log]``: logging."""

    level: str = key("info", "debug, info, warning or error.", choices=("debug", "info", "warning", "error"))
    format: str = key("text", "text or json (one JSON object per line).", choices=("text", "json"))


@dataclass(frozen=True)
class TrackingSettings:
    """``[tracking]``: what readers do with an edition, measured with the least personal data."""

    clicks: str = key(
        "aggregate",
        "off (links go straight to the articles), aggregate (counted per story, no person) or "
        "per_subscriber (a person counted only if they opted in on their preferences page).",
        choices=("off", "aggregate", "per_subscriber"),
    )
    opens: str = key(
        "off", "off, or aggregate: a 1x1 image per variant (never per person).", choices=("off", "aggregate")
    )
    retention_days: int = key(90, "Days raw click and open events are kept before being rolled up per day.")


#: Section name -> its dataclass, in the order config.example.toml lists them.
SECTIONS: dict[str, type[Any]] = {
    "newsletter": NewsletterSettings,
    "selection": SelectionSettings,
    "summarize": SummarizeSettings,
    "database": DatabaseSettings,
    "smtp": SMTPSettings,
    "dkim": DKIMSettings,
    "schedule": ScheduleSettings,
    "web": WebSettings,
    "ingest": IngestSettings,
    "bounces": BouncesSettings,
    "tracking": TrackingSettings,
    "log": LogSettings,
}
