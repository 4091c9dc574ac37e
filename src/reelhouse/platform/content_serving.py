"""Serving stored bytes over HTTP the way clients expect (RFC 9110): validators, conditional
requests, one byte range, ``HEAD``, and a filename any client can read (RFC 6266).

Every content route of every app answers through ``content_response``, so the rules live here
once: ``If-None-Match`` (or ``If-Modified-Since``) answers 304, ``If-Range`` keeps a ``Range``
only while the validator still holds, a range past the end answers 416 with
``Content-Range: bytes */SIZE``, and a malformed or multi-range ``Range`` is ignored (200).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from reelhouse.platform.errors import ReelhouseError, errors, problem_response
from reelhouse.platform.storage import content_disposition

# One byte-range-spec, or a suffix: "0-499", "500-", "-200" (RFC 9110 section 14.1.2).
_SPEC = re.compile(r"^(\d*)-(\d*)$")

Reader = Callable[[int, int], AsyncIterator[bytes]]
"""Bytes ``start``..``end`` inclusive, in chunks."""


class RangeNotSatisfiable(ReelhouseError):
    status_code = 416
    slug = "range-not-satisfiable"
    title = "Range not satisfiable"


@dataclass(frozen=True)
class Representation:
    """What a content route serves, as HTTP's validators and headers describe it."""

    size: int
    sha256: str
    modified: datetime
    media_type: str
    filename: str

    @property
    def etag(self) -> str:
        """A strong validator: the bytes are known by their SHA-256."""
        return f'"{self.sha256}"'

    @property
    def last_modified(self) -> str:
        return format_datetime(self.modified.astimezone(UTC), usegmt=True)


@dataclass(frozen=True)
class Content:
    """Bytes to answer: read here (``read``) or served elsewhere (``redirect_url``)."""

    representation: Representation
    read: Reader | None = None
    redirect_url: str | None = None


@dataclass(frozen=True)
class ByteSpan:
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class _Unsatisfiable:
    """A ``Range`` that is well formed but asks for no byte the representation has."""


UNSATISFIABLE = _Unsatisfiable()


def byte_span(header: str | None, size: int) -> ByteSpan | _Unsatisfiable | None:
    """The one range a ``Range`` header asks for; None for none, a malformed one or several
    (each answered with the whole representation, as RFC 9110 allows)."""
    if header is None:
        return None
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes" or "," in ranges:
        return None
    match = _SPEC.match(ranges.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        suffix = int(last)
        if suffix == 0:
            return UNSATISFIABLE
        # A suffix longer than the representation is the whole of it; of nothing, nothing.
        return ByteSpan(max(size - suffix, 0), size - 1) if size else None
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return ByteSpan(start, min(int(last), size - 1) if last else size - 1)


def not_modified(headers: Headers, representation: Representation) -> bool:
    """Whether the client's copy is current: ``If-None-Match`` (weak comparison), or, without
    one, ``If-Modified-Since`` (RFC 9110 section 13.2.2)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _matches_any(if_none_match, representation.etag, weak=True)
    since = _http_date(headers.get("if-modified-since"))
    return since is not None and representation.modified.replace(microsecond=0) <= since


def range_applies(headers: Headers, representation: Representation) -> bool:
    """Whether a ``Range`` may be honoured: always without ``If-Range``; with one, only while
    its entity tag (strong comparison) or its date (exactly ``Last-Modified``) still holds."""
    if_range = headers.get("if-range")
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        return if_range == representation.etag
    validator = _http_date(if_range)
    return validator is not None and validator == representation.modified.replace(microsecond=0)


def content_responses(*refusals: type[ReelhouseError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` of a content route, with the errors it may answer besides."""
    binary = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    return {
        **errors(*refusals, RangeNotSatisfiable),
        200: {"description": "the whole file", "content": binary},
        206: {"description": "the range asked for", "content": binary},
        302: {"description": "GET on S3: to a short-lived presigned URL"},
        304: {"description": "not modified (If-None-Match, If-Modified-Since)"},
    }


def content_response(request: Request, served: Content | ReelhouseError) -> Response:
    """The answer to ``GET`` or ``HEAD`` of ``served``.

    A refusal is answered, not raised, so that what the service recorded on the way (an asset
    found missing, say) is committed with the answer; ``HEAD`` never redirects, since a
    presigned URL is signed for ``GET``.
    """
    if isinstance(served, ReelhouseError):
        return problem_response(served.problem())
    representation = served.representation
    validators = {"etag": representation.etag, "last-modified": representation.last_modified}
    if not_modified(request.headers, representation):
        return Response(status_code=304, headers=validators)
    span = (
        byte_span(request.headers.get("range"), representation.size)
        if range_applies(request.headers, representation)
        else None
    )
    if isinstance(span, _Unsatisfiable):
        refusal = RangeNotSatisfiable(
            f"the range asked for is outside the {representation.size} bytes",
            size=representation.size,
        )
        return problem_response(
            refusal.problem(), {"content-range": f"bytes */{representation.size}", **validators}
        )
    head = request.method == "HEAD"
    if served.redirect_url is not None and not head:
        return RedirectResponse(served.redirect_url, status_code=302, headers=validators)
    length = representation.size if span is None else span.length
    headers = {
        **validators,
        "accept-ranges": "bytes",
        "content-length": str(length),
        "content-disposition": content_disposition(representation.filename, "inline"),
    }
    if span is not None:
        headers["content-range"] = f"bytes {span.start}-{span.end}/{representation.size}"
    status = 200 if span is None else 206
    if head or length == 0:
        return Response(status_code=status, headers=headers, media_type=representation.media_type)
    assert served.read is not None, "content is read here or redirected to"
    first, last = (0, representation.size - 1) if span is None else (span.start, span.end)
    return StreamingResponse(
        served.read(first, last),
        status_code=status,
        media_type=representation.media_type,
        headers=headers,
    )


def _matches_any(header: str, etag: str, *, weak: bool) -> bool:
    if header.strip() == "*":
        return True
    tags = (tag.strip() for tag in header.split(","))
    return any((tag.removeprefix("W/") if weak else tag) == etag for tag in tags)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
