"""Tenancy across every route, read from the app's own route table: another organization's resource
answers 404 on every route that names one, and no list shows another organization's rows. A route
whose path names a kind of resource this suite cannot make fails it, so a new route is covered
the day it is added."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from tests.conftest import create_organization
from tests.route_table import operations, request_arguments, resources_of


async def test_every_route_answers_404_for_another_organizations_resource(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    theirs = await resources_of(client, admin_headers, "orga")
    org_b = await create_organization(client, admin_headers, "OrgB")
    openapi = app.openapi()
    with_ids = [operation for operation in operations(app) if operation.parameters]
    uncovered = {
        f"{operation} names {name}"
        for operation in with_ids
        for name in operation.parameters
        if name not in theirs
    }
    assert not uncovered, f"add these kinds to tests/route_table.py resources_of: {uncovered}"

    readable = [operation for operation in with_ids if operation.method == "GET"]
    before = [await _status(client, operation.url(theirs), admin_headers) for operation in readable]
    leaks = []
    for operation in with_ids:
        arguments = request_arguments(operation, openapi, org_b.headers)
        answer = await client.request(url=operation.url(theirs), **arguments)
        if answer.status_code != 404:
            leaks.append(f"{operation}: {answer.status_code} {answer.text[:160]}")

    assert not leaks, "\n".join(leaks)
    after = [await _status(client, operation.url(theirs), admin_headers) for operation in readable]
    assert after == before, "another organization's requests changed what the owner reads"
    assert set(before) == {200}, list(zip(map(str, readable), before, strict=True))


async def _status(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    return (await client.get(url, headers=headers)).status_code


async def test_no_list_shows_another_organizations_rows(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    theirs = await resources_of(client, admin_headers, "orga")
    org_b = await create_organization(client, admin_headers, "OrgB")
    await resources_of(client, org_b.headers, "orgb")
    lists = [
        operation
        for operation in operations(app)
        if operation.method == "GET" and not operation.parameters
    ]

    shown = []
    for operation in lists:
        answer = await client.get(operation.url({}), headers=org_b.headers)
        if answer.status_code != 200:
            continue
        text = json.dumps(answer.json())
        shown += [f"{operation} shows {kind}" for kind, id_ in theirs.items() if id_ in text]

    assert not shown, "\n".join(shown)
    assert len(lists) >= 8
