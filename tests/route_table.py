"""The app's own route table, read for the suites that check every route, and one organization's
worth of resources (one of each kind a path names) for those suites to aim at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

from reelhouse.platform.auth.models import Role
from reelhouse.platform.deps import RoleRequirement, get_instance_admin, get_member_apart
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import create_user
from tests.jobs_helpers import wait_for_job
from tests.media_samples import png_bytes

API = "/api/v1"
INSTANCE_ADMIN = "instance admin"
PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the route declares it, under /api/v1
    route: APIRoute

    @property
    def documented_path(self) -> str:
        """The path as OpenAPI spells it: without the converters."""
        return PATH_PARAMETER.sub(lambda match: "{" + match.group(1) + "}", self.path)

    @property
    def parameters(self) -> list[str]:
        return PATH_PARAMETER.findall(self.path)

    @property
    def required_role(self) -> Role | str | None:
        """The highest role any of the route's dependencies demands, or None for any caller."""
        found: list[Role | str] = []
        _collect_roles(self.route.dependant, found)
        if INSTANCE_ADMIN in found:
            return INSTANCE_ADMIN
        roles = [role for role in found if isinstance(role, Role)]
        return max(
            roles, key=lambda role: [Role.viewer, Role.member, Role.admin].index(role), default=None
        )

    def url(self, ids: dict[str, str]) -> str:
        return PATH_PARAMETER.sub(lambda match: ids[match.group(1)], self.path).removeprefix(API)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _collect_roles(dependant: Dependant, found: list[Role | str]) -> None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleRequirement):
            found.append(dependency.call.role)
        elif dependency.call is get_instance_admin:
            found.append(INSTANCE_ADMIN)
        elif dependency.call is get_member_apart:
            found.append(Role.member)
        _collect_roles(dependency, found)


def operations(app: FastAPI) -> list[Operation]:
    """Every HTTP operation the app serves under /api/v1."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path and context.path.startswith(API):
            for method in sorted(route.methods - {"HEAD"}):
                found.append(Operation(method, context.path, route))
    return found


def websocket_paths(app: FastAPI) -> list[str]:
    return [
        context.path or ""
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIWebSocketRoute)
    ]


def request_arguments(
    operation: Operation, openapi: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """Arguments for ``httpx.AsyncClient.request`` with a body the operation's documentation
    accepts, so that an answer is about the resource in the path, not about a missing field."""
    spec = openapi["paths"][operation.documented_path][operation.method.lower()]
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = {"json": _minimal(content["application/json"]["schema"], openapi)}
    elif "multipart/form-data" in content:
        body = {"files": {"file": ("probe.bin", b"probe")}}
    elif "application/x-www-form-urlencoded" in content:
        body = {"data": _minimal(content["application/x-www-form-urlencoded"]["schema"], openapi)}
    elif content:
        body = {"content": b"probe"}
        headers = headers | {"Content-Range": "bytes 0-4/5"}
    else:
        body = {}
    return {"method": operation.method, "headers": headers, **body}


def _minimal(schema: dict[str, Any], openapi: dict[str, Any]) -> Any:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _minimal(openapi["components"]["schemas"][name], openapi)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [option for option in schema[combined] if option.get("type") != "null"]
            return _minimal(options[0], openapi)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _minimal(schema["properties"][name], openapi)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    return "x" * max(1, schema.get("minLength", 1))


async def resources_of(
    client: httpx.AsyncClient, admin: dict[str, str], label: str
) -> dict[str, str]:
    """One resource of every kind a path names, made in the admin's organization through the API,
    keyed by the path parameter that names it."""
    asset = (await upload(client, admin, f"{label}.png", png_bytes(color=(9, 99, 199)))).json()
    await settled(client, admin, asset["id"])
    sidecar = await client.post(f"/assets/{asset['id']}/sidecar", headers=admin)
    await wait_for_job(client, admin, sidecar.json()["id"], "succeeded")
    output = (await client.get(f"/outputs?asset_id={asset['id']}", headers=admin)).json()
    output_id = output["items"][0]["id"]
    action = await client.post(
        f"/outputs/{output_id}/actions", json={"action": "verify_checksum"}, headers=admin
    )
    tag = await client.post("/tags", json={"name": f"{label}-tag"}, headers=admin)
    await client.post(
        f"/assets/{asset['id']}/tags", json={"tag_id": tag.json()["id"]}, headers=admin
    )
    started = await client.post(
        "/ingest/init", json={"filename": f"{label}.bin", "size": 5}, headers=admin
    )
    job = (await client.get("/jobs?limit=1", headers=admin)).json()["items"][0]
    member = await create_user(client, admin, f"{label}.member@example.org")
    user = (await client.get("/auth/me", headers=member)).json()["user"]
    key = await client.post("/api-keys", json={"name": f"{label} key"}, headers=admin)
    return {
        "asset_id": asset["id"],
        "output_id": output_id,
        "action_id": action.json()["id"],
        "tag_id": tag.json()["id"],
        "upload_id": started.json()["upload_id"],
        "job_id": job["id"],
        "user_id": user["id"],
        "key_id": key.json()["id"],
    }
