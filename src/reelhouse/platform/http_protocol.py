"""The HTTP protocol ``reelhouse serve`` runs: uvicorn's httptools one, less two copies per chunk.

uvicorn gathers a request body in a bytearray (a copy of every chunk) and hands it to the app as
bytes (a second copy). An upload's speed is bound by the server's main thread, which also parses
and hashes, so a chunk that arrives while none is waiting for the app is kept as the bytes object
httptools made, and ``bytes()`` of it is that object again. A chunk arriving while another still
waits takes uvicorn's own path.

This reads uvicorn's private state; if the installed uvicorn's code no longer uses it, the stock
protocol serves instead (``platform/overrides.py``).
"""

from __future__ import annotations

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from reelhouse.platform.overrides import applies, missing_internals

# For ``uvicorn.run(http=...)``, which also takes an import string (kept across ``--reload``).
PROTOCOL_PATH = "reelhouse.platform.http_protocol:BodyByReferenceProtocol"

# What the override does is what these stock methods do, with these names.
RELIED_ON: dict[tuple[type, str], frozenset[str]] = {
    (HttpToolsProtocol, "on_body"): frozenset(
        {"cycle", "body", "response_complete", "parser", "should_upgrade"}
        | {"flow", "pause_reading", "message_event", "HIGH_WATER_LIMIT"}
    ),
    (RequestResponseCycle, "__init__"): frozenset({"body", "response_complete", "message_event"}),
    (RequestResponseCycle, "receive"): frozenset({"body", "bytes", "message_event", "more_body"}),
}


class _BodyByReference(HttpToolsProtocol):
    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if cycle.body or cycle.response_complete or self.parser.should_upgrade():
            super().on_body(body)
            return
        # bytes where uvicorn keeps a bytearray: both answer len() and bytes() as it expects.
        cycle.body = body  # type: ignore[assignment]
        if len(body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()


def select_protocol(missing: list[str]) -> type[HttpToolsProtocol]:
    if applies("the body-by-reference HTTP protocol", "uvicorn", missing):
        return _BodyByReference
    return HttpToolsProtocol


BodyByReferenceProtocol = select_protocol(missing_internals(RELIED_ON))
