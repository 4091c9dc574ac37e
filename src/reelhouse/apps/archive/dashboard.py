"""The archive's part of the dashboard: assets and outputs, asked of their services."""

from __future__ import annotations

from pydantic import BaseModel

from reelhouse.apps.archive.assets.service import AssetService
from reelhouse.apps.archive.outputs.service import OutputService
from reelhouse.platform.dashboard import Blocker
from reelhouse.platform.scope import Scope


class ArchiveOnDashboard:
    async def summary(self, scope: Scope) -> dict[str, BaseModel]:
        return {
            "assets": await AssetService(scope).summary(),
            "outputs": await OutputService(scope).summary(),
        }

    async def created_per_day(self, scope: Scope, days: int) -> dict[str, dict[str, int]]:
        return {
            "assets": await AssetService(scope).created_per_day(days),
            "outputs": await OutputService(scope).created_per_day(days),
        }

    async def blockers(self, scope: Scope, limit: int) -> list[Blocker]:
        failed = await AssetService(scope).failed(limit)
        unavailable = await OutputService(scope).unavailable(limit)
        return [
            *(Blocker.of("asset", a.id, a.name, a.error, a.updated_at) for a in failed),
            *(
                Blocker.of("output", o.id, o.name, o.availability.value, o.updated_at)
                for o in unavailable
            ),
        ]


ARCHIVE_ON_DASHBOARD = ArchiveOnDashboard()
