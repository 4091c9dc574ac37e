"""The OpenAPI document tells clients the truth: problem+json errors, sort enums, upload bodies,
and viewers that work without the internet."""

from __future__ import annotations

import re
from typing import Any

import httpx

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("http://test/openapi.json")).json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


async def test_every_error_of_every_operation_is_declared_as_problem_json(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client)

    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert {"400", "422"} <= set(responses), f"{method} {path}"
        errors = {status: r for status, r in responses.items() if status[0] in "45"}
        for status, response in errors.items():
            assert response["content"] == PROBLEM, f"{method} {path} {status}"


async def test_an_invalid_query_answers_the_declared_problem(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answer = await client.get("/jobs?limit=0", headers=admin_headers)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(answer.json())


async def test_every_sort_is_an_enum_that_the_route_accepts(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    document = await _document(client)
    sorting = {
        path: next(p for p in operation.get("parameters", []) if p["name"] == "sort")
        for method, path, operation in _operations(document)
        if method == "GET" and any(p["name"] == "sort" for p in operation.get("parameters", []))
    }

    assert set(sorting) >= {f"/api/v1/{name}" for name in ("assets", "jobs", "users", "tags")}
    for path, parameter in sorting.items():
        choices = parameter["schema"]["anyOf"][0]["enum"]
        assert all(f"-{name}" in choices for name in choices if not name.startswith("-")), path
        if "{" in path:
            continue
        for choice in choices:
            answer = await client.get(
                f"http://test{path}", params={"sort": choice}, headers=admin_headers
            )
            assert answer.status_code == 200, f"{path}?sort={choice}: {answer.text}"
        refused = await client.get(
            f"http://test{path}", params={"sort": "password_hash"}, headers=admin_headers
        )
        assert refused.status_code == 422, path


async def test_uploads_declare_the_body_that_try_it_out_sends(client: httpx.AsyncClient) -> None:
    paths = (await _document(client))["paths"]

    upload = paths["/api/v1/assets/upload"]["post"]["requestBody"]["content"]
    probe = paths["/api/v1/ingest/probe"]["post"]["requestBody"]["content"]
    content = paths["/api/v1/ingest/{upload_id}/content"]["put"]["requestBody"]["content"]

    binary = {"type": "string", "format": "binary"}
    assert upload["multipart/form-data"]["schema"]["properties"]["file"] == binary
    assert probe["multipart/form-data"]["schema"]["properties"]["file"] == binary
    assert "path" in probe["application/json"]["schema"]["properties"]
    assert content["application/octet-stream"]["schema"] == binary


async def test_docs_and_redoc_load_their_assets_from_this_server(
    client: httpx.AsyncClient,
) -> None:
    for page in ("http://test/docs", "http://test/redoc"):
        html = (await client.get(page)).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)

        assert sources, page
        assert not [source for source in sources if "//" in source], f"{page}: {sources}"
        for source in sources:
            if source.startswith("/docs/assets/"):
                loaded = await client.get(f"http://test{source}")
                assert loaded.status_code == 200, source
                assert len(loaded.content) > 1000, source


async def test_every_operation_on_an_id_declares_its_404(client: httpx.AsyncClient) -> None:
    document = await _document(client)

    for method, path, operation in _operations(document):
        if "{" in path:
            assert operation["responses"]["404"]["content"] == PROBLEM, f"{method} {path}"
