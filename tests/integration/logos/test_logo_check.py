"""The OpenCV logo check on drafts built from the demo logos: every status, PDFs, SVG references, annotations."""

from __future__ import annotations

import colorsys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from comms_approval.adapters.logos.references import load_reference
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import DocumentError
from comms_approval.domain.logos import (
    LogoEvidence,
    LogoStatus,
    LogoThresholds,
    LogoVersion,
    Reason,
    is_conclusive,
)
from comms_approval.services.logo_check import OpenCvLogoMatcher
from tests.integration.logos.drafts import ALL_CURRENT, LOGOS, PAGE, compose, embedded_logo_pdf, logo

Save = Callable[..., Path]


def statuses(report: object) -> dict[str, LogoStatus]:
    return {r.party: r.status for r in report.parties}  # type: ignore[attr-defined]


class TestStatuses:
    def test_a_draft_with_every_current_logo_is_compliant(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        report = checker.check(save(compose(ALL_CURRENT)), demo)
        assert statuses(report) == dict.fromkeys(demo.party_ids(), LogoStatus.PRESENT)
        assert report.compliant and report.pages == 1
        dsden = report.result_for("dsden")
        assert dsden.box is not None and dsden.box[0] == pytest.approx(60 / PAGE[0], abs=0.01)
        assert dsden.width_mm == pytest.approx(0.2 * 210, rel=0.06)

    def test_a_missing_logo_is_reported_missing_and_the_others_present(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        report = checker.check(save(compose([p for p in ALL_CURRENT if p[0] != "caf"])), demo)
        assert report.result_for("caf").status is LogoStatus.MISSING
        assert report.missing_parties() == ("caf",)

    def test_the_obsolete_conseil_general_logo_is_reported_obsolete(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        placements = [
            p if p[0] != "conseil-departemental" else ("conseil-general-2014", 0.2, p[2]) for p in ALL_CURRENT
        ]
        result = checker.check(save(compose(placements)), demo).result_for("departement")
        assert result.status is LogoStatus.OBSOLETE
        assert result.reason == Reason.OBSOLETE_VERSION

    def test_a_logo_narrower_than_ten_millimetres_is_too_small(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        placements = [p if p[0] != "dsden" else ("dsden", 0.042, (80, 1500)) for p in ALL_CURRENT]
        result = checker.check(save(compose(placements), dpi=(150, 150)), demo).result_for("dsden")
        assert result.status is LogoStatus.TOO_SMALL
        assert result.width_mm is not None and result.width_mm < 10.0

    def test_grayscale_draft_is_uncertain_when_versions_differ_only_in_colour(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, tmp_path: Path
    ) -> None:
        recoloured = np.asarray(logo("caf")).copy()
        for y, x in zip(*np.nonzero(recoloured[:, :, 3]), strict=True):
            r, g, b = (recoloured[y, x, :3] / 255.0).tolist()
            h, s, v = colorsys.rgb_to_hsv(r, g, b)
            recoloured[y, x, :3] = [round(c * 255) for c in colorsys.hsv_to_rgb((h + 0.45) % 1.0, s, v)]
        old = tmp_path / "caf-old.png"
        Image.fromarray(recoloured).save(old)
        caf = replace(demo.party("caf"), obsolete_logos=(old,))
        convention = replace(
            demo, id="gray-test", parties=tuple(caf if p.id == "caf" else p for p in demo.parties)
        )
        page = compose(ALL_CURRENT).convert("L")
        result = OpenCvLogoMatcher().check(save(page), convention).result_for("caf")
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.GRAYSCALE_COLOUR_ONLY

    def test_only_other_parties_logos_never_make_a_party_present(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        placements = [("dsden", 0.3, (100, 1200)), ("caf", 0.3, (600, 1200))]
        report = checker.check(save(compose(placements)), demo)
        assert statuses(report)["prefet"] is LogoStatus.MISSING
        assert statuses(report)["dtpjj"] is LogoStatus.MISSING


def _prefet_renamed(name: str) -> Image.Image:
    """The prefect's logo with its name redrawn as another, in the same font, size, place and ink
    (scripts/draw_demo_logos.py draws PRÉFET at (205, 60) and the file is cropped 18 px in)."""
    from PIL import ImageDraw, ImageFont

    image = logo("prefet")
    pixels = np.asarray(image).copy()
    pixels[30:140, 180:, 3] = 0  # the word PRÉFET, cut out
    image = Image.fromarray(pixels)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", 84)
    ImageDraw.Draw(image).text((187, 42), name, font=font, fill=(20, 20, 20, 255))
    return image


def _draw_prefet_as(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make `compose` draw the prefect's logo under another name (the other logos unchanged)."""
    from tests.integration.logos import drafts

    real = drafts.logo
    monkeypatch.setattr(
        drafts, "logo", lambda stem: _prefet_renamed(name) if stem == "prefet" else real(stem)
    )


def _without_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the checker run as on a machine without Tesseract: no name is ever read."""
    from comms_approval.adapters.logos import wordmark

    monkeypatch.setattr(wordmark._SLOT, "state", "unavailable")
    monkeypatch.setattr(wordmark._SLOT, "reader", None)


class TestWordmark:
    def test_a_look_alike_naming_another_body_is_not_present_and_says_why(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _draw_prefet_as(monkeypatch, "BRÛLÉE")
        report = checker.check(save(compose(ALL_CURRENT)), demo)
        prefet = report.result_for("prefet")
        assert prefet.status is LogoStatus.UNCERTAIN
        assert prefet.reason == Reason.WORDMARK_MISMATCH
        assert prefet.box is not None and prefet.box[0] == pytest.approx(330 / PAGE[0], abs=0.02)
        assert "texte se lit autrement" in (prefet.reason_fr or "")
        assert report.result_for("dsden").status is LogoStatus.PRESENT

    def test_the_same_look_alike_passes_on_shape_alone_without_the_reader(
        self, demo: Convention, save: Save, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The control: without Tesseract the emblem and the layout are all there is, and they match.
        _without_reader(monkeypatch)
        _draw_prefet_as(monkeypatch, "BRÛLÉE")
        report = OpenCvLogoMatcher().check(save(compose(ALL_CURRENT)), demo)
        assert report.result_for("prefet").status is LogoStatus.PRESENT

    def test_the_name_misread_by_a_letter_still_counts_as_the_name(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _draw_prefet_as(monkeypatch, "PREFET")
        assert (
            checker.check(save(compose(ALL_CURRENT)), demo).result_for("prefet").status is LogoStatus.PRESENT
        )

    @pytest.mark.parametrize(
        ("shown", "expected"), [("PRÉFET", LogoStatus.PRESENT), ("BRÛLÉE", LogoStatus.OBSOLETE)]
    )
    def test_two_versions_tied_on_shape_are_told_apart_by_their_names(
        self,
        demo: Convention,
        save: Save,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        shown: str,
        expected: LogoStatus,
    ) -> None:
        # The prefect's old logo bore another name beside the same emblem. At 150 dpi such versions can tie
        # on shape (bench/RESULTS.md); a wide rival margin makes them tie here, where they are drawn large.
        old = tmp_path / "prefet-old.png"
        _prefet_renamed("BRÛLÉE").save(old)
        parties = tuple(replace(p, obsolete_logos=(old,)) if p.id == "prefet" else p for p in demo.parties)
        convention = replace(demo, parties=parties)
        if shown != "PRÉFET":
            _draw_prefet_as(monkeypatch, shown)
        tied = LogoThresholds(margin=0.45)
        draft = save(compose(ALL_CURRENT))
        result = OpenCvLogoMatcher(thresholds=tied).check(draft, convention).result_for("prefet")
        assert result.status is expected
        # the control: without reading the names, the tie is only a candidate for the officer to confirm
        _without_reader(monkeypatch)
        blind = OpenCvLogoMatcher(thresholds=tied).check(draft, convention).result_for("prefet")
        assert blind.status is LogoStatus.UNCERTAIN
        assert blind.reason == Reason.RIVAL_CLOSE


class TestPdf:
    def test_logos_embedded_as_images_are_found_without_rendering(
        self, checker: OpenCvLogoMatcher, demo: Convention, tmp_path: Path
    ) -> None:
        path = tmp_path / "embedded.pdf"
        path.write_bytes(embedded_logo_pdf(ALL_CURRENT))
        report = checker.check(path, demo)
        assert report.compliant
        dtpjj = report.result_for("dtpjj")
        assert dtpjj.box is not None and dtpjj.box[0] == pytest.approx(590 / PAGE[0], abs=0.01)

    def test_a_large_high_resolution_embedded_logo_is_matched_in_place(
        self, checker: OpenCvLogoMatcher, demo: Convention
    ) -> None:
        # 60 % of the page width, 1500 px: once padded it would be wider than the working width, and a
        # first version shrank it a second time without moving the coordinates (the logo was missed).
        from comms_approval.adapters.logos.detector import match_embedded

        image = logo("caf")
        image = image.resize((1500, round(image.height * 1500 / image.width)), Image.Resampling.LANCZOS)
        box = (0.2, 0.3, 0.8, 0.3 + 0.6 * image.height / image.width * 210 / 297)
        found = match_embedded(np.asarray(image), box, 1, 210.0, 297.0, checker.references(demo))
        caf = max((e for e in found if e.party == "caf"), key=lambda e: e.score)
        assert caf.score > 0.8
        # the box is the logo's visible extent: the image's transparent margin is left out
        xs = np.nonzero(np.asarray(image)[:, :, 3].max(axis=0) > 38)[0]
        left, right = 0.2 + 0.6 * xs[0] / image.width, 0.2 + 0.6 * (xs[-1] + 1) / image.width
        assert caf.box[0] == pytest.approx(left, abs=0.005) and caf.box[2] == pytest.approx(right, abs=0.005)
        assert caf.width_mm == pytest.approx((right - left) * 210, rel=0.03)

    def test_an_embedded_logo_is_measured_only_against_the_references_it_resembles(
        self, checker: OpenCvLogoMatcher, demo: Convention
    ) -> None:
        # every reference of a similar shape was measured (10-50 ms each): another party's logo explains
        # an image object of this one at 0.6-0.77, evidence the policy then set aside; a thumbnail says so
        from comms_approval.adapters.logos.detector import match_embedded

        image = logo("caf")
        box = (0.2, 0.3, 0.4, 0.3 + 0.2 * image.height / image.width * 210 / 297)
        found = match_embedded(np.asarray(image), box, 1, 210.0, 297.0, checker.references(demo))
        assert {e.party for e in found} == {"caf"}
        assert max(e.score for e in found) > 0.9
        # marked as the object's own measurement: the policy lets it speak for its place (`image_object`)
        assert all(e.image_object for e in found)

    def test_a_flattened_poster_pdf_is_rendered_and_checked(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        path = save(compose(ALL_CURRENT), "poster.pdf", resolution=150.0)
        report = checker.check(path, demo)
        assert report.compliant
        assert report.result_for("caf").width_mm == pytest.approx(0.16 * 210, rel=0.08)

    def test_a_corrupt_draft_raises_a_document_error(
        self, checker: OpenCvLogoMatcher, demo: Convention, tmp_path: Path
    ) -> None:
        path = tmp_path / "broken.pdf"
        path.write_bytes(b"%PDF-1.4\n" + b"\x00" * 64)
        with pytest.raises(DocumentError):
            checker.check(path, demo)


SVG_EMBLEM = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">
<rect x="5" y="5" width="110" height="110" rx="20" fill="#008c96"/>
<path d="M20 60 L60 20 L100 60 Z" fill="#ffffff"/><circle cx="200" cy="60" r="45" fill="#f2a900"/>
<rect x="170" y="50" width="60" height="20" fill="#16347d"/></svg>"""


class TestReferences:
    def test_an_svg_logo_with_outlined_shapes_is_rendered_and_found(
        self, demo: Convention, save: Save, tmp_path: Path
    ) -> None:
        svg = tmp_path / "emblem.svg"
        svg.write_text(SVG_EMBLEM, encoding="utf-8")
        ref = load_reference(svg, "caf", LogoVersion.CURRENT)
        assert ref.alpha.max() == 1.0 and ref.alpha.min() == 0.0
        assert abs(ref.aspect - 110 / 240) < 0.03
        rgba = Image.fromarray(np.dstack([ref.rgb, ref.alpha * 255]).astype(np.uint8), "RGBA")
        page = Image.new("RGB", PAGE, (235, 235, 220))
        rgba = rgba.resize((300, round(300 * ref.aspect)))
        page.paste(rgba, (500, 700), rgba)
        caf = replace(demo.party("caf"), logos=(svg,))
        convention = replace(demo, id="svg-test", parties=(caf, demo.party("dsden")))
        report = OpenCvLogoMatcher().check(save(page), convention)
        assert report.result_for("caf").status is LogoStatus.PRESENT

    def test_an_svg_with_live_text_is_refused_because_fonts_may_be_missing(self, tmp_path: Path) -> None:
        svg = tmp_path / "text.svg"
        svg.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>Caf</text></svg>'
        )
        with pytest.raises(DocumentError) as caught:
            load_reference(svg, "caf", LogoVersion.CURRENT)
        assert "tracés" in caught.value.message_fr

    def test_a_logo_saved_without_transparency_gets_its_white_margin_cut_away(self, tmp_path: Path) -> None:
        flat = Image.new("RGB", (300, 200), "white")
        flat.paste(logo("caf").convert("RGB").resize((200, 92)), (50, 54))
        path = tmp_path / "flat.png"
        flat.save(path)
        ref = load_reference(path, "caf", LogoVersion.CURRENT)
        assert ref.alpha[0, 0] < 0.1
        assert abs(ref.width - 204) <= 6

    def test_the_demo_logos_all_load_and_the_obsolete_one_is_not_colour_only(self) -> None:
        refs = [load_reference(p, p.stem, LogoVersion.CURRENT) for p in sorted(LOGOS.glob("*.png"))]
        assert len(refs) == 6 and all(r.has_colour for r in refs)

    def test_the_checker_keeps_the_logos_of_its_last_conventions_only(self, demo: Convention) -> None:
        # a long-running server checks drafts of many conventions: each one's logos hold several MB
        checker = OpenCvLogoMatcher()
        first = checker.references(demo)
        assert checker.references(demo) is first  # loaded once
        others = [
            checker.references(replace(demo, id=f"other-{i}"))
            for i in range(OpenCvLogoMatcher.CONVENTIONS_KEPT - 1)
        ]
        assert checker.references(demo) is first  # used again: now the most recent
        checker.references(replace(demo, id="one-more"))
        assert len(checker._cache) == OpenCvLogoMatcher.CONVENTIONS_KEPT
        assert checker.references(replace(demo, id="other-0")) is not others[0]  # dropped: loaded again
        assert checker.references(replace(demo, id="other-2")) is others[2]
        assert checker.references(demo) is first


class TestMultiPageDocuments:
    """A brochure: each party's logo must be on one of its pages. Every page is first looked at coarsely (each
    party's best coarse candidate verified), and searched in full only for the parties still missing; a party
    proven on a page keeps only its coarse look on the others (its logo there is proven again, and holds its
    place)."""

    @pytest.fixture
    def spied(self, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
        """Each page search (page number, parties looked at coarsely only, evidence), and each proposal ladder
        (index of the page search it belongs to, party, finest pyramid level searched)."""
        from comms_approval.adapters.logos import detector

        searched: list[tuple[int, frozenset[str], list[LogoEvidence]]] = []
        proposed: list[tuple[int, str, int]] = []
        detect, propose = detector.detect_on_page, detector.propose

        def detect_spy(
            page: detector.PreparedPage, refs: detector.ReferenceSet, **kw: Any
        ) -> list[LogoEvidence]:
            evidence = detect(page, refs, **kw)
            searched.append((page.number, kw["coarse_only"], evidence))
            return evidence

        def propose_spy(page: detector.PreparedPage, ref: Any, **kw: Any) -> list[Any]:
            proposed.append((len(searched), ref.party, kw.get("min_level", 0)))
            return propose(page, ref, **kw)

        monkeypatch.setattr(detector, "detect_on_page", detect_spy)
        monkeypatch.setattr(detector, "propose", propose_spy)
        return searched, proposed

    def test_logos_on_the_back_cover_are_found_by_coarse_looks_alone(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, spied: tuple[list[Any], list[Any]]
    ) -> None:
        searched, proposed = spied
        path = save(
            compose([]), "brochure.pdf", resolution=150.0, save_all=True, append_images=[compose(ALL_CURRENT)]
        )

        report = checker.check(path, demo)

        assert report.pages == 2 and report.compliant
        assert {r.page for r in report.parties} == {2}
        everyone = frozenset(demo.party_ids())
        assert [(number, coarse) for number, coarse, _ in searched] == [(1, everyone), (2, everyone)]
        # nothing searched at half resolution, no other stage, no obsolete version: the coarse ladder only
        from comms_approval.adapters.logos.detector import COARSE_FIRST_LEVEL

        assert {level for _, _, level in proposed} == {COARSE_FIRST_LEVEL}

    def test_a_party_on_no_page_is_searched_in_full_and_the_proven_ones_keep_their_coarse_look(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, spied: tuple[list[Any], list[Any]]
    ) -> None:
        searched, proposed = spied
        without_caf = compose([p for p in ALL_CURRENT if p[0] != "caf"])
        path = save(
            without_caf,
            "brochure.pdf",
            resolution=150.0,
            save_all=True,
            append_images=[compose([]), without_caf],
        )

        report = checker.check(path, demo)

        assert report.pages == 3
        assert report.result_for("caf").status is LogoStatus.MISSING
        others = frozenset(demo.party_ids()) - {"caf"}
        assert {r.party for r in report.parties if r.status is LogoStatus.PRESENT} == others
        everyone = others | {"caf"}
        # pass 2 searches the pages where the most parties were proven first (1 and 3), then the others
        assert [(number, coarse) for number, coarse, _ in searched] == [
            (1, everyone),
            (2, everyone),
            (3, everyone),
            (1, others),
            (3, others),
            (2, others),
        ]
        # the full search (page searches 3 to 5): CAF with every stage, the others at the coarse levels only
        full = [(party, level) for index, party, level in proposed if index >= 3]
        assert {level for party, level in full if party in others} == {2}
        assert {level for party, level in full if party == "caf"} >= {0}
        # the last page shows the four logos again: they are proven there too
        again = {e.party for e in searched[4][2] if e.version is LogoVersion.CURRENT and is_conclusive(e)}
        assert again == others

    def test_a_logo_too_small_for_the_coarse_look_is_searched_first_beside_the_proven_ones(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, spied: tuple[list[Any], list[Any]]
    ) -> None:
        searched, _ = spied
        # CAF 5 % of the page wide (10.3 mm): below the coarse levels' smallest width, found by the full search
        band = compose([p for p in ALL_CURRENT if p[0] != "caf"] + [("caf", 0.05, (100, 1620))])
        path = save(
            compose([]), "brochure.pdf", resolution=150.0, save_all=True, append_images=[compose([]), band]
        )

        report = checker.check(path, demo)

        assert report.compliant
        assert report.result_for("caf").page == 3
        everyone = frozenset(demo.party_ids())
        # after the coarse looks, the back cover (four parties proven there) is searched in full first: CAF is
        # found there, and the pages of text before it are not searched in full at all
        assert [(number, coarse) for number, coarse, _ in searched] == [
            (1, everyone),
            (2, everyone),
            (3, everyone),
            (3, everyone - {"caf"}),
        ]

    def test_progress_counts_each_page_search_and_ends_at_the_most_when_the_search_stops_early(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save
    ) -> None:
        """What the officer's page and the CLI's bar show: 3 pages, looked at twice at most (6 searches); the
        back cover's full search finds CAF after 4, and the check ends there."""
        band = compose([p for p in ALL_CURRENT if p[0] != "caf"] + [("caf", 0.05, (100, 1620))])
        path = save(
            compose([]), "brochure.pdf", resolution=150.0, save_all=True, append_images=[compose([]), band]
        )
        told: list[tuple[int, int]] = []

        report = checker.check(path, demo, progress=lambda done, total: told.append((done, total)))

        assert report.compliant
        assert told == [(1, 6), (2, 6), (3, 6), (4, 6), (6, 6)]
        single: list[tuple[int, int]] = []
        checker.check(save(compose(ALL_CURRENT), "poster.png"), demo, progress=lambda *a: single.append(a))
        assert single == [(1, 1)]

    def test_an_annotated_brochure_is_rendered_once_and_every_page_annotated_unless_long(
        self,
        checker: OpenCvLogoMatcher,
        demo: Convention,
        save: Save,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from comms_approval.adapters import documents

        renders: list[object] = []
        iter_pages = documents.iter_pages

        def counted(*args: Any, **kw: Any) -> Any:
            renders.append(kw.get("numbers"))
            return iter_pages(*args, **kw)

        monkeypatch.setattr(documents, "iter_pages", counted)
        band = compose([p for p in ALL_CURRENT if p[0] != "caf"] + [("caf", 0.05, (100, 1620))])
        path = save(compose([]), "brochure.pdf", resolution=150.0, save_all=True, append_images=[band])

        report = checker.check(path, demo, annotate_dir=tmp_path / "annotated")

        assert report.compliant and report.result_for("caf").page == 2
        assert renders == [None]  # both passes searched the pages kept for the annotations
        assert [p.name for p in report.annotated_pages] == ["brochure-page1.png", "brochure-page2.png"]

        # a document longer than the pages a checker keeps (6.5 MB each) is rendered again for its annotations
        renders.clear()
        frugal = OpenCvLogoMatcher(kept_pages=1)
        again = frugal.check(path, demo, annotate_dir=tmp_path / "frugal")
        assert again.parties == report.parties
        assert len(renders) >= 2 and renders[-1] is None  # the searches, then every page for its annotation
        assert [p.name for p in again.annotated_pages] == ["brochure-page1.png", "brochure-page2.png"]
        for kept, rendered in zip(report.annotated_pages, again.annotated_pages, strict=True):
            assert np.array_equal(np.asarray(Image.open(kept)), np.asarray(Image.open(rendered)))


class TestAnnotations:
    def test_annotated_page_is_written_with_the_page_size_plus_a_margin(
        self, checker: OpenCvLogoMatcher, demo: Convention, save: Save, tmp_path: Path
    ) -> None:
        placements = [p for p in ALL_CURRENT if p[0] != "prefet"]
        report = checker.check(save(compose(placements)), demo, annotate_dir=tmp_path / "annotated")
        assert len(report.annotated_pages) == 1
        image = Image.open(report.annotated_pages[0])
        assert image.size == (PAGE[0] + PAGE[0] // 4, PAGE[1])
        pixels = np.asarray(image.convert("RGB"))
        dsden = report.result_for("dsden").box
        assert dsden is not None
        x0, y0 = round(dsden[0] * PAGE[0]), round(dsden[1] * PAGE[1])
        # the present logo's box is drawn in green
        assert (pixels[y0 - 1 : y0 + 2, x0 + 20] == (22, 140, 60)).all(axis=1).any()
        # the margin lists the missing party in red text
        margin = pixels[:, PAGE[0] + 5 :]
        assert ((margin[:, :, 0] > 150) & (margin[:, :, 1] < 80)).sum() > 20
