"""The dashboard, declared once: a router over every installed app's contribution."""

from __future__ import annotations

from reelhouse.platform.apps import AppManifest

DASHBOARD = AppManifest(name="dashboard", routers=("reelhouse.apps.dashboard.router",))
