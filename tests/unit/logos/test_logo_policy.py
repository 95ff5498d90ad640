"""The logo policy decides statuses from the detector's evidence; the report keeps the issue's JSON contract."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from comms_approval.domain.logos import (
    DEFAULT_THRESHOLDS,
    LogoEvidence,
    LogoReport,
    LogoStatus,
    LogoThresholds,
    LogoVersion,
    PartyLogoResult,
    PartyRequirement,
    Reason,
    acceptance_score,
    decide_document,
    decide_party,
    exclusive,
    holds,
    is_conclusive,
    names_another,
    names_settle,
    outranks,
    page_width_mm,
    reason_text,
    status_label,
    version_tie,
    worth_showing,
    would_accept,
)

BOX = (0.1, 0.2, 0.3, 0.25)


def evidence(
    party: str = "caf", version: LogoVersion = LogoVersion.CURRENT, **overrides: object
) -> LogoEvidence:
    values: dict[str, object] = {
        "party": party,
        "version": version,
        "score": 0.9,
        "rival_score": 0.2,
        "colour_distance": 4.0,
        "page": 1,
        "box": BOX,
        "width_mm": 40.0,
    }
    values.update(overrides)
    return LogoEvidence(**values)  # type: ignore[arg-type]


class TestStatuses:
    def test_a_clear_match_of_the_current_logo_is_present_with_its_place_and_width(self) -> None:
        result = decide_party("caf", 10.0, [evidence()])
        assert result.status is LogoStatus.PRESENT
        assert (result.page, result.box, result.width_mm) == (1, BOX, 40.0)
        assert result.reason is None

    def test_no_evidence_at_all_means_missing_without_place(self) -> None:
        result = decide_party("caf", 10.0, [])
        assert result.status is LogoStatus.MISSING
        assert (result.page, result.box, result.width_mm, result.score) == (None, None, None, 0.0)

    def test_another_partys_logo_never_makes_this_party_present(self) -> None:
        result = decide_party("caf", 10.0, [evidence(party="dsden", score=0.99)])
        assert result.status is LogoStatus.MISSING

    def test_only_the_obsolete_version_on_the_page_is_obsolete(self) -> None:
        result = decide_party(
            "departement", 10.0, [evidence("departement", LogoVersion.OBSOLETE, score=0.95)]
        )
        assert result.status is LogoStatus.OBSOLETE
        assert result.reason == Reason.OBSOLETE_VERSION

    def test_the_current_logo_wins_over_an_obsolete_one_elsewhere_on_the_page(self) -> None:
        found = [
            evidence("departement", LogoVersion.OBSOLETE, score=0.97),
            evidence("departement", score=0.85),
        ]
        assert decide_party("departement", 10.0, found).status is LogoStatus.PRESENT

    def test_a_current_logo_narrower_than_the_minimum_is_too_small(self) -> None:
        result = decide_party("caf", 10.0, [evidence(width_mm=7.5)])
        assert result.status is LogoStatus.TOO_SMALL
        assert result.reason == Reason.TOO_SMALL

    def test_a_legible_copy_counts_even_when_a_tiny_copy_is_also_there(self) -> None:
        tiny_elsewhere = evidence(width_mm=6.0, score=0.95, box=(0.7, 0.8, 0.73, 0.81))
        found = [tiny_elsewhere, evidence(width_mm=30.0, score=0.8)]
        assert decide_party("caf", 10.0, found).status is LogoStatus.PRESENT

    def test_where_two_fits_measure_one_place_the_better_one_says_its_size(self) -> None:
        # seed 7's c5-033: an 8-mm logo fitted at 0.97, and a quarter too wide (10.5 mm) at 0.90 there
        right = evidence(width_mm=8.2, score=0.97, box=(0.50, 0.50, 0.539, 0.51))
        too_wide = evidence(width_mm=10.5, score=0.90, box=(0.495, 0.498, 0.545, 0.511))
        assert decide_party("caf", 10.0, [right, too_wide]).status is LogoStatus.TOO_SMALL
        # the wider fit is the better one: its size stands
        better_wide = replace(too_wide, score=0.99)
        assert decide_party("caf", 10.0, [right, better_wide]).status is LogoStatus.PRESENT

    def test_a_weak_match_is_uncertain_and_says_why(self) -> None:
        result = decide_party("caf", 10.0, [evidence(score=0.6)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.WEAK_MATCH
        assert result.box == BOX

    def test_a_weak_match_on_a_photo_is_uncertain_because_of_the_busy_background(self) -> None:
        result = decide_party("caf", 10.0, [evidence(score=0.6, busy_background=True)])
        assert result.reason == Reason.BUSY_BACKGROUND

    def test_a_strong_match_whose_own_ink_differs_in_one_part_is_uncertain_not_present(self) -> None:
        # a look-alike with another acronym: the box matches well overall, the logo's own pixels do not
        result = decide_party("caf", 10.0, [evidence(score=0.85, ink_score=0.4)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.PART_MISMATCH
        assert "sigle ou emblème" in (reason_text(result.reason) or "")

    def test_another_emblem_beside_the_same_name_on_a_grayscale_page_is_not_present(self) -> None:
        # seed 9: the name and the layout fit (0.74), the emblem's own ink only at 0.54
        other_emblem = evidence(score=0.74, ink_score=0.54, colour_distance=None, grayscale_page=True)
        assert decide_party("caf", 10.0, [other_emblem]).reason == Reason.PART_MISMATCH

    def test_a_weak_match_whose_own_ink_differs_is_not_even_shown(self) -> None:
        result = decide_party("caf", 10.0, [evidence(score=0.6, ink_score=0.4)])
        assert result.status is LogoStatus.MISSING

    def test_the_ink_rule_lets_a_genuine_logo_through_and_is_skipped_when_not_measured(self) -> None:
        assert decide_party("caf", 10.0, [evidence(ink_score=0.75)]).status is LogoStatus.PRESENT
        assert decide_party("caf", 10.0, [evidence(ink_score=None)]).status is LogoStatus.PRESENT

    def test_a_fit_the_pages_own_background_explains_as_well_is_shown_but_not_proof(self) -> None:
        # a flat gradient or a smooth photograph: without any logo, its blur predicts the page as well
        explained = evidence(score=0.9, background_score=0.92)
        result = decide_party("caf", 10.0, [explained])
        assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WEAK_MATCH
        tie = evidence(score=0.9, background_score=0.9, busy_background=True)
        assert decide_party("caf", 10.0, [tie]).reason == Reason.BUSY_BACKGROUND
        # the same fit elsewhere, explained by the logo and not by its background, counts
        genuine = evidence(score=0.72, background_score=0.68, box=(0.5, 0.5, 0.7, 0.55))
        assert decide_party("caf", 10.0, [explained, genuine]).status is LogoStatus.PRESENT
        assert decide_party("caf", 10.0, [evidence(background_score=None)]).status is LogoStatus.PRESENT

    def test_a_fit_resting_on_its_strong_parts_needs_its_ink_almost_exact(self) -> None:
        # a part of a look-alike or of a busy photograph: the faint parts fail, the ink is only roughly right
        rough = evidence(score=0.81, fine_score=0.31, ink_score=0.80)
        result = decide_party("caf", 10.0, [rough])
        assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WEAK_MATCH
        busy = evidence(score=0.81, fine_score=0.31, ink_score=0.80, busy_background=True)
        assert decide_party("caf", 10.0, [busy]).reason == Reason.BUSY_BACKGROUND
        # a genuine logo whose wordmark is faint on this page: its own ink fits exactly
        faint_wordmark = evidence(score=0.81, fine_score=0.25, ink_score=0.985)
        assert decide_party("caf", 10.0, [faint_wordmark]).status is LogoStatus.PRESENT
        # rough ink alone, with the faint parts fitting, is no reason to doubt
        assert (
            decide_party("caf", 10.0, [evidence(fine_score=0.9, ink_score=0.8)]).status is LogoStatus.PRESENT
        )
        # a one-colour logo has no ink score: the rule cannot apply
        one_colour = evidence(score=0.81, fine_score=0.31, ink_score=None)
        assert decide_party("caf", 10.0, [one_colour]).status is LogoStatus.PRESENT

    def test_a_transparent_logo_on_a_photo_is_proof_below_the_usual_score_when_its_ink_is_exact(self) -> None:
        # the whole box scores low (the photograph's blur predicts the ground poorly), the logo's own ink
        # fits almost exactly, and the background alone explains far less
        on_photo = evidence(score=0.64, ink_score=0.995, background_score=0.2, busy_background=True)
        assert decide_party("caf", 10.0, [on_photo]).status is LogoStatus.PRESENT
        assert would_accept(on_photo)
        # each condition is needed: ink only roughly right, a background explaining nearly as much, a score
        # under the lower floor, or no ink measured at all
        for doubtful in (
            replace(on_photo, ink_score=0.97),
            replace(on_photo, background_score=0.4),
            replace(on_photo, score=0.58, background_score=0.1),
            replace(on_photo, ink_score=None),
        ):
            result = decide_party("caf", 10.0, [doubtful])
            assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.BUSY_BACKGROUND
        # the lower floor stands on the ink and the background, not on the rest of the evidence
        assert decide_party("caf", 10.0, [replace(on_photo, edge_gain=0.2)]).status is LogoStatus.UNCERTAIN
        assert (
            decide_party("caf", 10.0, [replace(on_photo, wordmark_read=False)]).status is LogoStatus.UNCERTAIN
        )
        assert acceptance_score(0.64, ink=0.995, background=0.2, busy=True) == DEFAULT_THRESHOLDS.busy_accept
        assert acceptance_score(0.64, ink=0.97, background=0.2, busy=True) == DEFAULT_THRESHOLDS.accept
        # on a plain page the blur predicts the ground well: the usual score stands
        plain = replace(on_photo, busy_background=False)
        assert decide_party("caf", 10.0, [plain]).reason == Reason.WEAK_MATCH
        assert acceptance_score(0.64, ink=0.995, background=0.2, busy=False) == DEFAULT_THRESHOLDS.accept

    def test_a_fit_whose_ink_is_exact_and_whose_letters_are_the_names_is_proof_from_a_lower_score(
        self,
    ) -> None:
        # seed 7's c3-005: a transparent logo on a photograph, 0.51 over its box, ink 0.99, the background
        # alone 0.11, and where the fit puts its name nobody could read it but its letters are the name's
        named = evidence(score=0.51, ink_score=0.99, background_score=0.11, wordmark_shape=0.71)
        assert decide_party("caf", 10.0, [named]).status is LogoStatus.PRESENT
        assert would_accept(named) and is_conclusive(named)
        assert acceptance_score(0.51, ink=0.99, background=0.11, busy=False, named=True) == (
            DEFAULT_THRESHOLDS.named_accept
        )
        # each condition is needed: letters unlike the name's or never compared, ink only roughly right, a
        # background explaining nearly as much (an emblem look-alike beside the same name: margin 0.06-0.24),
        # a score under the floor
        for doubtful in (
            replace(named, wordmark_shape=0.6),
            replace(named, wordmark_shape=None),
            replace(named, ink_score=0.97),
            replace(named, score=0.6, background_score=0.45, wordmark_shape=0.98, ink_score=0.995),
            replace(named, score=0.49, background_score=0.1),
        ):
            assert decide_party("caf", 10.0, [doubtful]).status is not LogoStatus.PRESENT, doubtful
        # the floor stands on the ink, the background and the name, not on the rest of the evidence
        assert decide_party("caf", 10.0, [replace(named, edge_gain=0.2)]).status is LogoStatus.UNCERTAIN
        assert decide_party("caf", 10.0, [replace(named, colour_distance=40.0)]).status is not (
            LogoStatus.PRESENT
        )

    def test_a_fit_whose_name_could_not_be_checked_needs_a_closer_fit(self) -> None:
        # seed 41's c3-014 and seed 31's c2-009: another acronym in the logo's layout, 15 mm wide, its name
        # too small to read or compare, fitted at 0.70-0.76 with its ink roughly right and was `present`
        unchecked = evidence(score=0.73, ink_score=0.92, background_score=0.1, wordmark_unchecked=True)
        result = decide_party("caf", 10.0, [unchecked])
        assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WEAK_MATCH
        assert not would_accept(unchecked)
        assert acceptance_score(0.73, ink=0.92, background=0.1, busy=False, unnamed=True) == (
            DEFAULT_THRESHOLDS.unnamed_accept
        )
        # the same fit with its name checked (read, or compared as shapes) is judged as before
        assert decide_party("caf", 10.0, [replace(unchecked, wordmark_unchecked=False)]).status is (
            LogoStatus.PRESENT
        )
        # a closer fit is proof without the name; so is a fit whose own ink is exact over a clear margin
        assert would_accept(replace(unchecked, score=0.8))
        on_photo = replace(unchecked, score=0.66, ink_score=0.99, background_score=-0.1, busy_background=True)
        assert would_accept(on_photo)
        assert acceptance_score(0.66, ink=0.99, background=-0.1, busy=True, unnamed=True) == (
            DEFAULT_THRESHOLDS.busy_accept
        )

    def test_a_fit_without_the_logos_sharp_edges_where_they_should_be_is_shown_but_not_proof(self) -> None:
        # a photograph's soft shading in the logo's layout, or a fit at a wrong size or place
        soft = evidence(edge_gain=0.16)
        result = decide_party("caf", 10.0, [soft])
        assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WEAK_MATCH
        assert decide_party("caf", 10.0, [evidence(edge_gain=1.02)]).status is LogoStatus.PRESENT
        assert decide_party("caf", 10.0, [evidence(edge_gain=None)]).status is LogoStatus.PRESENT

    def test_a_recoloured_rival_far_off_in_colour_does_not_hold_the_current_logo_back(self) -> None:
        # same shapes, so the gray scores are as close as can be; colour alone tells them apart
        twin = evidence(score=0.97, rival_score=0.95, colour_distance=2.0, rival_colour_distance=60.0)
        assert decide_party("caf", 10.0, [twin]).status is LogoStatus.PRESENT
        assert is_conclusive(twin)

    def test_a_rival_whose_colours_would_be_refused_for_itself_is_no_rival(self) -> None:
        # seed 31: an obsolete version recoloured by 26 ΔE tied the current logo (2 ΔE) on the shapes
        recoloured = evidence(score=0.91, rival_score=0.87, colour_distance=1.9, rival_colour_distance=26.5)
        assert decide_party("caf", 10.0, [recoloured]).status is LogoStatus.PRESENT
        close = replace(recoloured, rival_colour_distance=DEFAULT_THRESHOLDS.max_colour_distance)
        assert decide_party("caf", 10.0, [close]).reason == Reason.RIVAL_CLOSE

    def test_a_rival_whose_worst_part_would_be_refused_for_itself_is_no_rival(self) -> None:
        # seed 7's c2-021: another version with another name and a tagline, its emblem put on the same emblem,
        # fitted a faint name a little better (0.90 against 0.87) with its tagline 77 ΔE off the page
        tagline_off = evidence(
            score=0.87,
            rival_score=0.90,
            colour_distance=7.8,
            part_colour_distance=10.5,
            rival_colour_distance=13.8,
            rival_part_colour_distance=77.6,
        )
        assert decide_party("caf", 10.0, [tagline_off]).status is LogoStatus.PRESENT
        fits = replace(tagline_off, rival_part_colour_distance=DEFAULT_THRESHOLDS.max_part_colour_distance)
        assert decide_party("caf", 10.0, [fits]).reason == Reason.RIVAL_CLOSE
        ours_off_too = replace(tagline_off, part_colour_distance=65.0)
        assert decide_party("caf", 10.0, [ours_off_too]).status is not LogoStatus.PRESENT

    def test_a_rival_keeps_its_weight_when_its_colours_fit_too_or_ours_do_not(self) -> None:
        fits = evidence(score=0.97, rival_score=0.95, colour_distance=2.0, rival_colour_distance=10.0)
        assert decide_party("caf", 10.0, [fits]).reason == Reason.RIVAL_CLOSE
        ours_off = evidence(score=0.97, rival_score=0.95, colour_distance=25.0, rival_colour_distance=60.0)
        assert decide_party("caf", 10.0, [ours_off]).status is not LogoStatus.PRESENT
        gray = evidence(score=0.97, rival_score=0.95, colour_distance=None, rival_colour_distance=None)
        assert decide_party("caf", 10.0, [gray]).reason == Reason.RIVAL_CLOSE

    def test_right_shapes_with_other_light_and_dark_values_are_uncertain_not_present(self) -> None:
        # a look-alike whose emblem has other colours, on a grayscale page: shapes match, contrast does not
        # seed 41's c6-029: a dark gradient square where the logo has a flat mid-gray one (1.43)
        for gain in (0.5, 1.43, 2.0):
            result = decide_party("caf", 10.0, [evidence(colour_distance=None, contrast_gain=gain)])
            assert result.status is LogoStatus.UNCERTAIN
            assert result.reason == Reason.CONTRAST_MISMATCH
        weak = evidence(colour_distance=None, contrast_gain=0.5, score=0.6)
        assert decide_party("caf", 10.0, [weak]).status is LogoStatus.MISSING
        assert decide_party("caf", 10.0, [evidence(contrast_gain=1.1)]).status is LogoStatus.PRESENT
        assert (
            decide_party("caf", 10.0, [evidence(colour_distance=None, contrast_gain=1.28)]).status
            is LogoStatus.PRESENT
        )

    def test_on_a_colour_page_the_colours_compared_decide_not_the_contrast(self) -> None:
        # a thin vector logo rendered small loses contrast to anti-aliasing; its colours matched within 2 ΔE
        thin = evidence(colour_distance=2.1, contrast_gain=0.64)
        assert decide_party("caf", 10.0, [thin]).status is LogoStatus.PRESENT
        assert (
            decide_party("caf", 10.0, [replace(thin, colour_distance=None)]).reason
            == Reason.CONTRAST_MISMATCH
        )

    def test_versions_of_one_logo_are_ranked_on_their_fine_scores_when_both_are_known(self) -> None:
        # the plain scores tie (the wordmark is faint here and left out), the fine ones tell them apart
        ranked = evidence(score=0.99, rival_score=0.98, fine_score=0.9, rival_fine_score=0.6)
        assert decide_party("caf", 10.0, [ranked]).status is LogoStatus.PRESENT
        assert is_conclusive(ranked)
        reversed_ = evidence(score=0.99, rival_score=0.98, fine_score=0.6, rival_fine_score=0.9)
        assert decide_party("caf", 10.0, [reversed_]).status is LogoStatus.MISSING  # the rival wins
        # without the rival's fine score (another party's logo), the plain scores decide
        plain = evidence(score=0.99, rival_score=0.98, fine_score=0.9, rival_fine_score=None)
        assert decide_party("caf", 10.0, [plain]).reason == Reason.RIVAL_CLOSE
        # and with no rival at all, fine scores change nothing
        alone = evidence(score=0.9, rival_score=-1.0, fine_score=0.2, rival_fine_score=0.9)
        assert decide_party("caf", 10.0, [alone]).status is LogoStatus.PRESENT

    def test_ink_scores_add_their_margin_between_two_versions_laid_out_apart(self) -> None:
        # both versions fit the box (fine scores within the margin), only one puts its ink on the page's ink
        tied = {"score": 0.96, "rival_score": 0.95, "fine_score": 0.96, "rival_fine_score": 0.95}
        current = evidence(**tied, ink_score=0.99, rival_ink_score=0.72)
        assert decide_party("caf", 10.0, [current]).status is LogoStatus.PRESENT
        assert is_conclusive(current)
        obsolete_shown = evidence(**tied, ink_score=0.72, rival_ink_score=0.99)
        assert decide_party("caf", 10.0, [obsolete_shown]).status is LogoStatus.MISSING
        # one ink score unknown: the fine scores alone decide, and they are too close
        unknown = evidence(**tied, ink_score=0.99, rival_ink_score=None)
        assert decide_party("caf", 10.0, [unknown]).reason == Reason.RIVAL_CLOSE
        # the ink margin counts only between versions ranked on fine scores (not against another party)
        other_party = evidence(score=0.96, rival_score=0.95, ink_score=0.99, rival_ink_score=0.5)
        assert decide_party("caf", 10.0, [other_party]).reason == Reason.RIVAL_CLOSE

    def test_right_shape_in_the_wrong_colours_is_uncertain_not_present(self) -> None:
        result = decide_party("caf", 10.0, [evidence(colour_distance=24.0)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.COLOUR_MISMATCH

    def test_one_part_in_other_colours_is_uncertain_even_when_the_whole_matches(self) -> None:
        # the emblem matches (overall distance 4), the wordmark is another colour (its part at 90)
        wordmark = decide_party("caf", 10.0, [evidence(colour_distance=4.0, part_colour_distance=90.0)])
        assert wordmark.status is LogoStatus.UNCERTAIN
        assert wordmark.reason == Reason.COLOUR_MISMATCH
        noisy = evidence(colour_distance=4.0, part_colour_distance=35.0)  # JPEG chroma on thin strokes
        assert decide_party("caf", 10.0, [noisy]).status is LogoStatus.PRESENT

    def test_a_recoloured_look_alike_far_from_the_colours_is_missing(self) -> None:
        assert decide_party("caf", 10.0, [evidence(colour_distance=60.0)]).status is LogoStatus.MISSING

    def test_grayscale_draft_is_uncertain_when_only_colour_separates_current_and_obsolete(self) -> None:
        found = [evidence(colour_distance=None, grayscale_page=True, colour_only_rival=True)]
        result = decide_party("caf", 10.0, found)
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.GRAYSCALE_COLOUR_ONLY

    def test_grayscale_draft_is_present_when_the_versions_differ_in_shape(self) -> None:
        found = [evidence(colour_distance=None, grayscale_page=True, colour_only_rival=False)]
        assert decide_party("caf", 10.0, found).status is LogoStatus.PRESENT

    def test_a_match_the_obsolete_version_explains_as_well_is_not_present(self) -> None:
        result = decide_party("caf", 10.0, [evidence(score=0.9, rival_score=0.88)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.RIVAL_CLOSE
        # a tie the rival wins by a hair is still worth a look; a rival clearly better is not
        hair = decide_party("caf", 10.0, [evidence(score=0.995, rival_score=0.997)])
        assert hair.status is LogoStatus.UNCERTAIN
        clearly = decide_party("caf", 10.0, [evidence(score=0.9, rival_score=0.97)])
        assert clearly.status is LogoStatus.MISSING

    def test_a_small_candidate_not_verified_is_uncertain_not_too_small(self) -> None:
        # `too_small` says the logo is there; a weak fit under the legible width may be anything that small
        for width in (5.0, 8.0):
            result = decide_party("caf", 10.0, [evidence(score=0.6, width_mm=width)])
            assert (result.status, result.reason, result.width_mm) == (
                LogoStatus.UNCERTAIN,
                Reason.TINY,
                width,
            )
        # verified, it is the logo, too small
        assert decide_party("caf", 10.0, [evidence(score=0.9, width_mm=8.0)]).status is LogoStatus.TOO_SMALL

    def test_stricter_thresholds_turn_a_present_logo_uncertain(self) -> None:
        strict = LogoThresholds(accept=0.95)
        assert decide_party("caf", 10.0, [evidence(score=0.9)], strict).status is LogoStatus.UNCERTAIN

    def test_a_candidate_under_the_candidate_floor_is_ignored(self) -> None:
        assert decide_party("caf", 10.0, [evidence(score=0.3)]).status is LogoStatus.MISSING

    def test_only_clear_matches_let_the_detector_stop_searching(self) -> None:
        assert is_conclusive(evidence())
        assert not is_conclusive(evidence(score=0.9, rival_score=0.82))
        assert not is_conclusive(evidence(score=0.6))

    def test_a_clear_fit_under_the_legible_width_does_not_stop_the_search(self) -> None:
        # the logo scaled into its own emblem fits too: the whole logo may be among the next candidates
        clear = evidence(width_mm=9.0)
        assert is_conclusive(clear)
        assert not is_conclusive(clear, min_width_mm=10.0)
        assert is_conclusive(evidence(width_mm=12.0), min_width_mm=10.0)


class TestPlacesHeld:
    """A strong proof of one party's logo holds its place: the detector does not verify other parties there."""

    PROOF = evidence("dsden", score=0.93, box=(0.1, 0.1, 0.3, 0.2))

    def test_another_partys_candidate_on_that_place_or_on_a_part_of_it_is_held(self) -> None:
        assert holds(self.PROOF, "caf", 1, (0.11, 0.1, 0.31, 0.21))  # the same place
        assert holds(self.PROOF, "caf", 1, (0.12, 0.12, 0.18, 0.17))  # a part of that logo

    def test_a_place_beside_it_or_on_another_page_is_not_held(self) -> None:
        assert not holds(self.PROOF, "caf", 1, (0.25, 0.1, 0.45, 0.2))  # a quarter overlaps
        assert not holds(self.PROOF, "caf", 2, (0.1, 0.1, 0.3, 0.2))
        assert not holds(self.PROOF, "caf", 1, (0.2, 0.15, 0.2, 0.15))  # an empty box

    def test_a_proof_holds_no_place_against_its_own_party_nor_when_it_is_weak(self) -> None:
        assert not holds(self.PROOF, "dsden", 1, (0.1, 0.1, 0.3, 0.2))
        weak = replace(self.PROOF, score=0.8)  # accepted, but it may be the other party's logo mistaken
        assert is_conclusive(weak)
        assert not holds(weak, "caf", 1, (0.1, 0.1, 0.3, 0.2))
        assert not holds(weak, "caf", 1, (0.1, 0.1, 0.3, 0.2), LogoThresholds(held_score=0.9))
        assert holds(weak, "caf", 1, (0.1, 0.1, 0.3, 0.2), LogoThresholds(held_score=0.75))

    def test_a_fit_on_a_part_of_a_strongly_proven_logo_of_another_party_is_outranked(self) -> None:
        # seed 41: two parties' emblems drawn alike; on a grayscale page one party's logo, scaled into the
        # other's (its name too small to compare), fitted at 0.74 there and was reported present
        part = evidence("caf", score=0.74, rival_score=-1.0, box=(0.12, 0.12, 0.2, 0.17))
        assert outranks(self.PROOF, part)
        [judged] = [e for e in exclusive([self.PROOF, part]) if e.party == "caf"]
        assert (judged.rival_party, judged.rival_score) == ("dsden", 0.93)
        assert decide_party("caf", 10.0, exclusive([self.PROOF, part])).status is LogoStatus.MISSING

    def test_only_a_strong_and_better_fit_outranks_a_part_of_its_place(self) -> None:
        part = evidence("caf", score=0.74, rival_score=-1.0, box=(0.12, 0.12, 0.2, 0.17))
        assert not outranks(replace(self.PROOF, score=0.8), part)  # a weak fit may be that logo mistaken
        assert not outranks(self.PROOF, replace(part, score=0.95))  # the part fits better than the whole
        assert not outranks(self.PROOF, replace(part, box=(0.25, 0.1, 0.45, 0.2)))  # a quarter overlaps
        assert not outranks(self.PROOF, replace(part, party="dsden"))
        # the same place (IoU > 0.4) is outranked by any better fit, strong or not
        assert outranks(replace(self.PROOF, score=0.8), replace(part, box=(0.11, 0.1, 0.31, 0.21)))


class TestWordmark:
    def test_a_logo_whose_name_reads_as_another_is_uncertain_with_its_reason(self) -> None:
        result = decide_party("caf", 10.0, [evidence(wordmark_read=False)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.WORDMARK_MISMATCH
        assert result.box == BOX

    def test_a_weak_match_whose_name_reads_as_another_is_not_even_shown(self) -> None:
        assert (
            decide_party("caf", 10.0, [evidence(score=0.6, wordmark_read=False)]).status is LogoStatus.MISSING
        )

    def test_a_name_read_alike_or_not_read_at_all_leaves_the_verdict_to_the_shapes(self) -> None:
        for read in (True, None):
            assert decide_party("caf", 10.0, [evidence(wordmark_read=read)]).status is LogoStatus.PRESENT

    def test_a_second_measurement_of_a_refuted_place_that_read_nothing_cannot_prove_it(self) -> None:
        refuted = evidence(score=0.72, wordmark_read=False, box=(0.1, 0.2, 0.4, 0.3))
        inside = evidence(score=0.85, wordmark_read=None, box=(0.12, 0.21, 0.2, 0.26))
        result = decide_party("caf", 10.0, [refuted, inside])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.WORDMARK_MISMATCH

    def test_a_smaller_fit_inside_a_place_whose_word_looks_unlike_the_name_cannot_prove_it(self) -> None:
        # the logo scaled into a text look-alike's emblem: its word too small to compare
        unlike = evidence(score=0.97, wordmark_shape=0.3, box=(0.07, 0.948, 0.19, 0.984))
        inside = evidence(score=0.88, box=(0.098, 0.956, 0.152, 0.972))
        result = decide_party("caf", 10.0, [unlike, inside])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.WORDMARK_UNLIKE
        elsewhere = evidence(score=0.85, box=(0.6, 0.7, 0.8, 0.75))
        assert decide_party("caf", 10.0, [unlike, elsewhere]).status is LogoStatus.PRESENT

    def test_a_name_read_as_another_word_whose_letters_look_like_the_name_was_misread(self) -> None:
        # seed 41's c5-026: "LNL" read surely as "ENE" at JPEG quality 30; its letters, as shapes, fit at 0.8+
        misread = evidence(wordmark_read=False, wordmark_shape=0.85)
        assert not names_another(misread)
        assert decide_party("caf", 10.0, [misread]).status is LogoStatus.PRESENT
        for unlike in (None, 0.5, DEFAULT_THRESHOLDS.misread_shape - 0.01):  # another acronym: other letters
            result = decide_party("caf", 10.0, [replace(misread, wordmark_shape=unlike)])
            assert names_another(replace(misread, wordmark_shape=unlike))
            assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WORDMARK_MISMATCH
        # the other version's name read in the same place still says which version it is
        other_version = replace(misread, rival_party="caf", rival_score=0.5, rival_wordmark_read=True)
        assert decide_party("caf", 10.0, [other_version]).status is LogoStatus.MISSING

    def test_a_place_refuted_by_its_name_stays_refuted_and_a_misread_one_does_not_refute(self) -> None:
        refuted = evidence(score=0.72, wordmark_read=False, wordmark_shape=0.3, box=(0.1, 0.2, 0.4, 0.3))
        inside = evidence(score=0.85, wordmark_shape=0.9, box=(0.12, 0.21, 0.2, 0.26))
        result = decide_party("caf", 10.0, [refuted, inside])
        assert result.status is LogoStatus.UNCERTAIN and result.reason == Reason.WORDMARK_MISMATCH
        misread = replace(refuted, wordmark_shape=0.9)
        assert decide_party("caf", 10.0, [misread, replace(inside, wordmark_shape=None)]).status is (
            LogoStatus.PRESENT
        )

    def test_a_refuted_place_does_not_spoil_the_logo_elsewhere_or_in_another_version(self) -> None:
        refuted = evidence(wordmark_read=False, box=(0.1, 0.2, 0.4, 0.3))
        elsewhere = evidence(score=0.85, box=(0.6, 0.7, 0.8, 0.75))
        assert decide_party("caf", 10.0, [refuted, elsewhere]).status is LogoStatus.PRESENT
        old = evidence(version=LogoVersion.OBSOLETE, score=0.95, box=(0.1, 0.2, 0.4, 0.3))
        assert decide_party("caf", 10.0, [refuted, old]).status is LogoStatus.OBSOLETE
        flat = evidence(wordmark_read=False, box=(0.1, 0.2, 0.1, 0.3))  # a degenerate box overlaps nothing
        assert decide_party("caf", 10.0, [flat, evidence(score=0.85, box=(0.1, 0.2, 0.1, 0.3))]).status is (
            LogoStatus.PRESENT
        )

    def test_the_reason_is_explained_in_french_and_english(self) -> None:
        assert "texte se lit autrement" in (reason_text(Reason.WORDMARK_MISMATCH, "fr") or "")
        assert "text reads differently" in (reason_text(Reason.WORDMARK_MISMATCH, "en") or "")

    def test_every_status_has_a_label_in_french_and_english(self) -> None:
        assert [status_label(s) for s in LogoStatus] == [status_label(s, "fr") for s in LogoStatus]
        assert status_label(LogoStatus.UNCERTAIN) == "à confirmer"
        assert status_label(LogoStatus.OBSOLETE, "en") == "obsolete version"
        assert len({status_label(s, "en") for s in LogoStatus}) == len(LogoStatus)

    def test_an_unread_name_unlike_the_name_is_uncertain_with_its_reason(self) -> None:
        result = decide_party("caf", 10.0, [evidence(wordmark_read=None, wordmark_shape=0.38)])
        assert result.status is LogoStatus.UNCERTAIN
        assert result.reason == Reason.WORDMARK_UNLIKE
        assert result.box == BOX
        for shape in (0.5, None):  # letters alike, or too small to compare: the shapes of the whole decide
            assert decide_party("caf", 10.0, [evidence(wordmark_shape=shape)]).status is LogoStatus.PRESENT
        assert "ne ressemble pas" in (reason_text(Reason.WORDMARK_UNLIKE, "fr") or "")
        assert "does not look like" in (reason_text(Reason.WORDMARK_UNLIKE, "en") or "")

    def test_would_accept_is_the_policys_own_acceptance(self) -> None:
        assert would_accept(evidence()) and not would_accept(evidence(score=0.6))
        assert not would_accept(evidence(wordmark_read=False))

    def test_worth_showing_is_what_the_policy_would_show_as_uncertain(self) -> None:
        weak = evidence(score=0.6)
        assert worth_showing(weak) and decide_party("caf", 10.0, [weak]).status is LogoStatus.UNCERTAIN
        beaten = evidence(score=0.6, rival_score=0.9, rival_party="dsden")
        assert not worth_showing(beaten) and decide_party("caf", 10.0, [beaten]).status is LogoStatus.MISSING


class TestNamesSettleATieOfVersions:
    """Two versions that differ in their acronym fit the page alike: the names read there decide."""

    TIE: ClassVar[dict[str, object]] = {
        "score": 0.99,
        "rival_score": 0.99,
        "rival_party": "caf",
        "fine_score": 0.95,
        "rival_fine_score": 0.97,
    }

    def test_a_tie_with_another_version_of_the_same_logo_is_a_version_tie(self) -> None:
        assert version_tie(evidence(**self.TIE))
        assert decide_party("caf", 10.0, [evidence(**self.TIE)]).reason == Reason.RIVAL_CLOSE

    def test_no_version_tie_against_another_party_a_clear_margin_or_a_weak_match(self) -> None:
        assert not version_tie(evidence(**{**self.TIE, "rival_party": "dsden"}))
        assert not version_tie(evidence(**{**self.TIE, "rival_fine_score": 0.5}))
        assert not version_tie(evidence(**{**self.TIE, "rival_score": -1.0}))
        assert not version_tie(
            evidence(**{**self.TIE, "score": 0.6, "fine_score": 0.6, "rival_fine_score": 0.6})
        )
        assert not version_tie(
            evidence(**{**self.TIE, "colour_distance": 25.0})
        )  # refused for its colour anyway

    def test_this_name_read_and_not_the_rivals_settles_the_tie_and_the_search(self) -> None:
        settled = evidence(**self.TIE, wordmark_read=True, rival_wordmark_read=False)
        assert names_settle(settled)
        assert decide_party("caf", 10.0, [settled]).status is LogoStatus.PRESENT
        assert is_conclusive(settled)

    def test_a_tie_stays_a_tie_unless_the_names_tell_the_versions_apart(self) -> None:
        for read, rival_read in ((True, True), (True, None), (None, False), (None, None)):
            ev = evidence(**self.TIE, wordmark_read=read, rival_wordmark_read=rival_read)
            assert not names_settle(ev)
            assert decide_party("caf", 10.0, [ev]).reason == Reason.RIVAL_CLOSE
        other_party = evidence(
            **{**self.TIE, "rival_party": "dsden"}, wordmark_read=True, rival_wordmark_read=False
        )
        assert decide_party("caf", 10.0, [other_party]).reason == Reason.RIVAL_CLOSE

    def test_the_page_naming_the_other_version_rules_this_one_out_and_the_other_wins(self) -> None:
        current = evidence(**self.TIE, wordmark_read=False, rival_wordmark_read=True)
        old = evidence(
            version=LogoVersion.OBSOLETE, **self.TIE, wordmark_read=True, rival_wordmark_read=False
        )
        assert decide_party("caf", 10.0, [current]).status is LogoStatus.MISSING
        result = decide_party("caf", 10.0, [current, old])
        assert result.status is LogoStatus.OBSOLETE


class TestDocument:
    def test_every_party_gets_a_result_in_convention_order(self) -> None:
        requirements = [PartyRequirement("dsden", 10.0), PartyRequirement("caf", 10.0)]
        results = decide_document(requirements, [evidence("caf")])
        assert [r.party for r in results] == ["dsden", "caf"]
        assert [r.status for r in results] == [LogoStatus.MISSING, LogoStatus.PRESENT]

    def test_a_place_proven_in_one_search_outranks_another_partys_fit_there_from_the_other(self) -> None:
        # a PDF: dsden proven on an image object (not searched again on the rendered page), where caf's
        # logo then fitted a part of dsden's on the rendered page
        proof = evidence("dsden", score=0.93, box=(0.1, 0.1, 0.3, 0.2))
        part = evidence("caf", score=0.74, rival_score=-1.0, box=(0.12, 0.12, 0.2, 0.17))
        assert decide_party("caf", 10.0, [part]).status is LogoStatus.PRESENT  # alone, it would pass
        requirements = [PartyRequirement("dsden", 10.0), PartyRequirement("caf", 10.0)]
        results = decide_document(requirements, [proof, part])
        assert [r.status for r in results] == [LogoStatus.PRESENT, LogoStatus.MISSING]
        # already exclusive evidence (the detector's, page by page) is judged the same
        assert decide_document(requirements, exclusive([proof, part])) == results

    def test_a_rendered_fit_on_an_image_object_that_is_not_this_logo_proves_nothing(self) -> None:
        # seed 7's c1-008: a text look-alike embedded as an image, its other name drowned in the page's colour
        # and crossed by its text, fitted the rendered page at 0.98; the object itself fitted at 0.48
        rendered = evidence(score=0.98, box=(0.52, 0.57, 0.66, 0.60))
        image = evidence(score=0.48, box=(0.522, 0.568, 0.656, 0.601), image_object=True)
        assert decide_party("caf", 10.0, [rendered]).status is LogoStatus.PRESENT  # alone, it would pass
        result = decide_party("caf", 10.0, [rendered, image])
        assert result.status is LogoStatus.MISSING and result.score == 0.48
        # elsewhere on the page, the logo still counts
        elsewhere = evidence(score=0.9, box=(0.1, 0.1, 0.3, 0.15))
        assert decide_party("caf", 10.0, [rendered, image, elsewhere]).box == elsewhere.box
        requirements = [PartyRequirement("caf", 10.0)]
        assert decide_document(requirements, [rendered, image])[0].status is LogoStatus.MISSING

    def test_an_image_object_refutes_only_its_own_place_version_and_page_and_only_when_it_fits_poorly(
        self,
    ) -> None:
        rendered = evidence(score=0.98, box=(0.52, 0.57, 0.66, 0.60))
        image = evidence(score=0.48, box=(0.522, 0.568, 0.656, 0.601), image_object=True)
        for unrelated in (
            replace(image, version=LogoVersion.OBSOLETE),
            replace(image, page=2),
            replace(image, box=(0.52, 0.57, 0.58, 0.60)),  # a smaller object inside: not the same place
            replace(image, score=DEFAULT_THRESHOLDS.accept),  # the object fits: the rendered fit stands
        ):
            assert decide_party("caf", 10.0, [rendered, unrelated]).status is LogoStatus.PRESENT
        # a party with two current logos: one of them measured well on the object is enough
        assert decide_party("caf", 10.0, [rendered, image, replace(image, score=0.9)]).score == 0.98
        # a measurement of the object itself is never refuted by another (it is the object's own evidence)
        alone = replace(image, score=0.95)
        assert decide_party("caf", 10.0, [alone, image]).status is LogoStatus.PRESENT

    def test_an_image_object_whose_ink_is_only_roughly_the_logos_is_no_proof_where_its_name_was_not_read(
        self,
    ) -> None:
        # seed 67's c1-000: an emblem look-alike sharing the name (a star on a disc for a ring), embedded as
        # an image on a grayscale page: 0.86, its name's shapes alike (0.82), its ink 0.84
        object_fit = evidence(
            "p1b",
            score=0.856,
            rival_score=-1.0,
            colour_distance=None,
            grayscale_page=True,
            ink_score=0.839,
            wordmark_shape=0.816,
            image_object=True,
            box=(0.15, 0.70, 0.71, 0.85),
        )
        result = decide_party("p1b", 10.0, [object_fit])
        assert (result.status, result.reason) == (LogoStatus.UNCERTAIN, Reason.PART_MISMATCH)
        # each condition is needed: the ink exact, the name read, or a fit on the rendered page
        for proof in (
            replace(object_fit, ink_score=0.96),
            replace(object_fit, wordmark_read=True, wordmark_shape=None),
            replace(object_fit, image_object=False),
        ):
            assert decide_party("p1b", 10.0, [proof]).status is LogoStatus.PRESENT
        # a name too small to compare leaves the fit as it was (another rule weighs unchecked names)
        unchecked = replace(object_fit, wordmark_shape=None)
        assert would_accept(unchecked) and not would_accept(object_fit)
        # the rendered page at the object's place proves nothing more: the object's pixels said it
        rendered = replace(object_fit, image_object=False, score=0.87, box=(0.151, 0.70, 0.71, 0.85))
        assert decide_party("p1b", 10.0, [object_fit, rendered]).status is LogoStatus.UNCERTAIN
        exact = replace(object_fit, ink_score=0.96)
        assert decide_party("p1b", 10.0, [exact, rendered]).status is LogoStatus.PRESENT

    def test_physical_width_comes_from_pdf_box_then_dpi_then_a4(self) -> None:
        assert round(page_width_mm(pdf_points=595.276), 1) == 210.0
        assert round(page_width_mm(dpi=300, width_px=2480), 1) == 210.0
        assert page_width_mm() == 210.0


def report() -> LogoReport:
    return LogoReport(
        file="affiche.pdf",
        pages=2,
        parties=(
            PartyLogoResult("dsden", LogoStatus.PRESENT, 0.93, 1, BOX, 41.234),
            PartyLogoResult("departement", LogoStatus.OBSOLETE, 0.91, 2, BOX, 30.0, Reason.OBSOLETE_VERSION),
            PartyLogoResult("caf", LogoStatus.MISSING, 0.1, None, None, None),
        ),
        elapsed_ms=123.456,
        annotated_pages=(Path("/tmp/a-page1.png"),),
    )


class TestJsonContract:
    def test_the_report_has_exactly_the_fields_of_the_contract(self) -> None:
        data = json.loads(json.dumps(report().as_dict()))
        assert set(data) == {"file", "pages", "compliant", "elapsed_ms", "parties"}
        assert data["compliant"] is False
        for party in data["parties"]:
            assert set(party) == {"party", "status", "score", "page", "box", "width_mm"}
        assert data["parties"][0] == {
            "party": "dsden",
            "status": "present",
            "score": 0.93,
            "page": 1,
            "box": [0.1, 0.2, 0.3, 0.25],
            "width_mm": 41.23,
        }
        assert data["parties"][2]["box"] is None and data["parties"][2]["page"] is None

    def test_a_report_survives_a_round_trip_through_json_with_its_details(self) -> None:
        original = report()
        restored = LogoReport.from_dict(json.loads(json.dumps(original.as_dict(include_details=True))))
        assert restored.parties[1].reason == Reason.OBSOLETE_VERSION
        assert restored.annotated_pages == original.annotated_pages
        assert restored.missing_parties() == ("departement", "caf")

    def test_a_report_is_compliant_only_when_every_party_is_present(self) -> None:
        present = PartyLogoResult("caf", LogoStatus.PRESENT, 0.9, 1, BOX, 30.0)
        assert LogoReport("a.png", 1, (present,), 1.0).compliant
        uncertain = PartyLogoResult("caf", LogoStatus.UNCERTAIN, 0.6, 1, BOX, 30.0, Reason.WEAK_MATCH)
        assert not LogoReport("a.png", 1, (present, uncertain), 1.0).compliant

    def test_reasons_read_in_french_by_default_and_in_english_on_request(self) -> None:
        result = report().result_for("departement")
        assert result.reason_fr is not None and "obsolète" in result.reason_fr
        assert result.reason_en is not None and "obsolete" in result.reason_en
        assert reason_text(None) is None
        assert reason_text("something-else") == "something-else"
