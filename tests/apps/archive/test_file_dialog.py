"""A desktop install registers the files picked in its native dialog: the real Tk dialog, shown
on a virtual X display (Xvfb) and answered with real keystrokes (xdotool)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelhouse.apps.archive.assets.file_dialog import DIALOG_TITLE
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.media_samples import png_bytes
from tests.services import require_module, require_program

WAIT_S = 30.0
# Shorter than the dialog's own timeout (WAIT_S), so a dialog closed by it does not count.
CLOSE_S = 10.0


@pytest.fixture(scope="session")
def xvfb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A virtual X display for the whole run, on a number Xvfb finds free; yields its name."""
    require_program("Xvfb", "xvfb")
    require_program("xdotool", "xdotool")
    require_module("tkinter", "python3-tk")
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    read_end, write_end = os.pipe()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_end,),
            stdout=output,
            stderr=output,
        )
    os.close(write_end)
    # Xvfb writes the display number once it accepts clients, or exits (end of file).
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    try:
        assert number, f"Xvfb did not start: {log.read_text()}"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The virtual display, set where the server's dialog process will look for it."""
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """An import root with two pictures, and a link in it that leads out to a private one."""
    root, private = tmp_path / "recordings", tmp_path / "private"
    root.mkdir()
    private.mkdir()
    (root / "still.png").write_bytes(png_bytes(color=(10, 200, 30)))
    (root / "night.png").write_bytes(png_bytes(color=(5, 5, 60)))
    (private / "secret.png").write_bytes(png_bytes(color=(250, 250, 250)))
    os.symlink(private / "secret.png", root / "escape.png")
    return root


@pytest.fixture
def dialog_timeout() -> float:
    return WAIT_S


@pytest.fixture
def settings(settings: Settings, recordings: Path, dialog_timeout: float) -> Settings:
    """A desktop install whose import root is ``recordings``."""
    desktop = ArchiveSettings(
        desktop=True, import_roots=str(recordings), dialog_timeout_seconds=dialog_timeout
    )
    return settings.with_app_settings(desktop)


async def xdotool(*args: str, check: bool = True) -> str:
    process = await asyncio.create_subprocess_exec(
        "xdotool", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        async with asyncio.timeout(WAIT_S):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0 or not check, f"xdotool {args}: {err.decode()}"
    return out.decode()


async def dialog_windows() -> list[str]:
    return (await xdotool("search", "--name", DIALOG_TITLE, check=False)).split()


async def answer_dialog(typed: str | None, key: str) -> None:
    """Wait for the dialog, type into its File name entry, then press ``key``. Several names
    are separated by spaces; Tk takes them all from one folder, the last one named."""
    window = (await xdotool("search", "--sync", "--name", DIALOG_TITLE)).split()[0]
    # Tk gives its File name entry the focus within the dialog, but with no window manager
    # running, X sends keys to whatever window is under the pointer; focus the dialog itself.
    await xdotool("windowfocus", "--sync", window)
    if typed is not None:
        await xdotool("type", "--delay", "5", typed)
    await xdotool("key", key)


async def register_with_dialog(
    client: httpx.AsyncClient, headers: dict[str, str], typed: str | None, key: str = "Return"
) -> httpx.Response:
    """Ask for the dialog and answer it as a person at the screen would, at the same time."""
    async with asyncio.TaskGroup() as both:
        request = both.create_task(client.post("/assets/register-dialog", headers=headers))
        both.create_task(answer_dialog(typed, key))
    return request.result()


async def asset_count(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    total: int = (await client.get("/assets", headers=headers)).json()["total"]
    return total


async def test_files_picked_in_the_dialog_are_registered_in_place_and_indexed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], recordings: Path, display: str
) -> None:
    still, night = recordings / "still.png", recordings / "night.png"
    earlier = await client.post(
        "/assets/register", json={"path": str(still)}, headers=admin_headers
    )

    answer = await register_with_dialog(client, admin_headers, f"{still} {night}")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["cancelled"] is False
    again, new = body["items"]
    assert again["duplicate"] is True
    assert again["id"] == earlier.json()["id"]
    assert new["duplicate"] is False
    assert new["index_job_id"] is not None
    asset = await settled(client, admin_headers, new["id"])
    assert asset["status"] == "indexed"
    assert asset["kind"] == "image"
    assert asset["source"] == "register"
    assert asset["path"] == str(night.resolve())
    assert await dialog_windows() == []


async def test_cancelling_the_dialog_registers_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], display: str
) -> None:
    answer = await register_with_dialog(client, admin_headers, None, key="Escape")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": [], "cancelled": True}
    assert await asset_count(client, admin_headers) == 0


@pytest.mark.parametrize(
    ("picked", "refused"),
    [
        ("{private}/secret.png", "{private}/secret.png"),
        ("{root}/still.png {root}/escape.png", "{root}/escape.png"),
    ],
    ids=["outside", "a-link-out-beside-a-good-pick"],
)
async def test_a_pick_outside_the_import_roots_answers_403_and_registers_nothing(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    recordings: Path,
    display: str,
    picked: str,
    refused: str,
) -> None:
    folders = {"root": recordings, "private": recordings.parent / "private"}

    answer = await register_with_dialog(client, admin_headers, picked.format(**folders))

    assert answer.status_code == 403, answer.text
    assert answer.json()["type"] == "urn:reelhouse:problem:forbidden"
    assert answer.json()["detail"] == f"{refused.format(**folders)} is outside the import roots"
    assert await asset_count(client, admin_headers) == 0


@pytest.mark.parametrize("dialog_timeout", [2.0])
async def test_an_unanswered_dialog_is_closed_after_the_timeout(
    client: httpx.AsyncClient, admin_headers: dict[str, str], display: str
) -> None:
    answer = await client.post("/assets/register-dialog", headers=admin_headers)

    assert answer.status_code == 504, answer.text
    assert answer.json()["type"] == "urn:reelhouse:problem:dialog-timed-out"
    assert await dialog_windows() == []


async def test_a_client_that_goes_away_closes_its_dialog(live_server: str, display: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{live_server}/api/v1") as http:
        headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        request = asyncio.create_task(http.post("/assets/register-dialog", headers=headers))
        await xdotool("search", "--sync", "--name", DIALOG_TITLE)

        request.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await request
        async with asyncio.timeout(CLOSE_S):
            while await dialog_windows():
                await asyncio.sleep(0.1)
        assert await asset_count(http, headers) == 0


async def test_without_a_display_the_dialog_answers_503_saying_why(
    client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)

    answer = await client.post("/assets/register-dialog", headers=admin_headers)

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:reelhouse:problem:dialog-unavailable"
    assert answer.json()["detail"] == "no display: DISPLAY is not set"
