"""MCAP files: their facts from the file's own summary, or from one streaming scan without one.

The summary answers topics, types, counts, start and end in milliseconds whatever the file's size;
a file written without one (or cut after its data) is scanned record by record, in bounded memory.
A file cut inside its data fails, saying where it breaks and how many messages come before it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from google.protobuf.descriptor_pb2 import DescriptorProto, FieldDescriptorProto, FileDescriptorSet
from mcap.exceptions import RecordLengthLimitExceeded
from mcap.reader import make_reader
from mcap.records import Channel, DataEnd, Header, McapRecord, Message, Metadata, Schema
from mcap.stream_reader import StreamReader
from mcap.summary import Summary

from reelhouse.apps.recordings.profiling.facts import IndexedFrom, RobotLogFacts, TopicFacts
from reelhouse.platform.profiling import Profile, ProfileFailed

MCAP_MAGIC = b"\x89MCAP0\r\n"
MEDIA_TYPE = "application/x-mcap"
# rosbag2 writes one metadata record of this name; its ``ros_distro`` names the distribution.
ROSBAG2_METADATA = "rosbag2"
_PROFILE_OF_ENCODING = {"ros1": "ros1", "cdr": "ros2", "protobuf": "protobuf", "json": "json"}
_TEXT_SCHEMAS = frozenset({"ros1msg", "ros2msg", "ros2idl", "jsonschema", "omgidl"})


def is_mcap(path: Path, head: bytes) -> bool:
    """An MCAP file, known by its magic whatever its name."""
    return head.startswith(MCAP_MAGIC)


def profile_mcap(path: Path) -> Profile:
    return read_mcap_facts(path).to_profile(MEDIA_TYPE)


def read_mcap_facts(path: Path) -> RobotLogFacts:
    """The facts of an MCAP file: from its summary, or from a scan when it has none."""
    with path.open("rb") as file:
        summary = _summary_of(file)
        if summary is not None and summary.statistics is not None:
            return _from_summary(file, summary)
        file.seek(0)
        return _scan(file, path.stat().st_size)


def _summary_of(file: IO[bytes]) -> Summary | None:
    # A file cut short has no footer, and get_summary() then reads garbage as a record length
    # (RecordLengthLimitExceeded): the scan that follows says what is wrong, and where.
    try:
        return make_reader(file).get_summary()
    except Exception:
        return None


def _from_summary(file: IO[bytes], summary: Summary) -> RobotLogFacts:
    statistics = summary.statistics
    assert statistics is not None
    file.seek(0)
    header = _header(file)
    has_messages = statistics.message_count > 0
    return _facts(
        header.profile if header else "",
        summary.schemas,
        summary.channels.values(),
        statistics.channel_message_counts,
        start_ns=statistics.message_start_time if has_messages else None,
        end_ns=statistics.message_end_time if has_messages else None,
        ros_distro=_ros_distro(_rosbag2_metadata(file, summary)),
        indexed_from="summary",
    )


def _header(file: IO[bytes]) -> Header | None:
    record = next(iter(StreamReader(file).records), None)
    return record if isinstance(record, Header) else None


def _rosbag2_metadata(file: IO[bytes], summary: Summary) -> Iterator[Metadata]:
    for index in summary.metadata_indexes:
        if index.name == ROSBAG2_METADATA:
            file.seek(index.offset)
            record = next(iter(StreamReader(file, skip_magic=True).records), None)
            if isinstance(record, Metadata):
                yield record


@dataclass
class _Scan:
    """What a scan has read so far: enough to index the file, or to say where it broke."""

    profile: str = ""
    schemas: dict[int, Schema] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    metadata: list[Metadata] = field(default_factory=list)
    start_ns: int | None = None
    end_ns: int | None = None
    messages: int = 0
    data_ended: bool = False
    # Where the last whole record ends: a break lies after it.
    offset: int = 0

    def add(self, record: McapRecord) -> None:
        if isinstance(record, Message):
            self.messages += 1
            self.counts[record.channel_id] = self.counts.get(record.channel_id, 0) + 1
            start, end = self.start_ns, self.end_ns
            self.start_ns = record.log_time if start is None else min(start, record.log_time)
            self.end_ns = record.log_time if end is None else max(end, record.log_time)
        elif isinstance(record, Channel):
            self.channels[record.id] = record
        elif isinstance(record, Schema):
            self.schemas[record.id] = record
        elif isinstance(record, Header):
            self.profile = record.profile
        elif isinstance(record, Metadata) and record.name == ROSBAG2_METADATA:
            self.metadata.append(record)
        elif isinstance(record, DataEnd):
            self.data_ended = True


def _scan(file: IO[bytes], size: int) -> RobotLogFacts:
    scan = _Scan()
    try:
        # No record is longer than the file: a damaged length must not make the reader try
        # to allocate gigabytes.
        for record in StreamReader(file, record_size_limit=size).records:
            scan.add(record)
            scan.offset = file.tell()
    except Exception as exc:
        # Past the data section only the summary is missing, which the scan has just rebuilt.
        if not scan.data_ended:
            ran_out = file.tell() >= size
            raise ProfileFailed(_broken(scan, size, ran_out, exc)) from exc
    return _facts(
        scan.profile,
        scan.schemas,
        scan.channels.values(),
        scan.counts,
        start_ns=scan.start_ns,
        end_ns=scan.end_ns,
        ros_distro=_ros_distro(scan.metadata),
        indexed_from="scan",
    )


def _broken(scan: _Scan, size: int, ran_out: bool, exc: Exception) -> str:
    if scan.offset >= size:
        where, why = "truncated", "the file ends there, before its data section does"
    elif ran_out or isinstance(exc, RecordLengthLimitExceeded):
        where, why = "truncated", "the record there is cut short"
    else:
        where, why = "damaged", f"the record there cannot be read: {str(exc) or type(exc).__name__}"
    return (
        f"MCAP file {where}: it breaks at byte {scan.offset} of {size} ({why}); "
        f"{scan.messages} messages are readable before that point"
    )


def _facts(
    header_profile: str,
    schemas: dict[int, Schema],
    channels: Iterable[Channel],
    counts: dict[int, int],
    *,
    start_ns: int | None,
    end_ns: int | None,
    ros_distro: str | None,
    indexed_from: IndexedFrom,
) -> RobotLogFacts:
    by_topic: dict[str, TopicFacts] = {}
    encodings: set[str] = set()
    for channel in channels:
        schema = schemas.get(channel.schema_id)
        count = counts.get(channel.id, 0)
        encodings.add(channel.message_encoding)
        known = by_topic.get(channel.topic)
        if known is not None:
            # One topic on several channels (publishers): one topic, every message counted.
            by_topic[channel.topic] = TopicFacts(
                known.name,
                known.message_type,
                known.encoding,
                known.message_count + count,
                known.definition,
            )
            continue
        by_topic[channel.topic] = TopicFacts(
            name=channel.topic,
            message_type=schema.name if schema else "",
            encoding=channel.message_encoding,
            message_count=count,
            definition=_definition(schema) if schema else "",
        )
    return RobotLogFacts(
        format="mcap",
        profile=header_profile or _profile_of(encodings),
        ros_distro=ros_distro,
        start_ns=start_ns,
        end_ns=end_ns,
        topics=list(by_topic.values()),
        indexed_from=indexed_from,
    )


def _profile_of(encodings: set[str]) -> str:
    profiles = sorted({_PROFILE_OF_ENCODING.get(encoding, encoding) for encoding in encodings})
    return "+".join(profiles) or "unknown"


def _definition(schema: Schema) -> str:
    """The message definition as text: ROS definitions as written, protobuf as its fields."""
    if schema.encoding == "protobuf":
        described = describe_protobuf(schema.name, schema.data)
        if described is not None:
            return described
    elif schema.encoding in _TEXT_SCHEMAS or not schema.encoding:
        try:
            return schema.data.decode()
        except UnicodeDecodeError:
            pass
    return base64.b64encode(schema.data).decode()


def _ros_distro(records: Iterable[Metadata]) -> str | None:
    for record in records:
        distro = record.metadata.get("ros_distro")
        if distro:
            return distro
    return None


def describe_protobuf(full_name: str, data: bytes) -> str | None:
    """A protobuf schema (a FileDescriptorSet) as readable text: the message's fields first,
    then every message it may use; None when the data is no descriptor set."""
    try:
        descriptors = FileDescriptorSet.FromString(data)
    except Exception:
        return None
    messages = {
        ".".join(filter(None, (file.package, message.name))): message
        for file in descriptors.file
        for message in file.message_type
    }
    if full_name not in messages:
        return None
    ordered = [full_name, *sorted(name for name in messages if name != full_name)]
    return "\n".join(_message_text(name, messages[name]) for name in ordered)


def _message_text(name: str, message: DescriptorProto) -> str:
    lines = [f"message {name} {{"]
    for item in message.field:
        repeated = "repeated " if item.label == FieldDescriptorProto.LABEL_REPEATED else ""
        lines.append(f"  {repeated}{_field_type(item)} {item.name} = {item.number};")
    lines.append("}")
    return "\n".join(lines)


def _field_type(item: FieldDescriptorProto) -> str:
    if item.type_name:
        return str(item.type_name).removeprefix(".")
    # TYPE_DOUBLE -> double, TYPE_STRING -> string, ...
    return str(FieldDescriptorProto.Type.Name(item.type)).removeprefix("TYPE_").lower()
