"""Assets: taken in once per distinct content, found by what they are, removed when asked."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.apps.archive.importing import ServerFile, sha256_of
from reelhouse.apps.archive.models import (
    Asset,
    AssetSource,
    AssetStatus,
    AssetTag,
    OutputRole,
    Tag,
)
from reelhouse.apps.archive.outputs import OutputService
from reelhouse.apps.archive.receiving import ReceivedFile
from reelhouse.apps.archive.repository import (
    AssetRepository,
    content_in_use,
    delete_content_later,
)
from reelhouse.platform.auth.principal import Principal
from reelhouse.platform.events import Event, EventBus, Subject, publish_after_commit
from reelhouse.platform.jobs.dispatch import Dispatcher
from reelhouse.platform.jobs.models import Job
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.pagination import PageRequest, TimeRange, within
from reelhouse.platform.storage import Storage, content_key

logger = logging.getLogger("reelhouse.archive")
ASSETS_TOPIC = "assets"
INDEX_TASK = "assets.index"
SCAN_TASK = "assets.scan_directory"
SIDECAR_TASK = "assets.sidecar"
REINDEX_ALL_TASK = "assets.reindex_all"
SORTABLE = ("-created_at", "name", "size", "duration_s", "recorded_at", "status", "kind")


@dataclass(frozen=True)
class AssetFilters:
    text: str | None = None
    tag: str | None = None
    kinds: Sequence[str] = ()
    statuses: Sequence[AssetStatus] = ()
    duration_min: float | None = None
    duration_max: float | None = None
    size_min: int | None = None
    size_max: int | None = None
    recorded: TimeRange = field(default_factory=lambda: TimeRange(field="recorded"))
    created: TimeRange = field(default_factory=TimeRange)


@dataclass(frozen=True)
class Intake:
    asset: Asset
    duplicate: bool
    index_job: Job | None


class AssetService:
    def __init__(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        bus: EventBus,
        dispatcher: Dispatcher,
        storage: Storage,
        actor: Principal | None,
    ) -> None:
        """``actor`` is who asked: a user or key, or ``None`` for a job working on its own."""
        self.session = session
        self.actor = actor
        self.bus = bus
        self.storage = storage
        self.assets = AssetRepository(session, org_id)
        self.jobs = JobService(session, org_id, bus, dispatcher)

    async def take_upload(
        self, received: ReceivedFile, source: AssetSource = AssetSource.upload
    ) -> Intake:
        """Store an uploaded file once per content; the same bytes again answer the asset held."""
        existing = await self.assets.by_sha256(received.sha256)
        if existing is not None:
            received.path.unlink(missing_ok=True)
            return Intake(existing, duplicate=True, index_job=None)
        key = content_key(received.sha256)
        if await self.storage.exists(key):
            received.path.unlink(missing_ok=True)
        else:
            await self.storage.put_file(key, received.path)
        return await self._add(
            name=received.filename,
            sha256=received.sha256,
            size=received.size,
            source=source,
            storage_key=key,
        )

    async def _add(self, **values: Any) -> Intake:
        name: str = values["name"]
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            async with self.session.begin_nested():
                asset = await self.assets.create(
                    **values,
                    media_type=media_type,
                    kind="other",
                    status=AssetStatus.pending,
                    facts={},
                    created_by_user_id=None if self.actor is None else self.actor.user_id,
                )
        except IntegrityError:
            # The same content arrived twice at once; the first one in keeps the asset.
            winner = await self.assets.by_sha256(values["sha256"])
            if winner is None:
                raise
            return Intake(winner, duplicate=True, index_job=None)
        job = await self.request_index(asset)
        self._publish("asset.created", asset)
        return Intake(asset, duplicate=False, index_job=job)

    async def request_index(self, asset: Asset) -> Job:
        return await self.jobs.enqueue(
            INDEX_TASK,
            {"asset_id": str(asset.id)},
            subject=Subject("asset", asset.id),
            requested_by=self.actor,
        )

    async def register(
        self, file: ServerFile, source: AssetSource = AssetSource.register
    ) -> Intake:
        """Reference a server file in place (no copy); its content decides if it is new."""
        sha256 = await asyncio.to_thread(sha256_of, file.path)
        existing = await self.assets.by_sha256(sha256)
        if existing is not None:
            return Intake(existing, duplicate=True, index_job=None)
        return await self._add(
            name=file.path.name,
            sha256=sha256,
            size=file.size,
            source=source,
            path=str(file.path),
            path_mtime=file.mtime,
        )

    async def request_sidecar(self, asset: Asset) -> Job:
        return await self.jobs.enqueue(
            SIDECAR_TASK,
            {"asset_id": str(asset.id)},
            subject=Subject("asset", asset.id),
            requested_by=self.actor,
        )

    async def request_reindex_all(self) -> Job:
        return await self.jobs.enqueue(REINDEX_ALL_TASK, {}, requested_by=self.actor)

    async def request_scan(self, folder: Path, include: Sequence[str], recursive: bool) -> Job:
        return await self.jobs.enqueue(
            SCAN_TASK,
            {"path": str(folder), "include": list(include), "recursive": recursive},
            requested_by=self.actor,
        )

    async def get(self, asset_id: uuid.UUID) -> Asset:
        return await self.assets.get(asset_id)

    async def tags_of(self, assets: Sequence[Asset]) -> dict[uuid.UUID, list[str]]:
        return await self.assets.tag_names([asset.id for asset in assets])

    async def list(self, page: PageRequest, filters: AssetFilters) -> tuple[Sequence[Asset], int]:
        created = filters.created
        statement = within(self.assets.select(), Asset.created_at, created.start, created.end)
        statement = within(
            statement, Asset.recorded_at, filters.recorded.start, filters.recorded.end
        )
        statement = within(statement, Asset.duration_s, filters.duration_min, filters.duration_max)
        statement = within(statement, Asset.size, filters.size_min, filters.size_max)
        if filters.kinds:
            statement = statement.where(Asset.kind.in_(filters.kinds))
        if filters.statuses:
            statement = statement.where(Asset.status.in_(filters.statuses))
        if filters.text:
            pattern = f"%{filters.text.lower()}%"
            statement = statement.where(
                or_(
                    Asset.name.ilike(pattern),
                    Asset.path.ilike(pattern),
                    Asset.media_type.ilike(pattern),
                    cast(Asset.facts, Text).ilike(pattern),
                )
            )
        if filters.tag:
            tagged = (
                select(AssetTag.asset_id)
                .join(Tag, Tag.id == AssetTag.tag_id)
                .where(AssetTag.org_id == self.assets.org_id, Tag.name == filters.tag)
            )
            statement = statement.where(Asset.id.in_(tagged))
        return await self.assets.paginate(statement, page, sortable=SORTABLE)

    async def delete(self, asset: Asset) -> None:
        """Remove the asset; its stored bytes go once no asset anywhere refers to them."""
        key = asset.storage_key
        # Thumbnails and sidecars describe this asset only; datasets made from it stay.
        outputs = OutputService(
            self.session, self.assets.org_id, self.bus, self.storage, self.jobs.dispatcher
        )
        for role in (OutputRole.thumbnail, OutputRole.sidecar):
            await outputs.drop_older(asset.id, role, keep=[])
        await self.assets.delete(asset)
        self._publish("asset.deleted", asset)
        if key is not None and not await content_in_use(self.session, key):
            await delete_content_later(
                self.session, self.assets.org_id, self.bus, self.jobs.dispatcher, key
            )

    def _publish(self, name: str, asset: Asset) -> None:
        event = Event(
            event=name,
            org_id=asset.org_id,
            subject=Subject("asset", asset.id),
            data={"name": asset.name, "status": asset.status.value, "kind": asset.kind},
        )
        publish_after_commit(self.session, self.bus, ASSETS_TOPIC, event)
