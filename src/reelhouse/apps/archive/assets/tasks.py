"""Job handlers of assets: indexing (probing, thumbnails), sidecars, folder scans, re-indexing,
the reconciliation that leaves no asset waiting forever, and the one that notices server files
deleted or changed on disk."""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reelhouse.apps.archive.assets.locations import RECONCILE_LOCATIONS_TASK
from reelhouse.apps.archive.assets.models import Asset, AssetSource, AssetStatus
from reelhouse.apps.archive.assets.server_files import server_file
from reelhouse.apps.archive.assets.service import (
    ASSETS_TOPIC,
    INDEX_TASK,
    RECONCILE_TASK,
    REINDEX_ALL_TASK,
    SCAN_TASK,
    SIDECAR_TASK,
    AssetService,
)
from reelhouse.apps.archive.objects.readable import readable_copy
from reelhouse.apps.archive.outputs.models import OutputRole
from reelhouse.apps.archive.outputs.service import DerivedFile, OutputService
from reelhouse.apps.archive.profiling.exif import taken_at
from reelhouse.apps.archive.profiling.thumbnails import make_thumbnails
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import ReelhouseError
from reelhouse.platform.events import Event, Subject
from reelhouse.platform.jobs import JobContext, JobFailed, periodic, task
from reelhouse.platform.profiling import Profile, ProfileFailed, profile_file

REINDEX_BATCH = 200
RECONCILE_LOCATIONS_BATCH = 200
# Longer than the heartbeat's staleness, so a job the sweeper is about to requeue is left be.
RECONCILE_GRACE = timedelta(minutes=2)


@task(INDEX_TASK, max_attempts=3, timeout=3600)
async def index_asset(ctx: JobContext) -> dict[str, Any]:
    """Fill an asset's facts (and thumbnails) from its file; an unreadable file fails its
    asset only."""
    asset_id = uuid.UUID(ctx.payload["asset_id"])
    async with ctx.scope() as scope:
        asset = await AssetService(scope).get_or_none(asset_id)
        if asset is None:
            return {"skipped": "the asset was deleted"}
        asset.status = AssetStatus.indexing
        # A server file is read from a copy that still holds it, should its first one be gone.
        path = await AssetService(scope).readable_path(asset)
        storage_key, name = asset.storage_key, asset.name
    await ctx.progress(0.1, "reading the file")
    try:
        async with readable_copy(ctx.storage, storage_key, path, name) as local:
            profile = await ctx.run_in_process(profile_file, local)
            thumbnails = 0
            if profile.kind in ("image", "video"):
                await ctx.progress(0.6, "making thumbnails")
                thumbnails = await _write_thumbnails(ctx, asset_id, name, profile, local)
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


async def _write_thumbnails(
    ctx: JobContext, asset_id: uuid.UUID, name: str, profile: Profile, local: Path
) -> int:
    """Replace an image's or video's thumbnails (two sizes) with new ones; answers how many."""
    with tempfile.TemporaryDirectory(dir=_scratch(ctx), prefix="thumbnails-") as folder:
        paths = await ctx.run_in_process(
            make_thumbnails, local, profile.kind, profile.duration_s, Path(folder)
        )
        files = []
        for path in paths:
            side = int(path.stem.rsplit("-", 1)[-1])
            files.append(DerivedFile(path, f"{Path(name).stem}-{side}.jpg", {"longest_side": side}))
        async with ctx.scope() as scope:
            await OutputService(scope).replace_derived(
                asset_id,
                OutputRole.thumbnail,
                files,
                format="jpeg",
                media_type="image/jpeg",
                job_id=ctx.job_id,
            )
    return len(paths)


async def _finish(
    ctx: JobContext, asset_id: uuid.UUID, profile: Profile | None, error: str | None
) -> None:
    async with ctx.scope() as scope:
        asset = await AssetService(scope).get_or_none(asset_id)
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
    asset.recorded_at = profile.recorded_at or recorded_at(profile.metadata)
    asset.indexed_at = utcnow()


def recorded_at(facts: dict[str, Any]) -> datetime | None:
    """When the recording was made, as the file itself says (container tag or EXIF).

    An EXIF time without a zone is the camera's wall clock, answered as if UTC; the image's
    facts say so with ``recorded_at_is_local``.
    """
    raw = (facts.get("tags") or {}).get("creation_time")
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    taken = taken_at(facts.get("exif") or {})
    return None if taken is None else taken[0]


@task(SIDECAR_TASK, max_attempts=3, timeout=600)
async def write_sidecar(ctx: JobContext) -> dict[str, Any]:
    """Write an asset's full probe result as a JSON sidecar output (replacing an older one)."""
    asset_id = uuid.UUID(ctx.payload["asset_id"])
    async with ctx.scope() as scope:
        asset = await AssetService(scope).get_or_none(asset_id)
        if asset is None:
            raise JobFailed(f"asset {asset_id} no longer exists")
        if asset.status != AssetStatus.indexed:
            raise JobFailed(f"asset {asset_id} is {asset.status.value}, not indexed yet")
        document = {
            "asset_id": str(asset.id),
            "name": asset.name,
            "sha256": asset.sha256,
            "size": asset.size,
            "media_type": asset.media_type,
            "kind": asset.kind,
            "duration_s": asset.duration_s,
            "indexed_at": asset.indexed_at.isoformat() if asset.indexed_at else None,
            "facts": asset.facts,
        }
        sidecar_name = f"{Path(asset.name).stem}.sidecar.json"
    with tempfile.TemporaryDirectory(dir=_scratch(ctx), prefix="sidecar-") as folder:
        path = Path(folder) / "sidecar.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True))
        async with ctx.scope() as scope:
            (output,) = await OutputService(scope).replace_derived(
                asset_id,
                OutputRole.sidecar,
                [DerivedFile(path, sidecar_name)],
                format="json",
                media_type="application/json",
                job_id=ctx.job_id,
            )
            output_id = output.id
    return {"output_id": str(output_id)}


def _scratch(ctx: JobContext) -> Path:
    folder = ctx.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@task(SCAN_TASK, max_attempts=1, timeout=24 * 3600)
async def scan_directory(ctx: JobContext) -> dict[str, Any]:
    """Register every matching file below a folder, each in place, each once per content."""
    async with ctx.scope() as scope:
        roots = AssetService(scope).roots
    folder = roots.directory(ctx.payload["path"])
    include: list[str] = ctx.payload.get("include") or []
    found = await asyncio.to_thread(
        lambda: list(roots.walk(folder, include, bool(ctx.payload.get("recursive", True))))
    )
    counts = {"found": len(found), "registered": 0, "duplicates": 0, "failed": 0}
    failures: list[dict[str, str]] = []
    for number, path in enumerate(found, start=1):
        try:
            async with ctx.scope() as scope:
                intake = await AssetService(scope).register(server_file(path), AssetSource.scan)
            counts["duplicates" if intake.duplicate else "registered"] += 1
        except (OSError, ReelhouseError) as exc:
            counts["failed"] += 1
            failures.append({"path": str(path), "error": str(exc)})
        await ctx.progress(number / max(len(found), 1), f"{number} of {len(found)} files")
    return {**counts, "failures": failures[:100]}


@task(REINDEX_ALL_TASK, max_attempts=1, timeout=24 * 3600)
async def reindex_all(ctx: JobContext) -> dict[str, int]:
    """Ask for a new index job for every asset of the organization, in batches."""
    async with ctx.scope() as scope:
        ids = [asset.id async for asset in AssetService(scope).assets.stream()]
    for start in range(0, len(ids), REINDEX_BATCH):
        async with ctx.scope() as scope:
            assets = AssetService(scope)
            for asset_id in ids[start : start + REINDEX_BATCH]:
                asset = await assets.get_or_none(asset_id)
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
    async with ctx.scope() as scope:
        assets = AssetService(scope)
        for asset in await assets.waiting_since(settled_before):
            latest = await scope.jobs.latest_for(Subject("asset", asset.id), INDEX_TASK)
            if latest is not None and not latest.status.is_final:
                continue
            why = "no index job" if latest is None else f"its index job {latest.status.value}"
            detail = (
                "" if latest is None or not latest.error_message else f": {latest.error_message}"
            )
            asset.status, asset.error = AssetStatus.failed, f"indexing stopped ({why}){detail}"
            failed += 1
    return {"failed": failed}


periodic(RECONCILE_TASK, every=timedelta(minutes=5))


@task(RECONCILE_LOCATIONS_TASK, max_attempts=1, timeout=3600)
async def reconcile_locations(ctx: JobContext) -> dict[str, int]:
    """Check every server path of the organization's assets against the file there: an asset
    no location holds unchanged becomes ``missing`` or ``changed``, and one whose file came
    back unchanged is restored."""
    async with ctx.scope() as scope:
        ids = await AssetService(scope).locations.asset_ids()
    counts = {"assets": len(ids), "missing": 0, "changed": 0}
    for start in range(0, len(ids), RECONCILE_LOCATIONS_BATCH):
        async with ctx.scope() as scope:
            assets = AssetService(scope)
            for asset_id in ids[start : start + RECONCILE_LOCATIONS_BATCH]:
                status = await assets.reconcile_locations(asset_id)
                if status in (AssetStatus.missing, AssetStatus.changed):
                    counts[status.value] += 1
        await ctx.progress(min(start + RECONCILE_LOCATIONS_BATCH, len(ids)) / max(len(ids), 1))
    return counts


periodic(RECONCILE_LOCATIONS_TASK, every=timedelta(minutes=15))
