"""One way to page, sort and filter every list endpoint: limit/offset with the total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from reelhouse.platform.errors import InvalidInput

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
MAX_PAGE_SIZE = 500
# The largest integer every database here stores (a signed 64-bit column), for query bounds.
MAX_INT64 = (1 << 63) - 1
LIKE_ESCAPE = "/"
# The largest integer every JSON client reads exactly, and far inside a 64-bit database integer.
MAX_OFFSET = 2**53 - 1


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    offset: int = 0
    sort: str | None = None

    def window(self, items: Sequence[RowT]) -> Sequence[RowT]:
        """This page's part of a short list held whole."""
        return items[self.offset : self.offset + self.limit]

    def sort_key(self, allowed: tuple[str, ...]) -> tuple[str, bool]:
        """The column to sort by and whether descending; ``-name`` sorts descending."""
        if self.sort is None:
            return allowed[0].lstrip("-"), allowed[0].startswith("-")
        name = self.sort.lstrip("-")
        plain_allowed = {option.lstrip("-") for option in allowed}
        if name not in plain_allowed:
            choices = ", ".join(sorted(plain_allowed))
            raise InvalidInput(f"cannot sort by {name!r}; choose one of {choices}", field="sort")
        return name, self.sort.startswith("-")


@dataclass(frozen=True)
class TimeRange:
    """An inclusive range of instants; either end may be open."""

    start: datetime | None = None
    end: datetime | None = None
    field: str = "created"

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidInput(
                f"{self.field}_after is later than {self.field}_before", field=f"{self.field}_after"
            )

    @classmethod
    def parse(cls, after: str | None, before: str | None, *, field: str) -> TimeRange:
        """The range of two ISO 8601 texts; a bad one is refused naming its own parameter, and
        a time without a zone is read as UTC."""
        return cls(
            _instant(after, f"{field}_after"), _instant(before, f"{field}_before"), field=field
        )


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: not an ISO 8601 time: {value!r}", field=name) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def contains(column: InstrumentedAttribute[Any] | ColumnElement[Any], text: str) -> Any:
    """Case-insensitive "``column`` holds ``text``", where ``%`` and ``_`` in ``text`` are
    themselves and not LIKE wildcards."""
    escaped = "".join(f"{LIKE_ESCAPE}{c}" if c in f"%_{LIKE_ESCAPE}" else c for c in text)
    return column.ilike(f"%{escaped}%", escape=LIKE_ESCAPE)


def within(
    statement: Select[RowT], column: InstrumentedAttribute[Any], low: Any, high: Any
) -> Select[RowT]:
    """Keep rows whose ``column`` lies in ``[low, high]``; a ``None`` end is open."""
    if low is not None:
        statement = statement.where(column >= low)
    if high is not None:
        statement = statement.where(column <= high)
    return statement


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[ItemT], total: int, page: PageRequest) -> Self:
        return cls(items=items, total=total, limit=page.limit, offset=page.offset)

    @classmethod
    def of_all(cls, items: Sequence[ItemT], page: PageRequest) -> Self:
        """The page of a short list held whole (an asset's thumbnails, the blockers)."""
        return cls.of(list(page.window(items)), len(items), page)
