"""GET /dashboard/summary, /dashboard/trends, /dashboard/blockers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from reelhouse.apps.dashboard.service import DashboardService
from reelhouse.platform.deps import CurrentPrincipal, SessionDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def get_dashboard(session: SessionDep, principal: CurrentPrincipal) -> DashboardService:
    return DashboardService(session, principal.org_id)


DashboardDep = Annotated[DashboardService, Depends(get_dashboard)]


@router.get("/summary")
async def summary(dashboard: DashboardDep) -> dict[str, Any]:
    """Counts by status and type, bytes stored and freshness, for assets, jobs and outputs."""
    return await dashboard.summary()


@router.get("/trends")
async def trends(
    dashboard: DashboardDep, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> dict[str, Any]:
    """Assets, jobs and outputs created per day (UTC) over the last ``days`` days."""
    return await dashboard.trends(days)


@router.get("/blockers")
async def blockers(dashboard: DashboardDep) -> list[dict[str, Any]]:
    """What failed or went missing, each with a link to it."""
    return await dashboard.blockers()
