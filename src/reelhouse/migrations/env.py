"""Alembic environment: the connection ``reelhouse migrate`` hands over, or one from settings."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import Base, UTCDateTime, create_engine
from reelhouse.settings import Settings

# Handed over by ``reelhouse migrate`` (and the app's start-up); read from the settings when
# Alembic's own command line runs this.
installed: InstalledApps = context.config.attributes.get("apps") or InstalledApps.load(
    Settings().apps
)
installed.import_models()
target_metadata = Base.metadata


def render_item(kind: str, item: Any, _autogen: AutogenContext) -> str | Literal[False]:
    """Migrations name plain SQLAlchemy types, so they never import our code."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    engine = create_engine(Settings().resolved_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


given_connection = context.config.attributes.get("connection")
if given_connection is not None:
    run_with(given_connection)
else:
    asyncio.run(run_from_settings())
