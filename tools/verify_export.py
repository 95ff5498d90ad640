#!/usr/bin/env python3
"""Verify an `audit export --format jsonl` bundle offline: Python 3.11+ standard library only, no database.

Usage:
    python3 verify_export.py BUNDLE.jsonl [--anchor SEQ:SHA256 ...] [--checkpoint FILE [--key-env VAR]]

It recomputes every event hash exactly as comms_approval.domain.audit_chain does (canonical JSON: sorted
keys, no spaces, UTF-8 kept; SHA-256 of the event body, which includes the previous event's hash and the
SHA-256 of the payload), checks the links and the sequence, checks each payload still present against its
committed digest, checks that each erased payload is accounted for by a later `retention_purged` event of
the same convention listing its sequence number in `seq_ranges` (any other missing payload breaks the chain;
one marked `payload_withheld`, in an auditor's partial export from the web, is counted apart), and checks
that the anchors (SEQ:HASH printed in the conclusion e-mails, or a signed checkpoint file) are in the
chain, which detects a truncated tail.

Exit status: 0 intact, 1 broken (the first bad sequence number is named), 2 unusable input.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import hmac
import json
import os
import sys

# This is a command-line tool: print() is its interface (ruff T201 is about stray debugging prints).
# ruff: noqa: T201
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

CHAIN_VERSION = "sha256-canonical-json/v1"
CHECKPOINT_FORMAT = "comms-approval-checkpoint/v1"
GENESIS_HASH = "0" * 64
RETENTION_PURGE_KIND = "retention_purged"


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_iso(value: str) -> str:
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"instant without time zone: {value!r}")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(event: dict[str, object]) -> str:
    body = {
        "v": event["chain"],
        "seq": event["seq"],
        "occurred_at": utc_iso(str(event["occurred_at"])),
        "kind": event["kind"],
        "convention_id": event["convention_id"],
        "communication_id": event["communication_id"],
        "version_id": event["version_id"],
        "request_id": event["request_id"],
        "party_id": event["party_id"],
        "payload_sha256": event["payload_sha256"],
        "prev_hash": event["prev_hash"],
    }
    return sha256_hex(canonical_json(body))


def purged_seq_ranges(payload: object) -> list[tuple[int, int]]:
    """The (first, last) runs of sequence numbers a retention purge payload says it erased (none if malformed)."""
    runs = payload.get("seq_ranges") if isinstance(payload, dict) else None
    if not isinstance(runs, list):
        return []
    return [
        (run[0], run[1])
        for run in runs
        if isinstance(run, list)
        and len(run) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in run)
    ]


def first_unaccounted_erasure(
    erased: list[tuple[int, object]], purges: list[tuple[int, object, list[tuple[int, int]]]]
) -> int | None:
    """The first erased payload no later purge of the same convention records (as audit_chain.verify_chain)."""
    covered: dict[object, list[tuple[int, int]]] = {}
    for purge_seq, owner, runs in purges:
        for first, last in runs:
            before = min(last, purge_seq - 1)  # a purge erases payloads written before it
            if first <= before:
                covered.setdefault(owner, []).append((first, before))
    merged: dict[object, tuple[list[int], list[int]]] = {}
    for owner, owned in covered.items():
        starts: list[int] = []
        ends: list[int] = []
        for first, last in sorted(owned):
            if ends and first <= ends[-1] + 1:
                ends[-1] = max(ends[-1], last)
            else:
                starts.append(first)
                ends.append(last)
        merged[owner] = (starts, ends)
    for seq, owner in erased:
        starts, ends = merged.get(owner, ([], []))
        index = bisect.bisect_right(starts, seq) - 1
        if index < 0 or ends[index] < seq:
            return seq
    return None


class Report:
    """What the walk found; `problem` is None when the bundle is intact."""

    def __init__(self) -> None:
        self.events = 0
        self.payloads_checked = 0
        self.payloads_erased = 0
        self.payloads_withheld = 0
        self.head_seq = 0
        self.head_hash = GENESIS_HASH
        self.first_bad_seq: int | None = None
        self.problem: str | None = None

    def fail(self, seq: int, problem: str) -> Report:
        self.first_bad_seq, self.problem = seq, problem
        return self


def verify_lines(lines: Iterable[str], anchors: Iterable[tuple[int, str]] = ()) -> Report:
    """Walk the bundle in order; stop at the first problem, as `audit verify` does."""
    report = Report()
    seen: dict[int, str] = {}
    erased: list[tuple[int, object]] = []
    purges: list[tuple[int, object, list[tuple[int, int]]]] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            seq = event["seq"]
            if event["chain"] != CHAIN_VERSION:
                return report.fail(seq, f"line {number}: unknown chain format {event['chain']!r}")
            digest = event_hash(event)
        except (ValueError, KeyError, TypeError) as error:
            return report.fail(expected_seq, f"line {number}: unreadable event ({error})")
        if seq != expected_seq:
            bad = seq if seq < expected_seq else expected_seq
            return report.fail(bad, f"sequence gap or reorder: expected {expected_seq}, found {seq}")
        if event["prev_hash"] != prev_hash:
            return report.fail(seq, "link to the previous event does not match")
        if digest != event["hash"]:
            return report.fail(seq, "event content does not match its hash")
        payload = event.get("payload")
        if payload is None and event.get("payload_withheld") is True:
            # A partial export (an auditor's, from the web): the payload exists but is not shown to them.
            report.payloads_withheld += 1
        elif payload is None:
            report.payloads_erased += 1
            erased.append((seq, event["convention_id"]))
        elif sha256_hex(canonical_json(payload)) != event["payload_sha256"]:
            return report.fail(seq, "payload does not match its committed digest")
        else:
            report.payloads_checked += 1
            if event["kind"] == RETENTION_PURGE_KIND:
                purges.append((seq, event["convention_id"], purged_seq_ranges(payload)))
        seen[seq] = digest
        report.events += 1
        report.head_seq, report.head_hash = seq, digest
        expected_seq, prev_hash = seq + 1, digest
    bad = first_unaccounted_erasure(erased, purges)
    if bad is not None:
        report.events = bad - 1  # intact up to the event before, as for the other failures
        report.head_seq, report.head_hash = bad - 1, seen.get(bad - 1, GENESIS_HASH)
        return report.fail(
            bad,
            f"payload of event {bad} erased outside any retention purge "
            f"(no {RETENTION_PURGE_KIND} event records it) / contenu de l'événement n° {bad} "
            f"effacé hors de toute purge de conservation (aucun événement {RETENTION_PURGE_KIND} "
            "ne l'enregistre)",
        )
    for anchor_seq, anchor_hash in anchors:
        if anchor_seq > report.head_seq:
            return report.fail(
                report.head_seq + 1,
                f"trail ends at event {report.head_seq} but an anchor shows event {anchor_seq}",
            )
        if seen.get(anchor_seq) != anchor_hash:
            return report.fail(anchor_seq, f"event {anchor_seq} differs from the anchored hash")
    return report


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise argparse.ArgumentTypeError("an anchor is SEQ:SHA256, as printed in a conclusion e-mail")
    return int(seq), digest


def checkpoint_anchor(path: str, key: str | None) -> tuple[int, str]:
    """The head a signed checkpoint file holds; its HMAC is checked when the secret key is given."""
    with Path(path).open(encoding="utf-8") as handle:
        document = json.load(handle)
    if document.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} file")
    if key is not None:
        body = {k: document[k] for k in ("format", "chain", "seq", "hash", "created_at")}
        expected = hmac.new(
            key.encode("utf-8"), canonical_json(body).encode("utf-8"), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, str(document.get("hmac_sha256", ""))):
            raise ValueError(f"the signature of {path} does not match")
    return int(document["seq"]), str(document["hash"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an exported audit trail offline.")
    parser.add_argument("bundle", help="the JSONL file written by `comms-approval audit export`")
    parser.add_argument("--anchor", action="append", type=parse_anchor, default=[], help="SEQ:SHA256")
    parser.add_argument("--checkpoint", action="append", default=[], help="a signed checkpoint file")
    parser.add_argument("--key-env", help="environment variable holding the secret key (checks signatures)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    anchors = list(args.anchor)
    key = os.environ.get(args.key_env) if args.key_env else None
    if args.key_env and key is None:
        print(f"error: the environment variable {args.key_env} is not set", file=sys.stderr)
        return 2
    try:
        anchors += [checkpoint_anchor(path, key) for path in args.checkpoint]
        with Path(args.bundle).open(encoding="utf-8") as handle:
            report = verify_lines(handle, anchors)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(vars(report), sort_keys=True))
    elif report.problem is None:
        withheld = (
            f", {report.payloads_withheld} withheld (partial export)" if report.payloads_withheld else ""
        )
        print(
            f"OK: {report.events} events, head {report.head_seq} {report.head_hash}; "
            f"{report.payloads_checked} payloads checked, {report.payloads_erased} erased{withheld}; "
            f"{len(anchors)} anchor(s) found in the chain"
        )
    else:
        print(
            f"BROKEN at event {report.first_bad_seq}: {report.problem} (intact up to event {report.head_seq})"
        )
    return 0 if report.problem is None else 1


if __name__ == "__main__":
    sys.exit(main())
