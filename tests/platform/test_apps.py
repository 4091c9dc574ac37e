"""The installed apps: an app defined only here, in ``example_app``, is listed in a manifest and
gets its routes, job types, tables, settings, profilers, topics and dashboard section, with no
edit to the platform or to any other app."""

from __future__ import annotations

import os
from pathlib import Path

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.auth.models import Role
from reelhouse.platform.migrations import is_up_to_date, upgrade
from reelhouse.settings import INSTALLED_APPS, Settings
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET_KEY, Database, fresh_database
from tests.jobs_helpers import serving, wait_for_job

WITH_EXAMPLE = "tests.platform.example_app.manifest:INSTALLED_APPS"


async def test_an_app_defined_in_the_tests_is_carried_whole(
    database: Database, tmp_path: Path
) -> None:
    os.environ["REELHOUSE_EXAMPLE_GREETING"] = "hi"
    apps = InstalledApps.load(WITH_EXAMPLE)
    try:
        async with fresh_database(database.backend, tmp_path) as empty:
            await upgrade(empty.url, apps)
            settings = Settings(
                data_dir=tmp_path / "data",
                database_url=empty.url,
                auto_migrate=False,
                secret_key=SECRET_KEY,
                admin_email=ADMIN_EMAIL,
                admin_password=ADMIN_PASSWORD,
                apps=WITH_EXAMPLE,
                job_poll_seconds=0.1,
                job_process_workers=1,
            )
            up_to_date = await is_up_to_date(empty.url, apps)
            behind_without_it = await is_up_to_date(empty.url, InstalledApps.load(INSTALLED_APPS))
            async with serving(settings) as (_app, client, headers):
                written = await client.post(
                    "/example/notes", json={"text": "three little words"}, headers=headers
                )
                assert written.status_code == 201, written.text
                job = await wait_for_job(client, headers, written.json()["job_id"])
                note = (
                    await client.get(
                        f"/example/notes/{written.json()['note']['id']}", headers=headers
                    )
                ).json()
                # Filters accept a kind the app's profiler declares before any file has it.
                none_yet = await client.get("/assets?kind=Example", headers=headers)
                uploaded = await upload(client, headers, "field.example", b"one two three four")
                asset = await settled(client, headers, uploaded.json()["id"])
                summary = (await client.get("/dashboard/summary", headers=headers)).json()
    finally:
        del os.environ["REELHOUSE_EXAMPLE_GREETING"]

    assert up_to_date
    assert not behind_without_it  # the example's branch is a head the stock apps do not know
    assert job["status"] == "succeeded", job
    assert job["result"] == {"summary": "hi: 3 words", "kind": "example"}
    # Profiled by the example's profiler in the spawned pool, for its own job and the archive's.
    assert note["profiled_by_pid"] not in (None, os.getpid())
    assert (none_yet.status_code, none_yet.json()["total"]) == (200, 0)
    assert (asset["status"], asset["kind"], asset["facts"]["words"]) == ("indexed", "example", 4)
    assert asset["facts"]["pid"] != os.getpid()
    assert summary["notes"] == {"notes": 1}
    assert apps.role_for_topic("notes") is Role.admin
    assert apps.names == ["platform", "archive", "recordings", "dashboard", "example"]
