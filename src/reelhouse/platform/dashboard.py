"""What an app shows on the dashboard: summary sections, daily counts and blockers.

Each app names a contribution in its manifest; the dashboard asks every one of them, through
the app's own services, and never reads an app's tables itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from reelhouse.platform.scope import Scope


class Blocker(BaseModel):
    """Something that failed or went missing, with the route that shows it."""

    kind: str
    id: uuid.UUID
    name: str
    reason: str | None
    link: str
    at: datetime | None
    subject: str | None = None
    """For a job, the link of what it worked on; the dashboard lists a failed thing once."""

    @classmethod
    def of(
        cls,
        kind: str,
        item_id: uuid.UUID,
        name: str,
        reason: str | None,
        at: datetime | None,
        *,
        subject: str | None = None,
    ) -> Blocker:
        return cls(
            kind=kind,
            id=item_id,
            name=name,
            reason=reason,
            link=link_of(kind, item_id),
            at=at,
            subject=subject,
        )


def link_of(kind: str, item_id: uuid.UUID) -> str:
    return f"/api/v1/{kind}s/{item_id}"


class DashboardContribution(Protocol):
    async def summary(self, scope: Scope) -> dict[str, BaseModel]:
        """Sections of the summary by name, e.g. ``{"assets": AssetSummary(...)}``."""
        ...

    async def created_per_day(self, scope: Scope, days: int) -> dict[str, dict[str, int]]:
        """Per series name, the rows created on each of the last ``days`` days, oldest first."""
        ...

    async def blockers(self, scope: Scope, limit: int) -> list[Blocker]:
        """At most ``limit`` of each kind of blocker, newest first."""
        ...
