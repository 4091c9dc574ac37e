"""The platform's own part, declared as apps declare theirs: always installed, always first."""

from __future__ import annotations

from reelhouse.platform.apps import AppManifest, TopicAccess
from reelhouse.platform.auth.models import Role

PLATFORM = AppManifest(
    name="platform",
    routers=(
        "reelhouse.platform.health",
        "reelhouse.platform.auth.router",
        "reelhouse.platform.jobs.router",
        "reelhouse.platform.realtime",
    ),
    tasks=("reelhouse.platform.jobs.builtin",),
    models=("reelhouse.platform.auth.models", "reelhouse.platform.jobs.models"),
    migrations="reelhouse.migrations.versions",
    topics=(
        TopicAccess("jobs", Role.viewer),
        # Users and keys carry emails and roles, which only admins may list.
        TopicAccess("users", Role.admin),
        TopicAccess("api_keys", Role.admin),
        TopicAccess("organizations", Role.admin),
    ),
    dashboard=("reelhouse.platform.jobs.dashboard:JOBS_ON_DASHBOARD",),
)
