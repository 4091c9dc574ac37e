"""Organizations: the first one made on an empty database, and more by the instance admin."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.credentials import hash_password
from reelhouse.platform.auth.models import Organization, Role, User
from reelhouse.platform.auth.schemas import OrganizationCreate, normalize_email
from reelhouse.platform.errors import Conflict
from reelhouse.platform.events import Event, EventBus, Subject, publish_after_commit
from reelhouse.platform.pagination import PageRequest

DEFAULT_ADMIN_EMAIL = "admin@reelhouse.local"
ORGANIZATION_SORTS = ("created_at", "name")


@dataclass(frozen=True)
class FirstAdmin:
    organization: Organization
    admin: User
    generated_password: str | None


async def create_organization_with_admin(
    session: AsyncSession,
    *,
    name: str,
    admin_email: str,
    admin_password: str,
    instance_admin: bool = False,
) -> tuple[Organization, User]:
    """A new organization and its first admin, checked for unique name and email."""
    if await session.scalar(select(exists().where(Organization.name == name))):
        raise Conflict(f"an organization named {name!r} already exists", field="name")
    # No email check: accounts belong to one organization, and a new one has none yet.
    email = normalize_email(admin_email)
    organization = Organization(name=name)
    session.add(organization)
    await session.flush()
    admin = User(
        org_id=organization.id,
        email=email,
        password_hash=hash_password(admin_password),
        role=Role.admin,
        is_instance_admin=instance_admin,
    )
    session.add(admin)
    await session.flush()
    return organization, admin


async def ensure_first_admin(
    session: AsyncSession,
    *,
    organization_name: str,
    admin_email: str | None,
    admin_password: str | None,
) -> FirstAdmin | None:
    """On an empty database, make the first organization and the instance administrator.

    Answers ``None`` when an organization exists already. Without a configured password a random
    one is generated and returned so the caller can show it once.
    """
    if await session.scalar(select(exists().where(Organization.id.is_not(None)))):
        return None
    generated = None if admin_password else secrets.token_urlsafe(12)
    organization, admin = await create_organization_with_admin(
        session,
        name=organization_name,
        admin_email=admin_email or DEFAULT_ADMIN_EMAIL,
        admin_password=admin_password or str(generated),
        instance_admin=True,
    )
    return FirstAdmin(organization, admin, generated)


class OrganizationService:
    """What the instance administrator does with organizations; no other principal gets here."""

    def __init__(self, session: AsyncSession, bus: EventBus) -> None:
        self.session = session
        self.bus = bus

    async def list(self, page: PageRequest) -> tuple[Sequence[Organization], int]:
        column, descending = page.sort_key(ORGANIZATION_SORTS)
        order = getattr(Organization, column)
        # Organizations are the one table above tenancy: they are what rows are scoped to.
        statement = select(Organization).order_by(order.desc() if descending else order.asc())
        total = await self.session.scalar(select(func.count()).select_from(Organization))
        rows = await self.session.scalars(statement.limit(page.limit).offset(page.offset))
        return rows.all(), int(total or 0)

    async def create(self, body: OrganizationCreate) -> tuple[Organization, User]:
        organization, admin = await create_organization_with_admin(
            self.session,
            name=body.name,
            admin_email=body.admin_email,
            admin_password=body.admin_password.get_secret_value(),
        )
        event = Event(
            event="organization.created",
            org_id=organization.id,
            subject=Subject("organization", organization.id),
            data={"name": organization.name},
        )
        publish_after_commit(self.session, self.bus, "organizations", event)
        return organization, admin
