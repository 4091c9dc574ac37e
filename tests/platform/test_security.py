"""What Reelhouse must not give away: credentials in logs, paths, other organizations' rows,
readable database files, and links built from a client's Host header."""

from __future__ import annotations

import io
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from reelhouse.app import create_app
from reelhouse.platform.logging import JsonFormatter
from reelhouse.settings import Settings
from tests.conftest import SECRET_KEY, create_organization


@pytest.fixture
def log_output(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Every log line of the test as the server writes it (JSON), uvicorn's included."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def new_api_key(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    created = await client.post("/api-keys", json={"name": "rig"}, headers=admin)
    key: str = created.json()["key"]
    return key


async def test_tokens_in_urls_never_reach_uvicorns_access_log(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    live_server: str,
    log_output: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = bearer(admin_headers)
    key = await new_api_key(client, admin_headers)

    async with httpx.AsyncClient(base_url=f"http://{live_server}/api/v1") as http:
        read = await http.get(f"/auth/me?token={token}", headers=admin_headers)
        await http.get(f"/assets?token={key}&limit=1")
    async with connect(f"ws://{live_server}/api/v1/ws/events?topics=jobs&token={token}") as ws:
        await ws.recv()

    assert read.status_code == 200
    access = [record for record in caplog.records if record.name == "uvicorn.access"]
    assert len(access) >= 2
    assert any("token=[redacted]" in record.getMessage() for record in access)
    for text in (log_output.getvalue(), caplog.text):
        assert token not in text
        assert key not in text
        assert key[len("rh_") :] not in text
    assert "token=[redacted]" in log_output.getvalue()


async def test_credentials_in_a_request_path_are_redacted_in_our_own_access_log(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    log_output: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = await new_api_key(client, admin_headers)
    token = bearer(admin_headers)

    pasted_key = await client.get(f"/assets/{key}", headers=admin_headers)
    pasted_token = await client.get(f"/jobs/{token}", headers=admin_headers)

    assert {pasted_key.status_code, pasted_token.status_code} <= {404, 422}
    ours = [record for record in caplog.records if record.name == "reelhouse.access"]
    assert any(key[:11] + "[redacted]" in record.getMessage() for record in ours)
    for text in (log_output.getvalue(), caplog.text):
        assert token not in text
        assert key not in text


async def test_readiness_names_no_absolute_data_path(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ready = await client.get("/health/ready")

    assert ready.status_code == 200
    assert str(settings.data_dir.resolve()) not in ready.text
    assert str(Path(settings.data_dir.resolve().anchor)) + "tmp" not in ready.text
    checks = {check["name"]: check["detail"] for check in ready.json()["checks"]}
    assert checks["storage"] == "local storage usable"


async def test_the_embedded_database_and_data_folder_are_private_to_their_owner(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "fresh" / "data"
    settings = Settings(data_dir=data_dir, secret_key=SECRET_KEY, admin_password="first-admin")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/api/v1/health/ready")).status_code == 200

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "reelhouse.db") == 0o600
    companions = [data_dir / f"reelhouse.db{suffix}" for suffix in ("-wal", "-shm")]
    assert {mode(path) for path in companions if path.exists()} <= {0o600}


async def test_upload_url_uses_the_public_base_url_not_the_host_header(
    settings: Settings,
) -> None:
    public = settings.model_copy(update={"public_base_url": "https://media.example.org/reel/"})
    app = create_app(public)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            token = await http.post(
                "/auth/token",
                data={"username": "admin@example.org", "password": "first-admin-password"},
            )
            headers = {
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Host": "attacker.example.net",
            }
            started = await http.post(
                "/ingest/init", json={"filename": "clip.mp4", "size": 5}, headers=headers
            )

    assert started.status_code == 201, started.text
    upload_id = started.json()["upload_id"]
    assert started.json()["upload_url"] == (
        f"https://media.example.org/reel/api/v1/ingest/{upload_id}/content"
    )


async def test_a_job_about_another_organizations_row_answers_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    lab = await create_organization(client, admin_headers, "Lab")
    theirs = (await client.get("/auth/me", headers=admin_headers)).json()["user"]["id"]
    own = (await client.get("/auth/me", headers=lab.headers)).json()["user"]["id"]

    def job(kind: str, subject_id: str) -> dict[str, object]:
        return {"type": "platform.echo", "subject": {"kind": kind, "id": subject_id}}

    foreign = await client.post("/jobs", json=job("user", theirs), headers=lab.headers)
    unknown_kind = await client.post("/jobs", json=job("spaceship", own), headers=lab.headers)
    mine = await client.post("/jobs", json=job("user", own), headers=lab.headers)

    assert foreign.status_code == 404
    assert foreign.json()["detail"] == f"user {theirs} not found"
    assert unknown_kind.status_code == 422
    assert mine.status_code == 201
    listed = await client.get("/jobs", headers=lab.headers)
    assert [row["subject"]["id"] for row in listed.json()["items"]] == [own]
