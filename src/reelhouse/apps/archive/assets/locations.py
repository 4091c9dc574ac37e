"""Where an asset's content lies on the server, and whether it still lies there unchanged.

A server file is referenced in place, so it can be deleted or rewritten behind Reelhouse's back.
Each path its content was registered from is a location, recorded with the file's size and
mtime then; a location is checked against the file before its bytes are served and by the
periodic reconciliation (``archive.reconcile_locations``).
"""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from reelhouse.apps.archive.assets.models import Asset, AssetLocation, AssetStatus, LocationState
from reelhouse.apps.archive.assets.repository import AssetLocationRepository
from reelhouse.apps.archive.assets.server_files import ServerFile
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import Conflict, ReelhouseError
from reelhouse.platform.scope import Scope

RECONCILE_LOCATIONS_TASK = "archive.reconcile_locations"


class AssetMissing(ReelhouseError):
    status_code = 410
    slug = "asset-missing"
    title = "The asset's file is gone"


class AssetChanged(Conflict):
    slug = "asset-changed"
    title = "The asset's file changed on disk"


@dataclass(frozen=True)
class Checked:
    location: AssetLocation
    state: LocationState


def observe(path: str, size: int, mtime: datetime) -> LocationState:
    """What is at ``path`` now, compared with what was recorded there (blocking: a ``stat``)."""
    try:
        found = os.stat(path)
    except OSError:
        # Gone, a folder on the way replaced by a file, or no longer readable: not there for us.
        return LocationState.missing
    if not stat.S_ISREG(found.st_mode):
        return LocationState.missing
    same = found.st_size == size and datetime.fromtimestamp(found.st_mtime, UTC) == mtime
    return LocationState.present if same else LocationState.changed


def unavailable(asset: Asset, checked: Sequence[Checked]) -> AssetMissing | AssetChanged | None:
    """Why a server file's bytes cannot be served from any of its locations; None while one
    holds them unchanged."""
    if any(check.state is LocationState.present for check in checked):
        return None
    changed = [check.location.path for check in checked if check.state is LocationState.changed]
    if changed:
        return AssetChanged(
            f"{changed[0]} changed on disk since it was registered (its size or modification "
            "time differs); register it again to take in the new content",
            asset_id=str(asset.id),
            paths=changed,
        )
    return AssetMissing(
        "no location holds the file any more; it comes back when a copy is found unchanged",
        asset_id=str(asset.id),
        paths=[check.location.path for check in checked],
    )


@dataclass(frozen=True)
class Settled:
    """What checking a server file's locations made of its asset."""

    refusal: AssetMissing | AssetChanged | None
    event: str | None
    needs_index: bool = False


def settle(asset: Asset, checked: Sequence[Checked]) -> Settled:
    """Mark a server file's asset ``missing`` or ``changed`` when no location holds it
    unchanged, and back again once one does: ``indexed`` as before, or ``pending`` (to be
    indexed now) if it never was."""
    refusal = unavailable(asset, checked)
    lost = (AssetStatus.missing, AssetStatus.changed)
    if refusal is None:
        return restore(asset) if asset.status in lost else Settled(None, None)
    status = AssetStatus.changed if isinstance(refusal, AssetChanged) else AssetStatus.missing
    if asset.status == status:
        return Settled(refusal, None)
    asset.status, asset.error = status, refusal.detail
    return Settled(refusal, f"asset.{status.value}")


def restore(asset: Asset) -> Settled:
    """A server file found again unchanged (see ``settle``)."""
    asset.error = None
    asset.status = AssetStatus.indexed if asset.indexed_at is not None else AssetStatus.pending
    return Settled(None, "asset.restored", needs_index=asset.indexed_at is None)


class LocationService:
    def __init__(self, scope: Scope) -> None:
        self.session = scope.session
        self.locations = AssetLocationRepository(scope.session, scope.org_id)

    async def record(self, asset: Asset, file: ServerFile) -> AssetLocation:
        """Note that ``asset``'s content lies at ``file`` as it is now; a path known before is
        brought up to date (a file registered again after it changed back, say)."""
        path, now = str(file.path), utcnow()
        known = await self.locations.at(asset.id, path)
        if known is None:
            try:
                async with self.session.begin_nested():
                    return await self.locations.create(
                        asset_id=asset.id,
                        path=path,
                        size=file.size,
                        mtime=file.mtime,
                        state=LocationState.present,
                        first_seen_at=now,
                        checked_at=now,
                    )
            except IntegrityError:
                # The same path registered twice at once: the other registration recorded it.
                known = await self.locations.at(asset.id, path)
                if known is None:
                    raise
        known.size, known.mtime = file.size, file.mtime
        known.state, known.checked_at = LocationState.present, now
        return known

    async def of(self, assets: Sequence[Asset]) -> dict[uuid.UUID, list[AssetLocation]]:
        """Each asset's locations, in the order they were first seen."""
        found: dict[uuid.UUID, list[AssetLocation]] = {asset.id: [] for asset in assets}
        for location in await self.locations.of_assets([asset.id for asset in assets]):
            found[location.asset_id].append(location)
        return found

    async def check(self, asset: Asset, *, until_intact: bool) -> list[Checked]:
        """Compare ``asset``'s locations with the files, those last seen intact first; stop at
        the first intact one when ``until_intact``, otherwise check them all and note when.

        A state that changed is recorded; a quick check that finds nothing new writes nothing,
        so serving content costs no write.
        """
        known = (await self.of([asset]))[asset.id]
        known.sort(key=lambda location: location.state is not LocationState.present)
        checked: list[Checked] = []
        now = utcnow()
        for location in known:
            state = await asyncio.to_thread(observe, location.path, location.size, location.mtime)
            if state != location.state or not until_intact:
                location.state, location.checked_at = state, now
            checked.append(Checked(location, state))
            if until_intact and state is LocationState.present:
                break
        return checked

    async def asset_ids(self) -> list[uuid.UUID]:
        """Every asset of the organization with a location."""
        return await self.locations.asset_ids()
