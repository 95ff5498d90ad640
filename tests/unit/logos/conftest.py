"""Fixtures of the document tests: the hand-written PDF builder and a file writer in tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.logos.pdfs import build_pdf, huge_image_pdf


@pytest.fixture
def pdf() -> Callable[..., bytes]:
    """The hand-written PDF builder (pages as content streams; `encrypt=True` adds a standard /Encrypt)."""
    return build_pdf


@pytest.fixture
def bomb_pdf() -> bytes:
    return huge_image_pdf()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write
