"""The restricted PostgreSQL application role: it may append to the audit trail, never rewrite or empty it."""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

from comms_approval.domain.errors import ConfigurationError

# Tables whose rows the application only ever adds. The retention purge may delete an erasable payload
# (audit_payloads), never edit one; events themselves are never updated, deleted or truncated.
APPEND_ONLY_TABLES = ("audit_events",)
ERASE_ONLY_TABLES = ("audit_payloads",)
READ_ONLY_TABLES = ("alembic_version",)  # schema changes are the owner's job (migrations), not the app's

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted_role(role: str) -> str:
    # Identifiers cannot be bound parameters; the strict pattern is what keeps this free of injection.
    if not _ROLE_NAME.match(role):
        raise ConfigurationError(f"invalid role name {role!r} (lower-case letters, digits, underscores)")
    return f'"{role}"'


def _role_exists(conn: Connection, role: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def create_app_role(
    engine: Engine, role: str, password: str | None = None, *, schema: str = "public"
) -> None:
    """Create (or bring up to date) `role` as a login role with the application's privileges only.

    Run it as the schema owner after the migrations (and again after each migration that adds a table;
    default privileges cover tables the same owner creates later). The role owns nothing, so it can
    neither drop the append-only triggers nor escape them, and it is refused UPDATE, DELETE and TRUNCATE
    on the audit events by the privilege system itself, before any trigger runs.
    """
    if engine.dialect.name != "postgresql":
        raise ConfigurationError("database roles exist on PostgreSQL only; SQLite relies on its triggers")
    quoted = _quoted_role(role)
    schema_q = _quoted_role(schema)
    with engine.begin() as conn:
        verb = "ALTER" if _role_exists(conn, role) else "CREATE"
        # The password is passed as a literal (CREATE ROLE takes no parameters); quote doubling escapes it.
        secret = "PASSWORD NULL" if password is None else "PASSWORD '" + password.replace("'", "''") + "'"
        conn.execute(
            text(
                f"{verb} ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS {secret}"
            )
        )
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {quoted}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema_q} TO {quoted}"))
        conn.execute(text(f"REVOKE CREATE ON SCHEMA {schema_q} FROM {quoted}"))
        conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_q} TO {quoted}")
        )
        conn.execute(
            text(f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema_q} FROM {quoted}")
        )
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_q} TO {quoted}"))
        conn.execute(
            text(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}"
            )
        )
        conn.execute(
            text(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT USAGE, SELECT ON SEQUENCES TO {quoted}"
            )
        )
        for table in APPEND_ONLY_TABLES:
            conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema_q}.{table} FROM {quoted}"))
        for table in ERASE_ONLY_TABLES:
            conn.execute(text(f"REVOKE UPDATE, TRUNCATE ON {schema_q}.{table} FROM {quoted}"))
        for table in READ_ONLY_TABLES:
            exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{schema}.{table}"}).scalar_one()
            if exists is not None:
                conn.execute(
                    text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema_q}.{table} FROM {quoted}")
                )


def drop_app_role(engine: Engine, role: str) -> None:
    """Remove the role and every privilege it holds in this database (for tests and decommissioning)."""
    quoted = _quoted_role(role)
    with engine.begin() as conn:
        if not _role_exists(conn, role):
            return
        conn.execute(text(f"DROP OWNED BY {quoted}"))
        conn.execute(text(f"DROP ROLE {quoted}"))


def table_privileges(engine: Engine, role: str, table: str) -> set[str]:
    """The privileges `role` holds on `table` (as PostgreSQL reports them), for checks and the runbook."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND table_name = :t"
            ),
            {"r": role, "t": table},
        ).scalars()
        return {str(p) for p in rows}
