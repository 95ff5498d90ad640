"""The hash chain in isolation: canonical form, links, and every way a sequence can be tampered with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from comms_approval.domain.audit_chain import (
    GENESIS_HASH,
    ChainedEvent,
    canonical_json,
    payload_digest,
    sha256_hex,
    verify_chain,
)

T0 = datetime(2026, 4, 23, 8, 0, tzinfo=UTC)


def chain(count: int) -> tuple[list[ChainedEvent], dict[int, str]]:
    events, payloads, prev = [], {}, GENESIS_HASH
    for seq in range(1, count + 1):
        text, digest = payload_digest({"n": seq, "who": f"p{seq}@example.org"})
        event = ChainedEvent(seq, T0 + timedelta(minutes=seq), "e", "c", seq, None, None, "p", digest, prev)
        event = replace(event, hash=event.compute_hash())
        events.append(event)
        payloads[seq] = text
        prev = event.hash
    return events, payloads


def test_canonical_json_is_byte_stable_whatever_the_key_order() -> None:
    """Sorted keys, no spaces, accents kept."""
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    assert canonical_json({"a": "é", "b": 1}) == canonical_json({"b": 1, "a": "é"})


def test_canonical_json_refuses_nan() -> None:
    """NaN has no canonical JSON form."""
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_naive_instants_cannot_be_hashed() -> None:
    """The chain only knows UTC instants."""
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    event = ChainedEvent(1, naive, "e", None, None, None, None, None, sha256_hex("{}"), GENESIS_HASH)
    with pytest.raises(ValueError):
        event.compute_hash()


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    """Four events, four payloads, head is event 4."""
    events, payloads = chain(4)
    result = verify_chain(events, payloads)
    assert (result.ok, result.events_checked, result.head_seq, result.payloads_checked) == (True, 4, 4, 4)
    assert result.head_hash == events[-1].hash


def test_without_payloads_only_the_chain_is_checked() -> None:
    """Payload checks are optional."""
    events, _ = chain(2)
    result = verify_chain(events)
    assert result.ok
    assert result.payloads_checked == 0


def test_an_edited_field_breaks_that_event() -> None:
    """The stored hash no longer matches."""
    events, payloads = chain(4)
    events[2] = replace(events[2], party_id="forged")
    result = verify_chain(events, payloads)
    assert (result.ok, result.first_bad_seq, result.head_seq) == (False, 3, 2)


def test_a_rehashed_edit_breaks_the_next_link() -> None:
    """Recomputing the edited event's hash does not help: the next event points to the old one."""
    events, payloads = chain(4)
    forged = replace(events[1], kind="forged")
    events[1] = replace(forged, hash=forged.compute_hash())
    result = verify_chain(events, payloads)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.problem is not None
    assert "link" in result.problem


def test_a_deleted_event_leaves_a_gap() -> None:
    """Sequence numbers must be contiguous."""
    events, payloads = chain(4)
    del events[1]
    assert verify_chain(events, payloads).first_bad_seq == 2


def test_a_duplicated_event_is_a_reorder() -> None:
    """An event replayed in the sequence is caught at the replay."""
    events, payloads = chain(3)
    events.insert(2, events[1])
    result = verify_chain(events, payloads)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_an_edited_payload_is_caught_by_its_digest_and_an_unaccounted_erasure_too() -> None:
    """Retention may erase, never edit; an erasure no retention purge records breaks the chain
    (the legal, purged case: test_audit_chain_erasure.py)."""
    events, payloads = chain(3)
    erased = dict(payloads)
    del erased[2]
    gone = verify_chain(events, erased)
    assert (gone.ok, gone.first_bad_seq, gone.payloads_erased) == (False, 2, 1)
    edited = dict(payloads)
    edited[3] = '{"n":3,"who":"someone-else@example.org"}'
    assert verify_chain(events, edited).first_bad_seq == 3


def test_an_anchor_beyond_the_tail_reveals_truncation() -> None:
    """A head hash held by a party shows that events were cut off."""
    events, payloads = chain(5)
    anchor = (5, events[4].hash)
    result = verify_chain(events[:3], payloads, expected_head=anchor)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_an_anchor_that_differs_from_the_stored_event_is_reported() -> None:
    """The stored event at the anchor's position must have the anchored hash."""
    events, payloads = chain(5)
    result = verify_chain(events, payloads, expected_head=(3, "f" * 64))
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert verify_chain(events, payloads, expected_head=(3, events[2].hash)).ok
