"""The recordings app, declared once: what the platform needs to carry it."""

from __future__ import annotations

from reelhouse.platform.apps import AppManifest

RECORDINGS = AppManifest(
    name="recordings",
    profilers=("reelhouse.apps.recordings.profiling.builtin",),
)
