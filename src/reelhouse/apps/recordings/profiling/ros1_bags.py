"""ROS1 bags (``#ROSBAG V2.0``): counts, types, definitions and time range from the bag's own
index records, read by rosbags at open without touching a message; a scan of every record where
the index is missing; a readable failure, with where it breaks, where the bag is damaged."""

from __future__ import annotations

import io
import os
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rosbags.rosbag1 import Reader, ReaderError
from rosbags.rosbag1.reader import (
    Header,
    RecordType,
    decompressors,
    deserialize_time,
    normalize,
    read_bytes,
    read_uint32,
)

from reelhouse.apps.recordings.profiling.facts import RobotLogFacts, TopicFacts
from reelhouse.platform.profiling import Profile, ProfileFailed

MAGIC = b"#ROSBAG V2.0\n"
MEDIA_TYPE = "application/x-rosbag"
ENCODING = "ros1"


def is_ros1_bag(path: Path, head: bytes) -> bool:
    return head.startswith(MAGIC)


def profile_ros1_bag(path: Path) -> Profile:
    return read_ros1_bag(path).to_profile(MEDIA_TYPE)


def read_ros1_bag(path: Path) -> RobotLogFacts:
    """The bag's facts from its index; from a scan when it has none (a recording cut short
    before rosbag wrote it). Raises ProfileFailed when the bag is damaged."""
    index_pos = _index_pos(path)
    if index_pos == 0:
        scan = _scan(path, index_pos)
        if scan.broken is not None:
            raise ProfileFailed(scan.failure())
        return scan.facts()
    try:
        with Reader(path) as reader:
            return _from_index(reader)
    except (ReaderError, OSError, ValueError, AssertionError, struct.error) as exc:
        # The index is unreadable: find out, record by record, where the bag breaks.
        scan = _scan(path, index_pos)
        if scan.broken is None:
            scan.broken = (scan.end, f"the index is unreadable ({_reason(exc)})")
        raise ProfileFailed(scan.failure()) from exc


def _index_pos(path: Path) -> int:
    try:
        with path.open("rb") as file:
            file.readline()
            return Header.read(file, RecordType.BAGHEADER).get_uint64("index_pos")
    except ReaderError as exc:
        raise ProfileFailed(f"the bag header is unreadable: {_reason(exc)}") from exc


def _from_index(reader: Reader) -> RobotLogFacts:
    counts: dict[str, int] = defaultdict(int)
    types: dict[str, str] = {}
    definitions: dict[str, str] = {}
    for connection in reader.connections:
        counts[connection.topic] += connection.msgcount
        types.setdefault(connection.topic, _ros1_type(connection.msgtype))
        definitions.setdefault(connection.topic, connection.msgdef.data)
    infos = [info for info in reader.chunk_infos if info.connection_counts]
    # rosbags' chunk end is one past the last message: the bag's own record holds the last.
    start = min((info.start_time for info in infos), default=None)
    end = max((info.end_time - 1 for info in infos), default=None)
    topics = [
        TopicFacts(topic, types[topic], ENCODING, counts[topic], definitions[topic])
        for topic in types
    ]
    return RobotLogFacts("ros1_bag", "ros1", None, start, end, topics, "index")


def _ros1_type(msgtype: str) -> str:
    """The bag's own spelling, "pkg/Type", of rosbags' ROS2-style "pkg/msg/Type"."""
    package, sep, name = msgtype.partition("/msg/")
    return f"{package}/{name}" if sep and "/" not in name else msgtype


@dataclass
class _Scan:
    """What a record-by-record read found, up to the end or to where the bag breaks."""

    size: int
    end: int = 0
    types: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # topic, type, definition
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    start_ns: int | None = None
    end_ns: int | None = None
    broken: tuple[int, str] | None = None  # the byte offset and why

    @property
    def message_count(self) -> int:
        return sum(self.counts.values())

    def failure(self) -> str:
        offset, why = self.broken or (self.end, "")
        return (
            f"the bag breaks at byte {offset} of {self.size} ({why.rstrip('.')}); "
            f"{self.message_count} messages before it are readable"
        )

    def facts(self) -> RobotLogFacts:
        by_topic: dict[str, TopicFacts] = {}
        for conn, (topic, msgtype, definition) in self.types.items():
            known = by_topic.get(topic)
            count = self.counts.get(conn, 0) + (known.message_count if known else 0)
            by_topic[topic] = TopicFacts(topic, msgtype, ENCODING, count, definition)
        topics = list(by_topic.values())
        return RobotLogFacts("ros1_bag", "ros1", None, self.start_ns, self.end_ns, topics, "scan")

    def record(self, src: BinaryIO) -> None:
        """Read one record (a chunk: every record in it) from ``src``."""
        header = Header.read(src)
        op = header.get_uint8("op")
        data = read_bytes(src, read_uint32(src))
        if op == RecordType.CHUNK:
            compression = header.get_string("compression")
            if compression not in decompressors:
                raise ReaderError(f"compression {compression!r} is not supported")
            chunk = io.BytesIO(decompressors[compression](data))
            while chunk.tell() < len(chunk.getbuffer()):
                self.record(chunk)
        elif op == RecordType.CONNECTION:
            fields = Header.read(io.BytesIO(len(data).to_bytes(4, "little") + data))
            definition = fields.get("message_definition", b"").decode()
            topic = normalize(header.get_string("topic"))
            self.types[header.get_uint32("conn")] = (topic, fields.get_string("type"), definition)
        elif op == RecordType.MSGDATA:
            self.counts[header.get_uint32("conn")] += 1
            time = deserialize_time(header["time"])
            self.start_ns = time if self.start_ns is None else min(self.start_ns, time)
            self.end_ns = time if self.end_ns is None else max(self.end_ns, time)


def _scan(path: Path, index_pos: int) -> _Scan:
    """Every record up to the index (or the end of the file), stopping where one breaks."""
    scan = _Scan(size=path.stat().st_size)
    with path.open("rb") as file:
        file.readline()
        Header.read(file, RecordType.BAGHEADER)
        file.seek(read_uint32(file), os.SEEK_CUR)
        limit = min(index_pos or scan.size, scan.size)
        scan.end = file.tell()
        while scan.end < limit:
            try:
                scan.record(file)
            except (ReaderError, OSError, ValueError, KeyError, RuntimeError, struct.error) as exc:
                scan.broken = (scan.end, _reason(exc))
                break
            scan.end = file.tell()
    if scan.broken is None and index_pos > scan.size:
        scan.broken = (scan.size, f"the file ends before its index (due at byte {index_pos})")
    return scan


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
