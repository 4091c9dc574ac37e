"""The dashboard tells what the organization holds, how it grew, and what is stuck."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.apps.archive.test_assets import settled, upload
from tests.conftest import create_organization
from tests.media_samples import png_bytes


async def test_summary_trends_and_blockers_reflect_the_archive(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    good = (await upload(client, admin_headers, "ok.png", png_bytes(color=(3, 3, 3)))).json()
    bad = (await upload(client, admin_headers, "bad.png", png_bytes(color=(4, 4, 4))[:40])).json()
    await settled(client, admin_headers, good["id"])
    await settled(client, admin_headers, bad["id"])
    org_b = await create_organization(client, admin_headers, "OrgB")

    summary = (await client.get("/dashboard/summary", headers=admin_headers)).json()
    trends = (await client.get("/dashboard/trends?days=7", headers=admin_headers)).json()
    blockers = (await client.get("/dashboard/blockers", headers=admin_headers)).json()["items"]
    theirs = (await client.get("/dashboard/summary", headers=org_b.headers)).json()
    too_long = await client.get("/dashboard/trends?days=91", headers=admin_headers)

    assert summary["assets"]["by_status"] == {"indexed": 1, "failed": 1}
    assert summary["assets"]["bytes_stored"] == good["size"] + bad["size"]
    assert summary["jobs"]["by_status"]["failed"] == 1
    assert summary["outputs"]["by_role"] == {"thumbnail": 2}
    assert summary["assets"]["last_indexed_at"] is not None
    today = datetime.now(UTC).date().isoformat()
    assert [bucket["day"] for bucket in trends["buckets"]][-1] == today
    assert len(trends["buckets"]) == 7
    assert trends["buckets"][-1]["assets"] == 2
    assert trends["buckets"][-1]["outputs"] == 2
    assert {(b["kind"], b["id"]) for b in blockers} >= {("asset", bad["id"])}
    assert (
        next(b for b in blockers if b["kind"] == "asset")["link"] == f"/api/v1/assets/{bad['id']}"
    )
    assert not any(b["kind"] == "job" for b in blockers), "its failed job is the asset's blocker"
    assert theirs["assets"]["by_status"] == {}
    assert too_long.status_code == 422
