"""Outputs: the derived files every app writes (datasets, sidecars, thumbnails, models)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.apps.archive.importing import sha256_of
from reelhouse.apps.archive.models import (
    Availability,
    Output,
    OutputAction,
    OutputRole,
)
from reelhouse.apps.archive.repository import content_in_use, delete_content_later
from reelhouse.platform.auth.principal import Principal
from reelhouse.platform.errors import InvalidInput
from reelhouse.platform.events import Event, EventBus, Subject, publish_after_commit
from reelhouse.platform.jobs.dispatch import Dispatcher
from reelhouse.platform.jobs.models import Job
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.pagination import PageRequest
from reelhouse.platform.repository import Repository
from reelhouse.platform.storage import Storage, content_key

logger = logging.getLogger("reelhouse.archive")
OUTPUTS_TOPIC = "outputs"
ACTION_TASK = "outputs.action"
ACTIONS = ("refresh_metadata", "verify_checksum")


class OutputRepository(Repository[Output]):
    model = Output
    kind = "output"


class OutputActionRepository(Repository[OutputAction]):
    model = OutputAction
    kind = "output action"


@dataclass(frozen=True)
class OutputFilters:
    formats: Sequence[str] = ()
    roles: Sequence[OutputRole] = ()
    asset_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    availability: Sequence[Availability] = ()


class OutputService:
    def __init__(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        bus: EventBus,
        storage: Storage,
        dispatcher: Dispatcher,
        actor: Principal | None = None,
    ) -> None:
        self.session = session
        self.org_id = org_id
        self.bus = bus
        self.storage = storage
        self.actor = actor
        self.outputs = OutputRepository(session, org_id)
        self.actions = OutputActionRepository(session, org_id)
        self.jobs = JobService(session, org_id, bus, dispatcher)

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
        publish_after_commit(self.session, self.bus, OUTPUTS_TOPIC, event)
        return output

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
        for key in {output.storage_key for output in old}:
            if not await content_in_use(self.session, key):
                await delete_content_later(
                    self.session, self.org_id, self.bus, self.jobs.dispatcher, key
                )

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
        return await self.outputs.paginate(
            statement, page, sortable=("-created_at", "name", "size", "role", "format")
        )

    async def request_action(self, output: Output, action: str) -> tuple[OutputAction, Job]:
        if action not in ACTIONS:
            raise InvalidInput(
                f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}", field="action"
            )
        record = await self.actions.create(output_id=output.id, action=action)
        job = await self.jobs.enqueue(
            ACTION_TASK,
            {"action_id": str(record.id)},
            subject=Subject("output", output.id),
            requested_by=self.actor,
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
