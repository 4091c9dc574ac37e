"""The fast store: the plain one with the two writes every job makes, its claim by id and its
successful end, sent through the driver.

A worker's rate is bound by one process's CPU, and SQLAlchemy's execution layer costs more than
these statements do: a claim of two jobs took 350 us of CPU per job through it and 90 us through
sqlite3 itself. So these two statements, and only these, are written once per dialect here, with
the same guards as the statements of ``store``: a job moves only from the status (and, at its
end, the worker and attempt) it is expected to be in. The contract tests hold both stores to the
same answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from reelhouse.platform.db import configure_sqlite_connection, utcnow
from reelhouse.platform.jobs.context import ClaimedJob, SuccessfulEnd
from reelhouse.platform.jobs.execution.store import SqlJobWrites
from reelhouse.platform.jobs.models import JobPriority

ResultT = TypeVar("ResultT")


class FastJobWrites(SqlJobWrites):
    """``SqlJobWrites`` with claims by id and successes through the driver, each on a connection
    of its own so that a broker's deliveries never wait behind a batch of ends."""

    def __init__(self, database_url: str, write_lock: asyncio.Lock | None) -> None:
        super().__init__(database_url, write_lock)
        self._claims = _driver_writes(database_url, write_lock)
        self._ends = _driver_writes(database_url, write_lock)

    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        return await self._claims.claim(job_ids, worker_id) if job_ids else []

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        return await self._ends.succeed(worker_id, ends) if ends else set()

    async def close(self) -> None:
        await self._claims.close()
        await self._ends.close()
        await super().close()


class _DriverWrites(Protocol):
    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        """Take the named jobs that are queued and due; the others are left as they are."""
        ...

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        """End jobs this worker holds as succeeded, each with its result; answers the ids that
        were still ours (a job taken from us meanwhile is not touched)."""
        ...

    async def close(self) -> None: ...


def _driver_writes(database_url: str, write_lock: asyncio.Lock | None) -> _DriverWrites:
    """Driver writes to the database of an async SQLAlchemy URL; connects on first use."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ValueError("job writes need a SQLite file that several connections share")
        return SqliteJobWrites(url.database, write_lock)
    return PostgresJobWrites(url.set(drivername="postgresql").render_as_string(False))


def _claimed_job(row: Sequence[Any], decode_id: Callable[[Any], uuid.UUID]) -> ClaimedJob:
    job_id, org_id, job_type, payload, attempts, max_attempts, timeout_s, kind, subject, rank = row
    return ClaimedJob(
        id=decode_id(job_id),
        org_id=decode_id(org_id),
        type=job_type,
        payload=json.loads(payload) if payload else {},
        attempt=attempts,
        max_attempts=max_attempts,
        timeout_s=timeout_s,
        subject_kind=kind,
        subject_id=None if subject is None else decode_id(subject),
        priority=JobPriority(rank),
    )


def _sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite dialect stores for a UTC timestamp (compared as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteJobWrites:
    """sqlite3 in a thread of its own: one hop per batch, and the statements run without the GIL."""

    # store's claim and successful end, in sqlite3's parameter style.
    _CLAIM = """
        UPDATE jobs SET status = 'running', worker_id = :worker_id, attempts = attempts + 1,
            started_at = :now, heartbeat_at = :now, updated_at = :now, finished_at = NULL,
            progress = 0.0, progress_message = NULL
        WHERE id IN (SELECT value FROM json_each(:job_ids))
            AND status = 'queued' AND run_after <= :now
        RETURNING id, org_id, type, payload, attempts, max_attempts, timeout_s,
            subject_kind, subject_id, priority
    """
    _SUCCEED_ONE = """
        UPDATE jobs SET status = 'succeeded', result = :result, finished_at = :now,
            updated_at = :now, progress = 1.0, progress_message = NULL,
            error_type = NULL, error_message = NULL, error_traceback = NULL
        WHERE id = :job_id AND status = 'running' AND worker_id = :worker_id
            AND attempts = :attempt
        RETURNING id
    """

    def __init__(self, path: str, write_lock: asyncio.Lock | None) -> None:
        self._path = path
        # SQLite takes one writer at a time; queueing behind the process's other job writes spares
        # the busy handler's sleeps.
        self._write_lock = write_lock
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="reelhouse-job-writes")
        self._connection: sqlite3.Connection | None = None

    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        parameters = {
            "job_ids": json.dumps([job_id.hex for job_id in job_ids]),
            "worker_id": worker_id,
            "now": _sqlite_time(utcnow()),
        }
        rows = await self._in_thread(self._fetch_all, self._CLAIM, parameters)
        return [_claimed_job(row, uuid.UUID) for row in rows]

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        now = _sqlite_time(utcnow())
        parameters = [
            {
                "job_id": job.id.hex,
                "worker_id": worker_id,
                "attempt": job.attempt,
                "result": json.dumps(result),
                "now": now,
            }
            for job, result in ends
        ]
        return await self._in_thread(self._succeed_each, parameters)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._disconnect)
        self._thread.shutdown(wait=False)

    async def _in_thread(self, write: Callable[..., ResultT], *arguments: Any) -> ResultT:
        async with self._write_lock or contextlib.nullcontext():
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, self._with_connection, write, arguments
            )

    def _with_connection(
        self, write: Callable[..., ResultT], arguments: tuple[Any, ...]
    ) -> ResultT:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            configure_sqlite_connection(connection, None)
            self._connection = connection
        try:
            return write(self._connection, *arguments)
        except BaseException:
            # The next batch starts from a new connection rather than one in an unknown state.
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

    @staticmethod
    def _fetch_all(
        connection: sqlite3.Connection, statement: str, parameters: dict[str, Any]
    ) -> list[Any]:
        return connection.execute(statement, parameters).fetchall()

    @classmethod
    def _succeed_each(
        cls, connection: sqlite3.Connection, parameters: list[dict[str, Any]]
    ) -> set[uuid.UUID]:
        # One transaction for the batch: SQLite's commit costs more than each update.
        connection.execute("BEGIN IMMEDIATE")
        try:
            ended = {
                uuid.UUID(row[0])
                for end in parameters
                for row in connection.execute(cls._SUCCEED_ONE, end).fetchall()
            }
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return ended


class PostgresJobWrites:
    """One asyncpg connection: each batch is one statement, one round trip."""

    # store's claim and successful end, in PostgreSQL's parameter style; a batch's ends are
    # one statement over arrays.
    _CLAIM = """
        UPDATE jobs SET status = 'running', worker_id = $2, attempts = attempts + 1,
            started_at = $3, heartbeat_at = $3, updated_at = $3, finished_at = NULL,
            progress = 0.0, progress_message = NULL
        WHERE id = ANY($1::uuid[]) AND status = 'queued' AND run_after <= $3
        RETURNING id, org_id, type, payload, attempts, max_attempts, timeout_s,
            subject_kind, subject_id, priority
    """
    _SUCCEED = """
        UPDATE jobs SET status = 'succeeded', result = ended.result::json, finished_at = $2,
            updated_at = $2, progress = 1.0, progress_message = NULL,
            error_type = NULL, error_message = NULL, error_traceback = NULL
        FROM unnest($3::uuid[], $4::int[], $5::text[]) AS ended(id, attempt, result)
        WHERE jobs.id = ended.id AND jobs.attempts = ended.attempt
            AND jobs.status = 'running' AND jobs.worker_id = $1
        RETURNING jobs.id
    """

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._lock = asyncio.Lock()
        self._connection: asyncpg.Connection | None = None

    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        rows = await self._fetch(self._CLAIM, list(job_ids), worker_id, utcnow())
        return [_claimed_job(row, _same) for row in rows]

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        rows = await self._fetch(
            self._SUCCEED,
            worker_id,
            utcnow(),
            [job.id for job, _result in ends],
            [job.attempt for job, _result in ends],
            [json.dumps(result) for _job, result in ends],
        )
        return {row[0] for row in rows}

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    async def _fetch(self, statement: str, *arguments: Any) -> list[Any]:
        async with self._lock:
            if self._connection is None:
                self._connection = await asyncpg.connect(self._dsn)
            connection = self._connection
            try:
                return list(await connection.fetch(statement, *arguments))
            except BaseException:
                self._connection = None
                connection.terminate()
                raise


def _same(value: uuid.UUID) -> uuid.UUID:
    """asyncpg answers UUIDs already (its own subclass, equal and hashed as the plain ones)."""
    return value
