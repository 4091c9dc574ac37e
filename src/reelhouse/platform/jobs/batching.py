"""Writes that many jobs make at once (claims, ends) go to the database together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reelhouse.platform.jobs.repeat import stop_gracefully

logger = logging.getLogger("reelhouse.jobs")
ItemT = TypeVar("ItemT")
OutcomeT = TypeVar("OutcomeT")
MAX_BATCH = 500


class WriteBatcher(Generic[ItemT, OutcomeT]):
    """Queues items from many tasks and writes all that queued meanwhile in one go.

    A no-op job costs little more than its claim and its end, so sharing statements is what
    keeps a busy worker fast; a lone item is written at once, without waiting for company.
    """

    def __init__(
        self, name: str, write: Callable[[Sequence[ItemT]], Awaitable[Sequence[OutcomeT]]]
    ) -> None:
        self.name = name
        self._write = write
        self._pending: list[tuple[ItemT, asyncio.Future[OutcomeT]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name=self.name)

    async def stop(self) -> None:
        """Write what is pending, then stop."""
        await stop_gracefully(self._task, self._ask_to_stop)

    def _ask_to_stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def submit(self, item: ItemT) -> OutcomeT:
        outcome: asyncio.Future[OutcomeT] = asyncio.get_running_loop().create_future()
        self._pending.append((item, outcome))
        self._wake.set()
        return await outcome

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._write_batch()
            if self._stopping:
                return

    async def _write_batch(self) -> None:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        try:
            outcomes = await self._write([item for item, _future in batch])
        except Exception as exc:
            logger.exception("a batched job write failed", extra={"batch": self.name})
            for _item, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_item, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)


class HeldConnection:
    """One connection kept open for a stream of small writes, used by one task at a time.

    Checking a connection out of the pool and back in (with its reset) costs more than a
    claim or an end itself; a busy worker writes through connections it keeps. After a
    failure the connection is dropped and the next use opens a new one.
    """

    def __init__(self, engine: AsyncEngine, *, write_lock: asyncio.Lock | None = None) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._lock = asyncio.Lock()
        self._connection: AsyncConnection | None = None

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncConnection]:
        """The connection, as the engine makes it (autocommit, for one guarded statement)."""
        async with self._lock, self._write_lock or contextlib.nullcontext():
            if self._connection is None:
                self._connection = await self._engine.connect()
            connection = self._connection
            try:
                yield connection
            except BaseException:
                self._connection = None
                with contextlib.suppress(Exception):
                    await connection.invalidate()
                raise

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()
