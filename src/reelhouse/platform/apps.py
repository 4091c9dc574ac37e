"""App manifests: what each app declares once, and the installed apps every process reads.

The platform never names an app. It receives the manifests as data (``Settings.apps`` says where
the list is) and iterates them: the app factory for routers, every process that runs jobs for task
and profiler modules, Alembic for models and migrations, the event stream for topic roles, the
dashboard for its sections. Modules are named, not imported, so that a process imports only what
it uses, and a spawned process can import them again by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelhouse.platform.auth.models import Role
from reelhouse.settings import AppSettings

if TYPE_CHECKING:
    from fastapi import APIRouter

    from reelhouse.platform.dashboard import DashboardContribution


@dataclass(frozen=True)
class TopicAccess:
    """An event topic an app publishes on, and the least role that may subscribe to it."""

    topic: str
    role: Role


@dataclass(frozen=True)
class AppManifest:
    """One app, declared in one place: everything the platform needs to carry it.

    ``routers``: modules each with a ``router``. ``tasks``: modules whose ``@task`` and
    ``periodic`` calls register job types. ``models``: modules defining its tables.
    ``migrations``: the package of its Alembic revisions. ``profilers``: modules whose import
    registers file profilers. ``dashboard``: ``module:attribute`` of its dashboard sections.
    """

    name: str
    routers: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    migrations: str | None = None
    settings: type[AppSettings] | None = None
    profilers: tuple[str, ...] = ()
    topics: tuple[TopicAccess, ...] = ()
    dashboard: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstalledApps:
    """The platform's own manifest and the installed apps', in order."""

    manifests: tuple[AppManifest, ...]

    @classmethod
    def load(cls, location: str) -> InstalledApps:
        """The platform and the apps listed at ``module:attribute``."""
        from reelhouse.platform.manifest import PLATFORM

        module_name, _, attribute = location.partition(":")
        listed: Sequence[AppManifest] = getattr(
            importlib.import_module(module_name), attribute or "INSTALLED_APPS"
        )
        names = [manifest.name for manifest in listed]
        if PLATFORM.name in names or len(set(names)) != len(names):
            raise ValueError(f"app names must be unique and not {PLATFORM.name!r}: {names}")
        return cls((PLATFORM, *listed))

    @property
    def names(self) -> list[str]:
        return [manifest.name for manifest in self.manifests]

    @property
    def task_modules(self) -> list[str]:
        return [module for manifest in self.manifests for module in manifest.tasks]

    @property
    def profiler_modules(self) -> list[str]:
        return [module for manifest in self.manifests for module in manifest.profilers]

    @property
    def model_modules(self) -> list[str]:
        return [module for manifest in self.manifests for module in manifest.models]

    @property
    def process_modules(self) -> list[str]:
        """What a spawned worker process imports before its first job: what registers job
        types and profilers."""
        return [*self.task_modules, *self.profiler_modules]

    def routers(self) -> list[APIRouter]:
        return [
            importlib.import_module(module).router
            for manifest in self.manifests
            for module in manifest.routers
        ]

    def import_for_jobs(self, extra_task_modules: Iterable[str] = ()) -> None:
        """Import what registers job types and profilers (a module is imported once per process)."""
        import_modules([*self.process_modules, *extra_task_modules])

    def import_models(self) -> None:
        import_modules(self.model_modules)

    def migration_locations(self) -> list[str]:
        """The folders of every app's Alembic revisions, the platform's first."""
        locations = []
        for manifest in self.manifests:
            if manifest.migrations is not None:
                package = importlib.import_module(manifest.migrations)
                locations.append(str(Path(next(iter(package.__path__)))))
        return locations

    def role_for_topic(self, topic: str) -> Role | None:
        """The least role that may receive events of ``topic``; ``None`` for an undeclared one."""
        for manifest in self.manifests:
            for access in manifest.topics:
                if access.topic == topic:
                    return access.role
        return None

    def topics_matching(self, pattern: str) -> list[TopicAccess]:
        return [
            access
            for manifest in self.manifests
            for access in manifest.topics
            if fnmatchcase(access.topic, pattern)
        ]

    def dashboard_contributions(self) -> list[DashboardContribution]:
        contributions = []
        for manifest in self.manifests:
            for location in manifest.dashboard:
                contributions.append(_attribute(location))
        return contributions

    def settings_classes(self) -> list[type[AppSettings]]:
        return [manifest.settings for manifest in self.manifests if manifest.settings is not None]


def import_modules(modules: Iterable[str]) -> None:
    """Import modules by name (their import registers what they declare); also in a spawned
    worker process, as its initializer."""
    for module in modules:
        importlib.import_module(module)


def _attribute(location: str) -> Any:
    module_name, _, attribute = location.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
