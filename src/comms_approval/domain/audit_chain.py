"""The audit trail's hash chain: canonical JSON, event hashes, and verification of any sequence of events."""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64
CHAIN_VERSION = "sha256-canonical-json/v1"
# The audit kind of a retention purge (lifecycle_events.RetentionPurged.kind): its payload lists, as
# `seq_ranges`, the events whose payload it erased. It is the only legitimate way for a payload to go.
RETENTION_PURGE_KIND = "retention_purged"


def canonical_json(value: object) -> str:
    """One byte-exact JSON form: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("audit instants must be timezone-aware")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ChainedEvent:
    """The hashed part of an audit event (everything but the erasable payload, which is committed by hash)."""

    seq: int
    occurred_at: datetime
    kind: str
    convention_id: str | None
    communication_id: int | None
    version_id: int | None
    request_id: int | None
    party_id: str | None
    payload_sha256: str
    prev_hash: str
    hash: str = ""

    def body(self) -> dict[str, object]:
        return {
            "v": CHAIN_VERSION,
            "seq": self.seq,
            "occurred_at": _iso(self.occurred_at),
            "kind": self.kind,
            "convention_id": self.convention_id,
            "communication_id": self.communication_id,
            "version_id": self.version_id,
            "request_id": self.request_id,
            "party_id": self.party_id,
            "payload_sha256": self.payload_sha256,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return sha256_hex(canonical_json(self.body()))


def purged_seq_ranges(payload_text: str) -> list[tuple[int, int]]:
    """The (first, last) runs of sequence numbers a retention purge payload says it erased (none if malformed)."""
    try:
        runs = json.loads(payload_text).get("seq_ranges")
    except (ValueError, AttributeError):
        return []
    if not isinstance(runs, list):
        return []
    return [
        (run[0], run[1])
        for run in runs
        if isinstance(run, list)
        and len(run) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in run)
    ]


class _ErasureLedger:
    """Erased payloads met during a walk, and the sequence numbers retention purges say they erased."""

    def __init__(self) -> None:
        self.erased: list[tuple[int, str | None]] = []
        self._runs: dict[str | None, list[tuple[int, int]]] = {}

    def purge(self, purge_seq: int, convention_id: str | None, runs: list[tuple[int, int]]) -> None:
        # A purge erases payloads already written: only the part of a run before the purge event counts.
        for first, last in runs:
            before = min(last, purge_seq - 1)
            if first <= before:
                self._runs.setdefault(convention_id, []).append((first, before))

    def first_unaccounted(self) -> tuple[int, str] | None:
        """The first erased payload that no later purge of the same convention records, with the reason."""
        merged: dict[str | None, tuple[list[int], list[int]]] = {}
        for owner, runs in self._runs.items():
            starts: list[int] = []
            ends: list[int] = []
            for first, last in sorted(runs):
                if ends and first <= ends[-1] + 1:
                    ends[-1] = max(ends[-1], last)
                else:
                    starts.append(first)
                    ends.append(last)
            merged[owner] = (starts, ends)
        for seq, convention_id in self.erased:
            starts, ends = merged.get(convention_id, ([], []))
            index = bisect_right(starts, seq) - 1
            if index < 0 or ends[index] < seq:
                return seq, (
                    f"payload of event {seq} erased outside any retention purge "
                    f"(no {RETENTION_PURGE_KIND} event records it) / contenu de l'événement n° {seq} "
                    f"effacé hors de toute purge de conservation (aucun événement {RETENTION_PURGE_KIND} "
                    "ne l'enregistre)"
                )
        return None


def payload_digest(payload: Mapping[str, object]) -> tuple[str, str]:
    """Return (canonical payload text, its SHA-256)."""
    text = canonical_json(dict(payload))
    return text, sha256_hex(text)


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of a chain verification: where it broke, if it did, and the head it reached."""

    ok: bool
    events_checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    payloads_checked: int = 0
    payloads_erased: int = 0


def verify_chain(
    events: Iterable[ChainedEvent],
    payloads: Mapping[int, str] | None = None,
    *,
    expected_head: tuple[int, str] | None = None,
) -> VerificationResult:
    """Walk events in stored order; any edit, deletion, insertion or reordering breaks a link or a hash.

    `payloads` (seq -> canonical text) are checked against their committed digests when still present;
    an erased payload is legal only when a later `retention_purged` event of the same convention lists its
    sequence number in `seq_ranges` (whoever can DELETE a payload row could otherwise pass the deletion off
    as retention): the first erasure no purge accounts for breaks the chain. `expected_head` is an anchor
    held outside the database (a conclusion e-mail or a signed checkpoint): it detects a truncated tail.
    """
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = checked = erased = 0
    last_seq, last_hash = 0, GENESIS_HASH
    seen: dict[int, str] = {}
    ledger = _ErasureLedger()
    for event in events:
        count += 1
        if event.seq != expected_seq:
            return VerificationResult(
                False,
                count - 1,
                last_seq,
                last_hash,
                event.seq if event.seq < expected_seq else expected_seq,
                f"sequence gap or reorder: expected {expected_seq}, found {event.seq}",
                checked,
                erased,
            )
        if event.prev_hash != prev_hash:
            return VerificationResult(
                False,
                count - 1,
                last_seq,
                last_hash,
                event.seq,
                "link to the previous event does not match",
                checked,
                erased,
            )
        if event.compute_hash() != event.hash:
            return VerificationResult(
                False,
                count - 1,
                last_seq,
                last_hash,
                event.seq,
                "event content does not match its hash",
                checked,
                erased,
            )
        if payloads is not None:
            text = payloads.get(event.seq)
            if text is None:
                erased += 1
                ledger.erased.append((event.seq, event.convention_id))
            elif sha256_hex(text) != event.payload_sha256:
                return VerificationResult(
                    False,
                    count - 1,
                    last_seq,
                    last_hash,
                    event.seq,
                    "payload does not match its committed digest",
                    checked,
                    erased,
                )
            else:
                checked += 1
                if event.kind == RETENTION_PURGE_KIND:
                    ledger.purge(event.seq, event.convention_id, purged_seq_ranges(text))
        seen[event.seq] = event.hash
        prev_hash = event.hash
        last_seq, last_hash = event.seq, event.hash
        expected_seq += 1
    unaccounted = ledger.first_unaccounted()
    if unaccounted is not None:
        bad_seq, problem = unaccounted
        # Intact up to the event before the unaccounted erasure (as for the other failures).
        return VerificationResult(
            False,
            bad_seq - 1,
            bad_seq - 1,
            seen.get(bad_seq - 1, GENESIS_HASH),
            bad_seq,
            problem,
            checked,
            erased,
        )
    if expected_head is not None:
        head_seq, head_hash = expected_head
        if head_seq > last_seq:
            return VerificationResult(
                False,
                count,
                last_seq,
                last_hash,
                last_seq + 1,
                f"trail ends at event {last_seq} but an anchor shows event {head_seq}",
                checked,
                erased,
            )
        if seen.get(head_seq) != head_hash:
            return VerificationResult(
                False,
                count,
                last_seq,
                last_hash,
                head_seq,
                f"event {head_seq} differs from the anchored hash",
                checked,
                erased,
            )
    return VerificationResult(True, count, last_seq, last_hash, None, None, checked, erased)
