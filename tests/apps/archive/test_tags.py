"""The tag catalog through HTTP: one tag per name, renamed and deleted with the assets that
carry it, listed in the paged envelope, each change heard on the assets topic."""

from __future__ import annotations

import httpx
from websockets.asyncio.client import connect

from tests.apps.archive.test_assets import upload
from tests.media_samples import png_bytes
from tests.platform.test_events import bearer, receive


async def test_creating_a_tag_that_exists_answers_200_with_the_existing_tag(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await client.post("/tags", json={"name": "Night Drive"}, headers=admin_headers)
    again = await client.post("/tags", json={"name": "night  DRIVE"}, headers=admin_headers)

    assert [first.status_code, again.status_code] == [201, 200]
    assert again.json() == first.json()


async def test_a_renamed_tag_stays_on_its_assets_and_a_taken_name_answers_409(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asset = (await upload(client, admin_headers, "still.png", png_bytes())).json()
    tag = (
        await client.post(
            f"/assets/{asset['id']}/tags", json={"name": "dusk"}, headers=admin_headers
        )
    ).json()
    other = (await client.post("/tags", json={"name": "dawn"}, headers=admin_headers)).json()

    renamed = await client.patch(
        f"/tags/{tag['id']}", json={"name": "  Golden Hour "}, headers=admin_headers
    )
    taken = await client.patch(
        f"/tags/{other['id']}", json={"name": "golden hour"}, headers=admin_headers
    )
    carried = (await client.get(f"/assets/{asset['id']}", headers=admin_headers)).json()
    found = (
        await client.get("/assets", params={"tag": "golden hour"}, headers=admin_headers)
    ).json()

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "golden hour"
    assert taken.status_code == 409
    assert taken.json()["field"] == "name"
    assert carried["tags"] == ["golden hour"]
    assert [a["id"] for a in found["items"]] == [asset["id"]]


async def test_a_deleted_tag_leaves_the_catalog_and_every_asset(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asset = (await upload(client, admin_headers, "still.png", png_bytes())).json()
    tag = (
        await client.post(
            f"/assets/{asset['id']}/tags", json={"name": "dusk"}, headers=admin_headers
        )
    ).json()

    deleted = await client.delete(f"/tags/{tag['id']}", headers=admin_headers)
    again = await client.delete(f"/tags/{tag['id']}", headers=admin_headers)
    carried = (await client.get(f"/assets/{asset['id']}", headers=admin_headers)).json()
    catalog = (await client.get("/tags", headers=admin_headers)).json()

    assert [deleted.status_code, again.status_code] == [204, 404]
    assert carried["tags"] == []
    assert catalog["total"] == 0


async def test_the_catalog_is_a_page_with_total_limit_and_offset(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for name in ("charlie", "alpha", "bravo"):
        await client.post("/tags", json={"name": name}, headers=admin_headers)

    page = await client.get("/tags", params={"limit": 2, "offset": 1}, headers=admin_headers)

    assert page.status_code == 200
    assert {key: page.json()[key] for key in ("total", "limit", "offset")} == {
        "total": 3,
        "limit": 2,
        "offset": 1,
    }
    assert [tag["name"] for tag in page.json()["items"]] == ["bravo", "charlie"]


async def test_tag_changes_are_published_on_the_assets_topic(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    url = f"ws://{live_server}/api/v1/ws/events?topics=assets&token={bearer(admin_headers)}"
    async with connect(url) as socket:
        assert (await receive(socket))["event"] == "connected"
        tag = (await client.post("/tags", json={"name": "dusk"}, headers=admin_headers)).json()
        await client.patch(f"/tags/{tag['id']}", json={"name": "dawn"}, headers=admin_headers)
        await client.delete(f"/tags/{tag['id']}", headers=admin_headers)
        heard = [await receive(socket) for _ in range(3)]

    assert [event["event"] for event in heard] == ["tag.created", "tag.renamed", "tag.deleted"]
    assert [event["data"]["name"] for event in heard] == ["dusk", "dawn", "dawn"]
    assert {event["subject"]["id"] for event in heard} == {tag["id"]}
