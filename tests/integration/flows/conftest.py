"""Flow wiring fixtures: one Prefect test server per session, settings passed to the flows through the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings
from comms_approval.services.conventions import load_convention_file
from tests.conftest import DEMO_CONVENTION
from tests.support.smtp_server import SmtpTestServer, make_smtp_server, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect API on a throw-away database; PREFECT_HOME is temporary so nothing lands in ~/.prefect."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    previous = {name: os.environ.get(name) for name in ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED")}
    os.environ["PREFECT_HOME"] = str(home)
    # The server's telemetry writes race with its own start-up on SQLite and only add noise to the logs.
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    try:
        # The heartbeat thread costs about a second per flow run and tells nothing in a test.
        with (
            temporary_settings({PREFECT_HOME: home, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
            prefect_test_harness(server_startup_timeout=60),
        ):
            yield str(PREFECT_API_URL.value())
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def flow_env(
    prefect_api: str,
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811 -- the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """What a worker would have in its environment: a data directory, a database and the test relay."""
    values = {
        "COMMS_APPROVAL_ENV": "test",
        "COMMS_APPROVAL_DATA_DIR": str(tmp_path / "data"),
        "COMMS_APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'flows.db'}",
        "COMMS_APPROVAL_SMTP_HOST": smtp_server.host,
        "COMMS_APPROVAL_SMTP_PORT": str(smtp_server.port),
        "COMMS_APPROVAL_SMTP_SECURITY": "none",
        "COMMS_APPROVAL_SMTP_TIMEOUT_SECONDS": "5",
        "COMMS_APPROVAL_BASE_URL": "http://testserver",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COMMS_APPROVAL_CLOCK_OVERRIDE", raising=False)
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def officer_ctx(flow_env: Settings, clock: ManualClock) -> Iterator[AppContext]:
    """The test's own view of the same database, on a clock it moves, with the demo convention loaded."""
    ctx = build_context(flow_env, clock=clock)
    load_convention_file(ctx, DEMO_CONVENTION)
    yield ctx
    ctx.engine.dispose()
