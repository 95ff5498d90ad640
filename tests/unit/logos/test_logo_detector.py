"""Detector behaviours on synthetic pages: busy photographs and text, logos flattened on white, one-colour logos."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from comms_approval.adapters.logos import detector
from comms_approval.adapters.logos.detector import (
    FIRST_PASS_FRACTION,
    INK_WIDTHS,
    MAX_FRACTION,
    MIN_TEMPLATE_HEIGHT,
    Measurement,
    PreparedPage,
    ReferenceSet,
    _anchored_placements,
    _best_ink,
    _cand_box,
    _Candidate,
    _colour_proposals,
    _evidence,
    _ink_match,
    _parts_score,
    _search_level,
    _widths,
    _zncc,
    detect_on_page,
    measure,
    prepare_page,
    propose,
    read_wordmark,
    verify,
)
from comms_approval.adapters.logos.references import (
    PosedTemplate,
    ReferenceLogo,
    gradient_magnitude,
    load_reference,
)
from comms_approval.adapters.logos.spectral import MaskedSpectralImage
from comms_approval.domain.logos import (
    DEFAULT_THRESHOLDS,
    Box,
    LogoEvidence,
    LogoStatus,
    LogoVersion,
    box_iou,
    decide_party,
    is_conclusive,
    ties_current,
    version_tie,
    worth_showing,
    would_accept,
)

PAGE_W, PAGE_H = 1240, 1754


def _saved_logo(tmp_path: Path, rgba: np.ndarray, name: str, party: str) -> ReferenceLogo:
    """A drawn logo saved as a PNG file and loaded as the party's current reference, like a convention's."""
    path = tmp_path / f"{name}.png"
    Image.fromarray(rgba, "RGBA").save(path)
    return load_reference(path, party, LogoVersion.CURRENT)


def _logo(tmp_path: Path) -> ReferenceLogo:
    """A transparent logo: three saturated colour bands (the emblem) and dark bars (the wordmark)."""
    rgba = np.zeros((120, 300, 4), np.uint8)
    rgba[10:110, 10:40] = (230, 30, 120, 255)
    rgba[10:110, 40:70] = (250, 190, 0, 255)
    rgba[10:110, 70:100] = (20, 60, 220, 255)
    for i, x in enumerate(range(120, 290, 34)):
        rgba[30 + 5 * (i % 2) : 90, x : x + 18] = (40, 40, 40, 255)
    return _saved_logo(tmp_path, rgba, "p1", "p1")


def _photograph(seed: int) -> np.ndarray:
    """Multi-octave coloured noise, muted like a landscape: busy edges everywhere, few saturated pinks."""
    rng = np.random.default_rng(seed)
    page = np.zeros((PAGE_H, PAGE_W, 3), np.float32)
    for cell in (8, 32, 128):
        noise = rng.uniform(0, 1, (PAGE_H // cell + 1, PAGE_W // cell + 1, 3)).astype(np.float32)
        page += cv2.resize(noise, (PAGE_W, PAGE_H), interpolation=cv2.INTER_CUBIC)[:PAGE_H, :PAGE_W]
    page = page / 3.0
    muted = np.array([90.0, 120.0, 80.0], np.float32) + 60.0 * page
    return np.clip(muted, 0, 255).astype(np.uint8)


def _place(page: np.ndarray, ref: ReferenceLogo, x: int, y: int, width: int, *, flattened: bool) -> None:
    height = round(width * ref.aspect)
    rgb = cv2.resize(ref.rgb, (width, height), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(ref.alpha, (width, height), interpolation=cv2.INTER_AREA)[:, :, None]
    if flattened:  # the logo file's white canvas, with its margin, hides the page
        pad = width // 30
        page[y - pad : y + height + pad, x - pad : x + width + pad] = 255
    under = page[y : y + height, x : x + width].astype(np.float32)
    page[y : y + height, x : x + width] = np.clip(rgb * alpha + under * (1 - alpha), 0, 255).astype(np.uint8)


class TestColourProposals:
    def test_a_saturated_logo_on_a_busy_photograph_is_proposed_where_it_stands(self, tmp_path: Path) -> None:
        ref = _logo(tmp_path)
        page_rgb = _photograph(seed=5)
        _place(page_rgb, ref, 700, 900, 186, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)

        proposals = _colour_proposals(page, ref, (0.0525, 0.7))

        truth = (700.0, 900.0, 886.0, 900.0 + 186 * ref.aspect)
        best = max(box_iou(truth, (c.x, c.y, c.x + c.width, c.y + c.width * ref.aspect)) for c in proposals)
        assert best > 0.5

    def test_a_logo_without_saturated_colours_gets_no_colour_proposal(self, tmp_path: Path) -> None:
        rgba = np.zeros((100, 200, 4), np.uint8)
        rgba[10:90, 10:190] = (60, 60, 60, 255)
        ref = _saved_logo(tmp_path, rgba, "gray", "p2")
        page = prepare_page(_photograph(seed=6), 1, 210.0, 297.0)

        assert _colour_proposals(page, ref, (0.0525, 0.7)) == []


class TestFlattenedLogos:
    def test_a_logo_flattened_on_white_over_a_colour_field_matches_closely(self, tmp_path: Path) -> None:
        ref = _logo(tmp_path)
        page_rgb = np.zeros((PAGE_H, PAGE_W, 3), np.uint8)
        page_rgb[:] = np.linspace(40, 200, PAGE_W, dtype=np.float32)[None, :, None].astype(np.uint8)
        _place(page_rgb, ref, 400, 600, 240, flattened=True)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)

        m = measure(page, ref, 400.0, 600.0, 240.0)

        assert m is not None
        assert m.score > 0.98  # the local-background prediction alone scored 0.967 here


class TestWhenTheSearchStops:
    def test_a_clear_fit_settles_its_party_only_at_a_legible_width(self, tmp_path: Path) -> None:
        # On the benchmark, the logo scaled into its own emblem fitted at 9 mm and stopped the search before
        # the whole 34-mm logo was examined: `too_small` for a logo of legible size. A fit under the party's
        # minimum width now lets the search go on through the other candidates.
        ref = _logo(tmp_path)
        refs = ReferenceSet.build([ref])
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 300, 500, 240, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        settled = detect_on_page(page, refs, min_width_mm={"p1": 10.0})
        assert len(settled) == 1 and settled[0].score > 0.9  # the first candidate, 40 mm wide, settles it
        searched_on = detect_on_page(page, refs, min_width_mm={"p1": 100.0})
        assert len(searched_on) > 1  # not legible at 100 mm: every candidate was examined
        assert max(e.score for e in searched_on) == settled[0].score

    def _near_twins(self, tmp_path: Path) -> tuple[ReferenceLogo, ReferenceLogo, PreparedPage, Box]:
        """Party a's logo, and party b's: the same with a bar more. b is shown large and sharp, a smaller and
        blurred, so that a's best proposal is b's logo, where a fits at 0.97 (b 0.98)."""

        def logo(party: str, bar: bool) -> ReferenceLogo:
            rgba = np.asarray(Image.open(_logo(tmp_path).path)).copy()
            if bar:
                rgba[95:110, 120:290] = (40, 40, 40, 255)
            return _saved_logo(tmp_path, rgba, party, party)

        a, b = logo("a", False), logo("b", True)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, b, 200, 300, 400, flattened=False)
        _place(page_rgb, a, 700, 1200, 200, flattened=False)
        around = page_rgb[1150:1320, 650:950].astype(np.float32)
        noise = np.random.default_rng(1).normal(0, 20, around.shape)
        page_rgb[1150:1320, 650:950] = np.clip(cv2.GaussianBlur(around, (0, 0), 2.0) + noise, 0, 255)
        truth = (700 / PAGE_W, 1200 / PAGE_H, 900 / PAGE_W, (1200 + 200 * a.aspect) / PAGE_H)
        return a, b, prepare_page(page_rgb, 1, 210.0, 297.0), truth

    @pytest.mark.parametrize("b_first", [False, True])
    def test_a_fit_on_another_party_s_logo_does_not_stop_the_search(
        self, tmp_path: Path, b_first: bool
    ) -> None:
        # On the benchmark a party's first candidate sat on another party's logo and fitted well enough to
        # stop its search; `exclusive` then gave it that logo as rival, and the party's own logo, a few
        # candidates further, was never examined: `missing`. Whichever party is searched first.
        a, b, page, truth = self._near_twins(tmp_path)
        refs = ReferenceSet.build([b, a] if b_first else [a, b])

        evidence = detect_on_page(page, refs, min_width_mm={"a": 10.0, "b": 10.0})

        proofs = [e for e in evidence if is_conclusive(e, min_width_mm=10.0)]
        assert {e.party for e in proofs} == {"a", "b"}
        (own,) = [e for e in proofs if e.party == "a"]
        assert box_iou(own.box, truth) > 0.8
        tried_on_b = any(e.party == "a" and e.rival_party == "b" for e in evidence)
        # a searched first is tried at b's logo first (its best proposal); b proven first holds its place,
        # where a's candidate only glances at 0.64 (b 0.98): not verified there (`holds`, `glance`)
        assert tried_on_b is not b_first


def _colour_blobs(seed: int) -> np.ndarray:
    """A photograph of large blurred discs in saturated colours, with grain (the benchmark's photographs)."""
    rng = np.random.default_rng(seed)
    page = np.zeros((PAGE_H, PAGE_W, 3), np.float32) + rng.uniform(60, 200, 3).astype(np.float32)
    for _ in range(14):
        centre = (int(rng.integers(0, PAGE_W)), int(rng.integers(0, PAGE_H)))
        cv2.circle(page, centre, int(rng.integers(80, 260)), rng.uniform(0, 255, 3).tolist(), -1)
    page = cv2.GaussianBlur(page, (0, 0), 4.0) + rng.normal(0, 6, page.shape).astype(np.float32)
    return np.clip(page, 0, 255).astype(np.uint8)


def _ring_name_logo(tmp_path: Path) -> ReferenceLogo:
    """A transparent logo: a red ring around a tan disc, and a dark red name with a tagline."""
    rgba = np.zeros((120, 300, 4), np.uint8)
    cv2.circle(rgba, (60, 60), 48, (190, 40, 30, 255), 10)
    cv2.circle(rgba, (60, 60), 20, (220, 170, 100, 255), -1)
    cv2.putText(rgba, "RNFA", (122, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (70, 20, 20, 255), 6, cv2.LINE_AA)
    cv2.putText(
        rgba, "region conseil", (124, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (70, 20, 20, 255), 2, cv2.LINE_AA
    )
    return _saved_logo(tmp_path, rgba, "rnfa", "p1")


def _on_colour_blobs(tmp_path: Path, x: int, y: int, width: int) -> tuple[ReferenceLogo, PreparedPage, Box]:
    """`_ring_name_logo` laid bare on colour blobs at (x, y), `width` px wide: the reference, the page, and the
    logo's box in page pixels."""
    ref = _ring_name_logo(tmp_path)
    page_rgb = _colour_blobs(seed=3)
    _place(page_rgb, ref, x, y, width, flattened=False)
    return ref, prepare_page(page_rgb, 1, 210.0, 297.0), (x, y, x + width, y + width * ref.aspect)


def _on_page(box: Box) -> Box:
    """A box in page pixels as fractions of the page (the evidence's boxes)."""
    return (box[0] / PAGE_W, box[1] / PAGE_H, box[2] / PAGE_W, box[3] / PAGE_H)


class TestEdgeOnlyProposals:
    def test_a_transparent_logo_on_colour_blobs_is_found_by_its_edges(self, tmp_path: Path) -> None:
        # The search correlates edges and the logo's chroma together; under a transparent logo the page's
        # chroma is the photograph's, whose discs of colour decorrelate it (on the benchmark 0.38 at a logo
        # whose edges alone correlated at 0.98: no candidate there). Here too the chroma proposals miss it;
        # the edges alone rank it first.
        ref, page, truth = _on_colour_blobs(tmp_path, 500, 800, 240)

        assert box_iou(truth, _cand_box(propose(page, ref, chroma=False)[0])) > 0.8

        evidence = detect_on_page(page, ReferenceSet.build([ref]))
        assert any(would_accept(e) and box_iou(e.box, _on_page(truth)) > 0.8 for e in evidence)

    def test_a_large_logo_whose_edges_rank_second_is_proven_there(self, tmp_path: Path) -> None:
        # Small templates fit parts of things: on colour blobs the best edge-only proposal is a small patch
        # and the logo, half the page wide, comes second (seed 67's c0-037: a 61-px patch inside the logo
        # at 0.72, the 548-px logo itself at 0.68). Verified, the second is proven at once; with the first
        # alone, the logo was only found later by its ink, a part of it at 0.76.
        ref, page, truth = _on_colour_blobs(tmp_path, 60, 200, 600)

        edge_only = propose(page, ref, chroma=False)
        assert box_iou(truth, _cand_box(edge_only[0])) < 0.1
        assert box_iou(truth, _cand_box(edge_only[1])) > 0.8

        proofs = [e for e in detect_on_page(page, ReferenceSet.build([ref])) if would_accept(e)]
        assert len(proofs) == 1
        assert proofs[0].score > 0.9
        assert box_iou(proofs[0].box, _on_page(truth)) > 0.95


def _serif_logo(tmp_path: Path) -> ReferenceLogo:
    """A wide logo (aspect 0.33) like seed 41's GHZSA on a grayscale page: a low-contrast star in a disc and
    a serif name."""
    image = Image.new("RGBA", (640, 210), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 202, 202), fill=(160, 160, 160, 255))
    radii = [95, 40] * 5
    star = [
        (105 + r * math.sin(math.pi * k / 5), 105 - r * math.cos(math.pi * k / 5))
        for k, r in enumerate(radii)
    ]
    draw.polygon(star, fill=(140, 140, 140, 255))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", 84)
    draw.text((240, 60), "GHZSA", font=font, fill=(35, 35, 35, 255))
    path = tmp_path / "ghzsa.png"
    image.save(path)
    return load_reference(path, "p2", LogoVersion.CURRENT)


def _leaflet(ref: ReferenceLogo, x: int, y: int, width: int) -> np.ndarray:
    """A gray page with three white panels of body text, and `ref` flattened on white at (x, y)."""
    page = np.full((PAGE_H, PAGE_W, 3), 118, np.uint8)
    rng = np.random.default_rng(3)
    words = ["region", "emploi", "famille", "culture", "jeunesse", "sante", "conseil", "mission"]
    for x0, y0, x1, y1 in [(60, 80, 600, 700), (640, 200, 1180, 900), (60, 1250, 1180, 1700)]:
        page[y0:y1, x0:x1] = 250
        for line_y in range(y0 + 20, y1, 18):
            line = " ".join(rng.choice(words, 12))
            cv2.putText(
                page, line, (x0 + 6, line_y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (20, 20, 20), 1, cv2.LINE_AA
            )
    _place(page, ref, x, y, width, flattened=True)
    return page


class TestWideLogos:
    def test_a_wide_logo_keeps_some_height_at_the_level_it_is_searched_at(self, tmp_path: Path) -> None:
        ref = _serif_logo(tmp_path)
        page = prepare_page(_leaflet(ref, 740, 1080, 185), 1, 210.0, 297.0)
        for width in _widths(page.width, FIRST_PASS_FRACTION, MAX_FRACTION):
            level = _search_level(page, ref, width)
            # the half-resolution level is the finest searched: a logo that small is as high as it gets there
            assert level == 1 or width * ref.aspect / 2**level >= MIN_TEMPLATE_HEIGHT
            assert width / 2**level >= 16 or level == 1  # and never a coarser level than its width allows

    def test_a_wide_logo_among_text_panels_is_proposed_first_at_its_place(self, tmp_path: Path) -> None:
        # 185 px wide, its template was 8 px high at the eighth-resolution level, where the first proposal
        # was off (IoU 0.77; seed 41's GHZSA was not proposed at all); one level finer it is right there
        ref = _serif_logo(tmp_path)
        page = prepare_page(_leaflet(ref, 740, 1080, 185), 1, 210.0, 297.0)
        truth = (740.0, 1080.0, 925.0, 1080.0 + 185 * ref.aspect)

        assert box_iou(truth, _cand_box(propose(page, ref)[0])) > 0.9


class TestCoarseLevelsFirst:
    # Half-resolution correlations were most of the proposal ladder's time; a wide logo is searched there only
    # when the coarser levels did not prove it (`COARSE_FIRST_LEVEL`).
    def _levels_searched(
        self, monkeypatch: pytest.MonkeyPatch, page: PreparedPage, ref: ReferenceLogo
    ) -> set[int]:
        levels: set[int] = set()
        match = PreparedPage.match_features

        def spy(self: PreparedPage, level: int, colour: bool, templ: np.ndarray) -> np.ndarray:
            levels.add(level)
            return match(self, level, colour, templ)

        monkeypatch.setattr(PreparedPage, "match_features", spy)
        evidence = detect_on_page(page, ReferenceSet.build([ref]), min_width_mm={"p2": 10.0})
        assert is_conclusive(evidence[-1], DEFAULT_THRESHOLDS, 10.0)  # the search stopped at a proof
        return levels

    def test_a_wide_logo_shown_large_is_proven_without_a_half_resolution_search(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ref = _serif_logo(tmp_path)
        page = prepare_page(_leaflet(ref, 640, 1000, 420), 1, 210.0, 297.0)
        assert any(
            _search_level(page, ref, w) == 1 for w in _widths(page.width, FIRST_PASS_FRACTION, MAX_FRACTION)
        )
        assert 1 not in self._levels_searched(monkeypatch, page, ref)

    def test_a_wide_logo_too_small_for_the_coarse_levels_is_still_found_at_half_resolution(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ref = _serif_logo(tmp_path)
        page = prepare_page(_leaflet(ref, 740, 1080, 110), 1, 210.0, 297.0)
        assert 1 in self._levels_searched(monkeypatch, page, ref)


class TestRivalsFarBehind:
    def test_an_unlike_obsolete_version_is_left_at_its_first_look(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A rival matters only within the policy's margin of the fit: an obsolete version that looks nothing
        # like the logo shown is not aligned finely there, and the logo stays proven.
        current = _logo(tmp_path)
        old = replace(_serif_logo(tmp_path), party="p1", version=LogoVersion.OBSOLETE)
        refs = ReferenceSet.build([current, old])
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, current, 400, 600, 300, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        refined: list[str] = []
        measure_pose = detector._measure_pose

        def spy(*args: object, **kwargs: object) -> Measurement | None:
            refined.append(args[1].name)  # type: ignore[attr-defined]  # the first look is `_quick_look`
            return measure_pose(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(detector, "_measure_pose", spy)
        [ev] = verify(page, refs, _Candidate(current, 400, 600, 300, 0.9))
        assert would_accept(ev) and ev.rival_score < ev.score - DEFAULT_THRESHOLDS.margin
        assert current.name in refined and old.name not in refined


class TestQuickLook:
    # The first look at the coarse frame predicts the page's gray plane directly, where the full measurement
    # predicts the page in colour and converts it: both linear, so the same score wherever no colour axis is
    # taken (a grayscale page), at the right place, rotated a little, or off by a part of the logo.
    @pytest.mark.parametrize("ground", ["white", "photograph"])
    @pytest.mark.parametrize(("angle", "offset"), [(0.0, 30.0), (2.5, 30.0), (0.0, 70.0)])
    def test_the_first_look_scores_as_the_full_measurement(
        self, tmp_path: Path, ground: str, angle: float, offset: float
    ) -> None:
        ref = _logo(tmp_path)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8) if ground == "white" else _photograph(seed=3)
        _place(page_rgb, ref, 400, 600, 240, flattened=False)
        page = prepare_page(np.dstack([cv2.cvtColor(page_rgb, cv2.COLOR_RGB2GRAY)] * 3), 1, 210.0, 297.0)
        assert page.grayscale
        origin = (370, 570)
        crop_rgb = page.rgb[570 : 570 + 160, 370 : 370 + 300]
        crop_gray = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY)
        pose = detector._Pose(1.0, angle, 1.0, offset, 30.0, 240, round(240 * ref.aspect))
        warp = pose.warp(240)
        quick = detector._quick_look(ref, warp, crop_gray, 240, 1.0, origin)
        full = detector._measure_pose(page, ref, warp, crop_rgb, crop_gray, 240, 1.0, origin)
        assert quick is not None and full is not None
        assert quick.score == pytest.approx(full.box_score, abs=1e-4)
        assert quick.box_px == pytest.approx(full.box_px)
        if offset == 30.0 and angle == 0.0:
            assert quick.score > 0.95  # the logo where it lies
        else:
            assert quick.score < 0.95


class TestQuickLookInColour:
    # A logo as light as its page is noise in gray, at the first look too: just under the bar, the first look
    # is taken again along the logo's colours, as the full measurement would compare it.
    def _look(self, ref: ReferenceLogo, page_rgb: np.ndarray) -> tuple[float, float | None]:
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        crop_rgb = page.rgb[770:870, 470:770]
        crop_gray = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY)
        warp = detector._Pose(1.0, 0.0, 1.0, 30.0, 30.0, 240, round(240 * ref.aspect)).warp(240)
        gray = detector._quick_look(ref, warp, crop_gray, 240, 1.0, (470, 770))
        colour = detector._quick_look(ref, warp, crop_gray, 240, 1.0, (470, 770), crop_rgb)
        assert gray is not None
        return gray.score, None if colour is None else colour.score

    def test_a_logo_as_light_as_its_page_is_looked_at_along_its_colours(self, tmp_path: Path) -> None:
        ref = _iso_logo(tmp_path)
        gray, colour = self._look(ref, _blue_page(ref))
        assert gray < detector.QUICK_REJECT
        assert colour is not None and colour > 0.8

    def test_where_gray_carries_the_contrast_the_look_in_gray_stands(self, tmp_path: Path) -> None:
        ref = _logo(tmp_path)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 500, 800, 240, flattened=False)
        gray, colour = self._look(ref, page_rgb)
        assert gray > 0.95 and colour is None


class TestFlatSignals:
    # A page part flat but for single-precision rounding (a white ground) under a structured part of the
    # logo does not look like it: its correlation is 0, not whatever the rounding residue correlates to.
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_a_flat_page_part_scores_zero_whatever_its_rounding(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        logo = rng.uniform(0.0, 255.0, (60, 90)).astype(np.float32)
        page = logo.copy()
        page[:30, :30] = 255.0 + rng.normal(0.0, 1e-4, (30, 30)).astype(np.float32)  # one part: blank paper
        mask = np.ones(logo.shape, bool)
        assert _parts_score(page, logo, mask, (0, 0, 90, 60)) == 0.0
        assert _zncc(page[:30, :30].ravel(), logo[:30, :30].ravel()) == 0.0
        assert _zncc(page[30:, 30:].ravel(), logo[30:, 30:].ravel()) == pytest.approx(1.0)


def _at_offset(array: np.ndarray, offset: int) -> np.ndarray:
    """A copy of `array` starting `offset` bytes past a 64-byte boundary."""
    buffer = np.empty(array.nbytes + 128, np.uint8)
    start = (-buffer.ctypes.data) % 64 + offset
    copy = buffer[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[:] = array
    return copy


class TestSameInputSameEvidence:
    # The checker's evidence must not depend on what the process did before. `cv2.magnitude` rounded
    # differently when both its inputs happened to sit on 64-byte boundaries (large fresh allocations do,
    # reused heap blocks need not), so the same page's edges, and every score built on them, came out 1e-7
    # apart from one run to the next, and a fit at a threshold could flip. Correctly rounded element-wise
    # arithmetic has one answer wherever the arrays are.
    def test_edge_magnitudes_are_correctly_rounded_wherever_the_page_sits(self) -> None:
        rng = np.random.default_rng(4)
        gray = cv2.GaussianBlur(rng.uniform(0.0, 255.0, (219, 155)).astype(np.float32), (0, 0), 1.5)
        gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
        exact = np.sqrt(gx * gx + gy * gy)  # float32, each operation correctly rounded
        for offset in range(0, 64, 4):
            assert np.array_equal(gradient_magnitude(_at_offset(gray, offset)), exact)

    def test_a_page_checked_again_gives_the_same_evidence(self, tmp_path: Path) -> None:
        ref = _logo(tmp_path)
        refs = ReferenceSet.build([ref])
        page_rgb = _photograph(seed=5)
        _place(page_rgb, ref, 700, 900, 186, flattened=False)

        runs = [
            detect_on_page(prepare_page(_at_offset(page_rgb, offset), 1, 210.0, 297.0), refs)
            for offset in (0, 4, 0)
        ]

        assert runs[0][0].score > 0.9  # the logo is found...
        assert runs[0] == runs[1] == runs[2]  # ...with the same evidence to the last bit, whatever ran before


class TestInkProposalsVerifiedWider:
    # On the benchmark the ink proposals of logos on photographs came out at 0.6-0.8 of the logo's width
    # (a small ink template fits a part of the logo as well as the whole), beyond the few per cent of scale
    # the verifier searches: the logo stayed `too_small` or `uncertain`. They are now verified wider too.
    def _proposal_inside(
        self, tmp_path: Path
    ) -> tuple[ReferenceLogo, PreparedPage, _Candidate, tuple[float, float, float, float]]:
        ref = _logo(tmp_path)
        page_rgb = _photograph(seed=8)
        _place(page_rgb, ref, 500, 700, 240, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        width = 0.72 * 240  # a proposal of the emblem and half the wordmark, centred on the logo
        cx, cy = 500 + 120, 700 + 120 * ref.aspect
        cand = _Candidate(ref, cx - width / 2, cy - width * ref.aspect / 2, width, 0.95)
        return ref, page, cand, (500.0, 700.0, 740.0, 700.0 + 240 * ref.aspect)

    def test_at_its_own_width_a_proposal_inside_the_logo_proves_nothing(self, tmp_path: Path) -> None:
        ref, page, cand, _ = self._proposal_inside(tmp_path)
        [ev] = verify(page, ReferenceSet.build([ref]), cand)
        assert not would_accept(ev)  # 0.36 here: the scale search spans a few per cent

    def test_verified_wider_the_same_proposal_finds_the_whole_logo(self, tmp_path: Path) -> None:
        ref, page, cand, truth = self._proposal_inside(tmp_path)
        [ev] = verify(page, ReferenceSet.build([ref]), cand, widths=INK_WIDTHS)
        assert would_accept(ev)
        page_box = (truth[0] / PAGE_W, truth[1] / PAGE_H, truth[2] / PAGE_W, truth[3] / PAGE_H)
        assert box_iou(ev.box, page_box) > 0.85  # 0.97 here (0.68 at the proposal's own width)


class TestInkLevelsWhereColoursWereSearched:
    # The ink proposals are the last resort, and the dearest: their ladder reaches half resolution for the widths
    # a wide logo keeps its height at there, where a masked correlation costs five at the quarter level. A colour
    # logo on a colour page has been searched by its edges alone and by its colours before: its ink is then
    # correlated from the quarter level only (on the bench sets, the ink's half-resolution rows fitted text
    # there and found no logo; bench/RESULTS.md). On a grayscale page, and for a logo whose colours say nothing,
    # the ink is the only search after the first: it keeps every level (it finds small logos there).
    def _ink_levels(self, monkeypatch: pytest.MonkeyPatch, ref: ReferenceLogo, *, gray: bool) -> set[int]:
        page_rgb = _photograph(seed=9)
        if gray:
            page_rgb = cv2.cvtColor(cv2.cvtColor(page_rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        assert page.grayscale is gray
        assert _search_level(page, ref, 100.0) == 1  # the ladder has widths searched at half resolution
        levels: set[int] = set()
        real = PreparedPage.match_ink

        def spy(
            self: PreparedPage, level: int, templ: np.ndarray, mask: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray]:
            levels.add(level)
            return real(self, level, templ, mask)

        monkeypatch.setattr(PreparedPage, "match_ink", spy)
        evidence = detect_on_page(page, ReferenceSet.build([ref]))
        assert not any(would_accept(e) for e in evidence)  # the logo is not there: every stage ran
        return levels

    def test_a_colour_logo_on_a_colour_page_has_its_ink_searched_from_the_quarter_level(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        levels = self._ink_levels(monkeypatch, _logo(tmp_path), gray=False)
        assert levels and min(levels) == 2

    def test_on_a_grayscale_page_every_level_is_searched(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert 1 in self._ink_levels(monkeypatch, _logo(tmp_path), gray=True)

    def test_a_logo_whose_colours_say_nothing_keeps_every_level(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        rgba = np.zeros((100, 240, 4), np.uint8)  # a navy emblem too dark for its hue to count, gray bars
        rgba[10:90, 10:90] = (10, 14, 38, 255)
        for x in range(110, 230, 30):
            rgba[30:80, x : x + 16] = (90, 90, 90, 255)
        ref = _saved_logo(tmp_path, rgba, "navy", "p3")
        assert ref.has_colour  # a colour logo, whose colours the back-projection cannot use
        assert 1 in self._ink_levels(monkeypatch, ref, gray=False)


class TestCandidatesAlreadyTried:
    # Seed 41's c2-016: the first-pass proposal lay about the logo's box but a third too wide, and failed
    # there; the colour and ink proposals at the logo's own width overlapped it (IoU 0.56) and were skipped as
    # already tried, so the logo was missing. A candidate is skipped only where one was verified at its size.
    def _search(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback_width: float
    ) -> tuple[list[LogoEvidence], list[float], Box]:
        from comms_approval.adapters.logos import detector

        ref = _logo(tmp_path)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 500, 800, 240, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        too_wide = _Candidate(ref, 500, 800, 320, 0.6)  # the same top-left, 33 % too wide
        fallback = _Candidate(ref, 500, 800, fallback_width, 0.8)
        monkeypatch.setattr(detector, "propose", lambda *a, chroma=True, **k: [too_wide] if chroma else [])
        monkeypatch.setattr(detector, "_colour_proposals", lambda *a, **k: [fallback])
        monkeypatch.setattr(detector, "_ink_proposals", lambda *a, **k: [])
        widths: list[float] = []
        real_verify = detector.verify

        def counted(
            page: PreparedPage, refs: ReferenceSet, cand: _Candidate, *a: object, **k: object
        ) -> object:
            widths.append(cand.width)
            return real_verify(page, refs, cand, *a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr(detector, "verify", counted)
        truth = (500 / PAGE_W, 800 / PAGE_H, 740 / PAGE_W, (800 + 240 * ref.aspect) / PAGE_H)
        return detect_on_page(page, ReferenceSet.build([ref])), widths, truth

    def test_a_candidate_about_a_tried_box_but_at_another_size_is_verified(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        evidence, widths, truth = self._search(tmp_path, monkeypatch, fallback_width=240)
        assert widths == [320, 240]  # the wrong size first (it fails), then the logo's own
        assert any(would_accept(e) and box_iou(e.box, truth) > 0.85 for e in evidence)

    def test_a_candidate_at_a_tried_size_about_its_box_is_not_verified_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _, widths, _ = self._search(tmp_path, monkeypatch, fallback_width=330)  # within the alignment's reach
        assert widths == [320]


class TestLogosOnAFlatGround:
    # Seed 7's c4-013: a transparent logo on a flat gray ground (a grayscale page) fits as well flattened on
    # white as over that ground, correlation being blind to levels; the white box was kept by a hair, and the
    # page's contrast measured against a white box's (gain 0.21) refused the logo as one in other colours.
    def _ring_on_gray(
        self, tmp_path: Path, *, flattened: bool
    ) -> tuple[ReferenceSet, PreparedPage, Measurement]:
        rgba = np.zeros((120, 320, 4), np.uint8)
        cv2.circle(rgba, (60, 60), 50, (70, 70, 70, 255), 12)
        cv2.circle(rgba, (60, 60), 24, (70, 70, 70, 255), -1)
        cv2.putText(rgba, "EJBK", (126, 72), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (70, 70, 70, 255), 6, cv2.LINE_AA)
        ref = _saved_logo(tmp_path, rgba, "ejbk", "p1")
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 120, np.uint8)
        _place(page_rgb, ref, 600, 300, 300, flattened=flattened)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        m = measure(page, ref, 600, 300, 300)
        assert m is not None
        return page, m

    def test_a_transparent_logo_on_a_flat_ground_keeps_its_contrast(self, tmp_path: Path) -> None:
        page, m = self._ring_on_gray(tmp_path, flattened=False)
        assert page.grayscale and m.score > 0.9
        assert m.contrast_gain is not None and 0.85 <= m.contrast_gain <= 1.15
        assert would_accept(_evidence(page, m, None, colour_only=False))

    def test_a_logo_flattened_on_white_over_a_flat_ground_is_measured_with_its_white_box(
        self, tmp_path: Path
    ) -> None:
        page, m = self._ring_on_gray(tmp_path, flattened=True)
        assert m.score > 0.9
        assert m.contrast_gain is not None and 0.85 <= m.contrast_gain <= 1.15
        assert would_accept(_evidence(page, m, None, colour_only=False))


class TestOneColourLogos:
    def test_a_one_colour_logo_is_not_a_part_mismatch(self, tmp_path: Path) -> None:
        # A logo drawn in one flat colour has nothing inside its own ink to correlate: the ink comparison
        # says nothing (None) rather than "no match" (0.0, which made big one-colour logos part_mismatch).
        rgba = np.zeros((120, 300, 4), np.uint8)
        cv2.circle(rgba, (60, 60), 50, (20, 40, 140, 255), -1)
        for x in range(130, 290, 40):
            rgba[20:100, x : x + 24] = (20, 40, 140, 255)
        ref = _saved_logo(tmp_path, rgba, "flat", "p3")
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 300, 500, 480, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)

        m = measure(page, ref, 300.0, 500.0, 480.0)
        assert m is not None and m.score > 0.9
        assert m.ink_score is None

        evidence = detect_on_page(page, ReferenceSet.build([ref]))
        assert any(would_accept(e) for e in evidence)


def _ring_logo(tmp_path: Path, name: str, *, emblem: str) -> ReferenceLogo:
    """A transparent logo like the benchmark's: a ring with a figure inside, and a wordmark, all in colour."""
    rgba = np.zeros((120, 300, 4), np.uint8)
    cv2.circle(rgba, (60, 60), 48, (200, 30, 150, 255), 13)
    if emblem == "figure":
        cv2.circle(rgba, (45, 45), 12, (120, 20, 180, 255), -1)
        rgba[62:96, 38:56] = (120, 20, 180, 255)
        rgba[70:96, 64:80] = (200, 30, 150, 255)
    else:
        rgba[35:85, 40:80] = (120, 20, 180, 255)
    cv2.putText(rgba, "UGVJ", (122, 82), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (200, 30, 150, 255), 8, cv2.LINE_AA)
    return _saved_logo(tmp_path, rgba, name, "p4")


def _text_page(shown: ReferenceLogo) -> np.ndarray:
    """Dense body text on a light blue page, with `shown` laid over it (transparent) at (500, 800), 240 px."""
    page = np.full((PAGE_H, PAGE_W, 3), (120, 200, 235), np.uint8)
    rng = np.random.default_rng(3)
    words = ["region", "emploi", "famille", "culture", "jeunesse", "sante", "conseil", "mission"]
    for y in range(20, PAGE_H, 16):
        line = " ".join(rng.choice(words, 14))
        x = int(rng.integers(-40, 0))
        cv2.putText(page, line, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (15, 15, 40), 1, cv2.LINE_AA)
    _place(page, shown, 500, 800, 240, flattened=False)
    return page


class TestBusyBackgrounds:
    def test_a_transparent_logo_over_text_is_compared_on_its_own_footprint(self, tmp_path: Path) -> None:
        # Text shows through the ring's empty middle and between the letters, where the background estimated
        # from around the strokes is a blur of it: compared over the whole box the logo scored 0.70 here (and
        # 0.58-0.70 for genuine logos on the benchmark's text and photographs, `uncertain`).
        ref = _ring_logo(tmp_path, "logo", emblem="figure")
        page = prepare_page(_text_page(ref), 1, 210.0, 297.0)

        m = measure(page, ref, 500.0, 800.0, 240.0)

        assert m is not None and m.busy
        assert m.score > 0.8
        assert any(would_accept(e) for e in detect_on_page(page, ReferenceSet.build([ref])))

    def test_a_look_alike_over_text_is_still_rejected(self, tmp_path: Path) -> None:
        ref = _ring_logo(tmp_path, "logo", emblem="figure")
        look_alike = _ring_logo(tmp_path, "other", emblem="block")  # the same ring and name, another figure
        page = prepare_page(_text_page(look_alike), 1, 210.0, 297.0)

        m = measure(page, ref, 500.0, 800.0, 240.0)

        assert m is not None and m.busy and m.score < 0.7
        assert not any(would_accept(e) for e in detect_on_page(page, ReferenceSet.build([ref])))


def _iso_logo(tmp_path: Path) -> ReferenceLogo:
    """Magenta and green, both of the lightness of the blue page below (gray ~95)."""
    rgba = np.zeros((120, 300, 4), np.uint8)
    cv2.circle(rgba, (60, 60), 48, (200, 30, 150, 255), 13)
    cv2.circle(rgba, (45, 45), 12, (40, 130, 60, 255), -1)
    rgba[62:96, 38:56] = (40, 130, 60, 255)
    cv2.putText(rgba, "UGVJ", (122, 82), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (200, 30, 150, 255), 8, cv2.LINE_AA)
    return _saved_logo(tmp_path, rgba, "iso", "p5")


def _blue_page(shown: ReferenceLogo) -> np.ndarray:
    page = np.full((PAGE_H, PAGE_W, 3), (70, 90, 200), np.uint8)
    _place(page, shown, 500, 800, 240, flattened=False)
    noise = np.random.default_rng(1).normal(0, 4, page.shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8)


class TestLogosAsLightAsTheirBackground:
    def test_a_logo_of_the_page_s_lightness_is_compared_along_its_colours(self, tmp_path: Path) -> None:
        # In gray this logo is noise on noise (0.43 here, `missing`; on the benchmark, a purple logo on a
        # blue page scored 0.58 and was reported too small): it is compared along its main colour axis.
        ref = _iso_logo(tmp_path)
        page = prepare_page(_blue_page(ref), 1, 210.0, 297.0)

        m = measure(page, ref, 500.0, 800.0, 240.0)

        assert m is not None and m.score > 0.8
        assert m.contrast_gain is not None and 0.8 < m.contrast_gain < 1.25
        assert any(would_accept(e) for e in detect_on_page(page, ReferenceSet.build([ref])))

    def test_the_same_shapes_in_other_colours_are_not_accepted(self, tmp_path: Path) -> None:
        ref = _iso_logo(tmp_path)
        recoloured = replace(
            ref, rgb=ref.rgb[:, :, ::-1].copy(), path=tmp_path / "other.png"
        )  # violet, olive
        page = prepare_page(_blue_page(recoloured), 1, 210.0, 297.0)

        assert not any(would_accept(e) for e in detect_on_page(page, ReferenceSet.build([ref])))


def _thin_logo() -> np.ndarray:
    """A logo's soft gray plane on white: a 3-px ring and 2-px bars in two shades."""
    logo = np.full((60, 120), 255.0, np.float32)
    cv2.circle(logo, (30, 30), 24, 60.0, 3)
    logo[15:45, 60:62] = 120.0
    logo[15:45, 80:82] = 20.0
    return logo


class TestInkTolerance:
    def test_thin_ink_one_pixel_off_still_matches(self) -> None:
        # A 2-px ring and bars, the page shifted one pixel right: unshifted, the eroded ink correlates poorly.
        logo = _thin_logo()
        logo[15:17, 60:110] = 160.0
        solid = logo < 250
        page = np.roll(logo, 1, axis=1)
        box = (0, 0, 120, 60)

        assert min(_zncc(page[solid], logo[solid]), _parts_score(page, logo, solid, box)) < 0.5
        assert _ink_match(page, logo, solid, box) > 0.95

    def test_other_ink_does_not_match_one_pixel_away_either(self) -> None:
        logo = _thin_logo()
        other = logo.copy()
        other[15:45, 60:62] = 20.0  # the bars' shades swapped: another emblem
        other[15:45, 80:82] = 120.0
        solid = logo < 250

        assert _ink_match(other, logo, solid, (0, 0, 120, 60)) < 0.5

    def test_each_shift_compares_the_page_rolled_by_that_shift(self) -> None:
        # the shifts gather the compared pixels only; they must be exactly the page rolled, as first written
        rng = np.random.default_rng(5)
        page = cv2.GaussianBlur(rng.uniform(0, 255, (60, 120)).astype(np.float32), (0, 0), 1.5)
        logo = np.roll(page, (1, -1), axis=(0, 1)) + rng.normal(0, 2, page.shape).astype(np.float32)
        solid = np.zeros(page.shape, bool)
        solid[8:52, 10:110] = rng.uniform(size=(44, 100)) > 0.4
        box = (5, 5, 115, 55)

        def rolled(dy: int, dx: int) -> float:
            shifted = np.roll(page, (dy, dx), axis=(0, 1))
            return min(_zncc(shifted[solid], logo[solid]), _parts_score(shifted, logo, solid, box))

        assert _ink_match(page, logo, solid, box) == max(
            rolled(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
        )
        assert _ink_match(page, logo, solid, box) == rolled(1, -1) > 0.95


class TestInkPoses:
    def test_the_best_ink_pose_is_where_the_ink_is_never_on_flat_paper(self) -> None:
        # blank paper under the ink makes the normalisation 0/0: OpenCV's masked correlation returns anything
        # there, and the first pose's maximum used to be checked and discarded window by window
        rng = np.random.default_rng(2)
        crop = np.full((50, 100), 250.0, np.float32)
        crop[12:36, 40:88] = cv2.GaussianBlur(rng.uniform(0, 255, (24, 48)).astype(np.float32), (0, 0), 1.2)
        templ = crop[12:36, 40:88].copy()
        mask = (rng.random(templ.shape) > 0.3).astype(np.float32)

        posed = PosedTemplate.of(templ, mask)
        assert _best_ink(MaskedSpectralImage(crop), posed) == (pytest.approx(1.0, abs=1e-4), (40, 12))
        # nothing but paper: no pose at all
        blank = MaskedSpectralImage(np.full((50, 100), 250.0, np.float32))
        assert _best_ink(blank, posed)[0] == -1.0


class TestTheBackgroundAlone:
    """Each fit is also scored for the page's own background, the logo left out (the policy's no-logo check)."""

    def _gradient(self) -> np.ndarray:
        ramp = np.linspace(60, 220, PAGE_W, dtype=np.float32)[None, :] + np.linspace(0, 30, PAGE_H)[:, None]
        page = np.repeat(ramp[:, :, None], 3, axis=2)
        page[:, :, 2] = 255 - page[:, :, 2]  # a colour ramp, as the benchmark's gradients
        return np.clip(page, 0, 255).astype(np.uint8)

    def test_a_logo_on_a_gradient_explains_the_page_far_better_than_the_gradient_does(
        self, tmp_path: Path
    ) -> None:
        ref = _logo(tmp_path)
        page_rgb = self._gradient()
        _place(page_rgb, ref, 400, 600, 240, flattened=False)
        m = measure(prepare_page(page_rgb, 1, 210.0, 297.0), ref, 400.0, 600.0, 240.0)
        assert m is not None and m.background_score is not None
        assert m.score > 0.9 and m.score - m.background_score > 0.3

    def test_a_large_opaque_emblem_is_not_explained_by_its_own_edges_spread_over_it(
        self, tmp_path: Path
    ) -> None:
        # seed 41's c2-039: an orange disc with a green star on purple. Sampled right up to the footprint, the
        # background took the disc's anti-aliased rim for the page, spread its orange over the disc, and
        # "explained" the logo as well as the logo did (0.78 against 0.77 here)
        image = Image.new("RGBA", (480, 190), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.ellipse((5, 5, 185, 185), fill=(235, 150, 20, 255))
        star = [
            (95, 20),
            (120, 75),
            (175, 80),
            (130, 115),
            (145, 170),
            (95, 140),
            (45, 170),
            (60, 115),
            (15, 80),
        ]
        draw.polygon([*star, (70, 75)], fill=(60, 210, 0, 255))
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", 64)
        draw.text((210, 50), "GHZSA", font=font, fill=(70, 20, 80, 255))
        ref = _saved_logo(tmp_path, np.asarray(image), "disc", "p1")
        page_rgb = np.full((PAGE_H, PAGE_W, 3), (120, 60, 110), np.uint8)
        _place(page_rgb, ref, 500, 700, 107, flattened=False)
        m = measure(prepare_page(page_rgb, 1, 210.0, 297.0), ref, 500.0, 700.0, 107.0)
        assert m is not None and m.background_score is not None
        assert m.score - m.background_score > 0.3  # 0.77 against 0.26

    def test_a_ghost_of_the_logo_on_a_gradient_is_explained_better_by_the_gradient_alone(
        self, tmp_path: Path
    ) -> None:
        # a tenth of the logo's contrast over a strong ramp: the fit scores high, as a smooth gradient with
        # the logo's shapes barely on it does, but the ramp alone predicts the page better still
        ref = _logo(tmp_path)
        gradient = self._gradient()
        with_logo = gradient.copy()
        _place(with_logo, ref, 400, 600, 240, flattened=False)
        ghost = np.clip(0.9 * gradient + 0.1 * with_logo.astype(np.float32), 0, 255).astype(np.uint8)
        m = measure(prepare_page(ghost, 1, 210.0, 297.0), ref, 400.0, 600.0, 240.0)
        assert m is not None and m.background_score is not None
        assert m.score > 0.7 and m.background_score > m.score


class TestEdgesWhereTheLogoHasThem:
    # A photograph's soft shading that happens to follow a logo's light-dark steps fitted at 0.72 on the
    # benchmark (a clean absent party), as did fits at a wrong size or place: the page's sharp edges are not
    # where the logo's are. A printed logo's are, even blurred a little by scanning or JPEG.
    def _measured(self, tmp_path: Path, sigma: float, contrast: float) -> tuple[Measurement, float]:
        ref = _logo(tmp_path)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 400, 600, 240, flattened=False)
        if sigma:
            soft = cv2.GaussianBlur(page_rgb.astype(np.float32), (0, 0), sigma)
            page_rgb = np.clip(255 + (soft - 255) * contrast, 0, 255).astype(np.uint8)
        m = measure(prepare_page(page_rgb, 1, 210.0, 297.0), ref, 400.0, 600.0, 240.0)
        assert m is not None and m.edge_gain is not None
        return m, m.edge_gain

    def test_a_printed_logo_shows_its_edges_even_slightly_blurred(self, tmp_path: Path) -> None:
        assert self._measured(tmp_path, 0.0, 1.0)[1] > 1.0  # 1.15 here
        assert self._measured(tmp_path, 1.0, 1.0)[1] > 0.9  # 1.02

    def test_a_soft_shading_in_the_logo_s_layout_fits_but_lacks_its_edges(self, tmp_path: Path) -> None:
        m, edge_gain = self._measured(tmp_path, 8.0, 1.7)  # as contrasted as the logo, without its steps
        assert m.score > 0.75 and m.contrast_gain is not None and 0.9 < m.contrast_gain < 1.2
        assert edge_gain < 0.5  # 0.36 here


def _named_logo(tmp_path: Path, name: str, font: str, version: LogoVersion) -> ReferenceLogo:
    """A ring and disc emblem beside a name, 480 x 200."""
    image = Image.new("RGBA", (480, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 20, 170, 180), outline=(20, 60, 140, 255), width=16)
    draw.ellipse((60, 70, 120, 130), fill=(200, 60, 40, 255))
    draw.text(
        (190, 40),
        name,
        font=ImageFont.truetype(f"/usr/share/fonts/truetype/{font}", 64),
        fill=(40, 40, 20, 255),
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{version.value}.png"
    image.save(path)
    return load_reference(path, "p1", version)


class TestVersionTiesSettledByNames:
    # Two versions of a logo with other names tie on the pixels when the name is small or faint; reading the
    # names settles it. Tesseract reads PKJSG in Liberation Mono Bold only unsurely even on the clean file
    # ("PKJISG"), so the obsolete version had no name to look for, and the tie stayed `uncertain` (seed 9).
    def _tie(self, tmp_path: Path, shown: str) -> tuple[LogoEvidence, LogoEvidence]:
        current = _named_logo(tmp_path, "SEBPG", "dejavu/DejaVuSans-Bold.ttf", LogoVersion.CURRENT)
        obsolete = _named_logo(tmp_path, "PKJSG", "liberation/LiberationMono-Bold.ttf", LogoVersion.OBSOLETE)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, current if shown == "current" else obsolete, 300, 500, 480, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        m, rival = measure(page, current, 300.0, 500.0, 480.0), measure(page, obsolete, 300.0, 500.0, 480.0)
        assert m is not None and rival is not None
        # the measured evidence, then a tie forced on it: the pixels say nothing, the names must decide
        measured = _evidence(page, m, rival, False)
        tie = replace(
            measured,
            score=0.95,
            fine_score=0.95,
            ink_score=0.99,
            rival_score=0.95,
            rival_fine_score=0.95,
            rival_ink_score=0.99,
            rival_party="p1",
            contrast_gain=1.0,
            colour_distance=2.0,
            part_colour_distance=2.0,
            background_score=0.1,
            edge_gain=1.2,
        )
        assert version_tie(tie) and not would_accept(tie)
        return tie, read_wordmark(page, ReferenceSet.build([current, obsolete]), tie, m, rival)

    def test_the_current_name_read_settles_a_tie_with_a_version_named_unsurely(self, tmp_path: Path) -> None:
        _, read = self._tie(tmp_path, shown="current")
        assert read.wordmark_read is True and read.rival_wordmark_read is False
        assert would_accept(read)

    def test_the_unsure_name_shown_still_keeps_the_current_version_out(self, tmp_path: Path) -> None:
        _, read = self._tie(tmp_path, shown="obsolete")
        assert read.wordmark_read is not True
        assert not would_accept(read)


class TestPlacesWorthShowing:
    # A text look-alike's whole place fitted only so-so (0.54, a busy photograph) and was not accepted, so its
    # name was never compared; the logo scaled into the look-alike's emblem then fitted at 0.87 with a name
    # 9 px high, too small to compare, and made the party `present` (seed 31). A fit worth showing now has
    # its name compared as a shape (not read), which the smaller fit inside it inherits.
    def _shown(self, tmp_path: Path, name: str) -> LogoEvidence:
        ref = _named_logo(tmp_path / "ref", "ZMJLD", "dejavu/DejaVuSerif-BoldItalic.ttf", LogoVersion.CURRENT)
        shown = (
            ref
            if name == "ZMJLD"
            else _named_logo(tmp_path / "shown", name, "dejavu/DejaVuSans.ttf", LogoVersion.CURRENT)
        )
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, shown, 300, 500, 480, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        m = measure(page, ref, 300.0, 500.0, 480.0)
        assert m is not None
        # the measured evidence, made a so-so fit the policy shows but does not accept
        so_so = replace(_evidence(page, m, None, False), score=0.6, fine_score=0.6)
        assert worth_showing(so_so) and not would_accept(so_so)
        return read_wordmark(page, ReferenceSet.build([ref]), so_so, m)

    def test_another_name_at_a_place_worth_showing_is_compared_and_unlike(self, tmp_path: Path) -> None:
        read = self._shown(tmp_path, "MNZ")
        assert (
            read.wordmark_read is None
        )  # compared as a shape only: Tesseract is not run for a mere candidate
        assert read.wordmark_shape is not None and read.wordmark_shape < DEFAULT_THRESHOLDS.min_wordmark_shape

    def test_the_name_itself_at_a_place_worth_showing_looks_like_it(self, tmp_path: Path) -> None:
        read = self._shown(tmp_path, "ZMJLD")
        assert (
            read.wordmark_shape is not None and read.wordmark_shape >= DEFAULT_THRESHOLDS.min_wordmark_shape
        )


class TestNamesTooSmallToCheck:
    # A text look-alike 15 mm wide (another acronym, the same layout) fitted at 0.70-0.76 with its name too
    # small to read or compare, and was `present` (seeds 41, 67 and 31): such a fit is now marked unchecked,
    # and the policy asks more of its picture (`unnamed_accept`).
    def _read(self, tmp_path: Path, width: int) -> LogoEvidence:
        ref = _named_logo(tmp_path, "ZMJLD", "dejavu/DejaVuSerif-BoldItalic.ttf", LogoVersion.CURRENT)
        page_rgb = np.full((PAGE_H, PAGE_W, 3), 255, np.uint8)
        _place(page_rgb, ref, 300, 500, width, flattened=False)
        page = prepare_page(page_rgb, 1, 210.0, 297.0)
        m = measure(page, ref, 300.0, 500.0, float(width))
        assert m is not None
        # the measured evidence, with the contrast a logo this small loses to anti-aliasing set right
        ev = replace(_evidence(page, m, None, False), contrast_gain=1.0)
        assert would_accept(ev)
        return read_wordmark(page, ReferenceSet.build([ref]), ev, m)

    def test_a_name_read_on_the_page_is_checked(self, tmp_path: Path) -> None:
        ev = self._read(tmp_path, 480)
        assert ev.wordmark_read is True and not ev.wordmark_unchecked

    def test_a_name_too_small_to_read_or_compare_is_unchecked_and_a_close_fit_still_proves_it(
        self, tmp_path: Path
    ) -> None:
        ev = self._read(tmp_path, 50)  # the name 7 px high
        assert ev.wordmark_read is not True and ev.wordmark_shape is None
        assert ev.wordmark_unchecked
        assert ev.score >= DEFAULT_THRESHOLDS.unnamed_accept and would_accept(ev)


def _emblem_and_name(
    path: Path, emblem: tuple[int, int, int, int], name_at: tuple[int, int], height: int, version: LogoVersion
) -> ReferenceLogo:
    """A green gradient square with a white diamond beside the name "DLL" (480 px wide, laid out as told)."""
    image = Image.new("RGBA", (480, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = emblem
    for i in range(y1 - y0):
        t = i / (y1 - y0)
        draw.line(
            (x0, y0 + i, x1, y0 + i), fill=(int(60 - 20 * t), int(220 - 100 * t), int(140 - 80 * t), 255)
        )
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (y1 - y0) * 0.32
    draw.polygon(
        [(cx - 1.4 * r, cy), (cx, cy - r), (cx + 1.4 * r, cy), (cx, cy + r)], fill=(255, 255, 255, 255)
    )
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf", 84)
    draw.text(name_at, "DLL", font=font, fill=(80, 30, 120, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return load_reference(path, "p1", version)


class TestAnObsoleteVersionLaidOutApart:
    # Seed 7's c7-008 showed an obsolete version whose emblem is a sixth smaller beside the same name. The
    # current logo, scaled to put its emblem on that emblem, fitted at 0.98; the obsolete version, measured in
    # the current's box (a sixth too narrow), lost at 0.94, and the obsolete versions' own search (4 proposals
    # over all sizes) never reached its place: the party was `present`. The rival is now also placed by the
    # emblem and the name both versions have, and its evidence is kept when it explains the place better.
    def _page(self, tmp_path: Path) -> tuple[ReferenceSet, PreparedPage, Box]:
        current = _emblem_and_name(
            tmp_path / "cur.png", (5, 5, 235, 195), (255, 40), 200, LogoVersion.CURRENT
        )
        obsolete = _emblem_and_name(
            tmp_path / "old.png", (5, 8, 200, 170), (240, 0), 180, LogoVersion.OBSOLETE
        )
        page_rgb = np.full((PAGE_H, PAGE_W, 3), (30, 150, 130), np.uint8)
        _place(page_rgb, obsolete, 400, 600, 300, flattened=False)
        truth = (400 / PAGE_W, 600 / PAGE_H, 700 / PAGE_W, (600 + 300 * obsolete.aspect) / PAGE_H)
        return ReferenceSet.build([current, obsolete]), prepare_page(page_rgb, 1, 210.0, 297.0), truth

    def test_the_rival_is_placed_where_its_emblem_lies_on_the_emblem_found(self, tmp_path: Path) -> None:
        refs, page, _ = self._page(tmp_path)
        current, obsolete = refs.refs
        m = measure(page, current, 400.0, 600.0, 0.85 * 300)  # the current logo's emblem on the shown one
        assert m is not None
        placements = _anchored_placements(m, refs.anchors(current), refs.anchors(obsolete), obsolete.aspect)
        x, y, width = placements[0]  # by the emblem: the obsolete version's own place on the page
        assert abs(x - 400) < 6 and abs(y - 600) < 6 and abs(width / 300 - 1) < 0.03

    def test_verifying_the_current_logo_there_yields_the_obsolete_version_shown(self, tmp_path: Path) -> None:
        refs, page, truth = self._page(tmp_path)
        current = refs.refs[0]
        found = verify(page, refs, _Candidate(current, 400, 600, 0.85 * 300, 0.9))
        assert [e.version for e in found] == [LogoVersion.CURRENT, LogoVersion.OBSOLETE]
        assert not would_accept(found[0]) and would_accept(found[1])
        assert box_iou(found[1].box, truth) > 0.9
        assert decide_party("p1", 10.0, found).status is LogoStatus.OBSOLETE

    def test_an_obsolete_version_found_as_a_rival_stands_only_if_it_beats_every_current_fit_there(
        self,
    ) -> None:
        # seed 67's c1-037: the obsolete version beat a current fit a sixth too wide by far, but the current
        # logo fitted at the same place at 0.995 against its 0.999 (a tie the names settle)
        found = LogoEvidence(
            party="p1",
            version=LogoVersion.OBSOLETE,
            score=0.998,
            rival_score=0.936,
            colour_distance=1.6,
            page=1,
            box=(0.40, 0.73, 0.54, 0.77),
            width_mm=29.0,
            rival_party="p1",
            fine_score=0.998,
            rival_fine_score=0.936,
            ink_score=0.997,
            rival_ink_score=0.909,
        )
        tied = replace(found, version=LogoVersion.CURRENT, score=0.995, fine_score=0.995, ink_score=0.992)
        far_worse = replace(tied, score=0.981, fine_score=0.688, ink_score=0.996)  # seed 7's c7-008
        assert ties_current(found, tied, DEFAULT_THRESHOLDS)
        assert not ties_current(found, far_worse, DEFAULT_THRESHOLDS)
        assert not ties_current(
            found, replace(tied, box=(0.1, 0.1, 0.2, 0.14)), DEFAULT_THRESHOLDS
        )  # elsewhere

    def test_the_current_logo_shown_yields_no_obsolete_evidence(self, tmp_path: Path) -> None:
        refs, _, _ = self._page(tmp_path)
        current = refs.refs[0]
        page_rgb = np.full((PAGE_H, PAGE_W, 3), (30, 150, 130), np.uint8)
        _place(page_rgb, current, 400, 600, 300, flattened=False)
        found = verify(prepare_page(page_rgb, 1, 210.0, 297.0), refs, _Candidate(current, 400, 600, 300, 0.9))
        assert [e.version for e in found] == [LogoVersion.CURRENT] and would_accept(found[0])


def _ringed(path: Path, name: str) -> ReferenceLogo:
    """A logo of thin strokes only: a ring around two bars, beside a name (480 x 190)."""
    image = Image.new("RGBA", (480, 190), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 180, 180), outline=(200, 40, 50, 255), width=12)
    draw.rectangle((60, 70, 85, 150), fill=(200, 40, 50, 255))
    draw.rectangle((100, 85, 125, 150), fill=(60, 180, 70, 255))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 72)
    draw.text((200, 50), name, font=font, fill=(110, 70, 10, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return load_reference(path, "p1", LogoVersion.CURRENT)


class TestThinStrokes:
    # Seed 7's c6-018: a ring, two figures and a name, 77 px wide on a photograph. Eroded to keep its ink's
    # pixels away from the page's, it kept none, and its ink score was 0: refused as a part mismatch while it
    # fits at 0.998 on its opaque pixels as they are.
    def _ink(self, tmp_path: Path, name: str) -> float | None:
        ref = _ringed(tmp_path / "ref.png", "NFDCB")
        shown = ref if name == "NFDCB" else _ringed(tmp_path / "shown.png", name)
        page_rgb = _photograph(seed=3)
        _place(page_rgb, shown, 500, 700, 77, flattened=False)
        m = measure(prepare_page(page_rgb, 1, 210.0, 297.0), ref, 500.0, 700.0, 77.0)
        assert m is not None
        return m.ink_score

    def test_a_logo_of_thin_strokes_at_six_per_cent_of_the_page_has_its_ink_compared(
        self, tmp_path: Path
    ) -> None:
        ink = self._ink(tmp_path, "NFDCB")
        assert ink is not None and ink >= DEFAULT_THRESHOLDS.min_ink  # 0.84 here (0 when eroded to nothing)

    def test_other_letters_in_thin_strokes_still_do_not_match(self, tmp_path: Path) -> None:
        ink = self._ink(tmp_path, "KTRUS")
        assert ink is not None and ink < DEFAULT_THRESHOLDS.min_ink  # 0.52 here


class TestFinePose:
    # Seed 67's c7-003: a wordmark logo over text whose coarse pose was 2-3 % too wide. Its angle was searched
    # first, at that scale, where every angle scored under 0.47, and the fit settled at a wrong one (0.65
    # where it fits at 0.80 upright). The scale is now refined first, then the angle at that scale.
    def test_the_scale_is_refined_before_the_angle(self, tmp_path: Path) -> None:
        ref = _ring_logo(tmp_path, "logo", emblem="figure")
        gray, alpha, _ = ref.planes(173)  # the logo 173 px wide on the fine frame, upright
        frame = np.full((gray.shape[0] + 60, 233), 235.0, np.float32)
        frame[30 : 30 + gray.shape[0], 30:203] = gray * alpha + 235.0 * (1 - alpha)
        window = (30 + 173 / 2, 30 + gray.shape[0] / 2, 6.0)
        coarse = detector._Pose(0.5, 0.0, 177 / 160, 0.0, 0.0, 177, 0)  # 2.5 % too wide, upright

        fine = detector._refine_pose(frame, ref, 160, coarse, window, "ink")

        assert fine is not None
        assert fine.angle == 0.0 and abs(fine.width - 173) <= 1
        assert fine.score > 0.9  # angles first, at 177 px: -0.75 degrees, 174 px wide, 0.40
