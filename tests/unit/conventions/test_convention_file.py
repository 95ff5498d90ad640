"""Convention files: the demo loads, and every kind of mistake is named by file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms_approval.adapters.convention_file import (
    convention_from_spec,
    convention_to_spec,
    load_convention,
    parse_convention,
)
from comms_approval.domain.convention import DeadlineRule
from comms_approval.domain.errors import ConventionFileError

REPO = Path(__file__).resolve().parents[3]
LOGO = REPO / "assets" / "logos" / "caf.png"

VALID = f"""
[convention]
id = "test-57"
title = "Convention test"
territory = "57"
signed_on = 2025-09-01
duration_years = 3

[[parties]]
id = "a"
name = "Partie A"
short_name = "A"
approvers = ["a@example.org"]
logos = ["{LOGO}"]

[[parties]]
id = "b"
name = "Partie B"
short_name = "B"
approvers = ["b@example.org"]
logos = ["{LOGO}"]
"""


def parse(text: str, tmp_path: Path) -> object:
    return parse_convention(text, tmp_path / "convention.toml")


def test_the_demo_convention_loads_with_its_five_parties_and_the_obsolete_logo() -> None:
    """The shipped demo is valid; the departmental council declares its pre-2015 logo as obsolete."""
    convention = load_convention(REPO / "conventions" / "demo.toml")
    assert convention.party_ids() == ("dsden", "prefet", "dtpjj", "departement", "caf")
    assert convention.party("departement").obsolete_logos[0].name == "conseil-general-2014.png"
    assert all(logo.is_file() for party in convention.parties for logo in party.logos)


def test_defaults_apply_when_optional_fields_are_omitted(tmp_path: Path) -> None:
    """Time zone, silence period, rule and reminders have sensible defaults."""
    convention = parse_convention(VALID, tmp_path / "c.toml")
    assert convention.timezone == "Europe/Paris"
    assert convention.silence_days == 15
    assert convention.deadline_rule is DeadlineRule.CPC
    assert convention.reminders.after_delivery_days == (7,)
    assert convention.reminders.before_deadline_days == (2,)


def test_the_stored_spec_rebuilds_the_same_convention(tmp_path: Path) -> None:
    """What the database keeps is enough to rebuild the domain object exactly, retention included."""
    convention = parse_convention(VALID, tmp_path / "c.toml")
    assert convention.retention is None
    assert convention_from_spec(convention_to_spec(convention)) == convention
    demo = load_convention(REPO / "conventions" / "demo.toml")
    assert demo.retention is not None
    assert demo.retention.evidence_years == 10
    assert convention_from_spec(convention_to_spec(demo)) == demo


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (('territory = "57"', 'territory = "99"'), "convention.territory", "unknown territory"),
        (("[convention]", '[convention]\ncolour = "blue"'), "convention.colour", "unknown field"),
        (('short_name = "B"', 'short_name = "B"\nfax = "x"'), "parties[b].fax", "unknown field"),
        (('id = "b"', 'id = "a"'), "parties[1].id", "duplicate party id"),
        (
            ('approvers = ["b@example.org"]', 'approvers = ["not-an-address"]'),
            "parties[b].approvers",
            "bad e-mail address",
        ),
        (
            ('approvers = ["b@example.org"]', 'approvers = ["b@example.org\\r\\nBcc: x@evil.org"]'),
            "parties[b].approvers",
            "bad e-mail address",
        ),
        (
            ("duration_years = 3", "duration_years = 3\nsilence_days = -2"),
            "convention.silence_days",
            "positive",
        ),
        (("duration_years = 3", "duration_years = 0"), "convention.duration_years", "positive"),
        (
            ("duration_years = 3", 'duration_years = 3\ntimezone = "Mars/Olympus"'),
            "convention.timezone",
            "unknown time zone",
        ),
        (
            ("duration_years = 3", 'duration_years = 3\ndeadline_rule = "lunar"'),
            "convention.deadline_rule",
            "'cpc' or 'calendar'",
        ),
        (
            (
                f'logos = ["{LOGO}"]\n\n[[parties]]\nid = "b"',
                'logos = ["missing.png"]\n\n[[parties]]\nid = "b"',
            ),
            "parties[a].logos",
            "logo file not found",
        ),
        (("signed_on = 2025-09-01", 'signed_on = "yesterday"'), "convention.signed_on", "must be a date"),
        (
            ("duration_years = 3", "duration_years = 3\n[convention.reminders]\nafter_delivery_days = [20]"),
            "convention.reminders.after_delivery_days",
            "not inside the 15-day silence period",
        ),
    ],
)
def test_each_mistake_names_the_file_the_field_and_the_problem(
    tmp_path: Path, change: tuple[str, str], field: str, problem: str
) -> None:
    """A clear message: '<file>: <field>: <problem>'."""
    text = VALID.replace(change[0], change[1], 1)
    with pytest.raises(ConventionFileError) as caught:
        parse(text, tmp_path)
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(tmp_path / "convention.toml") in str(caught.value)


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    """Syntax errors carry the parser's position."""
    with pytest.raises(ConventionFileError, match=r"not valid TOML"):
        parse("[convention\nid=", tmp_path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    """Not found is said plainly."""
    with pytest.raises(ConventionFileError, match="file not found"):
        load_convention(tmp_path / "nope.toml")


def test_a_convention_needs_two_parties(tmp_path: Path) -> None:
    """A partnership of one is refused."""
    text = VALID[: VALID.index('[[parties]]\nid = "b"')]
    with pytest.raises(ConventionFileError, match="at least two"):
        parse(text, tmp_path)
