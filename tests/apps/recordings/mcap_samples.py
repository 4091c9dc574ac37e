"""MCAP logs written with the libraries' own writers, and what each of them holds."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from mcap.writer import CompressionType, IndexType
from mcap.writer import Writer as McapWriter
from mcap_protobuf.writer import Writer as ProtobufWriter
from mcap_ros1.writer import Writer as Ros1Writer
from mcap_ros2.writer import Writer as Ros2Writer
from rosbags.typesys import Stores, get_typestore

from tests.apps.recordings.written import WrittenTopics

START_NS = 1_764_000_000_000_000_000  # 2025-11-24T16:00:00Z
CUSTOM_TYPE = "reelhouse_msgs/msg/Status"
CUSTOM_DEFINITION = "uint8 level\nstring message\nfloat64 battery\n"


@dataclass
class Written(WrittenTopics):
    """What a sample log holds: per topic its type, encoding and log times."""

    content: bytes = b""
    # (file position once a chunk was flushed, messages written by then), in order.
    flushes: list[tuple[int, int]] = field(default_factory=list)

    def note(self, topic: str, message_type: str, encoding: str, log_time: int) -> None:
        self.add_message(topic, log_time, message_type=message_type, encoding=encoding)


def _stamp(ns: int) -> dict[str, int]:
    return {"sec": ns // 1_000_000_000, "nanosec": ns % 1_000_000_000}


def ros2_mcap(seconds: float = 2.0, ros_distro: str | None = None) -> Written:
    """IMU at 50 Hz, a 4x3 image at 5 Hz, a scalar at 10 Hz and a custom status at 2 Hz;
    with ``ros_distro``, the ``rosbag2`` metadata record rosbag2 writes."""
    store = get_typestore(Stores.ROS2_HUMBLE)
    written, buffer = Written(), io.BytesIO()
    writer = Ros2Writer(buffer, chunk_size=4096)
    schemas = {
        name: writer.register_msgdef(name, store.generate_msgdef(name, ros_version=2)[0])
        for name in ("sensor_msgs/msg/Imu", "sensor_msgs/msg/Image", "std_msgs/msg/Float64")
    }
    schemas[CUSTOM_TYPE] = writer.register_msgdef(CUSTOM_TYPE, CUSTOM_DEFINITION)
    if ros_distro is not None:
        writer.add_metadata("rosbag2", {"ros_distro": ros_distro})
    _note_flush(written, buffer)

    def header(ns: int, frame: str) -> dict[str, Any]:
        return {"stamp": _stamp(ns), "frame_id": frame}

    def imu(ns: int) -> dict[str, Any]:
        zeros = [0.0] * 9
        return {
            "header": header(ns, "imu"),
            "orientation": {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0},
            "orientation_covariance": zeros,
            "angular_velocity": {"x": 0.1, "y": 0.2, "z": 0.3},
            "angular_velocity_covariance": zeros,
            "linear_acceleration": {"x": 0.0, "y": 0.0, "z": 9.81},
            "linear_acceleration_covariance": zeros,
        }

    def image(ns: int) -> dict[str, Any]:
        pixels = bytes(range(36))
        return {
            "header": header(ns, "camera"),
            "height": 3,
            "width": 4,
            "encoding": "rgb8",
            "is_bigendian": 0,
            "step": 12,
            "data": pixels,
        }

    plan: list[tuple[str, str, float, Callable[[int], dict[str, Any]]]] = [
        ("/imu", "sensor_msgs/msg/Imu", 50, imu),
        ("/camera/image", "sensor_msgs/msg/Image", 5, image),
        ("/speed", "std_msgs/msg/Float64", 10, lambda ns: {"data": ns / 1e9}),
        (
            "/status",
            CUSTOM_TYPE,
            2,
            lambda ns: {"level": 1, "message": "ok", "battery": 0.5},
        ),
    ]
    events = sorted(
        (START_NS + round(index * 1e9 / rate), topic, name, make)
        for topic, name, rate, make in plan
        for index in range(round(seconds * rate))
    )
    for log_time, topic, name, make in events:
        writer.write_message(topic, schemas[name], make(log_time), log_time=log_time)
        written.note(topic, name, "cdr", log_time)
        _note_flush(written, buffer)
    writer.finish()
    written.content = buffer.getvalue()
    return written


def _note_flush(written: Written, buffer: io.BytesIO) -> None:
    position = buffer.tell()
    if not written.flushes or written.flushes[-1][0] != position:
        written.flushes.append((position, written.message_count))


class _Ros1Message:
    """What mcap-ros1-support's writer wants (a genpy message), around a rosbags message."""

    _full_text = ""  # the definition, on the class as genpy has it: see _ros1()
    _typename = ""

    def __init__(self, message: Any) -> None:
        self._type = self._typename.replace("/msg/", "/")
        self._message = message

    def serialize(self, buffer: io.BytesIO) -> None:
        store = get_typestore(Stores.ROS1_NOETIC)
        buffer.write(bytes(store.serialize_ros1(self._message, self._typename)))


@cache
def _ros1_class(typename: str) -> type[_Ros1Message]:
    definition = get_typestore(Stores.ROS1_NOETIC).generate_msgdef(typename, ros_version=1)[0]
    attributes = {"_full_text": definition, "_typename": typename}
    return type(typename.rsplit("/", 1)[-1], (_Ros1Message,), attributes)


def _ros1(typename: str, message: Any) -> _Ros1Message:
    return _ros1_class(typename)(message)


def ros1_mcap(count: int = 40) -> Written:
    """IMU at 20 Hz and a scalar at 10 Hz, ROS1-encoded."""
    store = get_typestore(Stores.ROS1_NOETIC)
    types = store.types
    written, buffer = Written(), io.BytesIO()
    writer = Ros1Writer(buffer)
    for index in range(count):
        ns = START_NS + index * 50_000_000
        stamp = types["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
        imu = types["sensor_msgs/msg/Imu"](
            header=types["std_msgs/msg/Header"](seq=index, stamp=stamp, frame_id="imu"),
            orientation=types["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0),
            orientation_covariance=np.zeros(9),
            angular_velocity=types["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=0.1),
            angular_velocity_covariance=np.zeros(9),
            linear_acceleration=types["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=9.8),
            linear_acceleration_covariance=np.zeros(9),
        )
        message = _ros1("sensor_msgs/msg/Imu", imu)
        writer.write_message("/imu", message, log_time=ns)
        written.note("/imu", "sensor_msgs/Imu", "ros1", ns)
        if index % 2 == 0:
            scalar = _ros1("std_msgs/msg/Float64", types["std_msgs/msg/Float64"](data=1.5))
            writer.write_message("/speed", scalar, log_time=ns)
            written.note("/speed", "std_msgs/Float64", "ros1", ns)
    writer.finish()
    written.content = buffer.getvalue()
    return written


POSE_TYPE = "reelhouse.test.Pose"


def _pose_class() -> Any:
    file = descriptor_pb2.FileDescriptorProto(name="reelhouse_pose.proto", package="reelhouse.test")
    pose = file.message_type.add(name="Pose")
    double = descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE
    for number, name in enumerate(("x", "y", "heading"), start=1):
        pose.field.add(name=name, number=number, type=double)
    pose.field.add(
        name="labels",
        number=4,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(POSE_TYPE))


def protobuf_mcap(count: int = 30) -> Written:
    """A protobuf pose at 10 Hz."""
    pose = _pose_class()
    written, buffer = Written(), io.BytesIO()
    writer = ProtobufWriter(buffer)
    for index in range(count):
        ns = START_NS + index * 100_000_000
        writer.write_message("/pose", pose(x=index, y=2.0, heading=0.5), log_time=ns)
        written.note("/pose", POSE_TYPE, "protobuf", ns)
    writer.finish()
    written.content = buffer.getvalue()
    return written


JSON_SCHEMA = {"type": "object", "properties": {"temperature": {"type": "number"}}}


def json_mcap(count: int = 25, summary: bool = True) -> Written:
    """A JSON temperature at 5 Hz; ``summary=False`` writes no summary, index or statistics."""
    written, buffer = Written(), io.BytesIO()
    options: dict[str, Any] = {}
    if not summary:
        options = {
            "index_types": IndexType.NONE,
            "repeat_channels": False,
            "repeat_schemas": False,
            "use_statistics": False,
            "use_summary_offsets": False,
        }
    writer = McapWriter(buffer, compression=CompressionType.NONE, **options)
    writer.start(profile="", library="reelhouse-tests")
    schema = writer.register_schema("Temperature", "jsonschema", json.dumps(JSON_SCHEMA).encode())
    channel = writer.register_channel("/temperature", "json", schema)
    for index in range(count):
        ns = START_NS + index * 200_000_000
        data = json.dumps({"temperature": 20 + index / 10}).encode()
        writer.add_message(channel, log_time=ns, data=data, publish_time=ns)
        written.note("/temperature", "Temperature", "json", ns)
    writer.finish()
    written.content = buffer.getvalue()
    return written
