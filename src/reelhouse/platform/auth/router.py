"""HTTP routes of auth, users, API keys and organizations."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.security import OAuth2PasswordRequestForm

from reelhouse.platform.auth.models import ApiKey, Organization, Role, User
from reelhouse.platform.auth.organizations import ORGANIZATION_SORTS, OrganizationService
from reelhouse.platform.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyUpdate,
    MeRead,
    OrganizationCreate,
    OrganizationCreated,
    OrganizationRead,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from reelhouse.platform.auth.service import (
    API_KEY_SORTS,
    USER_SORTS,
    ApiKeyService,
    UserService,
    login,
)
from reelhouse.platform.auth.throttle import LoginThrottle, LoginThrottled
from reelhouse.platform.deps import (
    AdminPrincipal,
    CreatedRange,
    CurrentPrincipal,
    EventBusDep,
    InstanceAdminPrincipal,
    SessionDep,
    SettingsDep,
    sorted_page,
)
from reelhouse.platform.errors import Conflict, Forbidden, NotFound, Unauthorized, errors
from reelhouse.platform.pagination import Page, PageRequest

router = APIRouter()


def get_user_service(
    session: SessionDep, principal: AdminPrincipal, bus: EventBusDep
) -> UserService:
    return UserService(session, principal, bus)


def get_api_key_service(
    session: SessionDep, principal: AdminPrincipal, bus: EventBusDep
) -> ApiKeyService:
    return ApiKeyService(session, principal, bus)


def get_organization_service(
    session: SessionDep, _principal: InstanceAdminPrincipal, bus: EventBusDep
) -> OrganizationService:
    return OrganizationService(session, bus)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]
ApiKeyServiceDep = Annotated[ApiKeyService, Depends(get_api_key_service)]
OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]


async def get_user_in_org(user_id: uuid.UUID, users: UserServiceDep) -> User:
    return await users.get(user_id)


async def get_api_key_in_org(key_id: uuid.UUID, keys: ApiKeyServiceDep) -> ApiKey:
    return await keys.get(key_id)


OrgUser = Annotated[User, Depends(get_user_in_org)]
OrgApiKey = Annotated[ApiKey, Depends(get_api_key_in_org)]
ADMIN_ERRORS = errors(Unauthorized, Forbidden)


def get_login_throttle(request: Request, settings: SettingsDep) -> LoginThrottle:
    # One per app, made at its first login: the in-process counts live as long as the server.
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle.from_settings(settings)
    return throttle


@router.post("/auth/token", tags=["auth"], responses=errors(Unauthorized, LoginThrottled))
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    throttle: Annotated[LoginThrottle, Depends(get_login_throttle)],
    request: Request,
    organization: Annotated[
        str | None,
        Form(
            max_length=200,
            description="The organization to log in to, by name, where the "
            "email and password open accounts in several",
        ),
    ] = None,
) -> TokenRead:
    """OAuth2 password flow: ``username`` is the email. Repeated failures answer 429."""
    return await login(
        session,
        email=form.username,
        password=form.password,
        organization=organization,
        throttle=throttle,
        address=None if request.client is None else request.client.host,
        secret=settings.jwt_secret,
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )


@router.get("/auth/me", tags=["auth"], responses=errors(Unauthorized))
async def read_me(principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    organization = await session.get(Organization, principal.org_id)
    user = None if principal.user_id is None else await session.get(User, principal.user_id)
    return MeRead(
        organization=OrganizationRead.model_validate(organization),
        role=principal.role,
        user=None if user is None else UserRead.model_validate(user),
        api_key_id=principal.api_key_id,
    )


@router.get("/users", tags=["users"], responses=ADMIN_ERRORS)
async def list_users(
    users: UserServiceDep,
    page: Annotated[PageRequest, sorted_page(*USER_SORTS)],
    created: CreatedRange,
    role: Role | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of email or name")] = None,
) -> Page[UserRead]:
    rows, total = await users.list(page, created, role=role, is_active=is_active, search=q)
    return Page[UserRead].of([UserRead.model_validate(row) for row in rows], total, page)


@router.post("/users", status_code=201, tags=["users"], responses=errors(Conflict, Forbidden))
async def create_user(body: UserCreate, users: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await users.create(body))


@router.get("/users/{user_id}", tags=["users"], responses=errors(NotFound, Forbidden))
async def read_user(user: OrgUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/users/{user_id}", tags=["users"], responses=errors(NotFound, Forbidden, Conflict))
async def update_user(user: OrgUser, body: UserUpdate, users: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await users.update(user, body))


@router.post(
    "/users/{user_id}/deactivate", tags=["users"], responses=errors(NotFound, Forbidden, Conflict)
)
async def deactivate_user(user: OrgUser, users: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await users.deactivate(user))


@router.get("/api-keys", tags=["api keys"], responses=ADMIN_ERRORS)
async def list_api_keys(
    keys: ApiKeyServiceDep,
    page: Annotated[PageRequest, sorted_page(*API_KEY_SORTS)],
    is_active: bool | None = None,
) -> Page[ApiKeyRead]:
    rows, total = await keys.list(page, is_active=is_active)
    return Page[ApiKeyRead].of([ApiKeyRead.model_validate(row) for row in rows], total, page)


@router.post("/api-keys", status_code=201, tags=["api keys"], responses=ADMIN_ERRORS)
async def create_api_key(body: ApiKeyCreate, keys: ApiKeyServiceDep) -> ApiKeyCreated:
    """The answer holds the key itself, shown this once."""
    return await keys.create(body)


@router.patch("/api-keys/{key_id}", tags=["api keys"], responses=errors(NotFound, Forbidden))
async def update_api_key(key: OrgApiKey, body: ApiKeyUpdate, keys: ApiKeyServiceDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await keys.update(key, body))


@router.delete("/api-keys/{key_id}", tags=["api keys"], responses=errors(NotFound, Forbidden))
async def revoke_api_key(key: OrgApiKey, keys: ApiKeyServiceDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await keys.revoke(key))


@router.get("/organizations", tags=["organizations"], responses=ADMIN_ERRORS)
async def list_organizations(
    organizations: OrganizationServiceDep,
    page: Annotated[PageRequest, sorted_page(*ORGANIZATION_SORTS)],
) -> Page[OrganizationRead]:
    rows, total = await organizations.list(page)
    return Page[OrganizationRead].of(
        [OrganizationRead.model_validate(row) for row in rows], total, page
    )


@router.post(
    "/organizations",
    status_code=201,
    tags=["organizations"],
    responses=errors(Unauthorized, Forbidden, Conflict),
)
async def create_organization(
    body: OrganizationCreate, organizations: OrganizationServiceDep
) -> OrganizationCreated:
    organization, admin = await organizations.create(body)
    return OrganizationCreated(
        organization=OrganizationRead.model_validate(organization),
        admin=UserRead.model_validate(admin),
    )
