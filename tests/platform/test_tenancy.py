"""Organizations: only the instance admin makes them, and none sees another's rows."""

from __future__ import annotations

import httpx

from tests.conftest import create_organization, create_user


async def test_instance_admin_creates_and_lists_organizations(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    lab = await create_organization(client, admin_headers, "Lab")

    listed = await client.get("/organizations?sort=name", headers=admin_headers)
    me = await client.get("/auth/me", headers=lab.headers)

    assert [org["name"] for org in listed.json()["items"]] == ["Default", "Lab"]
    assert me.json()["organization"]["id"] == lab.org_id
    assert me.json()["role"] == "admin"
    assert me.json()["user"]["is_instance_admin"] is False
    duplicate = await client.post(
        "/organizations",
        json={"name": "Lab", "admin_email": "other@example.org", "admin_password": "password1"},
        headers=admin_headers,
    )
    assert duplicate.status_code == 409


async def test_an_organization_admin_cannot_manage_organizations(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    lab = await create_organization(client, admin_headers, "Lab")

    created = await client.post(
        "/organizations",
        json={"name": "Rogue", "admin_email": "r@example.org", "admin_password": "password1"},
        headers=lab.headers,
    )

    assert created.status_code == 403
    assert (await client.get("/organizations", headers=lab.headers)).status_code == 403


async def test_another_organizations_user_and_key_answer_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "a.member@example.org")
    member_id = (await client.get("/auth/me", headers=member)).json()["user"]["id"]
    key_id = (
        await client.post("/api-keys", json={"name": "org A key"}, headers=admin_headers)
    ).json()["id"]
    org_b = await create_organization(client, admin_headers, "OrgB")

    answers = [
        await client.get(f"/users/{member_id}", headers=org_b.headers),
        await client.patch(f"/users/{member_id}", json={"role": "admin"}, headers=org_b.headers),
        await client.post(f"/users/{member_id}/deactivate", headers=org_b.headers),
        await client.delete(f"/api-keys/{key_id}", headers=org_b.headers),
        await client.patch(f"/api-keys/{key_id}", json={"name": "x"}, headers=org_b.headers),
    ]

    assert [answer.status_code for answer in answers] == [404] * 5
    assert answers[0].json()["type"] == "urn:reelhouse:problem:not-found"
    listed = (await client.get("/users", headers=org_b.headers)).json()
    assert [user["email"] for user in listed["items"]] == [org_b.email]
    assert (await client.get("/api-keys", headers=org_b.headers)).json()["total"] == 0
    still = await client.get(f"/users/{member_id}", headers=admin_headers)
    assert still.json()["role"] == "member"
    assert still.json()["is_active"] is True
