"""The archive, declared once: what the platform needs to carry it."""

from __future__ import annotations

from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.platform.apps import AppManifest, TopicAccess
from reelhouse.platform.auth.models import Role

ARCHIVE = AppManifest(
    name="archive",
    routers=(
        "reelhouse.apps.archive.assets.router",
        "reelhouse.apps.archive.tags.router",
        "reelhouse.apps.archive.uploads.router",
        "reelhouse.apps.archive.outputs.router",
    ),
    tasks=(
        "reelhouse.apps.archive.assets.tasks",
        "reelhouse.apps.archive.uploads.tasks",
        "reelhouse.apps.archive.outputs.tasks",
        "reelhouse.apps.archive.objects.tasks",
    ),
    models=(
        "reelhouse.apps.archive.assets.models",
        "reelhouse.apps.archive.tags.models",
        "reelhouse.apps.archive.uploads.models",
        "reelhouse.apps.archive.outputs.models",
    ),
    migrations="reelhouse.apps.archive.migrations",
    settings=ArchiveSettings,
    profilers=("reelhouse.apps.archive.profiling.builtin",),
    topics=(TopicAccess("assets", Role.viewer), TopicAccess("outputs", Role.viewer)),
    dashboard=("reelhouse.apps.archive.dashboard:ARCHIVE_ON_DASHBOARD",),
)
