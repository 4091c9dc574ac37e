"""Outputs: the derived files every app writes (datasets, sidecars, thumbnails, models)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from reelhouse.apps.archive.assets.server_files import sha256_of
from reelhouse.apps.archive.objects.service import StoredObjectService
from reelhouse.apps.archive.outputs.models import Availability, Output, OutputAction, OutputRole
from reelhouse.apps.archive.outputs.repository import OutputActionRepository, OutputRepository
from reelhouse.apps.archive.outputs.schemas import OutputSummary
from reelhouse.platform.content_serving import Content, Representation
from reelhouse.platform.counting import count_by, newest, per_day
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import InvalidInput, NotFound
from reelhouse.platform.events import Event, Subject, publish_after_commit
from reelhouse.platform.jobs import Job
from reelhouse.platform.pagination import PageRequest
from reelhouse.platform.scope import Scope
from reelhouse.platform.storage import content_key

OUTPUTS_TOPIC = "outputs"
ACTION_TASK = "archive.output_action"
ACTIONS = ("refresh_metadata", "verify_checksum")
OUTPUT_SORTS = ("-created_at", "name", "size", "role", "format")


@dataclass(frozen=True)
class DerivedFile:
    """A finished file to record as an output: where it is and what to call it."""

    path: Path
    name: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputFilters:
    formats: Sequence[str] = ()
    roles: Sequence[OutputRole] = ()
    asset_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    availability: Sequence[Availability] = ()


class OutputService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.session = scope.session
        self.org_id = scope.org_id
        self.storage = scope.storage
        self.outputs = OutputRepository(scope.session, scope.org_id)
        self.actions = OutputActionRepository(scope.session, scope.org_id)

    async def record(
        self,
        path: Path,
        *,
        role: OutputRole,
        format: str,
        name: str,
        media_type: str,
        asset_id: uuid.UUID | None = None,
        job_id: uuid.UUID | None = None,
        facts: dict[str, Any] | None = None,
    ) -> Output:
        """Store a finished file (it is moved, content-addressed) and record it as an output."""
        size = (await asyncio.to_thread(path.stat)).st_size
        sha256 = await asyncio.to_thread(sha256_of, path)
        key = content_key(sha256)
        if await self.storage.exists(key):
            await asyncio.to_thread(path.unlink, True)
        else:
            await self.storage.put_file(key, path)
        output = await self.outputs.create(
            role=role,
            format=format,
            name=name,
            media_type=media_type,
            storage_key=key,
            size=size,
            sha256=sha256,
            availability=Availability.available,
            asset_id=asset_id,
            job_id=job_id,
            facts=facts or {},
        )
        event = Event(
            event="output.created",
            org_id=self.org_id,
            subject=Subject("output", output.id),
            data={
                "role": role.value,
                "format": format,
                "asset_id": str(asset_id) if asset_id else None,
            },
        )
        publish_after_commit(self.session, self.scope.bus, OUTPUTS_TOPIC, event)
        return output

    async def replace_derived(
        self,
        asset_id: uuid.UUID,
        role: OutputRole,
        files: Sequence[DerivedFile],
        *,
        format: str,
        media_type: str,
        job_id: uuid.UUID | None,
    ) -> list[Output]:
        """Record files derived from an asset as its outputs of ``role``, dropping the older
        ones (so a handler that runs twice leaves one set)."""
        recorded = [
            await self.record(
                file.path,
                role=role,
                format=format,
                name=file.name,
                media_type=media_type,
                asset_id=asset_id,
                job_id=job_id,
                facts=file.facts,
            )
            for file in files
        ]
        await self.drop_older(asset_id, role, [output.id for output in recorded])
        return recorded

    async def drop_older(
        self, asset_id: uuid.UUID, role: OutputRole, keep: Sequence[uuid.UUID]
    ) -> None:
        """Drop an asset's outputs of one role but the new ones (handlers may run twice).

        Called after the new ones are recorded, so bytes they share with the old are kept.
        """
        old = await self.outputs.list(
            self.outputs.select().where(
                Output.asset_id == asset_id, Output.role == role, Output.id.not_in(keep)
            )
        )
        await self.session.execute(
            delete(Output).where(Output.id.in_([output.id for output in old]))
        )
        stored = StoredObjectService(self.scope)
        for key in {output.storage_key for output in old}:
            await stored.release(key)

    async def get(self, output_id: uuid.UUID) -> Output:
        return await self.outputs.get(output_id)

    async def for_asset(self, asset_id: uuid.UUID, role: OutputRole) -> Sequence[Output]:
        statement = self.outputs.select().where(Output.asset_id == asset_id, Output.role == role)
        return await self.outputs.list(statement.order_by(Output.size))

    async def list(self, page: PageRequest, filters: OutputFilters) -> tuple[Sequence[Output], int]:
        statement = self.outputs.select()
        if filters.formats:
            statement = statement.where(Output.format.in_(filters.formats))
        if filters.roles:
            statement = statement.where(Output.role.in_(filters.roles))
        if filters.asset_id is not None:
            statement = statement.where(Output.asset_id == filters.asset_id)
        if filters.job_id is not None:
            statement = statement.where(Output.job_id == filters.job_id)
        if filters.availability:
            statement = statement.where(Output.availability.in_(filters.availability))
        return await self.outputs.paginate(statement, page, sortable=OUTPUT_SORTS)

    async def request_action(self, output: Output, action: str) -> tuple[OutputAction, Job]:
        if action not in ACTIONS:
            raise InvalidInput(
                f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}", field="action"
            )
        record = await self.actions.create(output_id=output.id, action=action)
        job = await self.scope.jobs.enqueue(
            ACTION_TASK,
            {"action_id": str(record.id)},
            subject=Subject("output", output.id),
            requested_by=self.scope.actor,
        )
        # The job row is only added; written first, it can be referenced (no ORM relationship
        # orders these two inserts).
        await self.session.flush()
        record.job_id = job.id
        return record, job

    async def actions_of(self, output: Output) -> Sequence[OutputAction]:
        statement = self.actions.select().where(OutputAction.output_id == output.id)
        return await self.actions.list(statement.order_by(OutputAction.created_at.desc()))

    async def get_action(self, action_id: uuid.UUID) -> OutputAction:
        return await self.actions.get(action_id)

    async def action_with_job(self, action: OutputAction) -> tuple[OutputAction, Job | None]:
        """An action and the job that runs it."""
        if action.job_id is None:
            return action, None
        return action, await self.scope.jobs.get(action.job_id)

    async def mark_checked(self, output: Output, **values: Any) -> None:
        """Record what a check found (its availability, fresh facts) and when.

        Fresh facts go on top of the recorded ones: those given when the output was made (a
        thumbnail's ``longest_side``) are no profiler's to read again.
        """
        if "facts" in values:
            values["facts"] = {**output.facts, **values["facts"]}
        for name, value in {**values, "checked_at": utcnow()}.items():
            setattr(output, name, value)

    def content(self, output: Output) -> AsyncIterator[bytes]:
        return self.storage.read(output.storage_key)

    async def served(self, output: Output) -> Content:
        """The output's bytes for a content route: read here, or on S3 a presigned URL."""
        representation = Representation(
            output.size, output.sha256, output.created_at, output.media_type, output.name
        )
        presigned = await self.presigned_url(output)
        if presigned is not None:
            return Content(representation, redirect_url=presigned)
        key, storage = output.storage_key, self.storage
        return Content(representation, read=lambda start, end: storage.read(key, start, end))

    async def presigned_url(self, output: Output) -> str | None:
        """A short-lived URL serving the output's bytes, where the storage offers one."""
        return await self.storage.presigned_get(output.storage_key, filename=output.name)

    async def sidecar_document(self, asset_id: uuid.UUID) -> dict[str, Any]:
        """An asset's sidecar (its full probe result) as JSON."""
        sidecars = await self.for_asset(asset_id, OutputRole.sidecar)
        if not sidecars:
            raise NotFound("sidecar of asset", asset_id)
        raw = b"".join([chunk async for chunk in self.content(sidecars[0])])
        document: dict[str, Any] = json.loads(raw)
        return document

    async def summary(self) -> OutputSummary:
        stored = await self.session.scalar(
            select(func.coalesce(func.sum(Output.size), 0)).where(Output.org_id == self.org_id)
        )
        return OutputSummary(
            by_role=await count_by(self.outputs, Output.role),
            by_availability=await count_by(self.outputs, Output.availability),
            bytes_stored=int(stored or 0),
            last_created_at=await newest(self.outputs, Output.created_at),
        )

    async def created_per_day(self, days: int) -> dict[str, int]:
        return await per_day(self.outputs, days)

    async def unavailable(self, limit: int) -> Sequence[Output]:
        """The latest outputs found missing or corrupt, newest first."""
        return await self.outputs.latest(
            Output.availability != Availability.available, Output.updated_at, limit
        )
