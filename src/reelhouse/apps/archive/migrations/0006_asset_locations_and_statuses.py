"""asset locations, and the statuses missing and changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statuses are plain text (no native enum, no check constraint): the new ones need no DDL.


def upgrade() -> None:
    op.create_table(
        "asset_locations",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "present", "missing", "changed", name="locationstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_locations_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_asset_locations_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_locations")),
        sa.UniqueConstraint("asset_id", "path", name="uq_asset_locations_asset_id_path"),
    )
    with op.batch_alter_table("asset_locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_locations_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_locations_org_id"), ["org_id"], unique=False)
    _record_registered_paths()


def _record_registered_paths() -> None:
    """Each asset registered before this revision has one location: the path it was found at."""
    assets = sa.table(
        "assets",
        sa.column("id", sa.Uuid()),
        sa.column("org_id", sa.Uuid()),
        sa.column("path", sa.Text()),
        sa.column("size", sa.BigInteger()),
        sa.column("path_mtime", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    locations = sa.table(
        "asset_locations",
        *(sa.column(name, sa.Uuid()) for name in ("id", "asset_id", "org_id")),
        sa.column("path", sa.Text()),
        sa.column("size", sa.BigInteger()),
        sa.column("state", sa.String(16)),
        *(
            sa.column(name, sa.DateTime(timezone=True))
            for name in ("mtime", "first_seen_at", "checked_at", "created_at", "updated_at")
        ),
    )
    rows = op.get_bind().execute(
        sa.select(assets).where(assets.c.path.is_not(None), assets.c.path_mtime.is_not(None))
    )
    now = datetime.now(UTC)
    values = [
        {
            "id": uuid.uuid4(),
            "asset_id": row.id,
            "org_id": row.org_id,
            "path": row.path,
            "size": row.size,
            "state": "present",
            "mtime": row.path_mtime,
            "first_seen_at": row.created_at,
            "checked_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    if values:
        op.bulk_insert(locations, values)


def downgrade() -> None:
    statuses = sa.table("assets", sa.column("status", sa.String(16)))
    # The older code knows neither status, and an asset its file left is failed to it.
    op.execute(
        statuses.update()
        .where(statuses.c.status.in_(("missing", "changed")))
        .values(status="failed")
    )
    with op.batch_alter_table("asset_locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_locations_org_id"))
        batch_op.drop_index(batch_op.f("ix_asset_locations_asset_id"))
    op.drop_table("asset_locations")
