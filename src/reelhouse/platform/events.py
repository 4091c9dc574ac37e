"""EventBus: publish an event on a topic; every subscriber of its organization receives it.

The in-process bus serves one process; the Redis bus carries events between processes (API
replicas, workers) through Redis pub/sub, then fans them out locally the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any, Protocol

import redis.asyncio as redis_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.db import after_commit, utcnow
from reelhouse.platform.loops import WriteBatcher

logger = logging.getLogger("reelhouse.events")
REDIS_CHANNEL_PREFIX = "reelhouse:events:"
# Unnoticed by a person watching, and a busy worker's events then leave a few dozen at a time.
PUBLISH_LINGER_SECONDS = 0.005


@dataclass(frozen=True)
class Subject:
    """What an event or a job is about: a kind of resource and its id."""

    kind: str
    id: uuid.UUID


@dataclass(frozen=True)
class Event:
    event: str
    org_id: uuid.UUID
    subject: Subject | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)

    def to_json(self, topic: str) -> dict[str, Any]:
        subject = (
            None
            if self.subject is None
            else {"kind": self.subject.kind, "id": str(self.subject.id)}
        )
        return {
            "topic": topic,
            "event": self.event,
            "org_id": str(self.org_id),
            "subject": subject,
            "data": self.data,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> tuple[str, Event]:
        subject = body.get("subject")
        return body["topic"], cls(
            event=body["event"],
            org_id=uuid.UUID(body["org_id"]),
            subject=None if subject is None else Subject(subject["kind"], uuid.UUID(subject["id"])),
            data=body.get("data") or {},
            at=datetime.fromisoformat(body["at"]),
        )


class Subscription:
    """Events of some topics for one organization, buffered up to a bound.

    A subscriber that falls behind by more than the bound is dropped rather than slowing the
    publisher or the other subscribers: ``next()`` then answers ``None`` and ``overflowed`` is set.
    """

    def __init__(self, patterns: Sequence[str], org_id: uuid.UUID, capacity: int) -> None:
        self.patterns = tuple(patterns)
        self.org_id = org_id
        self.overflowed = False
        self._queue: asyncio.Queue[tuple[str, Event] | None] = asyncio.Queue(maxsize=capacity + 1)
        self._capacity = capacity
        self._fanout: LocalFanout | None = None

    def wants(self, topic: str, event: Event) -> bool:
        return event.org_id == self.org_id and any(
            fnmatchcase(topic, pattern) for pattern in self.patterns
        )

    def offer(self, topic: str, event: Event) -> None:
        if self.overflowed:
            return
        if self._queue.qsize() >= self._capacity:
            self.overflowed = True
            self.close()
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait((topic, event))

    async def next(self) -> tuple[str, Event] | None:
        return await self._queue.get()

    def close(self) -> None:
        if self._fanout is not None:
            self._fanout.remove(self)
            self._fanout = None


class LocalFanout:
    """Hands each event to every subscription of this process that wants it."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def add(self, subscription: Subscription) -> Subscription:
        subscription._fanout = self
        self._subscriptions.add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def has_subscriptions(self) -> bool:
        return bool(self._subscriptions)

    def deliver(self, topic: str, event: Event) -> None:
        for subscription in list(self._subscriptions):
            if subscription.wants(topic, event):
                subscription.offer(topic, event)


class EventBus(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def publish(self, topic: str, event: Event) -> None: ...
    def subscribe(
        self, patterns: Sequence[str], org_id: uuid.UUID, capacity: int
    ) -> Subscription: ...
    async def is_ready(self) -> bool: ...


class InProcessEventBus:
    """The embedded default: events reach the subscribers of this process only."""

    def __init__(self) -> None:
        self._fanout = LocalFanout()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, topic: str, event: Event) -> None:
        self._fanout.deliver(topic, event)

    def subscribe(self, patterns: Sequence[str], org_id: uuid.UUID, capacity: int) -> Subscription:
        return self._fanout.add(Subscription(patterns, org_id, capacity))

    async def is_ready(self) -> bool:
        return True


class RedisEventBus:
    """Events through Redis pub/sub, so every process subscribed sees every process's events.

    A process that serves no subscribers (a worker) publishes only: listening would have it
    receive and decode every event of every process. A message carries a JSON array of events:
    those of one topic published meanwhile leave together, as a busy worker publishes two per
    job and a Redis command costs far more than the bytes of one more event.
    """

    def __init__(self, url: str, *, listen: bool = True) -> None:
        self._client = redis_asyncio.Redis.from_url(url)
        self._fanout = LocalFanout()
        self._listens = listen
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._outbox = WriteBatcher[tuple[str, str], None](
            "event-publisher", self._send, linger_seconds=PUBLISH_LINGER_SECONDS
        )
        self._dropped_since_failure: int | None = None

    async def start(self) -> None:
        await self._outbox.start()
        if not self._listens:
            return
        self._listener = asyncio.create_task(self._listen(), name="redis-event-listener")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def close(self) -> None:
        await self._outbox.stop()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._client.aclose()

    async def publish(self, topic: str, event: Event) -> None:
        # Pub/sub delivers at most once anyway; a publisher does not wait for Redis, nor fails
        # (a job, a request) when Redis is away: ``_send`` counts what it could not send.
        self._outbox.post((REDIS_CHANNEL_PREFIX + topic, json.dumps(event.to_json(topic))))

    async def _send(self, messages: Sequence[tuple[str, str]]) -> list[None]:
        try:
            await self._publish_batches(messages)
        except (redis_asyncio.RedisError, OSError) as exc:
            # One warning per outage, not one per batch: a busy worker sends hundreds a second.
            if self._dropped_since_failure is None:
                logger.warning(
                    "events cannot reach Redis; dropping them until it is back",
                    extra={"error": str(exc)},
                )
                self._dropped_since_failure = 0
            self._dropped_since_failure += len(messages)
        else:
            if self._dropped_since_failure is not None:
                logger.warning(
                    "events reach Redis again",
                    extra={"dropped_events": self._dropped_since_failure},
                )
                self._dropped_since_failure = None
        return [None] * len(messages)

    async def _publish_batches(self, messages: Sequence[tuple[str, str]]) -> None:
        bodies_by_channel: dict[str, list[str]] = {}
        for channel, body in messages:
            bodies_by_channel.setdefault(channel, []).append(body)
        batches = [
            (channel, "[" + ",".join(bodies) + "]") for channel, bodies in bodies_by_channel.items()
        ]
        if len(batches) == 1:
            await self._client.publish(*batches[0])
        else:
            async with self._client.pipeline(transaction=False) as pipeline:
                for channel, batch in batches:
                    pipeline.publish(channel, batch)
                await pipeline.execute()

    def subscribe(self, patterns: Sequence[str], org_id: uuid.UUID, capacity: int) -> Subscription:
        if not self._listens:
            raise RuntimeError("this event bus only publishes: it was opened without listening")
        return self._fanout.add(Subscription(patterns, org_id, capacity))

    async def is_ready(self) -> bool:
        try:
            return bool(await self._client.ping())
        except redis_asyncio.RedisError:
            return False

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.psubscribe(REDIS_CHANNEL_PREFIX + "*")
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message["type"] == "psubscribe":
                            self._subscribed.set()
                        elif message["type"] == "pmessage":
                            self._dispatch(message["data"])
            except (redis_asyncio.RedisError, OSError) as exc:
                logger.warning("event bus lost Redis, reconnecting", extra={"error": str(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    def _dispatch(self, raw: bytes) -> None:
        if not self._fanout.has_subscriptions:
            return
        try:
            bodies = json.loads(raw)
            if not isinstance(bodies, list):
                raise TypeError("an event message is a JSON array of events")
            received = [Event.from_json(body) for body in bodies]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("dropped a malformed event message", extra={"error": str(exc)})
            return
        for topic, event in received:
            self._fanout.deliver(topic, event)


def create_event_bus(redis_url: str | None, *, listen: bool = True) -> EventBus:
    """The Redis bus where a URL is set, else the in-process one; ``listen=False`` for a process
    that only publishes."""
    return InProcessEventBus() if redis_url is None else RedisEventBus(redis_url, listen=listen)


def publish_after_commit(session: AsyncSession, bus: EventBus, topic: str, event: Event) -> None:
    """Publish once the unit of work commits, so no one hears of a change that was rolled back."""

    async def publish() -> None:
        await bus.publish(topic, event)

    after_commit(session, publish)
