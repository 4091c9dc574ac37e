"""ROS1 and ROS2 bags written with rosbags' own writers, and what each of them holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag1 import Writer as Ros1Writer
from rosbags.rosbag2 import Writer as Ros2Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from tests.apps.recordings.written import WrittenTopics

START_NS = 1_764_000_000_123_456_789  # 2025-11-24T16:00:00.123456789Z
CUSTOM_TYPE = "reelhouse_msgs/msg/Status"
CUSTOM_DEFINITION = "uint8 level\nstring message\nfloat64 battery\n"
# Small chunks, so a bag holds several and a cut one leaves whole chunks before it.
CHUNK_BYTES = 4096
IMU, IMAGE, SCALAR = "sensor_msgs/msg/Imu", "sensor_msgs/msg/Image", "std_msgs/msg/Float64"


@dataclass
class Written(WrittenTopics):
    """What a sample bag holds: per topic its type (as the bag spells it), definition, times."""

    path: Path

    def note(self, topic: str, message_type: str, definition: str, ns: int) -> None:
        self.add_message(topic, ns, message_type=message_type, definition=definition)


def _messages(store: Typestore, ros1: bool) -> list[tuple[str, str, float, Callable[[int], Any]]]:
    """IMU at 50 Hz, a 4x3 image at 5 Hz and a scalar at 10 Hz: (topic, type, rate, make)."""
    types = store.types

    def header(ns: int, frame: str) -> Any:
        stamp = types["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
        if ros1:
            return types["std_msgs/msg/Header"](seq=0, stamp=stamp, frame_id=frame)
        return types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame)

    def imu(ns: int) -> Any:
        vector = types["geometry_msgs/msg/Vector3"]
        return types[IMU](
            header=header(ns, "imu"),
            orientation=types["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0),
            orientation_covariance=np.zeros(9),
            angular_velocity=vector(x=0.1, y=0.2, z=0.3),
            angular_velocity_covariance=np.zeros(9),
            linear_acceleration=vector(x=0.0, y=0.0, z=9.81),
            linear_acceleration_covariance=np.zeros(9),
        )

    def image(ns: int) -> Any:
        pixels = np.arange(36, dtype=np.uint8)
        return types[IMAGE](
            header=header(ns, "camera"),
            height=3,
            width=4,
            encoding="rgb8",
            is_bigendian=0,
            step=12,
            data=pixels,
        )

    return [
        ("/imu", IMU, 50, imu),
        ("/camera/image", IMAGE, 5, image),
        ("/speed", SCALAR, 10, lambda ns: types[SCALAR](data=ns / 1e9)),
    ]


def _events(
    plan: list[tuple[str, str, float, Callable[[int], Any]]], seconds: float
) -> list[tuple[int, str, str, Callable[[int], Any]]]:
    return sorted(
        (START_NS + round(index * 1e9 / rate), topic, name, make)
        for topic, name, rate, make in plan
        for index in range(round(seconds * rate))
    )


def _custom_topic(store: Typestore) -> tuple[str, str, float, Callable[[int], Any]]:
    store.register(get_types_from_msg(CUSTOM_DEFINITION, CUSTOM_TYPE))
    status = store.types[CUSTOM_TYPE]
    return ("/status", CUSTOM_TYPE, 2, lambda ns: status(level=1, message="ok", battery=0.5))


def ros1_bag(path: Path, compression: str | None, custom: bool = False) -> Written:
    """A ROS1 bag, chunks uncompressed, "bz2" or "lz4"; with a custom status type at 2 Hz."""
    store = get_typestore(Stores.ROS1_NOETIC)
    plan = _messages(store, ros1=True)
    if custom:
        plan.append(_custom_topic(store))
    written = Written(path)
    writer = Ros1Writer(path)
    writer.chunk_threshold = CHUNK_BYTES
    if compression is not None:
        writer.set_compression(Ros1Writer.CompressionFormat[compression.upper()])
    with writer:
        connections = {
            topic: writer.add_connection(topic, name, typestore=store) for topic, name, _, _ in plan
        }
        for ns, topic, name, make in _events(plan, seconds=2.0):
            writer.write(connections[topic], ns, bytes(store.serialize_ros1(make(ns), name)))
            definition = store.generate_msgdef(name, ros_version=1)[0]
            written.note(topic, name.replace("/msg/", "/"), definition, ns)
    return written


def ros2_bag(folder: Path, custom: bool = False) -> Written:
    """A ROS2 bag folder (SQLite storage, rosbag2's latest version, ``metadata.yaml`` beside);
    with a custom status type at 2 Hz."""
    store = get_typestore(Stores.ROS2_HUMBLE)
    plan = _messages(store, ros1=False)
    if custom:
        plan.append(_custom_topic(store))
    with Ros2Writer(folder, version=Ros2Writer.VERSION_LATEST) as writer:
        connections = {
            topic: writer.add_connection(topic, name, typestore=store) for topic, name, _, _ in plan
        }
        written = Written(folder / f"{folder.name}.db3")
        for ns, topic, name, make in _events(plan, seconds=2.0):
            writer.write(connections[topic], ns, bytes(store.serialize_cdr(make(ns), name)))
            written.note(topic, name, store.generate_msgdef(name, ros_version=2)[0], ns)
    return written


def truncated(path: Path, keep: float = 0.5) -> None:
    """Cut a file short, as a recorder killed mid-write leaves it."""
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])


def unindexed(path: Path) -> None:
    """Drop a ROS1 bag's index and zero its position, as a recording cut short leaves it."""
    content = bytearray(path.read_bytes())
    at = content.index(b"index_pos=") + len(b"index_pos=")
    index_pos = int.from_bytes(content[at : at + 8], "little")
    content[at : at + 8] = bytes(8)
    path.write_bytes(bytes(content[:index_pos]))
