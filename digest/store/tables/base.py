"""What every table module shares: the metadata (with its naming convention), the UTC
datetime type and the row-to-model copy. Every timestamp is stored as UTC (naive on
SQLite, see :class:`UTCDateTime`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    DateTime,
    MetaData,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from digest.logs import mask_emails

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    M = TypeVar("M", bound=DataclassInstance)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no timezone type, so values are normalised to naive UTC on the way in
    and tagged UTC on the way out; naive input is refused to catch clock bugs early.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def model_from_row(model: type[M], row: Any, **converted: Any) -> M:
    """A ``model`` dataclass from a row whose columns bear the names of its fields;
    ``converted`` gives the fields that take more than a copy of their column."""
    copied = {f.name: getattr(row, f.name) for f in dataclasses.fields(model) if f.name not in converted}
    return model(**copied, **converted)


class MaskedText(TypeDecorator[str]):
    """Text in which every email address is masked (``j***@example.org``, by
    :func:`digest.logs.mask_emails`), on the way in and on the way out.

    For what a relay or a bounce report says (a delivery's last error, an attempt's
    reply, a suppression's detail): such a reply often names the reader's address, and
    the suppression list keeps only a hash of it. Masking on write keeps new rows clean;
    masking on read hides the addresses rows written before this still hold."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else mask_emails(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else mask_emails(value)
