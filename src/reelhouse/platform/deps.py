"""FastAPI dependencies every router uses, declared once under plain names."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.models import Role
from reelhouse.platform.auth.principal import Principal, authenticate
from reelhouse.platform.db import unit_of_work
from reelhouse.platform.errors import Unauthorized
from reelhouse.platform.events import EventBus
from reelhouse.platform.logging import bind_request_context
from reelhouse.platform.pagination import MAX_OFFSET, MAX_PAGE_SIZE, PageRequest, TimeRange
from reelhouse.platform.runtime import Runtime
from reelhouse.platform.scope import Scope
from reelhouse.settings import Settings

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a route, not a secret
_bearer = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description="A token from /auth/token, or an API key (rh_...).",
)


def get_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_event_bus(runtime: RuntimeDep) -> EventBus:
    return runtime.event_bus


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(get_runtime(request).session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EventBusDep = Annotated[EventBus, Depends(get_event_bus)]
# Function scope: the commit happens before the response is sent, so an answered request
# has its changes (and its jobs) stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_principal(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    if not token:
        raise Unauthorized("missing bearer token or API key")
    principal = await authenticate(session, token, settings.jwt_secret)
    bind_request_context(org_id=str(principal.org_id), user_id=str(principal.user_id))
    return principal


async def get_principal_apart(
    connection: HTTPConnection, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """The caller, authenticated in a unit of work of its own that ends at once: for routes that
    wait long (a person at a dialog) before they touch the database, so that the request holds
    no connection, nor a snapshot, while it waits."""
    if not token:
        raise Unauthorized("missing bearer token or API key")
    runtime = get_runtime(connection)
    async with unit_of_work(runtime.session_factory) as session:
        principal = await authenticate(session, token, runtime.settings.jwt_secret)
    bind_request_context(org_id=str(principal.org_id), user_id=str(principal.user_id))
    return principal


def scope_of(session: AsyncSession, principal: Principal, runtime: Runtime) -> Scope:
    return Scope(
        session=session,
        org_id=principal.org_id,
        actor=principal,
        bus=runtime.event_bus,
        dispatcher=runtime.dispatcher,
        storage=runtime.storage,
        settings=runtime.settings,
    )


def get_scope(
    session: SessionDep,
    principal: Annotated[Principal, Depends(get_principal)],
    runtime: RuntimeDep,
) -> Scope:
    return scope_of(session, principal, runtime)


def get_scope_apart(
    session: SessionDep,
    principal: Annotated[Principal, Depends(get_principal_apart)],
    runtime: RuntimeDep,
) -> Scope:
    return scope_of(session, principal, runtime)


class RoleRequirement:
    """A dependency refusing callers below ``role``; a class, so that the route table says which
    role each route needs (the suite checking every route's roles reads it)."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(self.role)
        return principal


def require_role(role: Role) -> Any:
    return Depends(RoleRequirement(role))


async def get_member_apart(
    principal: Annotated[Principal, Depends(get_principal_apart)],
) -> Principal:
    principal.require(Role.member)
    return principal


async def get_instance_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    principal.require_instance_admin()
    return principal


def _page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


def sorted_page(*sortable: str) -> Any:
    """The paging of a list that sorts by ``sortable`` (the first, its default order): ``sort``
    takes those names and their ``-`` (descending) variants, an enum in OpenAPI."""
    names = dict.fromkeys(option.lstrip("-") for option in sortable)
    choices = tuple(value for name in names for value in (name, f"-{name}"))

    def sorted_page_request(page: PageRequest, sort: str | None = None) -> PageRequest:
        return replace(page, sort=sort)

    # Built, not written: the enum is this list's own, and FastAPI reads it from the signature.
    sort_type: Any = Literal[choices]
    description = f"Field to sort by, prefix - for descending; default {sortable[0]}."
    sorted_page_request.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "page",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[PageRequest, Depends(_page_request)],
            ),
            inspect.Parameter(
                "sort",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[sort_type | None, Query(description=description)],
            ),
        ],
        return_annotation=PageRequest,
    )
    return Depends(sorted_page_request)


def _created_range(
    created_after: Annotated[datetime | None, Query(description="Inclusive, ISO 8601")] = None,
    created_before: Annotated[datetime | None, Query(description="Inclusive, ISO 8601")] = None,
) -> TimeRange:
    return TimeRange(_as_utc(created_after), _as_utc(created_before), field="created")


def _as_utc(instant: datetime | None) -> datetime | None:
    """A time without a zone in a query is read as UTC, the zone of every stored timestamp."""
    if instant is None or instant.tzinfo is not None:
        return instant
    return instant.replace(tzinfo=UTC)


# The paging of a list in one order; a list that sorts takes ``Depends(sorted_page(...))``.
PageParams = Annotated[PageRequest, Depends(_page_request)]
CreatedRange = Annotated[TimeRange, Depends(_created_range)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
MemberPrincipal = Annotated[Principal, require_role(Role.member)]
AdminPrincipal = Annotated[Principal, require_role(Role.admin)]
InstanceAdminPrincipal = Annotated[Principal, Depends(get_instance_admin)]
ScopeDep = Annotated[Scope, Depends(get_scope)]
# A scope whose caller was authenticated apart from the request's unit of work.
ScopeApartDep = Annotated[Scope, Depends(get_scope_apart)]
MemberPrincipalApart = Annotated[Principal, Depends(get_member_apart)]
