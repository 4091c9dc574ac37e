"""Job handlers of the archive: probing (indexing) an asset."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from reelhouse.apps.archive.derived import write_thumbnails
from reelhouse.apps.archive.importing import ImportRoots, parse_roots, server_file
from reelhouse.apps.archive.models import Asset, AssetSource, AssetStatus
from reelhouse.apps.archive.profiling.registry import Profile, ProfileFailed, profile_file
from reelhouse.apps.archive.readable import readable_copy
from reelhouse.apps.archive.repository import AssetRepository
from reelhouse.apps.archive.service import (
    ASSETS_TOPIC,
    INDEX_TASK,
    REINDEX_ALL_TASK,
    SCAN_TASK,
    AssetService,
)
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import ReelhouseError
from reelhouse.platform.events import Event, Subject
from reelhouse.platform.jobs.context import JobContext, JobFailed
from reelhouse.platform.jobs.models import Job
from reelhouse.platform.jobs.registry import periodic, task
from reelhouse.platform.jobs.service import JobRepository
from reelhouse.platform.runtime import storage_from_settings

REINDEX_BATCH = 200
RECONCILE_TASK = "archive.reconcile_indexing"
# Longer than the heartbeat's staleness, so a job the sweeper is about to requeue is left be.
RECONCILE_GRACE = timedelta(minutes=2)


@task(INDEX_TASK, max_attempts=3, timeout=3600)
async def index_asset(ctx: JobContext) -> dict[str, Any]:
    """Fill an asset's facts (and thumbnails) from its file; an unreadable file fails its
    asset only."""
    asset_id = uuid.UUID(ctx.payload["asset_id"])
    async with ctx.unit_of_work() as session:
        asset = await AssetRepository(session, ctx.org_id).get_or_none(asset_id)
        if asset is None:
            return {"skipped": "the asset was deleted"}
        asset.status = AssetStatus.indexing
        storage_key, path, name = asset.storage_key, asset.path, asset.name
    await ctx.progress(0.1, "reading the file")
    storage = storage_from_settings(ctx.settings)
    try:
        async with readable_copy(storage, storage_key, path) as local:
            profile = await ctx.run_in_process(profile_file, local)
            thumbnails = 0
            if profile.kind in ("image", "video"):
                await ctx.progress(0.6, "making thumbnails")
                thumbnails = await write_thumbnails(ctx, asset_id, name, profile, local)
    except (ProfileFailed, FileNotFoundError) as exc:
        reason = str(exc) if isinstance(exc, ProfileFailed) else f"the file is gone: {exc}"
        await _finish(ctx, asset_id, None, reason)
        raise JobFailed(reason) from exc
    except Exception as exc:
        # Retried by the job system; the last attempt leaves the asset failed, not indexing.
        if ctx.attempt >= ctx.job.max_attempts:
            await _finish(ctx, asset_id, None, f"indexing failed: {type(exc).__name__}: {exc}")
        raise
    await _finish(ctx, asset_id, profile, None)
    return {
        "kind": profile.kind,
        "media_type": profile.media_type,
        "duration_s": profile.duration_s,
        "thumbnails": thumbnails,
    }


async def _finish(
    ctx: JobContext, asset_id: uuid.UUID, profile: Profile | None, error: str | None
) -> None:
    async with ctx.unit_of_work() as session:
        asset = await AssetRepository(session, ctx.org_id).get_or_none(asset_id)
        if asset is None:
            return
        if profile is None:
            asset.status, asset.error = AssetStatus.failed, error
        else:
            _apply(asset, profile)
        name = "asset.indexed" if profile is not None else "asset.failed"
        event = Event(
            event=name,
            org_id=asset.org_id,
            subject=Subject("asset", asset.id),
            data={"status": asset.status.value, "kind": asset.kind, "error": asset.error},
        )
    await ctx.publish(ASSETS_TOPIC, event)


def _apply(asset: Asset, profile: Profile) -> None:
    asset.status = AssetStatus.indexed
    asset.error = None
    asset.kind = profile.kind
    asset.media_type = profile.media_type
    asset.duration_s = profile.duration_s
    asset.facts = profile.metadata
    asset.recorded_at = recorded_at(profile.metadata)
    asset.indexed_at = utcnow()


def recorded_at(facts: dict[str, Any]) -> datetime | None:
    """When the recording was made, as the file itself says (container tag or EXIF)."""
    tags = facts.get("tags") or {}
    exif = facts.get("exif") or {}
    for raw, layout in (
        (tags.get("creation_time"), None),
        (exif.get("DateTimeOriginal") or exif.get("DateTime"), "%Y:%m:%d %H:%M:%S"),
    ):
        if not isinstance(raw, str):
            continue
        try:
            moment = (
                datetime.strptime(raw, layout)
                if layout
                else datetime.fromisoformat(raw.replace("Z", "+00:00"))
            )
        except ValueError:
            continue
        # EXIF times carry no zone; they are read as UTC rather than dropped.
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


@task(SCAN_TASK, max_attempts=1, timeout=24 * 3600)
async def scan_directory(ctx: JobContext) -> dict[str, Any]:
    """Register every matching file below a folder, each in place, each once per content."""
    roots = ImportRoots(parse_roots(ctx.settings.import_roots))
    folder = roots.directory(ctx.payload["path"])
    include: list[str] = ctx.payload.get("include") or []
    found = await asyncio.to_thread(
        lambda: list(roots.walk(folder, include, bool(ctx.payload.get("recursive", True))))
    )
    counts = {"found": len(found), "registered": 0, "duplicates": 0, "failed": 0}
    failures: list[dict[str, str]] = []
    storage = storage_from_settings(ctx.settings)
    for number, path in enumerate(found, start=1):
        try:
            async with ctx.unit_of_work() as session:
                assets = AssetService(
                    session, ctx.org_id, ctx.event_bus, ctx.dispatcher, storage, actor=None
                )
                intake = await assets.register(server_file(path), AssetSource.scan)
            counts["duplicates" if intake.duplicate else "registered"] += 1
        except (OSError, ReelhouseError) as exc:
            counts["failed"] += 1
            failures.append({"path": str(path), "error": str(exc)})
        await ctx.progress(number / max(len(found), 1), f"{number} of {len(found)} files")
    return {**counts, "failures": failures[:100]}


@task(REINDEX_ALL_TASK, max_attempts=1, timeout=24 * 3600)
async def reindex_all(ctx: JobContext) -> dict[str, int]:
    """Ask for a new index job for every asset of the organization, in batches."""
    storage = storage_from_settings(ctx.settings)
    async with ctx.unit_of_work() as session:
        ids = [asset.id async for asset in AssetRepository(session, ctx.org_id).stream()]
    for start in range(0, len(ids), REINDEX_BATCH):
        async with ctx.unit_of_work() as session:
            assets = AssetService(
                session, ctx.org_id, ctx.event_bus, ctx.dispatcher, storage, actor=None
            )
            repository = AssetRepository(session, ctx.org_id)
            for asset_id in ids[start : start + REINDEX_BATCH]:
                asset = await repository.get_or_none(asset_id)
                if asset is not None:
                    await assets.request_index(asset)
        await ctx.progress(min(start + REINDEX_BATCH, len(ids)) / max(len(ids), 1))
    return {"assets": len(ids)}


@task(RECONCILE_TASK, max_attempts=1, timeout=600)
async def reconcile_indexing(ctx: JobContext) -> dict[str, int]:
    """Fail assets left pending or indexing whose index job ended without finishing them (its
    worker died on the last attempt, say), so no asset waits forever."""
    settled_before = utcnow() - RECONCILE_GRACE
    failed = 0
    async with ctx.unit_of_work() as session:
        assets = AssetRepository(session, ctx.org_id)
        jobs = JobRepository(session, ctx.org_id)
        waiting = await assets.list(
            assets.select().where(
                Asset.status.in_((AssetStatus.pending, AssetStatus.indexing)),
                Asset.updated_at < settled_before,
            )
        )
        for asset in waiting:
            latest = (
                await jobs.list(
                    jobs.select()
                    .where(
                        Job.type == INDEX_TASK,
                        Job.subject_kind == "asset",
                        Job.subject_id == asset.id,
                    )
                    .order_by(Job.created_at.desc())
                    .limit(1)
                )
            )[:1]
            if latest and not latest[0].status.is_final:
                continue
            ended = latest[0] if latest else None
            why = "no index job" if ended is None else f"its index job {ended.status.value}"
            detail = "" if ended is None or not ended.error_message else f": {ended.error_message}"
            asset.status, asset.error = AssetStatus.failed, f"indexing stopped ({why}){detail}"
            failed += 1
    return {"failed": failed}


periodic(RECONCILE_TASK, every=timedelta(minutes=5))
