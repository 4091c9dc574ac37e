"""Byte ranges of stored content, as HTTP asks for them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelhouse.platform.errors import ReelhouseError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ReelhouseError):
    status_code = 416
    slug = "range-not-satisfiable"
    title = "Range not satisfiable"


@dataclass(frozen=True)
class ByteSpan:
    start: int
    end: int
    partial: bool

    @property
    def length(self) -> int:
        return self.end - self.start + 1 if self.end >= self.start else 0


def byte_range(header: str | None, size: int) -> ByteSpan:
    """The span a ``Range`` header asks for (one range); the whole file without one."""
    if not header:
        return ByteSpan(0, size - 1, partial=False)
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable(f"unsupported Range {header!r}; use bytes=START-END", size=size)
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(f"range {header!r} is outside the {size} bytes", size=size)
    return ByteSpan(start, end, partial=True)
