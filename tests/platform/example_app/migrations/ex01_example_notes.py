"""example notes: the first revision of an app's own branch

Revision ID: ex01
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ex01"
# An app's history starts a branch of its own, after the platform's tables it refers to.
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("example",)
depends_on: str | Sequence[str] | None = "0002"


def upgrade() -> None:
    op.create_table(
        "example_notes",
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=True),
        sa.Column("profiled_by_pid", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_example_notes_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notes")),
    )
    with op.batch_alter_table("example_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_example_notes_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("example_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_notes_org_id"))
    op.drop_table("example_notes")
