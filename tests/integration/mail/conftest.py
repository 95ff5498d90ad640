"""Fixtures for the mail adapter tests: the real test SMTP server and a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comms_approval.clock import ManualClock
from tests.support.smtp_server import make_smtp_server, smtp_server

__all__ = ["make_smtp_server", "smtp_server"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 4, 23, 9, 30, tzinfo=UTC))
