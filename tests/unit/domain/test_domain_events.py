"""Domain events are plain past-tense values with a JSON-ready payload for the audit trail."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any

import pytest

from comms_approval.domain import events as ev
from comms_approval.domain.deadlines import compute_deadline
from comms_approval.domain.events import EVENT_TYPES, to_json_ready
from comms_approval.domain.requests import RequestState

NOW = datetime(2026, 4, 23, 8, 0, tzinfo=UTC)


class TestEventPayloads:
    def test_every_event_kind_is_registered_once_and_named_in_snake_case(self) -> None:
        assert len(EVENT_TYPES) == 17
        assert all(kind == kind.lower() and " " not in kind for kind in EVENT_TYPES)
        assert EVENT_TYPES["deemed_approved"] is ev.DeemedApproved

    def test_request_delivered_carries_the_whole_deadline_for_auditors(self) -> None:
        deadline = compute_deadline(datetime.fromisoformat("2026-04-23T10:00:00+02:00"))
        event = ev.RequestDelivered(
            occurred_at=NOW, request_id="r1", version_id="v1", party_id="caf", deadline=deadline
        )

        payload = event.payload()

        assert payload["occurred_at"] == "2026-04-23T08:00:00+00:00"
        assert payload["deadline"] == deadline.as_dict()
        assert "kind" not in payload
        assert ev.RequestDelivered.kind == "request_delivered"
        json.dumps(payload)

    def test_tuples_dates_enums_and_mappings_become_json_values(self) -> None:
        event = ev.VersionCleared(
            occurred_at=NOW,
            version_id="v1",
            convention_id="c1",
            outcomes={"caf": RequestState.DEEMED_APPROVED},
        )
        termination = ev.PartyTerminationRecorded(
            occurred_at=NOW, convention_id="c1", party_id="caf", requested_on=date(2026, 7, 1),
            effective_on=date(2027, 9, 1), recorded_by="officer@example.org",
        )  # fmt: skip

        assert event.payload()["outcomes"] == {"caf": "deemed_approved"}
        assert termination.payload()["effective_on"] == "2027-09-01"

    def test_sets_are_sorted_so_the_canonical_form_is_stable(self) -> None:
        assert to_json_ready(frozenset({"b", "a", "c"})) == ["a", "b", "c"]
        assert to_json_ready(("x", 1, None, True, 2.5)) == ["x", 1, None, True, 2.5]

    def test_an_unknown_value_type_is_refused_rather_than_stringified(self) -> None:
        with pytest.raises(TypeError, match="object"):
            to_json_ready(object())

    def test_events_are_immutable(self) -> None:
        event = ev.ReminderSent(
            occurred_at=NOW,
            request_id="r1",
            version_id="v1",
            party_id="caf",
            slot="after-7d",
            deadline_at=NOW,
        )
        with pytest.raises(FrozenInstanceError):
            event.slot = "before-2d"  # type: ignore[misc]

    def test_an_event_without_a_time_zone_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            ev.ClockOverridden(
                occurred_at=datetime(2026, 4, 23),  # noqa: DTZ001 - the point of the test
                now=NOW,
                overridden_by="demo",
                environment="development",
            )

    def test_every_event_kind_builds_and_serialises(self) -> None:
        deadline = compute_deadline(NOW)
        common: dict[str, Any] = {"occurred_at": NOW}
        samples = [
            ev.DraftSubmitted(
                **common,
                convention_id="c",
                version_id="v",
                party_id="p",
                submitted_by="o@x.fr",
                sha256="0" * 64,
                filename="a.pdf",
            ),
            ev.LogoCheckCompleted(**common, version_id="v", passed=False, missing_party_ids=("caf",)),
            ev.LogoOverrideRecorded(
                **common, version_id="v", party_id="caf", officer="o@x.fr", justification="ok"
            ),
            ev.RequestOpened(**common, request_id="r", version_id="v", party_id="caf", addresses=("a@x.fr",)),
            ev.RequestDelivered(**common, request_id="r", version_id="v", party_id="caf", deadline=deadline),
            ev.DeliveryFailed(
                **common, request_id="r", version_id="v", party_id="caf", reason="550", bounce=True
            ),
            ev.RequestResent(**common, request_id="r", version_id="v", party_id="caf", resent_by="o@x.fr"),
            ev.ReminderSent(
                **common,
                request_id="r",
                version_id="v",
                party_id="caf",
                slot="after-7d",
                deadline_at=deadline.deadline,
            ),
            ev.DecisionRecorded(
                **common,
                request_id="r",
                version_id="v",
                party_id="caf",
                decision="objected",
                decided_by="a@x.fr",
                comment="Logo trop petit.",
            ),
            ev.DeemedApproved(
                **common, request_id="r", version_id="v", party_id="caf", deadline_at=deadline.deadline
            ),
            ev.RequestWithdrawn(
                **common, request_id="r", version_id="v", party_id="caf", reason="superseded"
            ),
            ev.VersionCleared(**common, version_id="v", convention_id="c", outcomes={}),
            ev.VersionBlocked(
                **common, version_id="v", convention_id="c", objecting_party_id="caf", reason="non"
            ),
            ev.VersionSuperseded(**common, version_id="v", convention_id="c", superseded_by_version_id="v2"),
            ev.ClockOverridden(**common, now=NOW, overridden_by="demo", environment="development"),
            ev.ConventionLoaded(**common, convention_id="c", source="demo.toml", sha256="1" * 64),
            ev.PartyTerminationRecorded(
                **common,
                convention_id="c",
                party_id="caf",
                requested_on=date(2026, 1, 1),
                effective_on=date(2026, 9, 1),
                recorded_by="o@x.fr",
            ),
        ]

        assert {type(sample).kind for sample in samples} == set(EVENT_TYPES)
        for sample in samples:
            assert json.loads(json.dumps(sample.payload()))["occurred_at"] == NOW.isoformat()


class Colour(StrEnum):
    RED = "red"


class Size(Enum):
    LARGE = 3


def test_enum_members_are_stored_as_their_plain_value() -> None:
    stored = to_json_ready([Colour.RED, Size.LARGE])

    assert stored == ["red", 3]
    assert isinstance(stored, list)
    assert type(stored[0]) is str
