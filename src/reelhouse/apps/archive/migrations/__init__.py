"""The archive's Alembic revisions, part of the one history (see ``platform.migrations``)."""
