"""kombu's Redis transport, keeping one client per channel instead of building one per command.

kombu builds a new ``redis.Redis`` for every publish and every acknowledgement; building it
(its table of response callbacks) costs about a quarter of an acknowledgement. A client only
borrows connections from the channel's pool for each command, so one serves every thread.
Celery uses this transport for ``redis://`` and ``rediss://`` brokers (see ``create_celery``).

This overrides a kombu method; if the installed kombu's no longer builds its client the way
replaced here, kombu's own transport is used instead (``platform/overrides.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis

from reelhouse.platform.overrides import applies, missing_internals

SHARED_CLIENT_TRANSPORT = "reelhouse.platform.jobs.execution.redis_transport:Transport"

# The stock method builds a client per call from the channel's pool, as ours builds one per pool.
RELIED_ON: dict[tuple[type, str], frozenset[str]] = {
    (kombu_redis.Channel, "conn_or_acquire"): frozenset({"client", "_create_client"}),
    (kombu_redis.Channel, "_create_client"): frozenset({"Client", "pool", "asynchronous"}),
}


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any | None = None) -> Iterator[Any]:
        if client:
            yield client
            return
        shared = self._shared_client
        # The pool is replaced after a fork or a lost connection: follow it.
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._shared_client = self.Client(connection_pool=self.pool)
        yield shared


class Transport(kombu_redis.Transport):
    Channel = Channel


def select_transport(missing: list[str]) -> str | None:
    """The transport Celery is to use for Redis brokers; ``None``: kombu's own."""
    if applies("the shared-client Redis transport", "kombu", missing):
        return SHARED_CLIENT_TRANSPORT
    return None


TRANSPORT_PATH = select_transport(missing_internals(RELIED_ON))
