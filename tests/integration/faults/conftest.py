"""Fault-injection fixtures: the databases of the multi-process tests and the recording SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.concurrency.support import require_own_postgres
from tests.support.smtp_server import make_smtp_server, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return require_own_postgres()


@pytest.fixture
def pg_url() -> str:
    return require_own_postgres()
