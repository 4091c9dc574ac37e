"""The jobs section of the dashboard: counts by status and type, and the failed jobs."""

from __future__ import annotations

from pydantic import BaseModel

from reelhouse.platform.dashboard import Blocker, link_of
from reelhouse.platform.scope import Scope


class JobsOnDashboard:
    async def summary(self, scope: Scope) -> dict[str, BaseModel]:
        return {"jobs": await scope.jobs.summary()}

    async def created_per_day(self, scope: Scope, days: int) -> dict[str, dict[str, int]]:
        return {"jobs": await scope.jobs.created_per_day(days)}

    async def blockers(self, scope: Scope, limit: int) -> list[Blocker]:
        return [
            Blocker.of(
                "job",
                job.id,
                job.type,
                job.error_message,
                job.finished_at,
                subject=(
                    link_of(job.subject_kind, job.subject_id)
                    if job.subject_kind is not None and job.subject_id is not None
                    else None
                ),
            )
            for job in await scope.jobs.failed(limit)
        ]


JOBS_ON_DASHBOARD = JobsOnDashboard()
