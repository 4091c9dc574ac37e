"""Alembic, driven from code: one history for SQLite and PostgreSQL, each app's revisions shipped
in its own folder and found through the installed apps."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(apps: InstalledApps, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(apps.migration_locations()))
    config.attributes["connection"] = connection
    config.attributes["apps"] = apps
    return config


def head_revisions(apps: InstalledApps) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(apps)).get_heads())


async def current_revisions(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            heads = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_heads()
            )
    finally:
        await engine.dispose()
    return set(heads)


async def upgrade(database_url: str, apps: InstalledApps, revision: str = "heads") -> None:
    """Bring the database to ``revision``: by default the head of every app's history."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(apps, sync), revision)
            )
    finally:
        await engine.dispose()


async def is_up_to_date(database_url: str, apps: InstalledApps) -> bool:
    return await current_revisions(database_url) == head_revisions(apps)
