"""Bad input to the archive's lists and probes answers 4xx with a problem, never 500 or a wrong
answer: bounded integers, literal text search, known kinds, the right field named."""

from __future__ import annotations

import httpx
import pytest

from tests.apps.archive.test_assets import settled, upload
from tests.apps.archive.test_register import ImportSetup
from tests.apps.archive.test_register import importing as importing  # a fixture
from tests.media_samples import mp4_bytes, png_bytes

TOO_BIG = str(2**63)


async def test_integer_filters_past_64_bits_answer_422_naming_the_filter(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answers = {
        name: await client.get("/assets", params={name: TOO_BIG}, headers=admin_headers)
        for name in ("size_min", "size_max")
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "size_min": 422,
        "size_max": 422,
    }
    assert answers["size_min"].headers["content-type"].startswith("application/problem+json")
    assert answers["size_max"].json()["field"] == "query.size_max"


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[]", b'{"path": 5}'])
async def test_a_probe_with_a_json_body_that_is_not_a_path_answers_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], body: bytes
) -> None:
    answer = await client.post(
        "/ingest/probe",
        content=body,
        headers=admin_headers | {"content-type": "application/json"},
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"].startswith("body")


async def test_a_path_with_a_name_over_255_bytes_answers_422_naming_the_path(
    importing: ImportSetup,
) -> None:
    long_path = str(importing.root / ("x" * 300 + ".mp4"))
    registered = await importing.http.post(
        "/assets/register", json={"path": long_path}, headers=importing.headers
    )
    probed = await importing.http.post(
        "/ingest/probe", json={"path": long_path}, headers=importing.headers
    )

    assert [registered.status_code, probed.status_code] == [422, 422]
    assert registered.json()["field"] == probed.json()["field"] == "path"
    assert "255 bytes" in registered.json()["detail"]


async def test_percent_and_underscore_in_q_are_matched_literally(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    plain = (await upload(client, admin_headers, "drive.png", png_bytes())).json()
    marked = (
        await upload(client, admin_headers, "100%_done.png", png_bytes(color=(1, 2, 3)))
    ).json()
    await settled(client, admin_headers, plain["id"])
    await settled(client, admin_headers, marked["id"])

    found = {
        q: [
            a["id"]
            for a in (await client.get("/assets", params={"q": q}, headers=admin_headers)).json()[
                "items"
            ]
        ]
        for q in ("%", "_", "0%_d")
    }

    assert found == {"%": [marked["id"]], "_": [marked["id"]], "0%_d": [marked["id"]]}


async def test_users_search_matches_percent_literally(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    everyone = await client.get("/users", params={"q": "%"}, headers=admin_headers)

    assert everyone.status_code == 200
    assert everyone.json()["total"] == 0


async def test_kind_is_case_insensitive_and_an_unknown_one_answers_422_naming_the_choices(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    video = (await upload(client, admin_headers, "drive.mp4", mp4_bytes())).json()
    await settled(client, admin_headers, video["id"])

    upper = await client.get("/assets", params={"kind": "VIDEO"}, headers=admin_headers)
    bogus = await client.get("/assets", params={"kind": "bogus"}, headers=admin_headers)

    assert [a["id"] for a in upper.json()["items"]] == [video["id"]]
    assert bogus.status_code == 422
    assert bogus.json()["field"] == "kind"
    assert "video" in bogus.json()["detail"]
    assert "tabular" in bogus.json()["detail"]


@pytest.mark.parametrize("name", ["recorded_after", "recorded_before"])
async def test_a_bad_recording_time_is_reported_under_its_own_name(
    client: httpx.AsyncClient, admin_headers: dict[str, str], name: str
) -> None:
    answer = await client.get("/assets", params={name: "yesterday"}, headers=admin_headers)

    assert answer.status_code == 422
    assert answer.json()["field"] == name
