"""The logo benchmark's fixed small set, run as a regression floor (the full benchmark is in bench/RESULTS.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bench.logos.diagnose import dump, rejudge
from bench.logos.evaluate import evaluate
from bench.logos.generate import INDISTINCT, _difference, generate

# Measured on this set when the floor was set (see bench/RESULTS.md); a drop below means a regression.
# 2026-12-01: recall 0.969 (31/32), no false "present" (the floor was 0.55 before the ink alignment).
RECALL_FLOOR = 0.9
FALSE_PRESENT_CEILING = 0.05


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate(out, seed=11, conventions=1, pages=12)
    return out


def test_the_generator_writes_ground_truth_for_every_document(small_set: Path) -> None:
    import json

    truth = json.loads((small_set / "truth.json").read_text(encoding="utf-8"))
    assert len(truth["documents"]) == 12
    for doc in truth["documents"]:
        assert (small_set / doc["file"]).is_file()
        assert len(doc["parties"]) == 5


def test_an_obsolete_version_drawn_the_same_as_the_current_one_is_told_from_a_real_change(
    small_set: Path,
) -> None:
    # Seed 21 drew two obsolete emblems in the current one's style and palette (1.1 and 3.9 apart): no picture
    # can tell those versions apart, so the truth marks them ambiguous instead of expecting a verdict.
    logo = Image.open(small_set / "logos-0" / "p0a.png")
    assert _difference(logo, logo) == 0.0
    assert _difference(logo, logo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) > INDISTINCT
    faded = Image.blend(logo.convert("RGBA"), Image.new("RGBA", logo.size, (255, 255, 255, 255)), 0.02)
    assert _difference(logo, faded) < INDISTINCT
    # the same picture laid out 4 % taller (seed 31): compared at one size, not row against shifted row
    taller = logo.resize((logo.width, round(logo.height * 1.04)), Image.Resampling.LANCZOS)
    assert _difference(logo, taller) < INDISTINCT


def test_the_checker_stays_above_its_recall_floor_and_under_its_false_present_ceiling(
    small_set: Path,
) -> None:
    result = evaluate(small_set, quiet=True, peer_docs=1)
    assert result["documents"] == 12
    assert result["recall"] >= RECALL_FLOOR
    assert result["false_present_overall"] <= FALSE_PRESENT_CEILING
    assert result["iou_median"] is not None and result["iou_median"] > 0.8
    assert result["present_elsewhere"] == []  # every logo found present was found at its place
    # every party of every draft has its status kept, so that two runs can be compared draft by draft
    assert sum(len(parties) for parties in result["by_document"].values()) == sum(result["statuses"].values())
    # the peer and the floor are measured in the same run, so their ratios can be reported
    assert result["peer_ms_per_page_median"] > 0 and result["ratio_to_floor"] > 1


def test_the_diagnostics_re_judge_the_very_evidence_the_statuses_came_from(
    small_set: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "evidence.pkl"
    dump(small_set, kept, start=0, step=3)
    # the same thresholds on the kept evidence give back every status the checker reported
    assert rejudge(small_set, [str(kept)], []) == []
    # a policy that accepts nothing: every logo found is a change, and nothing becomes present
    changes = rejudge(small_set, [str(kept)], ["accept=1.01", "busy_accept=1.01"])
    assert any(": present -> " in line for line in changes)
    assert not any(line.endswith("-> present") for line in changes)
