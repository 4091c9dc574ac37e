"""What a sample log was written with, per topic, for tests to compare a profile against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class WrittenTopics:
    """Per topic its facts (type, encoding, definition: as the writer knows them) and log times."""

    topics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_message(self, topic: str, ns: int, **facts: str) -> None:
        entry = self.topics.setdefault(topic, {**facts, "times": []})
        entry["times"].append(ns)

    @property
    def start_ns(self) -> int:
        return min(min(entry["times"]) for entry in self.topics.values())

    @property
    def end_ns(self) -> int:
        return max(max(entry["times"]) for entry in self.topics.values())

    @property
    def message_count(self) -> int:
        return sum(len(entry["times"]) for entry in self.topics.values())
