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

from reelhouse.apps.archive.assets.file_dialog import Picked, pick_files
from reelhouse.apps.archive.assets.locations import (
    Checked,
    LocationService,
    Settled,
    restore,
    settle,
)
from reelhouse.apps.archive.assets.models import (
    Asset,
    AssetLocation,
    AssetSource,
    AssetStatus,
    LocationState,
)
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
from reelhouse.platform.content_serving import Content, Representation
from reelhouse.platform.counting import count_by, newest, per_day
from reelhouse.platform.errors import InvalidInput, NotImplementedHere, ReelhouseError
from reelhouse.platform.events import Event, Subject, publish_after_commit
from reelhouse.platform.jobs import Job
from reelhouse.platform.pagination import PageRequest, TimeRange, contains, within
from reelhouse.platform.profiling import known_kinds
from reelhouse.platform.scope import Scope
from reelhouse.platform.storage import content_key, read_file

ASSETS_TOPIC = "assets"
INDEX_TASK = "archive.index"
SCAN_TASK = "archive.scan_directory"
SIDECAR_TASK = "archive.sidecar"
REINDEX_ALL_TASK = "archive.reindex_all"
RECONCILE_TASK = "archive.reconcile_indexing"
# The kinds the archive's own profilers answer; other apps' profilers may add more.
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
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.session = scope.session
        self.actor = scope.actor
        self.settings = scope.settings.app(ArchiveSettings)
        self.assets = AssetRepository(scope.session, scope.org_id)
        self.locations = LocationService(scope)

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
        if received.size == 0:
            # One rule with resumable uploads, which refuse a size of 0 when they open.
            await asyncio.to_thread(received.path.unlink, True)
            raise InvalidInput("the file is empty; an asset needs at least one byte", field="file")
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
        intake = (
            Intake(existing, duplicate=True, index_job=None)
            if existing is not None
            else await self._add(
                name=file.path.name,
                sha256=sha256,
                size=file.size,
                source=source,
                path=str(file.path),
                path_mtime=file.mtime,
            )
        )
        # Every path the content was found at, also when the asset existed already.
        await self.locations.record(intake.asset, file)
        if existing is not None and existing.status in (AssetStatus.missing, AssetStatus.changed):
            await self._follow(existing, restore(existing))
        return intake

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

    async def content(self, asset: Asset) -> Content | ReelhouseError:
        """The asset's bytes: stored ones (on S3 a short-lived presigned URL), or a server file
        from a location that still holds it unchanged. A file deleted or changed on disk is
        answered (not raised, so the asset's new status is kept) as 410 or 409."""
        storage = self.scope.storage
        key = asset.storage_key
        if key is not None:
            stored = self._representation(asset, asset.created_at)
            presigned = await storage.presigned_get(key, filename=asset.name)
            if presigned is not None:
                return Content(stored, redirect_url=presigned)
            return Content(stored, read=lambda start, end: storage.read(key, start, end))
        checked = await self.locations.check(asset, until_intact=True)
        refusal = await self._settle(asset, checked)
        if refusal is not None:
            return refusal
        intact = next(c.location for c in checked if c.state is LocationState.present)
        path = Path(intact.path)
        return Content(
            self._representation(asset, intact.mtime),
            read=lambda start, end: read_file(path, start, end),
        )

    def _representation(self, asset: Asset, modified: datetime) -> Representation:
        return Representation(asset.size, asset.sha256, modified, asset.media_type, asset.name)

    async def readable_path(self, asset: Asset) -> str | None:
        """A server path holding the asset's content unchanged (its first one if none does);
        None for stored content."""
        if asset.storage_key is not None:
            return None
        checked = await self.locations.check(asset, until_intact=True)
        intact = [c.location.path for c in checked if c.state is LocationState.present]
        return intact[0] if intact else asset.path

    async def reconcile_locations(self, asset_id: uuid.UUID) -> AssetStatus | None:
        """Check every location of an asset and settle its status; its status then (None once
        the asset is gone)."""
        asset = await self.get_or_none(asset_id)
        if asset is None:
            return None
        checked = await self.locations.check(asset, until_intact=False)
        if asset.storage_key is None:
            await self._settle(asset, checked)
        return asset.status

    async def locations_of(self, assets: Sequence[Asset]) -> dict[uuid.UUID, list[AssetLocation]]:
        return await self.locations.of(assets)

    async def _settle(self, asset: Asset, checked: Sequence[Checked]) -> ReelhouseError | None:
        """Settle a server file's status from its checked locations (see ``settle``); answers
        why its bytes cannot be served."""
        settled = settle(asset, checked)
        await self._follow(asset, settled)
        return settled.refusal

    async def _follow(self, asset: Asset, settled: Settled) -> None:
        if settled.needs_index:
            await self.request_index(asset)
        if settled.event is not None:
            self._publish(settled.event, asset)

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
            await self._require_known_kinds(filters.kinds)
            statement = statement.where(Asset.kind.in_(filters.kinds))
        if filters.statuses:
            statement = statement.where(Asset.status.in_(filters.statuses))
        if filters.text:
            text = filters.text.lower()
            statement = statement.where(
                or_(
                    contains(Asset.name, text),
                    contains(Asset.path, text),
                    contains(Asset.media_type, text),
                    contains(cast(Asset.facts, Text), text),
                )
            )
        if filters.tag:
            links = AssetTagRepository(self.session, self.scope.org_id)
            statement = statement.where(Asset.id.in_(links.assets_tagged(filters.tag)))
        return await self.assets.paginate(statement, page, sortable=SORTABLE)

    async def _require_known_kinds(self, kinds: Sequence[str]) -> None:
        """Refuse a kind no installed profiler gives and no asset of the organization has (one
        indexed before its app was removed, say)."""
        known = known_kinds()
        unknown = set(kinds) - known
        if not unknown:
            return
        held = set(await count_by(self.assets, Asset.kind))
        if unknown - held:
            choices = ", ".join(sorted(known | held))
            raise InvalidInput(
                f"unknown kind {sorted(unknown - held)[0]!r}; choose one of {choices}",
                field="kind",
            )

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
