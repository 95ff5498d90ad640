"""Fixtures of the logo-check integration tests: the demo convention, one shared checker, a saver."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from comms_approval.adapters.convention_file import load_convention
from comms_approval.domain.convention import Convention
from comms_approval.services.logo_check import OpenCvLogoMatcher
from tests.integration.logos.drafts import DEMO


@pytest.fixture(scope="session")
def demo() -> Convention:
    return load_convention(DEMO)


@pytest.fixture(scope="session")
def checker() -> OpenCvLogoMatcher:
    """One checker for the whole session: reference logos are loaded once, as in the web app."""
    return OpenCvLogoMatcher()


@pytest.fixture
def save(tmp_path: Path) -> Callable[..., Path]:
    def _save(image: Image.Image, name: str = "draft.png", **params: object) -> Path:
        path = tmp_path / name
        image.save(path, **params)
        return path

    return _save
