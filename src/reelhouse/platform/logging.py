"""Structured logs: one JSON object per line off a TTY, with request id, org and route."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelhouse.platform.errors import PROBLEM_JSON

_request_context: ContextVar[dict[str, Any] | None] = ContextVar("request_context", default=None)
access_logger = logging.getLogger("reelhouse.access")
error_logger = logging.getLogger("reelhouse.errors")
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


def bind_request_context(**fields: Any) -> None:
    """Add fields (org, user) to every log line of the current request."""
    context = _request_context.get()
    if context is not None:
        context.update(fields)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_context.get() or {})
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _request_context.get() or {}
        extras = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        fields = " ".join(f"{k}={v}" for k, v in {**context, **extras}.items())
        return f"{line} {fields}".rstrip()


def configure_logging(level: str, log_format: str) -> None:
    """Send every log, uvicorn's included, through one handler of the chosen format."""
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware writes the access log with request id and duration; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").disabled = True


class RequestContextMiddleware:
    """Give each request an id, log its outcome, and turn an unexpected error into a bare 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
        token = _request_context.set(context)
        started = time.perf_counter()
        outcome = {"status": 500, "response_started": False}

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                outcome["response_started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            error_logger.exception("unhandled error")
            if scope["type"] == "http" and not outcome["response_started"]:
                await _send_internal_error(send_with_request_id, request_id)
        finally:
            route = scope.get("route")
            context["route"] = getattr(route, "path", scope.get("path"))
            access_logger.info(
                "%s %s",
                scope.get("method", "WS"),
                scope.get("path"),
                extra={
                    "status": outcome["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            _request_context.reset(token)


async def _send_internal_error(send: Send, request_id: str) -> None:
    """The whole answer to an unexpected error: no internals, only the id to find it in the log."""
    problem = {"type": "about:blank", "title": "Internal Server Error", "status": 500}
    body = json.dumps({**problem, "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
