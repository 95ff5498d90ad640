"""A reference logo's templates: made once per width and pose, and never kept without bound."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from comms_approval.adapters.logos import references
from comms_approval.adapters.logos.caches import Recent
from comms_approval.adapters.logos.references import ReferenceLogo, load_reference
from comms_approval.domain.logos import LogoVersion


def _reference(tmp_path: Path) -> ReferenceLogo:
    """A transparent logo: a coloured disc and dark bars, with varied ink to correlate."""
    rgba = np.zeros((120, 240, 4), np.uint8)
    cv2.circle(rgba, (60, 60), 50, (220, 40, 90, 255), -1)
    cv2.circle(rgba, (60, 60), 20, (250, 200, 0, 255), -1)
    for i, x in enumerate(range(130, 230, 25)):
        rgba[25 + 8 * (i % 2) : 95, x : x + 14] = (30 + 40 * i, 30, 30, 255)
    path = tmp_path / "logo.png"
    Image.fromarray(rgba, "RGBA").save(path)
    return load_reference(path, "p1", LogoVersion.CURRENT)


def test_recent_values_are_kept_and_the_least_recently_used_dropped() -> None:
    built: list[str] = []
    kept: Recent[str, str] = Recent(2)

    def value(key: str) -> str:
        return kept.get(key, lambda: built.append(key) or key.upper())

    assert [value("a"), value("b"), value("a")] == ["A", "B", "A"]
    assert built == ["a", "b"]  # "a" was kept
    value("c")  # "b" is the least recently used: dropped
    assert len(kept) == 2
    value("a")
    value("b")
    assert built == ["a", "b", "c", "b"]


def test_recent_is_safe_to_share_between_threads() -> None:
    """Threads that evict each other's keys: a lookup and its move are one step (else KeyError)."""
    import random
    import sys
    import threading

    kept: Recent[int, object] = Recent(4)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        draw = random.Random(seed)
        try:
            for _ in range(50_000):
                kept.get(draw.randrange(6), object)
        except BaseException as exc:  # the test reports whatever broke
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(kept) == 4


def test_a_logo_keeps_its_templates_for_the_last_widths_used_only(tmp_path: Path) -> None:
    ref = _reference(tmp_path)
    first = ref.planes(150)
    assert ref.planes(150) is first  # made once
    for width in range(20, 20 + 2 * references.KEPT_WIDTHS):
        ref.planes(width)
        ref.edges(width)
        ref.ink(width)
    assert len(ref._planes) == len(ref._edges) == len(ref._ink) == references.KEPT_WIDTHS
    again = ref.planes(150)  # dropped, made again: the same values
    assert again is not first
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


@pytest.mark.parametrize("kind", ["ink", "flat", "edges"])
def test_a_posed_template_is_the_template_turned_about_its_centre(tmp_path: Path, kind: str) -> None:
    ref = _reference(tmp_path)
    plane = {"ink": ref.ink(72)[0], "flat": ref.planes(72)[0], "edges": ref.edges(72)[0]}[kind]
    h, w = plane.shape
    rot = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), 3.0, 1.0)
    border = cv2.BORDER_CONSTANT if kind == "edges" else cv2.BORDER_REPLICATE
    expected = cv2.warpAffine(plane, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0.0)

    posed = ref.posed(kind, 72, 3.0)  # type: ignore[arg-type]
    assert np.array_equal(posed.plane, expected)
    assert ref.posed(kind, 72, 3.0) is posed  # type: ignore[arg-type]
    assert np.array_equal(ref.posed(kind, 72, 0.0).plane, plane)  # type: ignore[arg-type]
    # the fine frame's poses (refined angles) are made for one search and not kept
    loose = ref.posed(kind, 160, 1.25, keep=False)  # type: ignore[arg-type]
    assert ref.posed(kind, 160, 1.25, keep=False) is not loose  # type: ignore[arg-type]
    assert len(ref._posed) == 2
    # the ink's side of the masked correlation is ready, and only the ink has one
    assert (posed.masked is not None) == (kind == "ink")
    if kind == "ink":
        assert posed.mask is not None
        assert posed.masked is not None and posed.masked.count == int((posed.mask > 0).sum())


def test_an_ink_too_flat_to_correlate_has_no_masked_template(tmp_path: Path) -> None:
    rgba = np.zeros((60, 120, 4), np.uint8)
    rgba[10:50, 10:110] = (20, 90, 200, 255)  # one flat colour: nothing inside the ink to correlate
    path = tmp_path / "flat.png"
    Image.fromarray(rgba, "RGBA").save(path)
    ref = load_reference(path, "p1", LogoVersion.CURRENT)
    assert ref.posed("ink", 72, 0.0).masked is None
