"""Assets: taken in once per distinct content, found by what they are, removed when asked."""

from __future__ import annotations

import asyncio
import mimetypes
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from reelhouse.apps.archive.assets.byte_ranges import ByteSpan, byte_range
from reelhouse.apps.archive.assets.file_dialog import Picked, pick_files
from reelhouse.apps.archive.assets.models import Asset, AssetSource, AssetStatus
from reelhouse.apps.archive.assets.receiving import ReceivedFile, receive_multipart_file
from reelhouse.apps.archive.assets.repository import AssetRepository
from reelhouse.apps.archive.assets.schemas import AssetSummary
from reelhouse.apps.archive.assets.server_files import (
    ImportRoots,
    ServerFile,
    parse_roots,
    sha256_of,
)
from reelhouse.apps.archive.objects.service import StoredObjectService
from reelhouse.apps.archive.outputs.models import OutputRole
from reelhouse.apps.archive.outputs.service import OutputService
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.apps.archive.tags.repository import AssetTagRepository
from reelhouse.platform.counting import count_by, newest, per_day
from reelhouse.platform.errors import NotImplementedHere
from reelhouse.platform.events import Event, Subject, publish_after_commit
from reelhouse.platform.jobs import Job
from reelhouse.platform.pagination import PageRequest, TimeRange, within
from reelhouse.platform.scope import Scope
from reelhouse.platform.storage import content_key, read_file

ASSETS_TOPIC = "assets"
INDEX_TASK = "archive.index"
SCAN_TASK = "archive.scan_directory"
SIDECAR_TASK = "archive.sidecar"
REINDEX_ALL_TASK = "archive.reindex_all"
RECONCILE_TASK = "archive.reconcile_indexing"
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
class AssetContent:
    """What to answer for an asset's bytes: a span of them, or a URL that serves them."""

    asset: Asset
    span: ByteSpan
    chunks: AsyncIterator[bytes] | None
    redirect_url: str | None


@dataclass(frozen=True)
class Intake:
    asset: Asset
    duplicate: bool
    index_job: Job | None


class AssetService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.session = scope.session
        self.actor = scope.actor
        self.settings = scope.settings.app(ArchiveSettings)
        self.assets = AssetRepository(scope.session, scope.org_id)

    @property
    def roots(self) -> ImportRoots:
        """The folders server files may be registered from (``REELHOUSE_IMPORT_ROOTS``)."""
        return ImportRoots(parse_roots(self.settings.import_roots))

    @property
    def scratch_dir(self) -> Path:
        """Where files being received or derived wait, on this machine."""
        return self.scope.settings.data_dir / "tmp"

    async def upload(self, content_type: str, body: AsyncIterator[bytes]) -> Intake:
        """Take in the ``file`` field of a multipart body, streamed and hashed on the way."""
        received = await receive_multipart_file(content_type, body, self.scratch_dir)
        return await self.take_upload(received)

    async def take_upload(
        self, received: ReceivedFile, source: AssetSource = AssetSource.upload
    ) -> Intake:
        """Store an uploaded file once per content; the same bytes again answer the asset held."""
        existing = await self.assets.by_sha256(received.sha256)
        if existing is not None:
            received.path.unlink(missing_ok=True)
            return Intake(existing, duplicate=True, index_job=None)
        key = content_key(received.sha256)
        storage = self.scope.storage
        if await storage.exists(key):
            received.path.unlink(missing_ok=True)
        else:
            await storage.put_file(key, received.path)
        return await self._add(
            name=received.filename,
            sha256=received.sha256,
            size=received.size,
            source=source,
            storage_key=key,
        )

    async def register_path(self, raw_path: str) -> Intake:
        """Reference a server file below the import roots in place."""
        return await self.register(self.roots.regular_file(raw_path))

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
        return await self._enqueue_for(asset, INDEX_TASK)

    async def request_sidecar(self, asset: Asset) -> Job:
        return await self._enqueue_for(asset, SIDECAR_TASK)

    async def request_reindex_all(self) -> Job:
        return await self.scope.jobs.enqueue(REINDEX_ALL_TASK, {}, requested_by=self.actor)

    async def request_scan(self, raw_folder: str, include: Sequence[str], recursive: bool) -> Job:
        """Register every matching file below a folder of the import roots, as a job."""
        folder = self.roots.directory(raw_folder)
        return await self.scope.jobs.enqueue(
            SCAN_TASK,
            {"path": str(folder), "include": list(include), "recursive": recursive},
            requested_by=self.actor,
        )

    async def _enqueue_for(self, asset: Asset, task_name: str) -> Job:
        return await self.scope.jobs.enqueue(
            task_name,
            {"asset_id": str(asset.id)},
            subject=Subject("asset", asset.id),
            requested_by=self.actor,
        )

    async def pick_files(self) -> Picked:
        """Open a native file dialog at the first import root (a desktop install only) and
        answer what the person chose."""
        if not self.settings.desktop:
            raise NotImplementedHere(
                "native file dialogs open only on a desktop install (REELHOUSE_DESKTOP=1); "
                "use POST /api/v1/assets/register with a server path instead"
            )
        return await pick_files(self.roots.first(), self.settings.dialog_timeout_seconds)

    async def register_picked(self, picked: Picked) -> list[Intake]:
        """Register each picked file as ``register_path`` does; every pick is checked first, so
        a refused one registers nothing."""
        files = [self.roots.regular_file(path) for path in picked.paths]
        return [await self.register(file) for file in files]

    async def content(self, asset: Asset, range_header: str | None) -> AssetContent:
        """The file, whole or the one range asked for; on S3 a short-lived presigned URL."""
        storage = self.scope.storage
        if asset.storage_key is not None:
            presigned = await storage.presigned_get(asset.storage_key, filename=asset.name)
            if presigned is not None:
                return AssetContent(asset, ByteSpan(0, asset.size - 1, False), None, presigned)
        span = byte_range(range_header, asset.size)
        chunks = (
            storage.read(asset.storage_key, span.start, span.end)
            if asset.storage_key is not None
            else read_file(Path(str(asset.path)), span.start, span.end)
        )
        return AssetContent(asset, span, chunks, None)

    async def get(self, asset_id: uuid.UUID) -> Asset:
        return await self.assets.get(asset_id)

    async def get_or_none(self, asset_id: uuid.UUID) -> Asset | None:
        return await self.assets.get_or_none(asset_id)

    async def waiting_since(self, before: datetime) -> Sequence[Asset]:
        """Assets pending or indexing, unchanged since ``before``."""
        return await self.assets.list(
            self.assets.select().where(
                Asset.status.in_((AssetStatus.pending, AssetStatus.indexing)),
                Asset.updated_at < before,
            )
        )

    async def tags_of(self, assets: Sequence[Asset]) -> dict[uuid.UUID, list[str]]:
        links = AssetTagRepository(self.session, self.scope.org_id)
        return await links.names_by_asset([asset.id for asset in assets])

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
            links = AssetTagRepository(self.session, self.scope.org_id)
            statement = statement.where(Asset.id.in_(links.assets_tagged(filters.tag)))
        return await self.assets.paginate(statement, page, sortable=SORTABLE)

    async def delete(self, asset: Asset) -> None:
        """Remove the asset; its stored bytes go once no asset anywhere refers to them."""
        key = asset.storage_key
        # Thumbnails and sidecars describe this asset only; datasets made from it stay.
        outputs = OutputService(self.scope)
        for role in (OutputRole.thumbnail, OutputRole.sidecar):
            await outputs.drop_older(asset.id, role, keep=[])
        await self.assets.delete(asset)
        self._publish("asset.deleted", asset)
        if key is not None:
            await StoredObjectService(self.scope).release(key)

    async def summary(self) -> AssetSummary:
        stored = await self.session.scalar(
            select(func.coalesce(func.sum(Asset.size), 0)).where(
                Asset.org_id == self.scope.org_id, Asset.storage_key.is_not(None)
            )
        )
        return AssetSummary(
            by_status=await count_by(self.assets, Asset.status),
            by_kind=await count_by(self.assets, Asset.kind),
            bytes_stored=int(stored or 0),
            last_created_at=await newest(self.assets, Asset.created_at),
            last_indexed_at=await newest(self.assets, Asset.indexed_at),
        )

    async def created_per_day(self, days: int) -> dict[str, int]:
        return await per_day(self.assets, days)

    async def failed(self, limit: int) -> Sequence[Asset]:
        """The latest failed assets, newest first."""
        return await self.assets.latest(Asset.status == AssetStatus.failed, Asset.updated_at, limit)

    def _publish(self, name: str, asset: Asset) -> None:
        event = Event(
            event=name,
            org_id=asset.org_id,
            subject=Subject("asset", asset.id),
            data={"name": asset.name, "status": asset.status.value, "kind": asset.kind},
        )
        publish_after_commit(self.session, self.scope.bus, ASSETS_TOPIC, event)
