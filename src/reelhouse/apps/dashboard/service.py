"""Summary, trends and blockers, asked of every installed app's dashboard contribution."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from reelhouse.apps.dashboard.schemas import DashboardSummary, DashboardTrends, TrendBucket
from reelhouse.platform.dashboard import Blocker, DashboardContribution
from reelhouse.platform.scope import Scope

BLOCKERS_PER_KIND = 50


class DashboardService:
    def __init__(self, scope: Scope, contributions: Sequence[DashboardContribution]) -> None:
        self.scope = scope
        self.contributions = contributions

    async def summary(self) -> DashboardSummary:
        sections: dict[str, BaseModel] = {}
        for contribution in self.contributions:
            sections.update(await contribution.summary(self.scope))
        return DashboardSummary(sections)

    async def trends(self, days: int) -> DashboardTrends:
        series: dict[str, dict[str, int]] = {}
        for contribution in self.contributions:
            series.update(await contribution.created_per_day(self.scope, days))
        first = next(iter(series.values()), {})
        buckets = [
            TrendBucket(day=day, **{name: counts[day] for name, counts in series.items()})
            for day in first
        ]
        return DashboardTrends(days=days, buckets=buckets)

    async def blockers(self) -> list[Blocker]:
        """What failed or went missing, newest first within each kind, with links; a job that
        failed on a thing listed itself (an asset that failed to index) is not listed again."""
        found: list[Blocker] = []
        for contribution in self.contributions:
            found.extend(await contribution.blockers(self.scope, BLOCKERS_PER_KIND))
        listed = {blocker.link for blocker in found}
        return [blocker for blocker in found if blocker.subject not in listed]
