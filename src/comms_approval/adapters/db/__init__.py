"""Database adapter: SQLModel tables, engine factory, unit of work, audit trail storage, migrations."""
