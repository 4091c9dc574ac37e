"""docs/api-map.md stays true: every route the app serves is listed there."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute, APIWebSocketRoute

from reelhouse.app import API_PREFIX, create_app
from reelhouse.platform.apps import InstalledApps
from reelhouse.settings import Settings

API_MAP = Path(__file__).resolve().parent.parent / "docs" / "api-map.md"


def served_routes(tmp_path: Path) -> set[str]:
    routers = InstalledApps.load(Settings().apps).routers()
    document = create_app(Settings(data_dir=tmp_path)).openapi()
    routes = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
    }
    websockets = {
        f"WS {API_PREFIX}{route.path}"
        for router in routers
        for route in router.routes
        if isinstance(route, APIWebSocketRoute)
    }
    hidden = [
        route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and not route.include_in_schema
    ]
    assert hidden == [], "a route left out of OpenAPI would escape this check"
    assert websockets, "the event socket should be found"
    return routes | websockets


def test_every_served_route_is_in_the_api_map(tmp_path: Path) -> None:
    served_section = API_MAP.read_text().split("## Routes served now", 1)[1]

    missing = sorted(
        route for route in served_routes(tmp_path) if f"| `{route}` |" not in served_section
    )

    assert missing == []
