"""Job handlers that derive files from assets (thumbnails, sidecars) and check outputs."""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from reelhouse.apps.archive.importing import sha256_of
from reelhouse.apps.archive.models import Availability, Output, OutputRole
from reelhouse.apps.archive.outputs import ACTION_TASK, OutputActionRepository, OutputService
from reelhouse.apps.archive.profiling.registry import Profile, ProfileFailed, profile_file
from reelhouse.apps.archive.profiling.thumbnails import make_thumbnails
from reelhouse.apps.archive.readable import readable_copy
from reelhouse.apps.archive.repository import (
    CONTENT_PREFIX,
    DELETE_CONTENT_TASK,
    AssetRepository,
    content_in_use,
)
from reelhouse.apps.archive.service import SIDECAR_TASK
from reelhouse.platform.db import utcnow
from reelhouse.platform.jobs.context import JobContext, JobFailed
from reelhouse.platform.jobs.registry import periodic, task
from reelhouse.platform.runtime import storage_from_settings

ORPHAN_SCAN_TASK = "archive.scan_orphans"


async def write_thumbnails(
    ctx: JobContext, asset_id: uuid.UUID, name: str, profile: Profile, local: Path
) -> int:
    """Replace an image's or video's thumbnails (two sizes) with new ones; answers how many."""
    with tempfile.TemporaryDirectory(dir=_scratch(ctx), prefix="thumbnails-") as folder:
        paths = await ctx.run_in_process(
            make_thumbnails, local, profile.kind, profile.duration_s, Path(folder)
        )
        async with ctx.unit_of_work() as session:
            outputs = _outputs(ctx, session)
            kept = []
            for path in paths:
                side = int(path.stem.rsplit("-", 1)[-1])
                output = await outputs.record(
                    path,
                    role=OutputRole.thumbnail,
                    format="jpeg",
                    name=f"{Path(name).stem}-{side}.jpg",
                    media_type="image/jpeg",
                    asset_id=asset_id,
                    job_id=ctx.job_id,
                    facts={"longest_side": side},
                )
                kept.append(output.id)
            await outputs.drop_older(asset_id, OutputRole.thumbnail, kept)
    return len(paths)


@task(SIDECAR_TASK, max_attempts=3, timeout=600)
async def write_sidecar(ctx: JobContext) -> dict[str, Any]:
    """Write an asset's full probe result as a JSON sidecar output (replacing an older one)."""
    asset_id = uuid.UUID(ctx.payload["asset_id"])
    async with ctx.unit_of_work() as session:
        asset = await AssetRepository(session, ctx.org_id).get_or_none(asset_id)
        if asset is None:
            raise JobFailed(f"asset {asset_id} no longer exists")
        if asset.status.value != "indexed":
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
        async with ctx.unit_of_work() as session:
            outputs = _outputs(ctx, session)
            output = await outputs.record(
                path,
                role=OutputRole.sidecar,
                format="json",
                name=sidecar_name,
                media_type="application/json",
                asset_id=asset_id,
                job_id=ctx.job_id,
            )
            await outputs.drop_older(asset_id, OutputRole.sidecar, [output.id])
            output_id = output.id
    return {"output_id": str(output_id)}


@task(ACTION_TASK, max_attempts=2, timeout=3600)
async def run_output_action(ctx: JobContext) -> dict[str, Any]:
    """``verify_checksum`` re-hashes the stored bytes; ``refresh_metadata`` reads them again."""
    async with ctx.unit_of_work() as session:
        action = await OutputActionRepository(session, ctx.org_id).get(
            uuid.UUID(ctx.payload["action_id"])
        )
        output = await _outputs(ctx, session).get(action.output_id)
        name, key, expected = action.action, output.storage_key, output.sha256
    storage = storage_from_settings(ctx.settings)
    if not await storage.exists(key):
        await _set(ctx, output.id, availability=Availability.missing)
        return {"availability": "missing"}
    async with readable_copy(storage, key, None) as local:
        if name == "verify_checksum":
            actual = await ctx.run_in_process(sha256_of, local)
            state = Availability.available if actual == expected else Availability.corrupt
            await _set(ctx, output.id, availability=state)
            return {"availability": state.value, "expected": expected, "actual": actual}
        try:
            profile = await ctx.run_in_process(profile_file, local)
        except ProfileFailed as exc:
            await _set(ctx, output.id, availability=Availability.corrupt)
            raise JobFailed(str(exc)) from exc
    await _set(ctx, output.id, availability=Availability.available, facts=profile.metadata)
    return {"availability": "available", "facts": profile.metadata}


async def _set(ctx: JobContext, output_id: uuid.UUID, **values: Any) -> None:
    async with ctx.unit_of_work() as session:
        output: Output = await _outputs(ctx, session).get(output_id)
        for name, value in {**values, "checked_at": utcnow()}.items():
            setattr(output, name, value)


def _outputs(ctx: JobContext, session: Any) -> OutputService:
    return OutputService(
        session, ctx.org_id, ctx.event_bus, storage_from_settings(ctx.settings), ctx.dispatcher
    )


def _scratch(ctx: JobContext) -> Path:
    folder = ctx.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@task(DELETE_CONTENT_TASK, max_attempts=5, timeout=600)
async def delete_content(ctx: JobContext) -> dict[str, Any]:
    """Remove stored bytes nothing refers to any more. A deletion that keeps failing ends as a
    failed job: the dead letter, listed among the blockers and retried with the job's retry."""
    key = ctx.payload["storage_key"]
    async with ctx.unit_of_work() as session:
        if await content_in_use(session, key):
            return {"kept": key, "reason": "referred to again"}
    await storage_from_settings(ctx.settings).delete(key)
    return {"deleted": key}


@task(ORPHAN_SCAN_TASK, max_attempts=1, timeout=24 * 3600)
async def scan_orphans(ctx: JobContext) -> dict[str, Any]:
    """Report stored objects that no asset or output of any organization refers to."""
    storage = storage_from_settings(ctx.settings)
    orphans: list[str] = []
    checked = 0
    async with ctx.unit_of_work() as session:
        async for key in storage.list_keys(CONTENT_PREFIX):
            checked += 1
            if not await content_in_use(session, key):
                orphans.append(key)
    return {"checked": checked, "orphans": len(orphans), "keys": orphans[:1000]}


periodic(ORPHAN_SCAN_TASK, every=timedelta(hours=6), instance_wide=True)
