"""Byte ranges of a resumable upload: the ``Content-Range`` a body declares, and the merged
spans received so far."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reelhouse.platform.errors import InvalidInput

CONTENT_RANGE = "content-range"
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class ContentRange:
    start: int
    end: int | None
    total: int | None


def content_range(header: str | None) -> ContentRange:
    """The span a ``Content-Range`` header declares; without one, the whole file from byte 0."""
    if header is None:
        return ContentRange(0, None, None)
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise InvalidInput(
            f"unsupported Content-Range {header!r}; use bytes START-END/TOTAL", field=CONTENT_RANGE
        )
    first, last, total = match.groups()
    if int(last) < int(first):
        raise InvalidInput(f"Content-Range {header!r} ends before it starts", field=CONTENT_RANGE)
    return ContentRange(int(first), int(last), None if total == "*" else int(total))


def merge_range(ranges: Sequence[Sequence[int]], start: int, end: int) -> list[list[int]]:
    """``ranges`` with ``start``..``end`` (inclusive) added: sorted, overlapping and adjacent
    ones joined."""
    merged: list[list[int]] = []
    for first, last in sorted([(r[0], r[1]) for r in ranges] + [(start, end)]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def missing_ranges(ranges: Sequence[Sequence[int]], size: int) -> list[list[int]]:
    """The spans of ``0..size-1`` that merged ``ranges`` do not cover."""
    gaps: list[list[int]] = []
    position = 0
    for first, last in ranges:
        if first > position:
            gaps.append([position, first - 1])
        position = max(position, last + 1)
    if position < size:
        gaps.append([position, size - 1])
    return gaps
