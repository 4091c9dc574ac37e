"""What a robot log's profile says, whatever its format: one shape for MCAP, ROS1 and ROS2 bags."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal

from reelhouse.platform.profiling import Profile

ROBOT_LOG = "robot_log"
LogFormat = Literal["mcap", "ros1_bag", "ros2_bag"]
# How the counts were found: the file's own summary or index, or a scan of every message;
# "database": one grouped query of a ROS2 bag's SQLite tables, no message decoded.
IndexedFrom = Literal["summary", "index", "metadata", "database", "scan"]

# Message types by the sensor they carry, ROS1 ("pkg/Type") and ROS2 ("pkg/msg/Type") spellings.
_SENSOR_KINDS = {
    "sensor_msgs/Image": "image",
    "sensor_msgs/CompressedImage": "compressed_image",
    "sensor_msgs/PointCloud2": "point_cloud",
    "sensor_msgs/LaserScan": "laser_scan",
    "sensor_msgs/Imu": "imu",
    "sensor_msgs/NavSatFix": "gnss",
    "nav_msgs/Odometry": "odometry",
    "tf2_msgs/TFMessage": "transform",
    "tf/tfMessage": "transform",
    "geometry_msgs/TransformStamped": "transform",
    "sensor_msgs/JointState": "joint_state",
}
_SCALAR_PACKAGE = "std_msgs/"
_SCALAR_TYPES = {
    "Bool", "Byte", "Char", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64",
    "UInt8", "UInt16", "UInt32", "UInt64",
}  # fmt: skip


def sensor_kind(message_type: str) -> str:
    """The sensor a message type carries (image, imu, scalar, ...), or "other"."""
    plain = message_type.replace("/msg/", "/")
    if plain in _SENSOR_KINDS:
        return _SENSOR_KINDS[plain]
    if plain.startswith(_SCALAR_PACKAGE) and plain.removeprefix(_SCALAR_PACKAGE) in _SCALAR_TYPES:
        return "scalar"
    return "other"


@dataclass(frozen=True)
class TopicFacts:
    name: str
    message_type: str
    encoding: str  # the message encoding: ros1, cdr, protobuf, json
    message_count: int
    definition: str  # the message definition the file carries ("" when it carries none)
    # A type the file describes but that cannot be decoded: why, per topic, never fatal.
    decode_error: str | None = None

    @property
    def sensor_kind(self) -> str:
        return sensor_kind(self.message_type)


@dataclass(frozen=True)
class RobotLogFacts:
    format: LogFormat
    profile: str  # ros1, ros2, protobuf, json
    ros_distro: str | None
    start_ns: int | None
    end_ns: int | None
    topics: list[TopicFacts]
    indexed_from: IndexedFrom
    # Set when only part of a damaged file could be read (see ``recover``).
    partial: bool = False

    @property
    def duration_s(self) -> float | None:
        if self.start_ns is None or self.end_ns is None:
            return None
        return (self.end_ns - self.start_ns) / 1e9

    def to_profile(self, media_type: str) -> Profile:
        """The archive's profile of the log: kind ``robot_log``, facts as JSON."""
        metadata = {
            "format": self.format,
            "profile": self.profile,
            "ros_distro": self.ros_distro,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "start": _iso(self.start_ns),
            "end": _iso(self.end_ns),
            "message_count": sum(topic.message_count for topic in self.topics),
            "indexed_from": self.indexed_from,
            "partial": self.partial,
            "topics": [
                {
                    **asdict(topic),
                    "sensor_kind": topic.sensor_kind,
                    "frequency_hz": _frequency(topic.message_count, self.duration_s),
                }
                for topic in sorted(self.topics, key=lambda topic: topic.name)
            ],
        }
        started = None if self.start_ns is None else _instant(self.start_ns)
        return Profile(ROBOT_LOG, media_type, self.duration_s, metadata, recorded_at=started)


def _frequency(count: int, duration_s: float | None) -> float | None:
    """Messages per second over the log, counting the gaps between them (n - 1 of them)."""
    if count < 2 or not duration_s:
        return None
    return round((count - 1) / duration_s, 6)


def _instant(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds / 1e9, tz=UTC)


def _iso(nanoseconds: int | None) -> str | None:
    return None if nanoseconds is None else _instant(nanoseconds).isoformat()
