"""The command line: migrate and its check, users create, openapi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import Base, create_engine
from reelhouse.platform.migrations import upgrade
from reelhouse.settings import INSTALLED_APPS
from tests.conftest import Database, fresh_database


def reelhouse(
    *args: str, database_url: str, data_dir: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REELHOUSE_DATABASE_URL": database_url,
        "REELHOUSE_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "reelhouse", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_migrate_check_fails_behind_and_passes_after_migrate(
    database: Database, tmp_path: Path
) -> None:
    async with fresh_database(database.backend, tmp_path) as empty:
        before = reelhouse("migrate", "--check", database_url=empty.url, data_dir=tmp_path)
        migrated = reelhouse("migrate", database_url=empty.url, data_dir=tmp_path)
        after = reelhouse("migrate", "--check", database_url=empty.url, data_dir=tmp_path)

    assert before.returncode == 1
    assert "run `reelhouse migrate`" in before.stderr
    assert migrated.returncode == 0, migrated.stderr
    assert after.returncode == 0, after.stderr


async def test_migrations_match_the_models(database: Database) -> None:
    installed = InstalledApps.load(INSTALLED_APPS)
    installed.import_models()
    # Tables of the installed apps only: an app defined in a test adds its own to the metadata.
    installed_tables = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ in installed.model_modules
    }

    def installed_only(
        _obj: object, name: str | None, kind: str, reflected: bool, _to: object
    ) -> bool:
        return kind != "table" or reflected or name in installed_tables

    engine = create_engine(database.url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_object": installed_only}),
                Base.metadata,
            )
        )
    await engine.dispose()

    assert differences == []


async def test_users_create_makes_the_first_admin_then_more_organizations(
    database: Database, tmp_path: Path
) -> None:
    async with fresh_database(database.backend, tmp_path) as empty:
        await upgrade(empty.url, InstalledApps.load(INSTALLED_APPS))
        first = reelhouse(
            "users",
            "create",
            "--email",
            "Root@Example.org",
            database_url=empty.url,
            data_dir=tmp_path,
            stdin="root-password\nroot-password\n",
        )
        again = reelhouse(
            "users",
            "create",
            "--email",
            "second@example.org",
            database_url=empty.url,
            data_dir=tmp_path,
            stdin="password-2\npassword-2\n",
        )
        other = reelhouse(
            "users",
            "create",
            "--email",
            "lead@lab.example.org",
            "--organization",
            "Lab",
            database_url=empty.url,
            data_dir=tmp_path,
            stdin="password-3\npassword-3\n",
        )

    assert first.returncode == 0, first.stderr
    assert "created instance admin root@example.org of organization 'Default'" in first.stdout
    assert again.returncode == 1
    assert "pass --organization" in again.stderr
    assert other.returncode == 0, other.stderr
    assert "created admin lead@lab.example.org of organization 'Lab'" in other.stdout


def test_openapi_is_written_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"

    written = reelhouse("openapi", "--out", str(out), database_url=url, data_dir=tmp_path)

    assert written.returncode == 0, written.stderr
    assert "/api/v1/auth/me" in json.loads(out.read_text())["paths"]
