"""Accounts under attack: bad updates, password guessing, stale tokens, curious neighbours."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from reelhouse.app import create_app
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, create_organization, create_user, login
from tests.services import REDIS_URL, require_service


async def user_id_of(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    user_id: str = (await client.get("/auth/me", headers=headers)).json()["user"]["id"]
    return user_id


async def try_login(
    client: httpx.AsyncClient, email: str, password: str, organization: str | None = None
) -> httpx.Response:
    form = {"username": email, "password": password}
    if organization is not None:
        form["organization"] = organization
    return await client.post("/auth/token", data=form)


@asynccontextmanager
async def served(
    settings: Settings, address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own built from ``settings``, calling from ``address``."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            yield http


async def test_a_null_role_or_is_active_answers_422_not_500(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "nulls@example.org")
    member_id = await user_id_of(client, member)

    answers = [
        await client.patch(f"/users/{member_id}", json={field: None}, headers=admin_headers)
        for field in ("role", "is_active", "password")
    ]

    assert [answer.status_code for answer in answers] == [422, 422, 422]
    assert [answer.json()["field"] for answer in answers] == [
        "body.role",
        "body.is_active",
        "body.password",
    ]
    assert (await client.get(f"/users/{member_id}", headers=admin_headers)).json()["role"] == (
        "member"
    )


async def test_fifteen_wrong_passwords_make_even_the_right_one_wait_with_429(
    client: httpx.AsyncClient,
) -> None:
    wrong = [await try_login(client, ADMIN_EMAIL, f"guess-{n:04}") for n in range(15)]
    right = await try_login(client, ADMIN_EMAIL, ADMIN_PASSWORD)

    assert [answer.status_code for answer in wrong[:5]] == [401] * 5
    assert {answer.status_code for answer in wrong[5:]} == {429}
    assert right.status_code == 429
    assert right.headers["content-type"] == "application/problem+json"
    assert int(right.headers["retry-after"]) >= 1
    assert right.json()["retry_after"] == int(right.headers["retry-after"])


async def test_a_successful_login_after_the_wait_resets_the_accounts_count(
    settings: Settings,
) -> None:
    quick = settings.model_copy(update={"login_max_failures": 3, "login_backoff_seconds": 0.2})
    async with served(quick) as http:
        for n in range(3):
            assert (await try_login(http, ADMIN_EMAIL, f"guess-{n:04}")).status_code == 401
        waiting = await try_login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        await asyncio.sleep(0.3)
        after_wait = await try_login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        # Without the reset these would be failures 4 and 5, each backing off again.
        fresh = [await try_login(http, ADMIN_EMAIL, f"typo-{n}") for n in range(2)]

    assert waiting.status_code == 429
    assert after_wait.status_code == 200
    assert [answer.status_code for answer in fresh] == [401, 401]


async def test_one_address_guessing_many_accounts_backs_off_but_others_log_in(
    settings: Settings,
) -> None:
    quick = settings.model_copy(update={"login_max_failures": 2})
    async with served(quick, address="203.0.113.7") as guesser:
        # Two accounts' worth of failures each stay under the account limit; the address does not.
        answers = [
            await try_login(guesser, f"target{n}@example.org", "password1") for n in range(8)
        ]
        locked = await try_login(guesser, ADMIN_EMAIL, ADMIN_PASSWORD)

    assert [answer.status_code for answer in answers] == [401] * 8
    assert locked.status_code == 429


async def test_servers_sharing_redis_share_the_login_backoff(settings: Settings) -> None:
    require_service("Redis", REDIS_URL)
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "login_max_failures": 3})
    email = f"guessed-{uuid.uuid4().hex[:12]}@example.org"
    # An address of this run alone, so no other run's count on the same Redis meets it.
    address = f"2001:db8::{random.randint(1, 0xFFFF):x}:{random.randint(1, 0xFFFF):x}"
    async with served(shared, address) as first, served(shared, address) as second:
        failed = [await try_login(first, email, f"guess-{n}") for n in range(3)]
        elsewhere = await try_login(second, email, "guess-3")

    assert [answer.status_code for answer in failed] == [401, 401, 401]
    assert elsewhere.status_code == 429


async def test_changing_a_password_revokes_the_users_existing_tokens(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "rotated@example.org")
    member_id = await user_id_of(client, member)

    changed = await client.patch(
        f"/users/{member_id}", json={"password": "a-fresh-password"}, headers=admin_headers
    )

    assert changed.status_code == 200
    stale = await client.get("/auth/me", headers=member)
    assert stale.status_code == 401
    assert "revoked" in stale.json()["detail"]
    renewed = await login(client, "rotated@example.org", "a-fresh-password")
    assert (await client.get("/auth/me", headers=renewed)).status_code == 200


async def test_a_reactivated_user_finds_the_tokens_of_before_revoked(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    member = await create_user(client, admin_headers, "returning@example.org")
    member_id = await user_id_of(client, member)

    await client.post(f"/users/{member_id}/deactivate", headers=admin_headers)
    back = await client.patch(
        f"/users/{member_id}", json={"is_active": True}, headers=admin_headers
    )

    assert back.status_code == 200
    assert back.json()["is_active"] is True
    assert (await client.get("/auth/me", headers=member)).status_code == 401
    assert (await try_login(client, "returning@example.org", "user-password")).status_code == 200


async def test_an_email_of_another_organization_is_created_as_if_it_were_new(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    lab = await create_organization(client, admin_headers, "Lab")
    body = {"email": "shared@example.org", "password": "default-password", "role": "member"}
    in_default = await client.post("/users", json=body, headers=admin_headers)

    fresh = await client.post(
        "/users",
        json={**body, "email": "nobody-yet@example.org", "password": "lab-password"},
        headers=lab.headers,
    )
    existing = await client.post(
        "/users", json={**body, "password": "lab-password"}, headers=lab.headers
    )

    assert in_default.status_code == fresh.status_code == existing.status_code == 201
    assert existing.json().keys() == fresh.json().keys()
    assert existing.json()["org_id"] == lab.org_id
    assert existing.json()["last_login_at"] is None
    assert existing.json()["id"] != in_default.json()["id"]
    # Each password opens its own organization's account, and only that one.
    lab_account = await login(client, "shared@example.org", "lab-password")
    default_account = await login(client, "shared@example.org", "default-password")
    lab_me = (await client.get("/auth/me", headers=lab_account)).json()
    default_me = (await client.get("/auth/me", headers=default_account)).json()
    assert lab_me["organization"]["id"] == lab.org_id
    assert default_me["user"]["id"] == in_default.json()["id"]
    assert default_me["user"]["last_login_at"] is not None
    again = await client.post("/users", json=body, headers=lab.headers)
    assert again.status_code == 409


async def test_one_password_for_accounts_in_two_organizations_logs_in_where_chosen(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    lab = await create_organization(client, admin_headers, "Lab")
    body = {"email": "twice@example.org", "password": "same-password"}
    await client.post("/users", json=body, headers=admin_headers)
    await client.post("/users", json=body, headers=lab.headers)

    unnamed = await try_login(client, "twice@example.org", "same-password")
    chosen = await try_login(client, "twice@example.org", "same-password", organization="Lab")
    elsewhere = await try_login(client, "twice@example.org", "same-password", organization="Nope")

    assert unnamed.status_code == 401
    assert "organization" in unnamed.json()["detail"]
    assert chosen.status_code == 200
    me = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {chosen.json()['access_token']}"}
    )
    assert me.json()["organization"]["id"] == lab.org_id
    assert elsewhere.status_code == 401
