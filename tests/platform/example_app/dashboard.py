"""The example app's section of the dashboard."""

from __future__ import annotations

from pydantic import BaseModel

from reelhouse.platform.dashboard import Blocker
from reelhouse.platform.scope import Scope
from tests.platform.example_app.schemas import NotesSummary
from tests.platform.example_app.service import NoteService


class ExampleOnDashboard:
    async def summary(self, scope: Scope) -> dict[str, BaseModel]:
        return {"notes": NotesSummary(notes=await NoteService(scope).count())}

    async def created_per_day(self, scope: Scope, days: int) -> dict[str, dict[str, int]]:
        return {}

    async def blockers(self, scope: Scope, limit: int) -> list[Blocker]:
        return []


EXAMPLE_ON_DASHBOARD = ExampleOnDashboard()
