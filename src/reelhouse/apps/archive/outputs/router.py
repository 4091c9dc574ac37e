"""HTTP routes of outputs, and of the thumbnails and sidecars derived from assets."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

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
from reelhouse.apps.archive.outputs.service import OUTPUT_SORTS, OutputFilters
from reelhouse.platform.content_serving import content_response, content_responses
from reelhouse.platform.deps import MemberPrincipal, PageParams, sorted_page
from reelhouse.platform.errors import InvalidInput, NotFound, errors
from reelhouse.platform.jobs import Job
from reelhouse.platform.jobs.schemas import JobRead
from reelhouse.platform.pagination import Page, PageRequest

router = APIRouter(tags=["outputs"])
CONTENT_RESPONSES = content_responses(NotFound)


def _read(output: Output) -> OutputRead:
    url = f"/api/v1/outputs/{output.id}/content"
    return OutputRead.model_validate(output).model_copy(update={"content_url": url})


@router.get("/outputs")
async def list_outputs(
    outputs: OutputServiceDep,
    page: Annotated[PageRequest, sorted_page(*OUTPUT_SORTS)],
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


@router.head("/outputs/{output_id}/content", responses=CONTENT_RESPONSES, response_class=Response)
@router.get("/outputs/{output_id}/content", responses=CONTENT_RESPONSES, response_class=Response)
async def read_output_content(
    output: CurrentOutput, outputs: OutputServiceDep, request: Request
) -> Response:
    """The output's bytes (a thumbnail's too), whole or by one ``Range``, with ``ETag`` and
    ``Last-Modified`` for conditional requests; on S3 a redirect to a presigned URL."""
    return content_response(request, await outputs.served(output))


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
    output: CurrentOutput, outputs: OutputServiceDep, page: PageParams
) -> Page[OutputActionRead]:
    """The actions asked on the output, newest first."""
    actions = await outputs.actions_of(output)
    return Page[OutputActionRead].of(
        [_action_read(*await outputs.action_with_job(action)) for action in page.window(actions)],
        len(actions),
        page,
    )


@router.get("/output-actions/{action_id}", responses=errors(NotFound))
async def read_output_action(action_id: uuid.UUID, outputs: OutputServiceDep) -> OutputActionRead:
    return _action_read(*await outputs.action_with_job(await outputs.get_action(action_id)))


@router.get("/assets/{asset_id}/thumbnails", tags=["archive"], responses=errors(NotFound))
async def list_thumbnails(
    asset: CurrentAsset, outputs: OutputServiceDep, page: PageParams
) -> Page[OutputRead]:
    """The asset's thumbnails, smallest first."""
    thumbnails = await outputs.for_asset(asset.id, OutputRole.thumbnail)
    return Page[OutputRead].of_all([_read(row) for row in thumbnails], page)


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
