"""HTTP routes of the archive: upload, find, read, tag and delete assets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from reelhouse.apps.archive.content import byte_range
from reelhouse.apps.archive.file_dialog import (
    DialogTimedOut,
    DialogUnavailable,
    Picked,
    pick_files,
)
from reelhouse.apps.archive.importing import ImportRoots, parse_roots
from reelhouse.apps.archive.models import Asset, AssetStatus
from reelhouse.apps.archive.probing import ProbeResult, probe_at
from reelhouse.apps.archive.receiving import TooLarge, receive_multipart_file
from reelhouse.apps.archive.schemas import (
    AssetRead,
    AssetUploaded,
    DialogRegistered,
    RegisterRequest,
    ScanRequest,
    TagCreate,
    TagRead,
    TagRef,
    TagWithCount,
)
from reelhouse.apps.archive.service import AssetFilters, AssetService, Intake
from reelhouse.apps.archive.tags import TagService
from reelhouse.platform.deps import (
    CreatedRange,
    CurrentPrincipal,
    EventBusDep,
    MemberPrincipal,
    PageParams,
    RuntimeDep,
    SessionDep,
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
from reelhouse.platform.storage import read_file

router = APIRouter(tags=["archive"])
T = TypeVar("T")


def get_asset_service(
    session: SessionDep, principal: CurrentPrincipal, bus: EventBusDep, runtime: RuntimeDep
) -> AssetService:
    return AssetService(
        session, principal.org_id, bus, runtime.dispatcher, runtime.storage, principal
    )


def get_tag_service(session: SessionDep, principal: CurrentPrincipal) -> TagService:
    return TagService(session, principal.org_id)


AssetServiceDep = Annotated[AssetService, Depends(get_asset_service)]
TagServiceDep = Annotated[TagService, Depends(get_tag_service)]


async def get_asset_in_org(asset_id: uuid.UUID, assets: AssetServiceDep) -> Asset:
    return await assets.get(asset_id)


OrgAsset = Annotated[Asset, Depends(get_asset_in_org)]


async def _read(asset: Asset, assets: AssetService) -> AssetRead:
    tags = await assets.tags_of([asset])
    return AssetRead.model_validate(asset).model_copy(update={"tags": tags[asset.id]})


@router.post(
    "/assets/upload",
    status_code=201,
    responses={200: {"model": AssetUploaded, "description": "the content was already stored"}},
)
async def upload_asset(
    request: Request, assets: AssetServiceDep, _member: MemberPrincipal, runtime: RuntimeDep
) -> JSONResponse:
    """Multipart form with a ``file`` field, streamed to storage and hashed on the way."""
    received = await receive_multipart_file(
        request.headers.get("content-type", ""),
        request.stream(),
        runtime.settings.data_dir / "tmp",
    )
    intake = await assets.take_upload(received)
    return _intake_response(await _read(intake.asset, assets), intake)


def _uploaded(read: AssetRead, intake: Intake) -> AssetUploaded:
    return AssetUploaded(
        **read.model_dump(),
        duplicate=intake.duplicate,
        index_job_id=None if intake.index_job is None else intake.index_job.id,
    )


def _intake_response(read: AssetRead, intake: Intake) -> JSONResponse:
    body = _uploaded(read, intake)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if intake.duplicate else 201)


def _import_roots(runtime: RuntimeDep) -> ImportRoots:
    return ImportRoots(parse_roots(runtime.settings.import_roots))


ImportRootsDep = Annotated[ImportRoots, Depends(_import_roots)]


@router.post(
    "/assets/register",
    status_code=201,
    responses={**errors(Forbidden, NotFound, InvalidInput), 200: {"model": AssetUploaded}},
)
async def register_asset(
    body: RegisterRequest, roots: ImportRootsDep, assets: AssetServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """Reference a server file below ``REELHOUSE_IMPORT_ROOTS`` in place."""
    intake = await assets.register(roots.regular_file(body.path))
    return _intake_response(await _read(intake.asset, assets), intake)


@router.post("/assets/scan-directory", status_code=202, responses=errors(Forbidden, InvalidInput))
async def scan_directory(
    body: ScanRequest, roots: ImportRootsDep, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Register every matching file below a folder, as a job with progress."""
    folder = roots.directory(body.path)
    return JobRead.of(await assets.request_scan(folder, body.include, body.recursive))


@router.post("/assets/reindex-all", status_code=202)
async def reindex_all(assets: AssetServiceDep, _member: MemberPrincipal) -> JobRead:
    """Probe every asset of the organization again (a job that asks for one job per asset)."""
    return JobRead.of(await assets.request_reindex_all())


@router.post(
    "/ingest/probe", responses={**errors(InvalidInput, Forbidden), 413: {"description": "too big"}}
)
async def probe_file(
    request: Request, runtime: RuntimeDep, roots: ImportRootsDep, _member: MemberPrincipal
) -> ProbeResult:
    """Probe a file at once, without making an asset: a multipart ``file`` (up to
    ``REELHOUSE_PROBE_MAX_BYTES``) or JSON ``{"path"}`` of a server file below the roots."""
    limit = runtime.settings.probe_max_bytes
    hint = "Larger files: upload them as assets (POST /api/v1/assets/upload) and read their facts."
    if request.headers.get("content-type", "").startswith("application/json"):
        body = RegisterRequest.model_validate(await request.json())
        server = roots.regular_file(body.path)
        if server.size > limit:
            raise TooLarge(f"{server.size} bytes is more than {limit}. {hint}")
        return await probe_at(server.path, server.path.name)
    received = await receive_multipart_file(
        request.headers.get("content-type", ""),
        request.stream(),
        runtime.settings.data_dir / "tmp",
        max_bytes=limit,
        too_large_hint=hint,
        durable=False,
    )
    try:
        return await probe_at(received.path, received.filename)
    finally:
        await asyncio.to_thread(received.path.unlink, True)


@router.post(
    "/assets/register-dialog",
    responses=errors(
        Forbidden, NotFound, InvalidInput, NotImplementedHere, DialogUnavailable, DialogTimedOut
    ),
)
async def register_from_dialog(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    roots: ImportRootsDep,
    assets: AssetServiceDep,
    _member: MemberPrincipal,
) -> DialogRegistered:
    """Open a native file dialog on a desktop install (``REELHOUSE_DESKTOP=1``) and register
    each chosen file as ``POST /assets/register`` does."""
    settings = runtime.settings
    if not settings.desktop:
        raise NotImplementedHere(
            "native file dialogs open only on a desktop install (REELHOUSE_DESKTOP=1); "
            "use POST /api/v1/assets/register with a server path instead"
        )
    folder = roots.first()
    # The dialog may stay open for minutes: end the authentication's transaction so that no
    # connection (nor snapshot) is held while a person picks.
    await session.commit()
    dialog = pick_files(folder, settings.dialog_timeout_seconds)
    picked = await _unless_client_leaves(request, dialog, gone=Picked([]))
    # Every pick is checked before any is registered, so a refused one registers nothing.
    files = [roots.regular_file(path) for path in picked.paths]
    intakes = [await assets.register(file) for file in files]
    items = [_uploaded(await _read(intake.asset, assets), intake) for intake in intakes]
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
async def read_asset(asset: OrgAsset, assets: AssetServiceDep) -> AssetRead:
    return await _read(asset, assets)


@router.delete("/assets/{asset_id}", status_code=204, responses=errors(NotFound))
async def delete_asset(
    asset: OrgAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> Response:
    await assets.delete(asset)
    return Response(status_code=204)


@router.post("/assets/{asset_id}/index", status_code=202, responses=errors(NotFound))
async def index_asset(
    asset: OrgAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Probe the file again (as a job)."""
    return JobRead.of(await assets.request_index(asset))


@router.get(
    "/assets/{asset_id}/content",
    responses={206: {"description": "the asked range"}, 302: {"description": "to S3"}},
)
async def read_content(
    asset: OrgAsset, assets: AssetServiceDep, request: Request, runtime: RuntimeDep
) -> Response:
    """The file, whole or by ``Range``; on S3 a redirect to a short-lived presigned URL."""
    storage = runtime.storage
    if asset.storage_key is not None:
        presigned = await storage.presigned_get(asset.storage_key, filename=asset.name)
        if presigned is not None:
            return RedirectResponse(presigned, status_code=302)
    span = byte_range(request.headers.get("range"), asset.size)
    headers = {
        "accept-ranges": "bytes",
        "content-length": str(span.length),
        "content-disposition": f'inline; filename="{asset.name.replace(chr(34), "")}"',
    }
    if span.partial:
        headers["content-range"] = f"bytes {span.start}-{span.end}/{asset.size}"
    chunks = (
        storage.read(asset.storage_key, span.start, span.end)
        if asset.storage_key is not None
        else read_file(Path(str(asset.path)), span.start, span.end)
    )
    return StreamingResponse(
        chunks,
        status_code=206 if span.partial else 200,
        media_type=asset.media_type,
        headers=headers,
    )


@router.get("/tags", tags=["tags"])
async def list_tags(tags: TagServiceDep) -> list[TagWithCount]:
    return [
        TagWithCount(id=tag.id, name=tag.name, created_at=tag.created_at, asset_count=count)
        for tag, count in await tags.catalog()
    ]


@router.post("/tags", status_code=201, tags=["tags"])
async def create_tag(body: TagCreate, tags: TagServiceDep, _member: MemberPrincipal) -> TagRead:
    tag, _created = await tags.ensure(body.name)
    return TagRead.model_validate(tag)


@router.post("/assets/{asset_id}/tags", status_code=201, tags=["tags"], responses=errors(NotFound))
async def attach_tag(
    asset: OrgAsset, body: TagRef, tags: TagServiceDep, _member: MemberPrincipal
) -> TagRead:
    return TagRead.model_validate(await tags.attach(asset, body.tag_id, body.name))


@router.delete(
    "/assets/{asset_id}/tags/{tag_id}", status_code=204, tags=["tags"], responses=errors(NotFound)
)
async def detach_tag(
    asset: OrgAsset, tag_id: uuid.UUID, tags: TagServiceDep, _member: MemberPrincipal
) -> Response:
    await tags.detach(asset, tag_id)
    return Response(status_code=204)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"not an ISO 8601 time: {value!r}", field="recorded_after") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
