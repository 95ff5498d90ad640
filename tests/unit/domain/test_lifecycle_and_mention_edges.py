"""Edge cases of the lifecycle events and the mention finder that the scenario tests do not reach."""

from __future__ import annotations

from datetime import UTC, date, datetime

from comms_approval.domain.lifecycle_events import (
    LIFECYCLE_EVENT_TYPES,
    ConventionExpiryRecorded,
    ConventionRenewed,
    PartyTerminationRegistered,
    RetentionPurged,
)
from comms_approval.domain.mentions import fold, form_pattern

AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_lifecycle_events_are_indexed_by_their_audit_kind() -> None:
    """Each kind maps to its class; a termination keeps the one kind of the trail."""
    assert LIFECYCLE_EVENT_TYPES["convention_renewed"] is ConventionRenewed
    assert LIFECYCLE_EVENT_TYPES["party_termination_recorded"] is PartyTerminationRegistered
    assert set(LIFECYCLE_EVENT_TYPES) == {
        "party_termination_recorded",
        "convention_renewed",
        "convention_expiry_recorded",
        "retention_purged",
    }


def test_lifecycle_event_payloads_are_json_ready_and_hold_no_personal_data_for_purges() -> None:
    """Dates become ISO strings; a purge records counts, ids and sequence ranges only."""
    renewed = ConventionRenewed(
        occurred_at=AT, convention_id="c", renewals=1, period_end=date(2029, 8, 31), recorded_by="officer"
    )
    assert renewed.payload()["period_end"] == "2029-08-31"
    expiry = ConventionExpiryRecorded(
        occurred_at=AT,
        convention_id="c",
        expired_on=date(2026, 9, 1),
        recorded_by="officer",
        reason="non-reconduction",
    )
    assert expiry.payload()["reason"] == "non-reconduction"
    purge = RetentionPurged(
        occurred_at=AT,
        convention_id=None,
        category="logs",
        cutoff=AT,
        retention_years=1,
        items=3,
        version_ids=(4, 5),
        seq_ranges=((1, 3),),
    )
    payload = purge.payload()
    assert payload["seq_ranges"] == [[1, 3]]
    assert payload["version_ids"] == [4, 5]


def test_soft_hyphens_vanish_and_pdfium_line_hyphens_join_the_word() -> None:
    """'protec\\u00adtion' and 'protec\\ufffe' + 'tion' both read as one word."""
    folded, origin = fold("protec\u00adtion")
    assert folded == "protection"
    assert len(origin) == len(folded)
    pattern = form_pattern("protection judiciaire")
    assert pattern is not None
    joined, _ = fold("la protec\ufffetion judiciaire")
    assert pattern.search(joined)


def test_an_empty_or_punctuation_only_form_has_no_pattern() -> None:
    """Nothing to look for: no pattern rather than one matching everywhere."""
    assert form_pattern("   ") is None
    assert form_pattern(" . ") is None


def test_a_dotted_acronym_is_found_with_or_without_its_dots() -> None:
    """'C.A.F.' as a declared form finds 'C.A.F.' and 'CAF', not 'cafétéria'."""
    pattern = form_pattern("C.A.F.")
    assert pattern is not None
    for text, expected in (("la C.A.F. du Nord", True), ("la CAF du Nord", True), ("la cafétéria", False)):
        folded, _ = fold(text)
        assert bool(pattern.search(folded)) is expected, text


def test_forms_that_cannot_match_are_skipped() -> None:
    """A blank form among a party's forms is ignored; the real one still counts."""
    from comms_approval.domain.mentions import find_mentions

    found = find_mentions("Avec la Caf et la DSDEN", {"caf": [" . ", "Caf"], "dsden": ["DSDEN"]})
    assert set(found) == {"caf", "dsden"}
    assert all(found[p].named for p in ("caf", "dsden"))


def test_a_logo_report_answers_per_party_and_carries_its_annotated_pages() -> None:
    """result_for finds a party's line (KeyError for a stranger); with_annotations keeps the rest."""
    from pathlib import Path

    import pytest

    from comms_approval.domain.logos import LogoReport, LogoStatus, PartyLogoResult

    report = LogoReport(
        file="a.png",
        pages=1,
        parties=(PartyLogoResult("caf", LogoStatus.PRESENT, 0.9, 1, (0.1, 0.1, 0.2, 0.2), 20.0),),
        elapsed_ms=5.0,
    )
    assert report.result_for("caf").status is LogoStatus.PRESENT
    with pytest.raises(KeyError):
        report.result_for("unknown")
    annotated = report.with_annotations([Path("a-page1.png")])
    assert annotated.annotated_pages == (Path("a-page1.png"),)
    assert annotated.parties == report.parties
