"""Building a date's editions: candidates from the store -> select -> summarise -> fit
the budget -> store the edition (the operator's fan-out of them, due now, is in
:mod:`digest.daily.editions`, re-exported here). The
summariser is chosen here, once, from ``[summarize] backend`` (:func:`summarizer_for`).

The steps themselves are pure (digest.editorial.pick, digest.editorial.summarize, digest.editorial.plan) and get
plain values from here. The rest of the day (when to build, fan-out at each
subscriber's send time, sending) is in the other modules of digest.daily.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from digest import i18n
from digest.config import Settings

# Re-exported (as X): they were here first; digest.daily.editions keeps them light to import.
from digest.daily.editions import edition_day as edition_day
from digest.daily.editions import fan_out_now as fan_out_now
from digest.daily.editions import sendable as sendable
from digest.daily.learning import click_factors
from digest.editorial.pick import category_weight
from digest.editorial.plan import EditionRules, assemble_edition
from digest.editorial.summarizer import EXTRACTIVE, Summarizer
from digest.errors import ValidationError
from digest.language_model import model_deadline, summarizer_for_edition
from digest.models import Edition, EditionStatus
from digest.store import Store
from digest.store.articles import published_between
from digest.store.desk_stories import decisions as story_decisions
from digest.store.editions import EditionLockedError, find_edition, has_deliveries, save_edition
from digest.timing import due_at


def edition_window(settings: Settings, edition_date: date) -> tuple[datetime, datetime]:
    """The publication window of ``edition_date``'s candidates, as aware UTC datetimes:
    ``[newsletter] window_hours`` up to the edition's send time ([schedule] send_at in
    [schedule] timezone on that day)."""
    end = due_at(
        edition_date,
        timezone="",
        send_at=None,
        default_timezone=settings.schedule.timezone,
        default_send_at=settings.schedule.send_at,
    )
    return end - timedelta(hours=settings.newsletter.window_hours), end


def _window_for(
    store: Store,
    newsletter: str,
    edition_date: date,
    language: str,
    window: tuple[datetime, datetime],
    *,
    now: datetime,
) -> tuple[datetime, datetime]:
    """The window actually used for an edition built at ``now``.

    The scheduler builds an edition at the day's first send time, which can be before
    the newsletter's own (a reader in Asia/Kolkata): the window then ends at ``now``, as
    nothing later is known. It starts where the previous day's edition in the same
    language stopped looking (its build time when that was early, else its nominal end),
    so consecutive editions neither share an article nor leave one between them. With
    no previous edition, or one built after this window (a past date built later), it
    is the nominal ``window_hours``; it never reaches back more than twice that.
    """
    nominal_start, nominal_end = window
    end = min(nominal_end, now)
    length = nominal_end - nominal_start
    start = end - length
    previous = find_edition(store, newsletter, edition_date - timedelta(days=1), language)
    if previous is not None and previous.built_at is not None and previous.built_at <= end:
        start = max(min(previous.built_at, nominal_start), end - 2 * length)
    return start, end


def edition_rules(settings: Settings, learned: Mapping[str, float] | None = None) -> EditionRules:
    """The composition rules from ``[newsletter]`` and ``[selection]``; ``learned``:
    the click factors per topic (:mod:`digest.daily.learning`) multiplying the weights."""
    sel = settings.selection
    weights = dict(settings.newsletter.category_weights)
    for topic, factor in (learned or {}).items():
        weights[topic] = category_weight(topic, settings.newsletter.category_weights) * factor
    return EditionRules(
        reading_minutes=settings.newsletter.reading_minutes,
        categories=tuple(settings.newsletter.categories),
        category_weights=weights,
        top_stories=sel.top_stories,
        max_category_share=sel.max_category_share,
        duplicate_similarity=sel.duplicate_similarity,
        category_decay=sel.category_decay,
    )


#: ``[summarize] backend`` -> the summariser it names, built from the settings. The one
#: place a backend is chosen; another backend adds its name here and to the key's choices.
#: ``openai`` extracts first too: the model rewrites those extracts, layered on top by
#: :func:`digest.language_model.summarizer_for_edition` once the plan knows its stories.
SUMMARIZERS: Mapping[str, Callable[[Settings], Summarizer]] = {
    "extractive": lambda _settings: EXTRACTIVE,
    "openai": lambda _settings: EXTRACTIVE,
}


def summarizer_for(settings: Settings) -> Summarizer:
    """The summariser ``[summarize] backend`` names (the config validated the name)."""
    return SUMMARIZERS[settings.summarize.backend](settings)


def edition_languages(settings: Settings, languages: Sequence[str] | None = None) -> list[str]:
    """The languages to build: ``languages`` or ``[newsletter] languages``, validated."""
    wanted = list(languages) if languages else list(settings.newsletter.languages)
    supported = i18n.languages(first=settings.newsletter.language)  # those with a catalogue
    for lang in wanted:
        if lang not in supported:
            raise ValidationError(f"language {lang!r}: expected one of {', '.join(supported)}")
    return list(dict.fromkeys(wanted))


def build_editions(
    store: Store,
    settings: Settings,
    *,
    edition_date: date,
    now: datetime,
    languages: Sequence[str] | None = None,
    rebuild: bool = False,
    summarizer: Summarizer | None = None,
) -> list[Edition]:
    """Build and store ``edition_date``'s edition in each language; return them as stored.
    Stories are summarised by ``summarizer``, by default :func:`summarizer_for` the settings.

    An edition that already exists is returned as it is (every subscriber of a date
    gets the same content), unless ``rebuild``, which replaces it as long as no
    delivery has started (EditionLockedError otherwise). A language without any
    article in the window gets an empty edition with status SKIPPED — stored only once
    the window has closed (``now`` at or past its end): before that, articles may still
    arrive, and a stored empty edition would cancel the day's send. An empty edition
    of an open window is returned unstored (``id`` None).
    """
    newsletter = settings.newsletter.name
    window = edition_window(settings, edition_date)
    rules = edition_rules(settings, click_factors(store, settings, before=edition_date))
    summarizer = summarizer if summarizer is not None else summarizer_for(settings)
    out = []
    # The model's calls (if any) for every language stop by one deadline: a send never waits.
    deadline = model_deadline(settings, now=now, send_at=window[1])
    for lang in edition_languages(settings, languages):
        existing = find_edition(store, newsletter, edition_date, lang)
        if existing is not None and not rebuild:
            out.append(existing)
            continue
        if existing is not None and existing.id is not None and has_deliveries(store, existing.id):
            raise EditionLockedError(
                f"edition {existing.id} ({edition_date}, {lang}) has deliveries: it cannot be rebuilt"
            )
        # The editor's merges, splits and "Et enfin" are kept by article URL across a rebuild.
        decisions = story_decisions(store, existing.id) if existing is not None and existing.id is not None else []
        start, end = _window_for(store, newsletter, edition_date, lang, window, now=now)
        candidates = published_between(store, start, end, lang)

        # The edition's pure assembly, waiting for its summariser: a model's calls are made
        # between a first run that learns what it asks for and the real one.
        assemble = functools.partial(
            assemble_edition,
            candidates,
            newsletter=newsletter,
            edition_date=edition_date,
            language=lang,
            window=(start, end),
            rules=rules,
            now=now,
            decisions=decisions,
        )

        def assembled(chosen: Summarizer, assemble: functools.partial[Edition] = assemble) -> Edition:
            return assemble(summarizer=chosen)

        edition = assembled(
            summarizer_for_edition(store, settings, assembled, base=summarizer, now=now, deadline=deadline)
        )
        if edition.status is EditionStatus.SKIPPED and now < window[1]:
            out.append(existing if existing is not None else edition)  # the window is still open
            continue
        out.append(save_edition(store, edition, rebuild=rebuild, now=now))
    return out


@dataclass(frozen=True)
class BuiltDay:
    """``digest edition build``'s result: the date's editions and how they came to be."""

    day: date
    editions: list[Edition]
    #: Per language: the edition existed before this call.
    existed: dict[str, bool]
    #: The nominal window of the candidates (the actual one can start earlier).
    window: tuple[datetime, datetime]
    rules: EditionRules


def build_day(
    store: Store,
    settings: Settings,
    *,
    day: date | None,
    now: datetime,
    language: str | None,
    rebuild: bool,
    summarizer: Summarizer | None = None,
) -> BuiltDay:
    """Build (or find) the editions of ``day`` (default: today in the newsletter's
    timezone) in ``language`` or every [newsletter] language, summarised by
    ``summarizer`` (default: :func:`summarizer_for` the settings)."""
    day = edition_day(settings, day, now)
    languages = edition_languages(settings, [language] if language else None)
    newsletter = settings.newsletter.name
    existed = {lang: find_edition(store, newsletter, day, lang) is not None for lang in languages}
    editions = build_editions(
        store, settings, edition_date=day, now=now, languages=languages, rebuild=rebuild, summarizer=summarizer
    )
    learned = click_factors(store, settings, before=day)
    return BuiltDay(day, editions, existed, edition_window(settings, day), edition_rules(settings, learned))
