"""ROS1 and ROS2 bags, uploaded or registered through HTTP, index from the bag's own index,
database or ``metadata.yaml``, with facts exactly those written; a cut bag fails readably."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from rosbags.highlevel import AnyReader
from rosbags.rosbag1 import Reader as Ros1Reader
from rosbags.typesys import Stores, get_typestore

from reelhouse.app import create_app
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled, upload
from tests.apps.recordings.bag_samples import (
    CUSTOM_DEFINITION,
    CUSTOM_TYPE,
    Written,
    ros1_bag,
    ros2_bag,
    truncated,
    unindexed,
)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
REAL_ROS1 = SHARED_DATA / "ros1" / "evo_tf_example.bag"
REAL_ROS2 = SHARED_DATA / "ros2" / "inorbit_hardcoded_sensors"


async def indexed(client: httpx.AsyncClient, headers: dict[str, str], path: Path) -> dict[str, Any]:
    response = await upload(client, headers, path.name, path.read_bytes())
    assert response.status_code in (200, 201), response.text
    return await settled(client, headers, response.json()["id"])


async def registered(
    client: httpx.AsyncClient, headers: dict[str, str], path: Path
) -> dict[str, Any]:
    response = await client.post("/assets/register", json={"path": str(path)}, headers=headers)
    assert response.status_code == 201, response.text
    return await settled(client, headers, response.json()["id"])


@pytest.fixture
async def server(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """An instance that may register server files from ``tmp_path`` and the shared real logs."""
    roots = f"{tmp_path},{SHARED_DATA}"
    app = create_app(settings.with_app_settings(ArchiveSettings(import_roots=roots)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            yield http, await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat()


def assert_facts_match(
    asset: dict[str, Any], written: Written, media_type: str, encoding: str, indexed_from: str
) -> None:
    assert (asset["status"], asset["error"]) == ("indexed", None)
    assert (asset["kind"], asset["media_type"]) == ("robot_log", media_type)
    facts = asset["facts"]
    topics = {
        topic["name"]: (topic["message_type"], topic["encoding"], topic["message_count"])
        for topic in facts["topics"]
    }
    assert topics == {
        name: (entry["message_type"], encoding, len(entry["times"]))
        for name, entry in written.topics.items()
    }
    definitions = {topic["name"]: topic["definition"] for topic in facts["topics"]}
    assert definitions == {name: entry["definition"] for name, entry in written.topics.items()}
    assert (facts["start_ns"], facts["end_ns"]) == (written.start_ns, written.end_ns)
    assert (facts["start"], facts["end"]) == (_iso(written.start_ns), _iso(written.end_ns))
    assert facts["message_count"] == written.message_count
    assert facts["indexed_from"] == indexed_from
    assert asset["duration_s"] == pytest.approx((written.end_ns - written.start_ns) / 1e9)
    assert asset["recorded_at"].startswith(_iso(written.start_ns)[:19])


@pytest.mark.parametrize(("compression", "custom"), [(None, False), ("bz2", False), ("lz4", True)])
async def test_ros1_bags_of_every_chunk_compression_index_exactly_from_their_index_records(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    tmp_path: Path,
    compression: str | None,
    custom: bool,
) -> None:
    written = ros1_bag(tmp_path / "drive.bag", compression, custom=custom)

    asset = await indexed(client, admin_headers, written.path)

    assert_facts_match(asset, written, "application/x-rosbag", "ros1", "index")
    assert asset["facts"]["profile"] == "ros1"
    if custom:
        status = next(t for t in asset["facts"]["topics"] if t["name"] == "/status")
        assert (status["message_type"], status["definition"]) == (
            "reelhouse_msgs/Status",
            CUSTOM_DEFINITION,
        )


async def test_a_ros1_bag_whose_recording_never_wrote_its_index_is_indexed_by_a_scan(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    written = ros1_bag(tmp_path / "cut-short.bag", "lz4")
    unindexed(written.path)

    asset = await indexed(client, admin_headers, written.path)

    assert_facts_match(asset, written, "application/x-rosbag", "ros1", "scan")


async def test_a_truncated_ros1_bag_fails_saying_where_it_breaks_and_what_is_readable(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    written = ros1_bag(tmp_path / "killed.bag", "bz2")
    with Ros1Reader(written.path) as reader:
        size = written.path.stat().st_size
        cut = size // 2
        whole = [
            info
            for info in reader.chunk_infos
            if reader.chunks[info.pos].datapos + reader.chunks[info.pos].datasize <= cut
        ]
        readable = sum(sum(info.connection_counts.values()) for info in whole)
    truncated(written.path, keep=cut / size)

    asset = await indexed(client, admin_headers, written.path)

    assert asset["status"] == "failed"
    assert 0 < readable < written.message_count
    match = re.search(r"breaks at byte (\d+) of (\d+) .*; (\d+) messages before it", asset["error"])
    assert match is not None, asset["error"]
    assert int(match[1]) <= cut
    assert (int(match[2]), int(match[3])) == (cut, readable)


async def test_a_ros2_db3_uploaded_alone_is_counted_from_its_database(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    written = ros2_bag(tmp_path / "drive")

    asset = await indexed(client, admin_headers, written.path)

    assert_facts_match(asset, written, "application/vnd.sqlite3", "cdr", "database")
    assert asset["facts"]["profile"] == "ros2"


async def test_a_ros2_db3_without_definitions_takes_standard_ones_and_names_unknown_types(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    written = ros2_bag(tmp_path / "older", custom=True)
    with contextlib.closing(sqlite3.connect(written.path)) as db, db:
        db.execute("DELETE FROM message_definitions")

    asset = await indexed(client, admin_headers, written.path)

    topics = {topic["name"]: topic for topic in asset["facts"]["topics"]}
    assert (asset["status"], set(topics)) == ("indexed", set(written.topics))
    status = topics.pop("/status")
    assert (status["definition"], status["message_count"]) == ("", 4)
    assert status["decode_error"].startswith(f"unknown message type {CUSTOM_TYPE}")
    for name, topic in topics.items():
        assert (topic["definition"], topic["decode_error"]) == (
            written.topics[name]["definition"],
            None,
        )


async def test_a_ros2_db3_registered_in_its_folder_is_counted_from_its_metadata_yaml(
    server: tuple[httpx.AsyncClient, dict[str, str]], tmp_path: Path
) -> None:
    http, headers = server
    written = ros2_bag(tmp_path / "drive")
    before = written.path.read_bytes()

    asset = await registered(http, headers, written.path)

    assert_facts_match(asset, written, "application/vnd.sqlite3", "cdr", "metadata")
    assert written.path.read_bytes() == before
    assert sorted(p.name for p in written.path.parent.iterdir()) == ["drive.db3", "metadata.yaml"]


def _rosbags_counts(path: Path) -> dict[str, int]:
    """What rosbags reads from a bag by iterating every message in it."""
    with AnyReader([path], default_typestore=get_typestore(Stores.ROS2_HUMBLE)) as reader:
        return dict(Counter(connection.topic for connection, _, _ in reader.messages()))


async def test_the_real_ros1_and_ros2_logs_index_with_the_counts_rosbags_reads(
    server: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    http, headers = server
    db3 = next(REAL_ROS2.glob("*.db3"))

    ros1 = await indexed(http, headers, REAL_ROS1)
    in_folder = await registered(http, headers, db3)

    expected = {REAL_ROS1: _rosbags_counts(REAL_ROS1), REAL_ROS2: _rosbags_counts(REAL_ROS2)}
    for asset, path, indexed_from in [
        (ros1, REAL_ROS1, "index"),
        (in_folder, REAL_ROS2, "metadata"),
    ]:
        assert (asset["status"], asset["kind"]) == ("indexed", "robot_log"), asset["error"]
        counts = {t["name"]: t["message_count"] for t in asset["facts"]["topics"]}
        assert counts == expected[path]
        assert asset["facts"]["indexed_from"] == indexed_from
    # The ROS2 bag carries no definitions: the standard ones come from rosbags' typestore.
    assert all(t["definition"] and not t["decode_error"] for t in in_folder["facts"]["topics"])
    assert in_folder["facts"]["ros_distro"] == "humble"
