"""GET /dashboard/summary, /dashboard/trends, /dashboard/blockers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reelhouse.apps.dashboard.schemas import Blocker, DashboardSummary, DashboardTrends
from reelhouse.apps.dashboard.service import DashboardService
from reelhouse.platform.deps import PageParams, RuntimeDep, ScopeDep
from reelhouse.platform.pagination import Page

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def get_dashboard(scope: ScopeDep, runtime: RuntimeDep) -> DashboardService:
    return DashboardService(scope, runtime.apps.dashboard_contributions())


DashboardDep = Annotated[DashboardService, Depends(get_dashboard)]


@router.get("/summary")
async def summary(dashboard: DashboardDep) -> DashboardSummary:
    """Counts by status and type, bytes stored and freshness, for assets, jobs and outputs."""
    return await dashboard.summary()


@router.get("/trends")
async def trends(
    dashboard: DashboardDep, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> DashboardTrends:
    """Assets, jobs and outputs created per day (UTC) over the last ``days`` days."""
    return await dashboard.trends(days)


@router.get("/blockers")
async def blockers(dashboard: DashboardDep, page: PageParams) -> Page[Blocker]:
    """What failed or went missing, each with a link to it."""
    return Page[Blocker].of_all(await dashboard.blockers(), page)
