"""One way to page, sort and filter every list endpoint: limit/offset with the total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from reelhouse.platform.errors import InvalidInput

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    offset: int = 0
    sort: str | None = None

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
