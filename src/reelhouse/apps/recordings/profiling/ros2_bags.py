"""ROS2 bags stored in SQLite (``.db3``): counts and time range from one grouped query, or from
the ``metadata.yaml`` rosbag2 writes beside the file; definitions from the bag's own
``message_definitions`` table, else from rosbags' typestore for standard types. The database is
opened read-only: profiling never writes to a recording."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore
from ruamel.yaml import YAML

from reelhouse.apps.recordings.profiling.facts import IndexedFrom, RobotLogFacts, TopicFacts
from reelhouse.platform.profiling import Profile, ProfileFailed

SQLITE_MAGIC = b"SQLite format 3\x00"
MEDIA_TYPE = "application/vnd.sqlite3"
METADATA_FILE = "metadata.yaml"
# The header byte that says "WAL journal" (2) or "rollback journal" (1).
_WAL_VERSION_AT = 18
# What a rosbag2 writer that knows no distribution (rosbags itself) puts in its place.
_NOT_A_DISTRO = {"", "rosbags"}


@dataclass(frozen=True)
class _Topic:
    name: str
    message_type: str
    serialization_format: str


def is_ros2_db3(path: Path, head: bytes) -> bool:
    if not head.startswith(SQLITE_MAGIC):
        return False
    try:
        with _read_only(path) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error:
        return False
    return {"messages", "topics"} <= tables


def profile_ros2_db3(path: Path) -> Profile:
    return read_ros2_db3(path).to_profile(MEDIA_TYPE)


def read_ros2_db3(path: Path) -> RobotLogFacts:
    """The bag's facts; raises ProfileFailed, saying how far it reads, when it is damaged."""
    try:
        with _read_only(path) as db:
            return _facts(path, db)
    except sqlite3.DatabaseError as exc:
        raise ProfileFailed(_damage(path, exc)) from exc


def _facts(path: Path, db: sqlite3.Connection) -> RobotLogFacts:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    topics = {
        topic_id: _Topic(name, message_type, serialization_format)
        for topic_id, name, message_type, serialization_format in db.execute(
            "SELECT id, name, type, serialization_format FROM topics"
        )
    }
    metadata = _metadata_beside(path)
    distro = _distro(metadata, db, tables)
    definitions = _definitions(db) if "message_definitions" in tables else {}
    indexed_from: IndexedFrom = "metadata"
    try:
        counts, start, end = _metadata_counts(metadata or {})
    except (KeyError, TypeError, ValueError):
        # No metadata beside the file, or one rosbag2 did not write: the database answers.
        (counts, start, end), indexed_from = _sqlite_counts(db, topics), "database"
    facts = [
        _topic_facts(topic, counts.get(topic.name, 0), definitions, distro)
        for topic in topics.values()
    ]
    return RobotLogFacts("ros2_bag", "ros2", distro, start, end, facts, indexed_from)


def _sqlite_counts(
    db: sqlite3.Connection, topics: dict[int, _Topic]
) -> tuple[dict[str, int], int | None, int | None]:
    counts: dict[str, int] = {}
    starts, ends = [], []
    rows = db.execute(
        "SELECT topic_id, COUNT(*), MIN(timestamp), MAX(timestamp) FROM messages GROUP BY topic_id"
    )
    for topic_id, count, first, last in rows:
        if topic_id in topics:
            counts[topics[topic_id].name] = count
            starts.append(first)
            ends.append(last)
    return counts, min(starts, default=None), max(ends, default=None)


def _metadata_counts(metadata: dict[str, Any]) -> tuple[dict[str, int], int | None, int | None]:
    counts = {
        entry["topic_metadata"]["name"]: int(entry["message_count"])
        for entry in metadata["topics_with_message_count"]
    }
    if not int(metadata.get("message_count", 0)):
        return counts, None, None
    start = int(metadata["starting_time"]["nanoseconds_since_epoch"])
    return counts, start, start + int(metadata["duration"]["nanoseconds"])


def _metadata_beside(path: Path) -> dict[str, Any] | None:
    """The bag's ``metadata.yaml`` when it describes this file, and this file alone: for a bag
    split into several files, its counts are the whole bag's, not this file's."""
    yaml_path = path.parent / METADATA_FILE
    try:
        loaded = YAML(typ="safe").load(yaml_path.read_text())
        info = cast("dict[str, Any]", loaded["rosbag2_bagfile_information"])
    except Exception:
        return None
    files = [str(name) for name in info.get("relative_file_paths") or []]
    return info if files == [path.name] else None


def _distro(
    metadata: dict[str, Any] | None, db: sqlite3.Connection, tables: set[str]
) -> str | None:
    distro = str((metadata or {}).get("ros_distro") or "")
    if not distro and "schema" in tables:
        with contextlib.suppress(sqlite3.Error):
            row = db.execute("SELECT ros_distro FROM schema").fetchone()
            distro = str(row[0]) if row and row[0] else ""
    return None if distro in _NOT_A_DISTRO else distro


def _definitions(db: sqlite3.Connection) -> dict[str, str]:
    rows = db.execute("SELECT topic_type, encoded_message_definition FROM message_definitions")
    return {message_type: definition for message_type, definition in rows if definition}


def _topic_facts(
    topic: _Topic, count: int, definitions: dict[str, str], distro: str | None
) -> TopicFacts:
    definition, error = definitions.get(topic.message_type, ""), None
    if not definition:
        store = _store_name(distro)
        try:
            definition, _md5 = _typestore(store).generate_msgdef(topic.message_type, ros_version=2)
        except Exception:
            error = (
                f"unknown message type {topic.message_type}: the bag carries no definition "
                f"and the {store.value} typestore has none"
            )
    return TopicFacts(
        topic.name, topic.message_type, topic.serialization_format, count, definition, error
    )


def _store_name(distro: str | None) -> Stores:
    try:
        return Stores(f"ros2_{distro}")
    except ValueError:
        return Stores.LATEST


@cache
def _typestore(store: Stores) -> Typestore:
    return get_typestore(store)


def _damage(path: Path, exc: sqlite3.DatabaseError) -> str:
    """Where a damaged database stops reading: how many messages come back before it breaks."""
    readable = 0
    try:
        with _read_only(path) as db:
            for _row in db.execute("SELECT id FROM messages ORDER BY id"):
                readable += 1
    except sqlite3.Error:
        pass
    return f"the bag's database breaks after message {readable} ({exc}); {readable} are readable"


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    real = path.resolve()
    query = "mode=ro"
    with real.open("rb") as file:
        header = file.read(_WAL_VERSION_AT + 1)
    if header[_WAL_VERSION_AT:] == b"\x02" and not Path(f"{real}-wal").exists():
        # A WAL database, even read-only, wants a -shm file beside it, which a read-only folder
        # refuses; with no -wal file left (the writer closed cleanly) nothing is pending.
        query += "&immutable=1"
    db = sqlite3.connect(f"{real.as_uri()}?{query}", uri=True)
    try:
        yield db
    finally:
        db.close()
