"""The OpenAPI document and its viewers: every error declared as problem+json, bodies the routes
read themselves declared, and /docs and /redoc served from installed files, so they work offline.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from reelhouse.platform.errors import PROBLEM_JSON, Problem

DOCS_ASSETS = "/docs/assets"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Statuses every operation may answer whatever it does: a body or query it cannot read.
_ALWAYS = {"400": "Bad request", "422": "Invalid input"}
_UNUSED_AFTER = ("HTTPValidationError", "ValidationError")


def multipart_file_body(
    field: str = "file", *, or_json: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads a multipart ``field`` from the stream itself
    (or, with ``or_json``, a JSON body of that schema instead)."""
    content: dict[str, Any] = {"multipart/form-data": {"schema": _file_form(field)}}
    if or_json is not None:
        content["application/json"] = {"schema": or_json}
    return {"requestBody": {"required": True, "content": content}}


def raw_bytes_body(description: str) -> dict[str, Any]:
    """``openapi_extra`` of a route whose body is the bytes of a file."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }


def _file_form(field: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [field],
        "properties": {field: {"type": "string", "format": "binary"}},
    }


def install_openapi(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """The document with problem+json errors, and its two viewers on local assets."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            _declare_problems(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _install_viewers(app, docs_url, redoc_url)


def _declare_problems(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, title in _ALWAYS.items():
                responses.setdefault(status, {"description": title})
            if "{" in path:
                # An id that names nothing here, or another organization's row.
                responses.setdefault("404", {"description": "Not found"})
            if operation.get("security"):
                responses.setdefault("401", {"description": "Not authenticated"})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    for name in _UNUSED_AFTER:
        schemas.pop(name, None)


def _install_viewers(app: FastAPI, docs_url: str, redoc_url: str) -> None:
    # fastapi-offline's copies of Swagger UI and ReDoc; only its files are used.
    static = Path(str(files("fastapi_offline") / "static"))
    app.mount(DOCS_ASSETS, StaticFiles(directory=static), name="docs-assets")
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    title = f"{app.title} API"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
