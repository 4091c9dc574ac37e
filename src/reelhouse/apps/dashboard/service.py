"""Summary, trends and blockers, asked of each app's own repositories."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.apps.archive.models import Asset, AssetStatus, Availability, Output
from reelhouse.apps.archive.outputs import OutputRepository
from reelhouse.apps.archive.repository import AssetRepository
from reelhouse.platform.counting import count_by, newest, per_day
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.platform.jobs.service import JobRepository

BLOCKERS_PER_KIND = 50


class DashboardService:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.assets = AssetRepository(session, org_id)
        self.jobs = JobRepository(session, org_id)
        self.outputs = OutputRepository(session, org_id)

    async def summary(self) -> dict[str, Any]:
        stored = await self.assets.session.scalar(
            select(func.coalesce(func.sum(Asset.size), 0)).where(
                Asset.org_id == self.assets.org_id, Asset.storage_key.is_not(None)
            )
        )
        output_bytes = await self.outputs.session.scalar(
            select(func.coalesce(func.sum(Output.size), 0)).where(
                Output.org_id == self.outputs.org_id
            )
        )
        return {
            "assets": {
                "by_status": await count_by(self.assets, Asset.status),
                "by_kind": await count_by(self.assets, Asset.kind),
                "bytes_stored": int(stored or 0),
                "last_created_at": await newest(self.assets, Asset.created_at),
                "last_indexed_at": await newest(self.assets, Asset.indexed_at),
            },
            "jobs": {
                "by_status": await count_by(self.jobs, Job.status),
                "by_type": await count_by(self.jobs, Job.type),
                "last_finished_at": await newest(self.jobs, Job.finished_at),
            },
            "outputs": {
                "by_role": await count_by(self.outputs, Output.role),
                "by_availability": await count_by(self.outputs, Output.availability),
                "bytes_stored": int(output_bytes or 0),
                "last_created_at": await newest(self.outputs, Output.created_at),
            },
        }

    async def trends(self, days: int) -> dict[str, Any]:
        assets, jobs, outputs = (
            await per_day(self.assets, days),
            await per_day(self.jobs, days),
            await per_day(self.outputs, days),
        )
        return {
            "days": days,
            "buckets": [
                {"day": day, "assets": assets[day], "jobs": jobs[day], "outputs": outputs[day]}
                for day in assets
            ],
        }

    async def blockers(self) -> list[dict[str, Any]]:
        """Failed assets and jobs, missing or corrupt outputs, newest first, with links."""
        failed_assets = await self.assets.list(
            self.assets.select()
            .where(Asset.status == AssetStatus.failed)
            .order_by(Asset.updated_at.desc())
            .limit(BLOCKERS_PER_KIND)
        )
        failed_jobs = await self.jobs.list(
            self.jobs.select()
            .where(Job.status == JobStatus.failed)
            .order_by(Job.finished_at.desc())
            .limit(BLOCKERS_PER_KIND)
        )
        broken_outputs = await self.outputs.list(
            self.outputs.select()
            .where(Output.availability != Availability.available)
            .order_by(Output.updated_at.desc())
            .limit(BLOCKERS_PER_KIND)
        )
        return [
            *(_blocker("asset", a.id, a.name, a.error, a.updated_at) for a in failed_assets),
            *(_blocker("job", j.id, j.type, j.error_message, j.finished_at) for j in failed_jobs),
            *(
                _blocker("output", o.id, o.name, o.availability.value, o.updated_at)
                for o in broken_outputs
            ),
        ]


def _blocker(
    kind: str, item_id: uuid.UUID, name: str, reason: str | None, at: Any
) -> dict[str, Any]:
    link = f"/api/v1/{kind}s/{item_id}"
    return {
        "kind": kind,
        "id": str(item_id),
        "name": name,
        "reason": reason,
        "link": link,
        "at": at,
    }
