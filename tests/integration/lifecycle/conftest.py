"""Fixtures: a context with the demo convention loaded, a fake logo checker, a draft, the test SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms_approval.bootstrap import AppContext
from comms_approval.services.conventions import load_convention_file
from tests.conftest import DEMO_CONVENTION
from tests.support.smtp_server import make_smtp_server, smtp_server  # noqa: F401  (fixtures)
from tests.support.workflow import FakeLogoChecker, make_draft


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    load_convention_file(ctx, DEMO_CONVENTION)
    return ctx


@pytest.fixture
def checker() -> FakeLogoChecker:
    return FakeLogoChecker()


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    return make_draft(tmp_path / "uploads")
