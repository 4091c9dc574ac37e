"""MCAP logs uploaded through HTTP index from their own summary (or a scan), facts exact."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.apps.archive.test_assets import settled, upload
from tests.apps.recordings.mcap_samples import (
    CUSTOM_DEFINITION,
    CUSTOM_TYPE,
    POSE_TYPE,
    Written,
    json_mcap,
    protobuf_mcap,
    ros1_mcap,
    ros2_mcap,
)

FOOTER_SIZE = 1 + 8 + 8 + 8 + 4  # opcode, length, summary start, summary offset start, crc
MAGIC_SIZE = 8


async def indexed(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, content: bytes
) -> dict[str, Any]:
    response = await upload(client, headers, name, content)
    assert response.status_code in (200, 201), response.text
    return await settled(client, headers, response.json()["id"])


def assert_facts_match(asset: dict[str, Any], written: Written, indexed_from: str) -> None:
    assert (asset["status"], asset["error"]) == ("indexed", None)
    assert (asset["kind"], asset["media_type"]) == ("robot_log", "application/x-mcap")
    facts = asset["facts"]
    topics = {
        topic["name"]: (topic["message_type"], topic["encoding"], topic["message_count"])
        for topic in facts["topics"]
    }
    assert topics == {
        name: (entry["message_type"], entry["encoding"], len(entry["times"]))
        for name, entry in written.topics.items()
    }
    assert (facts["format"], facts["indexed_from"]) == ("mcap", indexed_from)
    assert (facts["start_ns"], facts["end_ns"]) == (written.start_ns, written.end_ns)
    assert facts["message_count"] == written.message_count
    assert asset["duration_s"] == pytest.approx((written.end_ns - written.start_ns) / 1e9)
    recorded_at = datetime.fromisoformat(asset["recorded_at"].replace("Z", "+00:00"))
    assert recorded_at == datetime.fromtimestamp(written.start_ns / 1e9, tz=UTC)


def topic(asset: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in asset["facts"]["topics"] if item["name"] == name)


async def test_a_ros2_mcap_indexes_from_its_summary_with_every_topic_exact(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = ros2_mcap(ros_distro="jazzy")
    # Known by its magic, not its name.
    asset = await indexed(client, admin_headers, "drive.bin", written.content)

    assert_facts_match(asset, written, "summary")
    assert (asset["facts"]["profile"], asset["facts"]["ros_distro"]) == ("ros2", "jazzy")
    assert topic(asset, "/status")["definition"] == CUSTOM_DEFINITION
    assert topic(asset, "/status")["message_type"] == CUSTOM_TYPE
    assert topic(asset, "/imu")["sensor_kind"] == "imu"
    assert topic(asset, "/speed")["sensor_kind"] == "scalar"
    assert topic(asset, "/camera/image")["sensor_kind"] == "image"
    assert "geometry_msgs/Vector3 angular_velocity" in topic(asset, "/imu")["definition"]
    assert topic(asset, "/imu")["frequency_hz"] == pytest.approx(99 / asset["duration_s"])


async def test_a_ros1_mcap_reports_ros1_types_and_their_definitions(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = ros1_mcap()
    asset = await indexed(client, admin_headers, "ros1.mcap", written.content)

    assert_facts_match(asset, written, "summary")
    assert asset["facts"]["profile"] == "ros1"
    assert asset["facts"]["ros_distro"] is None
    assert topic(asset, "/speed")["definition"] == "float64 data\n"
    assert "MSG: std_msgs/Header" in topic(asset, "/imu")["definition"]


async def test_a_protobuf_mcap_shows_its_message_fields_as_the_definition(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = protobuf_mcap()
    asset = await indexed(client, admin_headers, "poses.mcap", written.content)

    assert_facts_match(asset, written, "summary")
    assert asset["facts"]["profile"] == "protobuf"
    assert topic(asset, "/pose")["definition"] == (
        f"message {POSE_TYPE} {{\n"
        "  double x = 1;\n  double y = 2;\n  double heading = 3;\n  repeated string labels = 4;\n}"
    )


async def test_a_json_mcap_keeps_its_json_schema_as_the_definition(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = json_mcap()
    asset = await indexed(client, admin_headers, "weather.mcap", written.content)

    assert_facts_match(asset, written, "summary")
    assert asset["facts"]["profile"] == "json"
    assert '"temperature"' in topic(asset, "/temperature")["definition"]


def cut_after_data_end(content: bytes) -> bytes:
    """The file up to its summary: every message, no summary, no footer."""
    footer_start = len(content) - MAGIC_SIZE - FOOTER_SIZE
    (summary_start,) = struct.unpack_from("<Q", content, footer_start + 9)
    return content[:summary_start]


async def test_an_mcap_written_without_a_summary_indexes_by_scanning_with_the_same_counts(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = json_mcap(summary=False)
    asset = await indexed(client, admin_headers, "bare.mcap", written.content)

    assert_facts_match(asset, written, "scan")


async def test_an_mcap_cut_after_its_data_indexes_by_scanning_with_the_same_counts(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = ros2_mcap(ros_distro="humble")
    content = cut_after_data_end(written.content)
    asset = await indexed(client, admin_headers, "no-footer.mcap", content)

    assert_facts_match(asset, written, "scan")
    assert (asset["facts"]["profile"], asset["facts"]["ros_distro"]) == ("ros2", "humble")
    assert topic(asset, "/status")["definition"] == CUSTOM_DEFINITION


async def test_a_truncated_mcap_fails_saying_where_it_breaks_and_what_is_readable(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = ros2_mcap()
    # Cut inside the sixth chunk record (its header alone is 53 bytes, its messages hundreds):
    # the chunks before it, and their messages, are whole.
    whole_end, readable = written.flushes[5]
    content = written.content[: whole_end + 64]
    asset = await indexed(client, admin_headers, "cut.mcap", content)

    assert asset["status"] == "failed"
    assert f"breaks at byte {whole_end} of {len(content)}" in asset["error"]
    assert f"{readable} messages are readable before that point" in asset["error"]
    assert "truncated" in asset["error"]

    # The worker that met it still indexes the next file.
    after = await indexed(client, admin_headers, "next.mcap", json_mcap().content)
    assert after["status"] == "indexed"


async def test_robot_logs_are_found_by_duration_and_start_time(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    written = ros2_mcap(seconds=3.0)
    asset = await indexed(client, admin_headers, "long.mcap", written.content)
    short = await indexed(client, admin_headers, "short.mcap", json_mcap(count=3).content)
    start = datetime.fromtimestamp(written.start_ns / 1e9, tz=UTC)

    async def found(**params: str) -> set[str]:
        response = await client.get("/assets", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await found(duration_min="2.5") == {asset["id"]}
    assert short["id"] in await found(duration_max="1")
    before, after = (start - timedelta(seconds=1)).isoformat(), (start + timedelta(seconds=1))
    assert asset["id"] in await found(recorded_after=before, recorded_before=after.isoformat())
    assert asset["id"] not in await found(recorded_after=after.isoformat())
