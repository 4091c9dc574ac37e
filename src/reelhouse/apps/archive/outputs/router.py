"""HTTP routes of outputs, and of the thumbnails and sidecars derived from assets."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from reelhouse.apps.archive.deps import (
    AssetServiceDep,
    CurrentAsset,
    CurrentOutput,
    OutputServiceDep,
)
from reelhouse.apps.archive.outputs.models import Availability, Output, OutputAction, OutputRole
from reelhouse.apps.archive.outputs.schemas import (
    OutputActionCreate,
    OutputActionRead,
    OutputRead,
)
from reelhouse.apps.archive.outputs.service import OutputFilters
from reelhouse.platform.deps import MemberPrincipal, PageParams
from reelhouse.platform.errors import InvalidInput, NotFound, errors
from reelhouse.platform.jobs import Job
from reelhouse.platform.jobs.schemas import JobRead
from reelhouse.platform.pagination import Page

router = APIRouter(tags=["outputs"])


def _read(output: Output) -> OutputRead:
    url = f"/api/v1/outputs/{output.id}/content"
    return OutputRead.model_validate(output).model_copy(update={"content_url": url})


@router.get("/outputs")
async def list_outputs(
    outputs: OutputServiceDep,
    page: PageParams,
    format: Annotated[list[str] | None, Query()] = None,
    role: Annotated[list[OutputRole] | None, Query()] = None,
    asset_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    availability: Annotated[list[Availability] | None, Query()] = None,
) -> Page[OutputRead]:
    filters = OutputFilters(format or (), role or (), asset_id, job_id, availability or ())
    rows, total = await outputs.list(page, filters)
    return Page[OutputRead].of([_read(row) for row in rows], total, page)


@router.get("/outputs/{output_id}", responses=errors(NotFound))
async def read_output(output: CurrentOutput) -> OutputRead:
    """The output with its metadata summary (for Parquet: schema and row counts)."""
    return _read(output)


@router.get("/outputs/{output_id}/content", responses=errors(NotFound))
async def read_output_content(output: CurrentOutput, outputs: OutputServiceDep) -> Response:
    presigned = await outputs.presigned_url(output)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302)
    return StreamingResponse(
        outputs.content(output),
        media_type=output.media_type,
        headers={"content-length": str(output.size)},
    )


@router.post(
    "/outputs/{output_id}/actions", status_code=202, responses=errors(NotFound, InvalidInput)
)
async def ask_output_action(
    output: CurrentOutput,
    body: OutputActionCreate,
    outputs: OutputServiceDep,
    _member: MemberPrincipal,
) -> OutputActionRead:
    """Run ``refresh_metadata`` or ``verify_checksum`` on an output, as a job."""
    return _action_read(*await outputs.request_action(output, body.action))


@router.get("/outputs/{output_id}/actions", responses=errors(NotFound))
async def list_output_actions(
    output: CurrentOutput, outputs: OutputServiceDep
) -> list[OutputActionRead]:
    return [
        _action_read(*await outputs.action_with_job(action))
        for action in await outputs.actions_of(output)
    ]


@router.get("/output-actions/{action_id}", responses=errors(NotFound))
async def read_output_action(action_id: uuid.UUID, outputs: OutputServiceDep) -> OutputActionRead:
    return _action_read(*await outputs.action_with_job(await outputs.get_action(action_id)))


@router.get("/assets/{asset_id}/thumbnails", tags=["archive"], responses=errors(NotFound))
async def list_thumbnails(asset: CurrentAsset, outputs: OutputServiceDep) -> list[OutputRead]:
    return [_read(row) for row in await outputs.for_asset(asset.id, OutputRole.thumbnail)]


@router.post("/assets/{asset_id}/sidecar", status_code=202, tags=["archive"])
async def request_sidecar(
    asset: CurrentAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Write the asset's full probe result as a JSON sidecar output (a job)."""
    return JobRead.of(await assets.request_sidecar(asset))


@router.get("/assets/{asset_id}/sidecar", tags=["archive"], responses=errors(NotFound))
async def read_sidecar(asset: CurrentAsset, outputs: OutputServiceDep) -> dict[str, Any]:
    return await outputs.sidecar_document(asset.id)


def _action_read(action: OutputAction, job: Job | None) -> OutputActionRead:
    return OutputActionRead(
        id=action.id,
        output_id=action.output_id,
        action=action.action,
        job_id=action.job_id,
        status="unknown" if job is None else job.status.value,
        result=None if job is None else job.result,
        error=None if job is None else job.error_message,
        created_at=action.created_at,
    )
