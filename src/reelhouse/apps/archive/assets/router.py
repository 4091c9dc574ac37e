"""HTTP routes of assets: upload, register, scan, probe, find, read and delete."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import ValidationError

from reelhouse.apps.archive.assets.file_dialog import DialogTimedOut, DialogUnavailable, Picked
from reelhouse.apps.archive.assets.models import Asset, AssetStatus
from reelhouse.apps.archive.assets.schemas import (
    AssetRead,
    AssetUploaded,
    DialogRegistered,
    ProbeResult,
    RegisterRequest,
    ScanRequest,
)
from reelhouse.apps.archive.assets.service import AssetFilters, AssetService, Intake
from reelhouse.apps.archive.deps import (
    AssetServiceApartDep,
    AssetServiceDep,
    CurrentAsset,
    ProbeServiceDep,
)
from reelhouse.platform.deps import (
    CreatedRange,
    MemberPrincipal,
    MemberPrincipalApart,
    PageParams,
)
from reelhouse.platform.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    NotImplementedHere,
    errors,
)
from reelhouse.platform.jobs.schemas import JobRead
from reelhouse.platform.pagination import Page, TimeRange

router = APIRouter(tags=["archive"])
T = TypeVar("T")


async def asset_read(asset: Asset, assets: AssetService) -> AssetRead:
    tags = await assets.tags_of([asset])
    return AssetRead.model_validate(asset).model_copy(update={"tags": tags[asset.id]})


async def asset_uploaded(intake: Intake, assets: AssetService) -> AssetUploaded:
    read = await asset_read(intake.asset, assets)
    return AssetUploaded(
        **read.model_dump(),
        duplicate=intake.duplicate,
        index_job_id=None if intake.index_job is None else intake.index_job.id,
    )


async def intake_response(intake: Intake, assets: AssetService) -> JSONResponse:
    """201 with the new asset, or 200 with the one that held the same content already."""
    body = await asset_uploaded(intake, assets)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if intake.duplicate else 201)


@router.post(
    "/assets/upload",
    status_code=201,
    responses={200: {"model": AssetUploaded, "description": "the content was already stored"}},
)
async def upload_asset(
    request: Request, assets: AssetServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """Multipart form with a ``file`` field, streamed to storage and hashed on the way."""
    intake = await assets.upload(request.headers.get("content-type", ""), request.stream())
    return await intake_response(intake, assets)


@router.post(
    "/assets/register",
    status_code=201,
    responses={**errors(Forbidden, NotFound, InvalidInput), 200: {"model": AssetUploaded}},
)
async def register_asset(
    body: RegisterRequest, assets: AssetServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """Reference a server file below ``REELHOUSE_IMPORT_ROOTS`` in place."""
    return await intake_response(await assets.register_path(body.path), assets)


@router.post("/assets/scan-directory", status_code=202, responses=errors(Forbidden, InvalidInput))
async def scan_directory(
    body: ScanRequest, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Register every matching file below a folder, as a job with progress."""
    return JobRead.of(await assets.request_scan(body.path, body.include, body.recursive))


@router.post("/assets/reindex-all", status_code=202)
async def reindex_all(assets: AssetServiceDep, _member: MemberPrincipal) -> JobRead:
    """Probe every asset of the organization again (a job that asks for one job per asset)."""
    return JobRead.of(await assets.request_reindex_all())


@router.post(
    "/ingest/probe", responses={**errors(InvalidInput, Forbidden), 413: {"description": "too big"}}
)
async def probe_file(
    request: Request, probes: ProbeServiceDep, _member: MemberPrincipal
) -> ProbeResult:
    """Probe a file at once, without making an asset: a multipart ``file`` (up to
    ``REELHOUSE_PROBE_MAX_BYTES``) or JSON ``{"path"}`` of a server file below the roots."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = RegisterRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from exc
        return await probes.probe_path(body.path)
    return await probes.probe_upload(content_type, request.stream())


@router.post(
    "/assets/register-dialog",
    responses=errors(
        Forbidden, NotFound, InvalidInput, NotImplementedHere, DialogUnavailable, DialogTimedOut
    ),
)
async def register_from_dialog(
    request: Request, assets: AssetServiceApartDep, _member: MemberPrincipalApart
) -> DialogRegistered:
    """Open a native file dialog on a desktop install (``REELHOUSE_DESKTOP=1``) and register
    each chosen file as ``POST /assets/register`` does."""
    picked = await _unless_client_leaves(request, assets.pick_files(), gone=Picked([]))
    intakes = await assets.register_picked(picked)
    items = [await asset_uploaded(intake, assets) for intake in intakes]
    return DialogRegistered(items=items, cancelled=picked.cancelled)


async def _unless_client_leaves(request: Request, work: Coroutine[Any, Any, T], *, gone: T) -> T:
    """``work``'s answer; ``gone`` when the client disconnects first (``work`` is cancelled)."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    working, watching = asyncio.ensure_future(work), asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait((working, watching), return_when=asyncio.FIRST_COMPLETED)
    finally:
        working.cancel()
        watching.cancel()
        # Wait for the cancelled work to clean up (a dialog's child is killed) before answering.
        await asyncio.wait((working, watching))
    return gone if working.cancelled() else working.result()


@router.get("/assets")
async def list_assets(
    assets: AssetServiceDep,
    page: PageParams,
    created: CreatedRange,
    q: Annotated[str | None, Query(max_length=200, description="Part of name, path, type")] = None,
    tag: str | None = None,
    kind: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[AssetStatus] | None, Query()] = None,
    duration_min: Annotated[float | None, Query(ge=0)] = None,
    duration_max: Annotated[float | None, Query(ge=0)] = None,
    size_min: Annotated[int | None, Query(ge=0)] = None,
    size_max: Annotated[int | None, Query(ge=0)] = None,
    recorded_after: Annotated[str | None, Query(description="ISO 8601")] = None,
    recorded_before: Annotated[str | None, Query(description="ISO 8601")] = None,
) -> Page[AssetRead]:
    filters = AssetFilters(
        text=q,
        tag=" ".join(tag.split()).lower() if tag else None,
        kinds=kind or (),
        statuses=status or (),
        duration_min=duration_min,
        duration_max=duration_max,
        size_min=size_min,
        size_max=size_max,
        recorded=TimeRange(_instant(recorded_after), _instant(recorded_before), field="recorded"),
        created=created,
    )
    rows, total = await assets.list(page, filters)
    tags = await assets.tags_of(rows)
    items = [
        AssetRead.model_validate(row).model_copy(update={"tags": tags[row.id]}) for row in rows
    ]
    return Page[AssetRead].of(items, total, page)


@router.get("/assets/{asset_id}", responses=errors(NotFound))
async def read_asset(asset: CurrentAsset, assets: AssetServiceDep) -> AssetRead:
    return await asset_read(asset, assets)


@router.delete("/assets/{asset_id}", status_code=204, responses=errors(NotFound))
async def delete_asset(
    asset: CurrentAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> Response:
    await assets.delete(asset)
    return Response(status_code=204)


@router.post("/assets/{asset_id}/index", status_code=202, responses=errors(NotFound))
async def index_asset(
    asset: CurrentAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Probe the file again (as a job)."""
    return JobRead.of(await assets.request_index(asset))


@router.get(
    "/assets/{asset_id}/content",
    responses={206: {"description": "the asked range"}, 302: {"description": "to S3"}},
)
async def read_content(asset: CurrentAsset, assets: AssetServiceDep, request: Request) -> Response:
    """The file, whole or by ``Range``; on S3 a redirect to a short-lived presigned URL."""
    content = await assets.content(asset, request.headers.get("range"))
    if content.redirect_url is not None:
        return RedirectResponse(content.redirect_url, status_code=302)
    assert content.chunks is not None
    span = content.span
    headers = {
        "accept-ranges": "bytes",
        "content-length": str(span.length),
        "content-disposition": f'inline; filename="{asset.name.replace(chr(34), "")}"',
    }
    if span.partial:
        headers["content-range"] = f"bytes {span.start}-{span.end}/{asset.size}"
    return StreamingResponse(
        content.chunks,
        status_code=206 if span.partial else 200,
        media_type=asset.media_type,
        headers=headers,
    )


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"not an ISO 8601 time: {value!r}", field="recorded_after") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
