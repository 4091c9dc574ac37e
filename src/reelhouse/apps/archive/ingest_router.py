"""HTTP routes of resumable uploads: open one, send its bytes in ranges, see what is missing,
commit it into an asset."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from reelhouse.apps.archive.ingest import (
    IngestService,
    InvalidButKept,
    content_range,
    staging_dir,
)
from reelhouse.apps.archive.ingest_schemas import (
    IngestCommit,
    IngestStart,
    IngestStarted,
    UploadRead,
)
from reelhouse.apps.archive.models import Upload
from reelhouse.apps.archive.schemas import AssetRead, AssetUploaded
from reelhouse.apps.archive.service import AssetService
from reelhouse.platform.deps import (
    CurrentPrincipal,
    EventBusDep,
    MemberPrincipal,
    RuntimeDep,
    SessionDep,
)
from reelhouse.platform.errors import Conflict, InvalidInput, NotFound, errors, problem_response

router = APIRouter(tags=["ingest"])


def get_asset_service(
    session: SessionDep, principal: CurrentPrincipal, bus: EventBusDep, runtime: RuntimeDep
) -> AssetService:
    return AssetService(
        session, principal.org_id, bus, runtime.dispatcher, runtime.storage, principal
    )


AssetServiceDep = Annotated[AssetService, Depends(get_asset_service)]


def get_ingest_service(
    session: SessionDep, principal: CurrentPrincipal, runtime: RuntimeDep, assets: AssetServiceDep
) -> IngestService:
    return IngestService(
        session,
        principal.org_id,
        runtime.storage,
        staging_dir(runtime.settings),
        principal,
        assets,
    )


IngestServiceDep = Annotated[IngestService, Depends(get_ingest_service)]


async def get_upload_in_org(upload_id: uuid.UUID, ingest: IngestServiceDep) -> Upload:
    return await ingest.get(upload_id)


OrgUpload = Annotated[Upload, Depends(get_upload_in_org)]


@router.post("/ingest/init", status_code=201, responses=errors(InvalidInput))
async def start_upload(
    body: IngestStart, ingest: IngestServiceDep, request: Request, _member: MemberPrincipal
) -> IngestStarted:
    """Open a resumable upload; the answer says where to PUT its bytes."""
    upload, presigned = await ingest.init(body.filename, body.size, body.sha256)
    url = presigned or str(request.url_for("send_upload_content", upload_id=str(upload.id)))
    return IngestStarted(
        upload_id=upload.id, upload_url=url, expires_at=upload.expires_at, received=[]
    )


@router.put(
    "/ingest/{upload_id}/content",
    response_model=UploadRead,
    responses=errors(NotFound, Conflict, InvalidInput),
)
async def send_upload_content(
    upload: OrgUpload, ingest: IngestServiceDep, request: Request, _member: MemberPrincipal
) -> Response:
    """Bytes at ``Content-Range: bytes START-END/TOTAL`` (none: the whole file), streamed."""
    span = content_range(request.headers.get("content-range"))
    async with aclosing(_until_disconnect(request)) as body:
        try:
            await ingest.write_range(upload, span.start, span.total, body, end=span.end)
        except InvalidButKept as error:
            # Answered, not raised: the unit of work then commits the bytes that did arrive.
            return problem_response(error.problem())
    progress = await ingest.status(upload)
    return JSONResponse(UploadRead.of(progress).model_dump(mode="json"))


async def _until_disconnect(request: Request) -> AsyncGenerator[bytes, None]:
    """The body as it streams in; a client gone mid-body ends it, so what arrived is recorded."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        return


@router.get("/ingest/{upload_id}", responses=errors(NotFound))
async def read_upload(upload: OrgUpload, ingest: IngestServiceDep) -> UploadRead:
    """What has arrived and what is still missing."""
    return UploadRead.of(await ingest.status(upload))


@router.post(
    "/ingest/commit",
    status_code=201,
    responses={
        **errors(NotFound, Conflict, InvalidInput),
        200: {"model": AssetUploaded, "description": "the content was already stored"},
    },
)
async def commit_upload(
    body: IngestCommit, ingest: IngestServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """Make the asset of a complete upload, exactly as ``POST /assets/upload`` does."""
    upload = await ingest.get(body.upload_id)
    try:
        intake = await ingest.commit(upload)
    except InvalidButKept as error:
        # Answered, not raised: the upload's closing is committed with the refusal.
        return problem_response(error.problem())
    tags = await ingest.assets.tags_of([intake.asset])
    read = AssetRead.model_validate(intake.asset).model_copy(update={"tags": tags[intake.asset.id]})
    answer = AssetUploaded(
        **read.model_dump(),
        duplicate=intake.duplicate,
        index_job_id=None if intake.index_job is None else intake.index_job.id,
    )
    return JSONResponse(
        answer.model_dump(mode="json"), status_code=200 if intake.duplicate else 201
    )
