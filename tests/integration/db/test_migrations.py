"""The Alembic migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import comms_approval.adapters.db.tables  # noqa: F401 - the models register their tables on import
from comms_approval.adapters.db.migrate import current_revision
from comms_approval.bootstrap import AppContext


def test_the_migrated_schema_is_the_models_schema(ctx: AppContext) -> None:
    """A column added to a model without its migration (or the reverse) shows up here, named."""
    with ctx.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert current_revision(ctx.engine) == "0002"
