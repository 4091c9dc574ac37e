"""kombu's Redis transport, keeping one client per channel instead of building one per command.

kombu builds a new ``redis.Redis`` for every publish and every acknowledgement; building it
(its table of response callbacks) costs about a quarter of an acknowledgement. A client only
borrows connections from the channel's pool for each command, so one serves every thread.
Celery uses this transport for ``redis://`` and ``rediss://`` brokers (see ``create_celery``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis

TRANSPORT_PATH = "reelhouse.platform.jobs.execution.redis_transport:Transport"


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
