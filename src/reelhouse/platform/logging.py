"""Structured logs: one JSON object per line off a TTY, with request id, org and route."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.requests import ClientDisconnect
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


# Credentials that reach log lines: ``?token=`` on WebSocket and download URLs, bearer headers,
# bare JWTs and ``rh_`` API keys. An API key keeps its public prefix, so a line still says which.
_CREDENTIALS = (
    (re.compile(r"(?i)([?&;](?:access_)?token=)[^&\s\"'#]+"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*"), "[redacted]"),
    (re.compile(r"\b(rh_[\w-]{8})[\w-]+"), r"\1[redacted]"),
)
_record_factory = logging.getLogRecordFactory()


def redact(text: str) -> str:
    """``text`` with every credential it holds replaced by ``[redacted]``."""
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    # A URL or a request object logged as an argument prints its credentials too (httpx's).
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def _redacting_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # At the record, not in our formatters: uvicorn's access line and every other logger's pass
    # here before any handler (a log shipper's, pytest's) sees them. Arguments are redacted one
    # by one, so formatters that unpack them (uvicorn's) still can.
    record = _record_factory(*args, **kwargs)
    record.msg = _redact_value(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_value(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _redact_value(arg) for key, arg in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install_credential_redaction() -> None:
    """Redact credentials from every log record of this process, whatever logger writes it."""
    if logging.getLogRecordFactory() is not _redacting_record_factory:
        logging.setLogRecordFactory(_redacting_record_factory)


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
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _request_context.get() or {}
        extras = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        fields = " ".join(f"{k}={v}" for k, v in {**context, **extras}.items())
        return redact(f"{line} {fields}".rstrip())


def configure_logging(level: str, log_format: str) -> None:
    """Send every log, uvicorn's included, through one handler of the chosen format."""
    install_credential_redaction()
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
        # The app that logs requests redacts them, also when it is served without our logging.
        install_credential_redaction()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
        token = _request_context.set(context)
        started = time.perf_counter()
        outcome = _Outcome()

        async def send_with_request_id(message: Message) -> None:
            outcome.saw_sent(message)
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        async def receive_watching_the_client() -> Message:
            message = await receive()
            outcome.saw_received(message)
            return message

        try:
            await self.app(scope, receive_watching_the_client, send_with_request_id)
        except Exception as error:
            if outcome.client_left or isinstance(error, ClientDisconnect):
                # Nobody is left to answer: the client's doing, not the server's error.
                outcome.client_left = True
                access_logger.info(
                    "client disconnected before the answer", extra={"error": type(error).__name__}
                )
            else:
                error_logger.exception("unhandled error")
                if scope["type"] == "http" and not outcome.response_started:
                    await _send_internal_error(send_with_request_id, request_id)
        finally:
            route = scope.get("route")
            # As OpenAPI spells it: /assets/{asset_id}, without the path's converters.
            context["route"] = getattr(route, "path_format", None) or scope.get("path")
            access_logger.info(
                "%s %s",
                scope.get("method", "WS"),
                scope.get("path"),
                extra={
                    **outcome.fields(),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            _request_context.reset(token)


class _Outcome:
    """What the access line says of one request or socket, from the messages that passed."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.response_started = False
        self.response_complete = False
        self.client_left = False
        self.close_code: int | None = None

    def saw_sent(self, message: Message) -> None:
        kind = message["type"]
        if kind in ("http.response.start", "websocket.http.response.start"):
            self.status, self.response_started = message["status"], True
        elif kind == "http.response.body" and not message.get("more_body", False):
            self.response_complete = True
        elif kind == "websocket.accept":
            self.status = 101
        elif kind == "websocket.close":
            # A socket closed before it was accepted is refused with 403 by the server.
            self.status = self.status or 403
            self.close_code = self.close_code or message.get("code", 1000)

    def saw_received(self, message: Message) -> None:
        if message["type"] == "http.disconnect" and not self.response_complete:
            self.client_left = True
        elif message["type"] == "websocket.disconnect":
            self.close_code = self.close_code or message.get("code", 1005)

    def fields(self) -> dict[str, Any]:
        # 499: nginx's "client closed request", for a client gone before any answer.
        status = self.status or (499 if self.client_left else 500)
        fields: dict[str, Any] = {"status": status}
        if self.close_code is not None:
            fields["close_code"] = self.close_code
        if self.client_left:
            fields["client_left"] = True
        return fields


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
