"""The example app, declared once, and the installed apps with it: the one line adding an app."""

from __future__ import annotations

from reelhouse.apps import INSTALLED_APPS as REELHOUSE_APPS
from reelhouse.platform.apps import AppManifest, TopicAccess
from reelhouse.platform.auth.models import Role
from tests.platform.example_app.settings import ExampleSettings

EXAMPLE = AppManifest(
    name="example",
    routers=("tests.platform.example_app.router",),
    tasks=("tests.platform.example_app.tasks",),
    models=("tests.platform.example_app.models",),
    migrations="tests.platform.example_app.migrations",
    settings=ExampleSettings,
    profilers=("tests.platform.example_app.profiling",),
    topics=(TopicAccess("notes", Role.admin),),
    dashboard=("tests.platform.example_app.dashboard:EXAMPLE_ON_DASHBOARD",),
)

INSTALLED_APPS = (*REELHOUSE_APPS, EXAMPLE)
