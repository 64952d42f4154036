"""The cache of rewrites: what the operator's language model wrote for a story, keyed
by (article content hash, style, language, model, prompt version), with the guard's
verdict at the time. Written once (the first writer wins), read by every later build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from digest.store import Store
from digest.store import tables as t
from digest.store.engine import dialect_insert

#: (content_hash, style, language, model, prompt_version)
Key = tuple[str, str, str, str, str]
_CHUNK = 500


@dataclass(frozen=True)
class StoredRewrite:
    """One cached answer and what the guard said of it."""

    content_hash: str
    style: str
    language: str
    model: str
    prompt_version: str
    article_id: int | None
    source: str
    answer: str
    truncated: bool
    accepted: bool
    reason: str
    detail: str
    prompt_tokens: int | None
    completion_tokens: int | None
    milliseconds: int
    created_at: datetime

    @property
    def key(self) -> Key:
        """What it is cached under."""
        return (self.content_hash, self.style, self.language, self.model, self.prompt_version)


def _from_row(row: object) -> StoredRewrite:
    return t.model_from_row(StoredRewrite, row)


def find_rewrites(store: Store, keys: Iterable[Key]) -> dict[Key, StoredRewrite]:
    """The cached rewrites among ``keys``."""
    wanted = set(keys)
    hashes = sorted({k[0] for k in wanted})
    out: dict[Key, StoredRewrite] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(hashes), _CHUNK):
            query = select(t.rewrites).where(t.rewrites.c.content_hash.in_(hashes[i : i + _CHUNK]))
            for row in conn.execute(query):
                found = _from_row(row)
                if found.key in wanted:
                    out[found.key] = found
    return out


def save_rewrite(store: Store, rewrite: StoredRewrite) -> bool:
    """Cache ``rewrite`` unless its key is cached already (another process was first);
    True when this one was written."""
    values = {name: getattr(rewrite, name) for name in StoredRewrite.__dataclass_fields__}
    insert = dialect_insert(store.dialect)
    statement = insert(t.rewrites).values(values).on_conflict_do_nothing().returning(t.rewrites.c.id)
    with store.engine.begin() as conn:
        return conn.execute(statement).first() is not None


def rewrites_of_articles(
    store: Store, article_ids: Sequence[int], *, model: str, prompt_version: str
) -> list[StoredRewrite]:
    """Every cached rewrite of these articles by ``model`` and ``prompt_version``,
    newest first (for the desk: the source sentences beside each rewrite and its verdict)."""
    if not article_ids:
        return []
    query = (
        select(t.rewrites)
        .where(
            t.rewrites.c.article_id.in_(list(article_ids)),
            t.rewrites.c.model == model,
            t.rewrites.c.prompt_version == prompt_version,
        )
        .order_by(t.rewrites.c.created_at.desc(), t.rewrites.c.id.desc())
    )
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(query)]
