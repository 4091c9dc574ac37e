"""Background loops of a process: duties run every so often, and writes gathered in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

logger = logging.getLogger("reelhouse.loops")
ItemT = TypeVar("ItemT")
OutcomeT = TypeVar("OutcomeT")
MAX_BATCH = 500
STOP_GRACE_SECONDS = 10.0


class Duty:
    """Runs ``step`` every ``interval_seconds``; a failing step is logged and tried again later.

    It stops between steps, never in the middle of one: a task cancelled inside a database
    call can leave its connection neither used nor returned to the pool.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[Any]],
        interval_seconds: float,
        *,
        sleep_first: bool = False,
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval_seconds
        self._sleep_first = sleep_first
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await stop_gracefully(self._task, self._stopping.set)

    async def _run(self) -> None:
        if self._sleep_first:
            await self._pause()
        while not self._stopping.is_set():
            try:
                await self._step()
            except Exception:
                logger.exception(
                    "background duty failed; will try again", extra={"duty": self.name}
                )
            await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self._interval)


async def stop_gracefully(task: asyncio.Task[Any] | None, ask_to_stop: Callable[[], None]) -> None:
    """Ask a loop to stop and wait for it; cancel it only if it does not stop in time."""
    if task is None:
        return
    ask_to_stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class WriteBatcher(Generic[ItemT, OutcomeT]):
    """Queues items from many tasks and writes all that queued meanwhile in one go.

    A no-op job costs little more than its claim and its end, so sharing statements is what
    keeps a busy worker fast; a lone item is written at once, without waiting for company,
    unless ``linger_seconds`` says how long items that nobody waits for may wait for company.
    """

    def __init__(
        self,
        name: str,
        write: Callable[[Sequence[ItemT]], Awaitable[Sequence[OutcomeT]]],
        *,
        linger_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self._write = write
        self._linger = linger_seconds
        self._pending: list[tuple[ItemT, asyncio.Future[OutcomeT] | None]] = []
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
        """Queue ``item`` and wait until the batch that carries it is written."""
        outcome: asyncio.Future[OutcomeT] = asyncio.get_running_loop().create_future()
        self._queue(item, outcome)
        return await outcome

    def post(self, item: ItemT) -> None:
        """Queue ``item`` without waiting for it: a failed write is logged, not raised.

        Items still leave in the order they were queued, with those submitted.
        """
        self._queue(item, None)

    def _queue(self, item: ItemT, outcome: asyncio.Future[OutcomeT] | None) -> None:
        if self._task is None or self._task.done():
            # Nothing would ever write it: fail now rather than wait forever.
            raise RuntimeError(f"{self.name} is not running")
        self._pending.append((item, outcome))
        self._wake.set()

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            if self._linger and not self._stopping:
                await asyncio.sleep(self._linger)
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
            logger.exception("a batched write failed", extra={"batch": self.name})
            for _item, future in batch:
                if future is not None and not future.done():
                    future.set_exception(exc)
            return
        for (_item, future), outcome in zip(batch, outcomes, strict=True):
            if future is not None and not future.done():
                future.set_result(outcome)
