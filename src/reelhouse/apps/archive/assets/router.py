"""HTTP routes of assets: upload, register, scan, probe, find, read and delete."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from reelhouse.apps.archive.assets.file_dialog import DialogTimedOut, DialogUnavailable, Picked
from reelhouse.apps.archive.assets.locations import AssetChanged, AssetMissing
from reelhouse.apps.archive.assets.models import Asset, AssetStatus
from reelhouse.apps.archive.assets.schemas import (
    AssetDetail,
    AssetLocationRead,
    AssetRead,
    AssetUploaded,
    DialogRegistered,
    ProbeResult,
    RegisterRequest,
    ScanRequest,
)
from reelhouse.apps.archive.assets.service import SORTABLE, AssetFilters, AssetService, Intake
from reelhouse.apps.archive.deps import (
    AssetServiceApartDep,
    AssetServiceDep,
    CurrentAsset,
    ProbeServiceDep,
)
from reelhouse.platform.content_serving import content_response, content_responses
from reelhouse.platform.deps import (
    CreatedRange,
    MemberPrincipal,
    MemberPrincipalApart,
    sorted_page,
)
from reelhouse.platform.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    NotImplementedHere,
    errors,
)
from reelhouse.platform.jobs.schemas import JobRead
from reelhouse.platform.openapi import multipart_file_body
from reelhouse.platform.pagination import MAX_INT64, Page, PageRequest, TimeRange

router = APIRouter(tags=["archive"])
CONTENT_RESPONSES = content_responses(NotFound, AssetChanged, AssetMissing)
T = TypeVar("T")


async def asset_read(asset: Asset, assets: AssetService) -> AssetDetail:
    tags = await assets.tags_of([asset])
    locations = (await assets.locations_of([asset]))[asset.id]
    return AssetDetail.model_validate(asset).model_copy(
        update={
            "tags": tags[asset.id],
            "locations": [AssetLocationRead.model_validate(row) for row in locations],
        }
    )


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
    openapi_extra=multipart_file_body(),
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
    "/ingest/probe",
    responses={**errors(InvalidInput, Forbidden), 413: {"description": "too big"}},
    openapi_extra=multipart_file_body(or_json=RegisterRequest.model_json_schema()),
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
            # Located in the body, as FastAPI locates the errors of a body it parses itself.
            located = [
                {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
            ]
            raise RequestValidationError(located) from exc
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
    page: Annotated[PageRequest, sorted_page(*SORTABLE)],
    created: CreatedRange,
    q: Annotated[str | None, Query(max_length=200, description="Part of name, path, type")] = None,
    tag: str | None = None,
    kind: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[AssetStatus] | None, Query()] = None,
    duration_min: Annotated[float | None, Query(ge=0)] = None,
    duration_max: Annotated[float | None, Query(ge=0)] = None,
    size_min: Annotated[int | None, Query(ge=0, le=MAX_INT64)] = None,
    size_max: Annotated[int | None, Query(ge=0, le=MAX_INT64)] = None,
    recorded_after: Annotated[str | None, Query(description="ISO 8601")] = None,
    recorded_before: Annotated[str | None, Query(description="ISO 8601")] = None,
) -> Page[AssetRead]:
    filters = AssetFilters(
        text=q,
        tag=" ".join(tag.split()).lower() if tag else None,
        kinds=[name.lower() for name in kind or ()],
        statuses=status or (),
        duration_min=duration_min,
        duration_max=duration_max,
        size_min=size_min,
        size_max=size_max,
        recorded=TimeRange.parse(recorded_after, recorded_before, field="recorded"),
        created=created,
    )
    rows, total = await assets.list(page, filters)
    tags = await assets.tags_of(rows)
    items = [
        AssetRead.model_validate(row).model_copy(update={"tags": tags[row.id]}) for row in rows
    ]
    return Page[AssetRead].of(items, total, page)


@router.get("/assets/{asset_id}", responses=errors(NotFound))
async def read_asset(asset: CurrentAsset, assets: AssetServiceDep) -> AssetDetail:
    """The asset with its tags and every server path its content was registered from."""
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


@router.head("/assets/{asset_id}/content", responses=CONTENT_RESPONSES, response_class=Response)
@router.get("/assets/{asset_id}/content", responses=CONTENT_RESPONSES, response_class=Response)
async def read_content(asset: CurrentAsset, assets: AssetServiceDep, request: Request) -> Response:
    """The file, whole or by one ``Range``, with ``ETag`` (its SHA-256) and ``Last-Modified``
    for conditional requests; on S3 a redirect to a short-lived presigned URL. A server file
    deleted or changed on disk answers 410 or 409 and marks the asset ``missing``/``changed``."""
    return content_response(request, await assets.content(asset))
