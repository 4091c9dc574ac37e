"""Counts for dashboards: by a column, per day, and the newest timestamp, within one org."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from reelhouse.platform.db import utcnow
from reelhouse.platform.repository import OwnedT, Repository


async def count_by(
    repository: Repository[OwnedT], column: InstrumentedAttribute[Any]
) -> dict[str, int]:
    """How many rows of the organization hold each value of ``column``."""
    model = repository.model
    statement: Select[Any] = (
        select(column, func.count()).where(model.org_id == repository.org_id).group_by(column)
    )
    rows = await repository.session.execute(statement)
    return {str(getattr(value, "value", value)): int(count) for value, count in rows.all()}


async def newest(
    repository: Repository[OwnedT], column: InstrumentedAttribute[Any]
) -> datetime | None:
    model = repository.model
    value: datetime | None = await repository.session.scalar(
        select(func.max(column)).where(model.org_id == repository.org_id)
    )
    return value


async def per_day(repository: Repository[OwnedT], days: int) -> dict[str, int]:
    """Rows created on each of the last ``days`` days (UTC), every day present, oldest first."""
    model = repository.model
    first_day = (utcnow() - timedelta(days=days - 1)).date()
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=utcnow().tzinfo)
    # Stored in UTC; PostgreSQL would cut days at its session's time zone, so say UTC.
    is_postgres = repository.session.get_bind().dialect.name == "postgresql"
    day = func.date(func.timezone("UTC", model.created_at) if is_postgres else model.created_at)
    rows = await repository.session.execute(
        select(day, func.count())
        .where(model.org_id == repository.org_id, model.created_at >= since)
        .group_by(day)
    )
    counts = {str(value): int(count) for value, count in rows.all()}
    return {
        (first_day + timedelta(days=offset)).isoformat(): counts.get(
            (first_day + timedelta(days=offset)).isoformat(), 0
        )
        for offset in range(days)
    }
