"""Logging in with a password or an API key, and every way a credential is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from reelhouse.platform.auth.credentials import issue_access_token
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET_KEY, create_user, login


async def test_first_admin_logs_in_and_reads_me(client: httpx.AsyncClient) -> None:
    headers = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)

    me = await client.get("/auth/me", headers=headers)

    assert me.status_code == 200
    body = me.json()
    assert body["role"] == "admin"
    assert body["user"]["email"] == ADMIN_EMAIL
    assert body["user"]["is_instance_admin"] is True
    assert body["organization"]["name"] == "Default"
    assert body["user"]["last_login_at"] is not None


async def test_wrong_password_and_unknown_email_answer_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.post("/auth/token", data={"username": ADMIN_EMAIL, "password": "nope1234"})
    unknown = await client.post(
        "/auth/token", data={"username": "ghost@example.org", "password": ADMIN_PASSWORD}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong email or password"
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_missing_expired_and_forged_tokens_answer_401(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/auth/me", headers=admin_headers)).json()
    user_id, org_id = uuid.UUID(me["user"]["id"]), uuid.UUID(me["organization"]["id"])
    expired, _ = issue_access_token(user_id, org_id, SECRET_KEY, timedelta(seconds=-5))
    forged, _ = issue_access_token(user_id, org_id, "another-secret-" * 4, timedelta(hours=1))
    genuine = admin_headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(genuine, options={"verify_signature": False})
    header, _, signature = genuine.split(".")
    tampered_claims = {**claims, "org": str(uuid.uuid4())}
    tampered_payload = jwt.encode(tampered_claims, "x" * 32, algorithm="HS256").split(".")[1]
    tampered = f"{header}.{tampered_payload}.{signature}"
    unsigned = jwt.encode({**claims, "exp": datetime.now(UTC) + timedelta(hours=1)}, None, "none")

    answers = {
        "missing": await client.get("/auth/me"),
        "expired": await client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"}),
        "forged": await client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"}),
        "tampered": await client.get("/auth/me", headers={"Authorization": f"Bearer {tampered}"}),
        "unsigned": await client.get("/auth/me", headers={"Authorization": f"Bearer {unsigned}"}),
        "garbage": await client.get("/auth/me", headers={"Authorization": "Bearer not.a.jwt"}),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 401
    )
    assert answers["expired"].json()["detail"] == "token expired"
    assert answers["forged"].json()["detail"] == "invalid token"


async def test_api_key_authenticates_as_its_organization_until_revoked(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api-keys", json={"name": "telemetry rig 3", "role": "member"}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("rh_")
    key_headers = {"Authorization": f"Bearer {key}"}

    me = await client.get("/auth/me", headers=key_headers)

    assert me.status_code == 200
    assert me.json()["api_key_id"] == created.json()["id"]
    assert me.json()["role"] == "member"
    assert me.json()["user"] is None
    listed = (await client.get("/api-keys", headers=admin_headers)).json()
    assert [item["name"] for item in listed["items"]] == ["telemetry rig 3"]
    assert "key" not in listed["items"][0]
    assert listed["items"][0]["last_used_at"] is not None

    revoked = await client.delete(f"/api-keys/{created.json()['id']}", headers=admin_headers)
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    after = await client.get("/auth/me", headers=key_headers)
    assert after.status_code == 401
    unknown = await client.get("/auth/me", headers={"Authorization": f"Bearer {key}x"})
    assert unknown.status_code == 401


async def test_expired_api_key_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    in_the_past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = await client.post(
        "/api-keys", json={"name": "old", "expires_at": in_the_past}, headers=admin_headers
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "expires_at"


async def test_viewer_and_member_cannot_call_admin_routes(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    viewer = await create_user(client, admin_headers, "viewer@example.org", role="viewer")
    member = await create_user(client, admin_headers, "member@example.org", role="member")

    for headers in (viewer, member):
        assert (await client.get("/users", headers=headers)).status_code == 403
        created = await client.post(
            "/users", json={"email": "x@example.org", "password": "password1"}, headers=headers
        )
        assert created.status_code == 403
        assert (
            await client.post("/api-keys", json={"name": "k"}, headers=headers)
        ).status_code == 403
        assert (await client.get("/organizations", headers=headers)).status_code == 403
    refused = await client.get("/users", headers=viewer)
    assert refused.json()["type"] == "urn:reelhouse:problem:forbidden"
    assert (await client.get("/auth/me", headers=viewer)).json()["role"] == "viewer"


async def test_viewer_api_key_cannot_call_admin_routes(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api-keys", json={"name": "dashboard", "role": "viewer"}, headers=admin_headers
    )
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}

    assert (await client.get("/users", headers=key_headers)).status_code == 403


async def test_deactivated_user_loses_access_at_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "leaving@example.org")
    member_id = (await client.get("/auth/me", headers=member)).json()["user"]["id"]

    deactivated = await client.post(f"/users/{member_id}/deactivate", headers=admin_headers)

    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    assert (await client.get("/auth/me", headers=member)).status_code == 401
    relogin = await client.post(
        "/auth/token", data={"username": "leaving@example.org", "password": "user-password"}
    )
    assert relogin.status_code == 401


async def test_admin_renames_and_changes_the_role_of_a_key(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post("/api-keys", json={"name": "rig"}, headers=admin_headers)
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}

    changed = await client.patch(
        f"/api-keys/{created.json()['id']}",
        json={"name": "rig 7", "role": "viewer"},
        headers=admin_headers,
    )

    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["role"]) == ("rig 7", "viewer")
    assert (await client.get("/auth/me", headers=key_headers)).json()["role"] == "viewer"
