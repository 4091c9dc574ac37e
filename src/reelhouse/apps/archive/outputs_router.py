"""HTTP routes of outputs, and of the thumbnails and sidecars derived from assets."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from reelhouse.apps.archive.models import Availability, Output, OutputAction, OutputRole
from reelhouse.apps.archive.outputs import OutputFilters, OutputService
from reelhouse.apps.archive.router import AssetServiceDep, OrgAsset
from reelhouse.apps.archive.schemas import OutputActionCreate, OutputActionRead, OutputRead
from reelhouse.platform.deps import (
    CurrentPrincipal,
    EventBusDep,
    MemberPrincipal,
    PageParams,
    RuntimeDep,
    SessionDep,
)
from reelhouse.platform.errors import InvalidInput, NotFound, errors
from reelhouse.platform.jobs.router import JobServiceDep
from reelhouse.platform.jobs.schemas import JobRead
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.pagination import Page

router = APIRouter(tags=["outputs"])


def get_output_service(
    session: SessionDep, principal: CurrentPrincipal, bus: EventBusDep, runtime: RuntimeDep
) -> OutputService:
    return OutputService(
        session, principal.org_id, bus, runtime.storage, runtime.dispatcher, principal
    )


OutputServiceDep = Annotated[OutputService, Depends(get_output_service)]


async def get_output_in_org(output_id: uuid.UUID, outputs: OutputServiceDep) -> Output:
    return await outputs.get(output_id)


OrgOutput = Annotated[Output, Depends(get_output_in_org)]


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
async def read_output(output: OrgOutput) -> OutputRead:
    """The output with its metadata summary (for Parquet: schema and row counts)."""
    return _read(output)


@router.get("/outputs/{output_id}/content", responses=errors(NotFound))
async def read_output_content(output: OrgOutput, runtime: RuntimeDep) -> Response:
    presigned = await runtime.storage.presigned_get(output.storage_key, filename=output.name)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302)
    return StreamingResponse(
        runtime.storage.read(output.storage_key),
        media_type=output.media_type,
        headers={"content-length": str(output.size)},
    )


@router.post(
    "/outputs/{output_id}/actions", status_code=202, responses=errors(NotFound, InvalidInput)
)
async def ask_output_action(
    output: OrgOutput,
    body: OutputActionCreate,
    outputs: OutputServiceDep,
    _member: MemberPrincipal,
) -> OutputActionRead:
    """Run ``refresh_metadata`` or ``verify_checksum`` on an output, as a job."""
    action, job = await outputs.request_action(output, body.action)
    return _action_read(action, job.status.value, None, None)


@router.get("/outputs/{output_id}/actions", responses=errors(NotFound))
async def list_output_actions(
    output: OrgOutput, outputs: OutputServiceDep, jobs: JobServiceDep
) -> list[OutputActionRead]:
    return [await _with_job(action, jobs) for action in await outputs.actions_of(output)]


@router.get("/output-actions/{action_id}", responses=errors(NotFound))
async def read_output_action(
    action_id: uuid.UUID,
    outputs: OutputServiceDep,
    jobs: JobServiceDep,
) -> OutputActionRead:
    return await _with_job(await outputs.get_action(action_id), jobs)


@router.get("/assets/{asset_id}/thumbnails", tags=["archive"], responses=errors(NotFound))
async def list_thumbnails(asset: OrgAsset, outputs: OutputServiceDep) -> list[OutputRead]:
    return [_read(row) for row in await outputs.for_asset(asset.id, OutputRole.thumbnail)]


@router.post("/assets/{asset_id}/sidecar", status_code=202, tags=["archive"])
async def request_sidecar(
    asset: OrgAsset, assets: AssetServiceDep, _member: MemberPrincipal
) -> JobRead:
    """Write the asset's full probe result as a JSON sidecar output (a job)."""
    return JobRead.of(await assets.request_sidecar(asset))


@router.get("/assets/{asset_id}/sidecar", tags=["archive"], responses=errors(NotFound))
async def read_sidecar(
    asset: OrgAsset, outputs: OutputServiceDep, runtime: RuntimeDep
) -> dict[str, Any]:
    sidecars = await outputs.for_asset(asset.id, OutputRole.sidecar)
    if not sidecars:
        raise NotFound("sidecar of asset", asset.id)
    raw = b"".join([chunk async for chunk in runtime.storage.read(sidecars[0].storage_key)])
    document: dict[str, Any] = json.loads(raw)
    return document


async def _with_job(action: OutputAction, jobs: JobService) -> OutputActionRead:
    if action.job_id is None:
        return _action_read(action, "unknown", None, None)
    job = await jobs.get(action.job_id)
    return _action_read(action, job.status.value, job.result, job.error_message)


def _action_read(
    action: OutputAction, status: str, result: Any, error: str | None
) -> OutputActionRead:
    return OutputActionRead(
        id=action.id,
        output_id=action.output_id,
        action=action.action,
        job_id=action.job_id,
        status=status,
        result=result,
        error=error,
        created_at=action.created_at,
    )
