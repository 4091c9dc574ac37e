"""One way to page and sort every list endpoint: limit/offset with the total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from reelhouse.platform.errors import InvalidInput

ItemT = TypeVar("ItemT")
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


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


def _page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: Annotated[
        str | None, Query(description="Field to sort by; prefix with - for descending.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, sort=sort)


PageParams = Annotated[PageRequest, Depends(_page_request)]
