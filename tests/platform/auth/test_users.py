"""An admin manages the users of their organization: list, create, change, deactivate."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_EMAIL, create_user, login


async def test_admin_creates_lists_and_pages_users(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for name in ("carol", "alice", "bob"):
        await create_user(client, admin_headers, f"{name}@example.org")

    first = await client.get("/users?limit=2&sort=email", headers=admin_headers)
    second = await client.get("/users?limit=2&offset=2&sort=email", headers=admin_headers)
    descending = await client.get("/users?limit=1&sort=-email", headers=admin_headers)

    assert first.status_code == 200
    assert first.json()["total"] == second.json()["total"] == 4
    emails = [user["email"] for user in first.json()["items"] + second.json()["items"]]
    assert emails == sorted(
        [ADMIN_EMAIL, "alice@example.org", "bob@example.org", "carol@example.org"]
    )
    assert descending.json()["items"][0]["email"] == "carol@example.org"


async def test_users_filter_by_role_activity_and_text(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await create_user(client, admin_headers, "viewer.one@example.org", role="viewer")
    await create_user(client, admin_headers, "member.one@example.org")

    viewers = (await client.get("/users?role=viewer", headers=admin_headers)).json()
    matching = (await client.get("/users?q=MEMBER.one", headers=admin_headers)).json()
    inactive = (await client.get("/users?is_active=false", headers=admin_headers)).json()

    assert [user["email"] for user in viewers["items"]] == ["viewer.one@example.org"]
    assert [user["email"] for user in matching["items"]] == ["member.one@example.org"]
    assert inactive["total"] == 0


async def test_bad_list_parameters_name_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    bad_sort = await client.get("/users?sort=password_hash", headers=admin_headers)
    bad_limit = await client.get("/users?limit=0", headers=admin_headers)

    assert bad_sort.status_code == 422
    assert bad_sort.json()["field"] == "query.sort"
    assert bad_limit.status_code == 422
    assert bad_limit.json()["field"] == "query.limit"


async def test_admin_changes_role_and_password(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "promoted@example.org")
    member_id = (await client.get("/auth/me", headers=member)).json()["user"]["id"]

    changed = await client.patch(
        f"/users/{member_id}",
        json={"role": "viewer", "password": "a-new-password", "full_name": "Pat Promoted"},
        headers=admin_headers,
    )

    assert changed.status_code == 200
    assert changed.json()["role"] == "viewer"
    assert changed.json()["full_name"] == "Pat Promoted"
    relogged = await login(client, "promoted@example.org", "a-new-password")
    assert (await client.get("/auth/me", headers=relogged)).json()["role"] == "viewer"


async def test_duplicate_email_and_bad_body_are_refused_clearly(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    duplicate = await client.post(
        "/users",
        json={"email": ADMIN_EMAIL.upper(), "password": "long-enough"},
        headers=admin_headers,
    )
    not_an_email = await client.post(
        "/users", json={"email": "nobody", "password": "long-enough"}, headers=admin_headers
    )
    short_password = await client.post(
        "/users", json={"email": "short@example.org", "password": "123"}, headers=admin_headers
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "email"
    assert not_an_email.status_code == 422
    assert not_an_email.json()["field"] == "body.email"
    assert short_password.status_code == 422
    assert short_password.json()["field"] == "body.password"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    admin_id = (await client.get("/auth/me", headers=admin_headers)).json()["user"]["id"]

    demoted = await client.patch(
        f"/users/{admin_id}", json={"role": "member"}, headers=admin_headers
    )
    deactivated = await client.post(f"/users/{admin_id}/deactivate", headers=admin_headers)

    assert demoted.status_code == deactivated.status_code == 409
    second_admin = await create_user(client, admin_headers, "second@example.org", role="admin")
    now_allowed = await client.patch(
        f"/users/{admin_id}", json={"role": "member"}, headers=second_admin
    )
    assert now_allowed.status_code == 200


async def test_users_filter_by_creation_time(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await create_user(client, admin_headers, "early@example.org")
    early = (await client.get("/users?q=early", headers=admin_headers)).json()["items"][0]
    await create_user(client, admin_headers, "late@example.org")

    since = await client.get(
        "/users",
        params={"created_after": early["created_at"], "sort": "created_at"},
        headers=admin_headers,
    )
    until = await client.get(
        "/users",
        params={"created_before": early["created_at"], "sort": "created_at"},
        headers=admin_headers,
    )
    reversed_range = await client.get(
        "/users",
        params={"created_after": "2030-01-01T00:00:00Z", "created_before": "2020-01-01T00:00:00"},
        headers=admin_headers,
    )

    assert [u["email"] for u in since.json()["items"]] == ["early@example.org", "late@example.org"]
    assert [u["email"] for u in until.json()["items"]] == [ADMIN_EMAIL, "early@example.org"]
    assert reversed_range.status_code == 422
    assert reversed_range.json()["field"] == "created_after"
