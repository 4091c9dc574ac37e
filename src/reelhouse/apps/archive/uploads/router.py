"""HTTP routes of resumable uploads: open one, send its bytes in ranges, see what is missing,
commit it into an asset."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from reelhouse.apps.archive.assets.router import intake_response
from reelhouse.apps.archive.assets.schemas import AssetUploaded
from reelhouse.apps.archive.deps import CurrentUpload, UploadServiceDep
from reelhouse.apps.archive.uploads.ranges import content_range
from reelhouse.apps.archive.uploads.schemas import (
    IngestCommit,
    IngestStart,
    IngestStarted,
    UploadRead,
)
from reelhouse.apps.archive.uploads.service import InvalidButKept
from reelhouse.platform.deps import MemberPrincipal, SettingsDep
from reelhouse.platform.errors import Conflict, InvalidInput, NotFound, errors, problem_response
from reelhouse.platform.openapi import raw_bytes_body

router = APIRouter(tags=["ingest"])


@router.post("/ingest/init", status_code=201, responses=errors(InvalidInput))
async def start_upload(
    body: IngestStart,
    ingest: UploadServiceDep,
    request: Request,
    settings: SettingsDep,
    _member: MemberPrincipal,
) -> IngestStarted:
    """Open a resumable upload; the answer says where to PUT its bytes."""
    upload, presigned = await ingest.init(body.filename, body.size, body.sha256)
    path = request.app.url_path_for("send_upload_content", upload_id=str(upload.id))
    # The request's Host header is the client's to choose; a configured base URL is not.
    base = settings.public_base_url or str(request.base_url)
    url = presigned or base.rstrip("/") + path
    return IngestStarted(
        upload_id=upload.id, upload_url=url, expires_at=upload.expires_at, received=[]
    )


@router.put(
    "/ingest/{upload_id}/content",
    response_model=UploadRead,
    responses=errors(NotFound, Conflict, InvalidInput),
    openapi_extra=raw_bytes_body("The file's bytes, or those of its Content-Range."),
)
async def send_upload_content(
    upload: CurrentUpload, ingest: UploadServiceDep, request: Request, _member: MemberPrincipal
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
async def read_upload(upload: CurrentUpload, ingest: UploadServiceDep) -> UploadRead:
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
    body: IngestCommit, ingest: UploadServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """Make the asset of a complete upload, exactly as ``POST /assets/upload`` does."""
    upload = await ingest.get(body.upload_id)
    try:
        intake = await ingest.commit(upload)
    except InvalidButKept as error:
        # Answered, not raised: the upload's closing is committed with the refusal.
        return problem_response(error.problem())
    return await intake_response(intake, ingest.assets)
