"""Domain errors, rendered as RFC 9457 problem+json by one set of handlers."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:reelhouse:problem:"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Problem(BaseModel):
    """An RFC 9457 problem, the body of every error (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    field: str | None = None
    errors: list[dict[str, str]] | None = None
    request_id: str | None = None


class ReelhouseError(Exception):
    """Base of every error a service raises on purpose; it carries its HTTP status."""

    status_code: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # Headers the answer carries besides the problem (``Retry-After`` of a 429).
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body


class NotFound(ReelhouseError):
    status_code = 404
    slug = "not-found"
    title = "Not found"

    def __init__(self, kind: str, identifier: object) -> None:
        super().__init__(f"{kind} {identifier} not found")


class Unauthorized(ReelhouseError):
    status_code = 401
    slug = "unauthorized"
    title = "Not authenticated"


class Forbidden(ReelhouseError):
    status_code = 403
    slug = "forbidden"
    title = "Forbidden"


class Conflict(ReelhouseError):
    status_code = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInput(ReelhouseError):
    status_code = 422
    slug = "invalid-input"
    title = "Invalid input"


class NotImplementedHere(ReelhouseError):
    status_code = 501
    slug = "not-implemented"
    title = "Not implemented on this install"


def errors(*error_types: type[ReelhouseError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the errors a route may answer."""
    return {
        error.status_code: {"description": error.title, "content": {PROBLEM_JSON: {}}}
        for error in error_types
    }


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReelhouseError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else exc.headers
    return problem_response(exc.problem(), headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    invalid = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    return problem_response(
        {
            "type": PROBLEM_TYPE_PREFIX + "invalid-input",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{invalid[0]['field']}: {invalid[0]['message']}" if invalid else "",
            "field": invalid[0]["field"] if invalid else None,
            "errors": invalid,
        }
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_methods_of_path(request))
    slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}.get(
        exc.status_code, "http-error"
    )
    return problem_response(
        {
            "type": PROBLEM_TYPE_PREFIX + slug,
            "title": str(exc.detail) if exc.status_code >= 400 else "Error",
            "status": exc.status_code,
            "detail": str(exc.detail),
        },
        headers or None,
    )


def _methods_of_path(request: Request) -> list[str]:
    """Every method some route answers at the request's path; Starlette names only those of the
    first route that matched the path."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReelhouseError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
