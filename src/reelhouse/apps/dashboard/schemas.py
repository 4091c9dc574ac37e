"""Response bodies of the dashboard routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel, SerializeAsAny

from reelhouse.platform.dashboard import Blocker

__all__ = ["Blocker", "DashboardSummary", "DashboardTrends", "TrendBucket"]


class DashboardSummary(RootModel[dict[str, SerializeAsAny[BaseModel]]]):
    """One section per part of the service (``assets``, ``jobs``, ``outputs``, ...), each the
    typed summary of the app it comes from."""


class TrendBucket(BaseModel):
    """One UTC day: ``day``, then the rows each series created that day."""

    model_config = ConfigDict(extra="allow")

    day: str


class DashboardTrends(BaseModel):
    days: int
    buckets: list[TrendBucket]
