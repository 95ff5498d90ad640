"""An erased payload is legal only when a later retention purge of the same convention records its erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from comms_approval.domain.audit_chain import (
    GENESIS_HASH,
    RETENTION_PURGE_KIND,
    ChainedEvent,
    canonical_json,
    payload_digest,
    purged_seq_ranges,
    verify_chain,
)
from comms_approval.domain.lifecycle_events import RetentionPurged

T0 = datetime(2026, 4, 23, 8, 0, tzinfo=UTC)
Spec = tuple[str, str | None, dict[str, object]]  # kind, convention, payload


def build(specs: list[Spec]) -> tuple[list[ChainedEvent], dict[int, str]]:
    events, payloads, prev = [], {}, GENESIS_HASH
    for seq, (kind, convention, payload) in enumerate(specs, start=1):
        text, digest = payload_digest(payload)
        event = ChainedEvent(
            seq, T0 + timedelta(minutes=seq), kind, convention, None, None, None, None, digest, prev
        )
        event = replace(event, hash=event.compute_hash())
        events.append(event)
        payloads[seq] = text
        prev = event.hash
    return events, payloads


def decision(convention: str | None = "c1") -> Spec:
    return ("decision_recorded", convention, {"who": "someone@example.org", "comment": "non"})


def purge(ranges: object, convention: str | None = "c1") -> Spec:
    return (RETENTION_PURGE_KIND, convention, {"category": "evidence", "items": 1, "seq_ranges": ranges})


def erase(payloads: dict[int, str], *seqs: int) -> dict[int, str]:
    return {seq: text for seq, text in payloads.items() if seq not in seqs}


def test_the_purge_kind_is_the_retention_event_kind() -> None:
    """The domain walk and the retention service agree on what a purge is called."""
    assert RetentionPurged.kind == RETENTION_PURGE_KIND


def test_a_payload_deleted_outside_any_purge_breaks_the_chain_at_that_event() -> None:
    """A bare DELETE FROM audit_payloads is no longer passed off as retention."""
    events, payloads = build([decision(), decision(), decision()])
    result = verify_chain(events, erase(payloads, 2))
    assert (result.ok, result.first_bad_seq, result.head_seq) == (False, 2, 1)
    assert result.head_hash == events[0].hash and result.events_checked == 1
    assert result.problem is not None
    assert "payload of event 2 erased outside any retention purge" in result.problem
    assert "contenu de l'événement n° 2 effacé hors de toute purge de conservation" in result.problem
    assert (result.payloads_checked, result.payloads_erased) == (2, 1)
    first = verify_chain(events, erase(payloads, 1, 3))
    assert (first.first_bad_seq, first.head_seq, first.head_hash) == (1, 0, GENESIS_HASH)


def test_a_payload_erased_by_a_later_purge_of_its_convention_is_legal() -> None:
    """The legitimate retention flow: the purge event lists the runs it erased, after them."""
    events, payloads = build([decision(), decision(), decision(), decision(), purge([[1, 2], [4, 4]])])
    result = verify_chain(events, erase(payloads, 1, 2, 4))
    assert (result.ok, result.payloads_erased, result.payloads_checked) == (True, 3, 2)
    assert result.problem is None


def test_overlapping_and_adjacent_runs_of_several_purges_merge() -> None:
    """Runs from several purges join; an erased event in a gap between runs is still caught."""
    specs = [decision() for _ in range(7)] + [purge([[1, 2], [2, 3]]), purge([[4, 4], [6, 6]])]
    events, payloads = build(specs)
    assert verify_chain(events, erase(payloads, 1, 2, 3, 4, 6)).ok
    gap = verify_chain(events, erase(payloads, 1, 5))
    assert (gap.ok, gap.first_bad_seq) == (False, 5)
    beyond = verify_chain(events, erase(payloads, 7))
    assert (beyond.ok, beyond.first_bad_seq) == (False, 7)


def test_a_purge_of_another_convention_does_not_account_for_an_erasure() -> None:
    """Retention erases convention by convention; a purge elsewhere proves nothing here."""
    events, payloads = build([decision("c1"), decision(None), purge([[1, 2]], convention="c2")])
    result = verify_chain(events, erase(payloads, 1))
    assert (result.ok, result.first_bad_seq) == (False, 1)
    no_convention = build([decision(None), purge([[1, 1]], convention=None)])
    assert verify_chain(no_convention[0], erase(no_convention[1], 1)).ok


def test_a_purge_cannot_account_for_events_written_after_it() -> None:
    """A purge erases what already exists: a range reaching past its own event does not cover later ones."""
    events, payloads = build([decision(), purge([[1, 5], [3, 4]]), decision(), decision()])
    assert verify_chain(events, erase(payloads, 1)).ok
    result = verify_chain(events, erase(payloads, 3))
    assert (result.ok, result.first_bad_seq) == (False, 3)
    itself = verify_chain(events, erase(payloads, 2))
    assert (itself.ok, itself.first_bad_seq) == (False, 2)  # a purge record is never erased


def test_a_purge_whose_record_is_gone_or_malformed_accounts_for_nothing() -> None:
    """The ranges are read from the purge payload itself, checked against its digest first."""
    events, payloads = build([decision(), purge([[1, 1]])])
    result = verify_chain(events, erase(payloads, 1, 2))
    assert (result.ok, result.first_bad_seq) == (False, 1)
    for ranges in ("1-1", [[1]], [[1, "1"]], [[True, True]], [(1, 1, 1)], None):
        events, payloads = build([decision(), purge(ranges)])
        assert verify_chain(events, erase(payloads, 1)).first_bad_seq == 1, ranges


def test_purged_ranges_are_read_defensively() -> None:
    """Anything but a list of [first, last] integer pairs yields no range."""
    assert purged_seq_ranges(canonical_json({"seq_ranges": [[1, 3], [5, 5]]})) == [(1, 3), (5, 5)]
    assert purged_seq_ranges(canonical_json({"seq_ranges": [[1, 2], "x", [3]]})) == [(1, 2)]
    assert purged_seq_ranges(canonical_json([[1, 2]])) == []
    assert purged_seq_ranges(canonical_json({"seq_ranges": {"1": 2}})) == []
    assert purged_seq_ranges(canonical_json({})) == []
    assert purged_seq_ranges("not json") == []


def test_without_payloads_nothing_is_counted_as_erased() -> None:
    """Verifying the events alone (no payload map) does not judge erasures."""
    events, _ = build([decision(), decision()])
    result = verify_chain(events)
    assert (result.ok, result.payloads_erased) == (True, 0)


def test_an_edited_payload_still_breaks_the_chain_and_a_purged_one_does_not() -> None:
    """Retention may erase, never edit: the digest check is unchanged."""
    events, payloads = build([decision(), decision(), purge([[1, 1]])])
    edited = erase(payloads, 1)
    edited[2] = canonical_json({"who": "someone-else@example.org"})
    result = verify_chain(events, edited)
    assert (result.ok, result.first_bad_seq, result.payloads_erased) == (False, 2, 1)
    assert result.problem == "payload does not match its committed digest"
