"""Scale: 100 départements x 50 communications x 5 parties of history plus 100 000 open requests.

    .venv/bin/python -m bench.scale.audit_scale [--backend sqlite|postgres|both] [--factor 1 10]

Per factor F: 100*F conventions' worth of history (50 communications each, one cleared version, four
routed partners, 15 chained audit events per communication) and 100 000*F open requests (1 000*F due).
Measured: the auditor's history of one communication (time and rows touched), the verification of the
whole chain (time, events/s), and one sweep. Per-item queries should stay flat, verification linear.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.workflow.common import (
    NOW,
    PARTNERS,
    bulk_open_requests,
    context,
    fresh_database,
    with_demo_convention,
)
from comms_approval.adapters.db.tables import (
    AuditEventRow,
    AuditHeadRow,
    AuditPayloadRow,
    CommunicationRow,
    ConventionRow,
    RequestRow,
    VersionRow,
)
from comms_approval.bootstrap import AppContext
from comms_approval.domain.audit_chain import GENESIS_HASH, ChainedEvent, payload_digest
from comms_approval.services.audit import verify_trail
from comms_approval.services.sweep import run_sweep

COMMUNICATIONS_PER_CONVENTION = 50
HISTORY_QUERY = (
    "SELECT e.seq, e.occurred_at, e.kind, e.party_id, e.hash, p.payload FROM audit_events e "
    "LEFT JOIN audit_payloads p ON p.seq = e.seq WHERE e.communication_id = :c ORDER BY e.seq"
)


class _Chain:
    """Appends events in memory exactly as the product does (same hashing), flushed in bulk."""

    def __init__(self, seq: int = 0, prev: str = GENESIS_HASH) -> None:
        self.seq, self.prev = seq, prev
        self.events: list[dict[str, Any]] = []
        self.payloads: list[dict[str, Any]] = []

    def add(self, kind: str, at: Any, refs: dict[str, Any], payload: dict[str, Any]) -> None:
        self.seq += 1
        payload_text, payload_sha = payload_digest(payload)
        event = ChainedEvent(
            seq=self.seq, occurred_at=at, kind=kind, payload_sha256=payload_sha, prev_hash=self.prev, **refs
        )
        digest = event.compute_hash()
        self.events.append(
            {
                **refs,
                "seq": self.seq,
                "occurred_at": at,
                "recorded_at": at,
                "kind": kind,
                "payload_sha256": payload_sha,
                "prev_hash": self.prev,
                "hash": digest,
            }
        )
        self.payloads.append({"seq": self.seq, "payload": payload_text})
        self.prev = digest


def seed_history(ctx: AppContext, conventions: int) -> int:
    """Insert the closed history and its hash chain; returns the number of audit events."""
    with ctx.engine.begin() as conn:
        head = conn.execute(text("SELECT seq, hash FROM audit_head")).first()
        chain = _Chain(*head) if head else _Chain()
        first = chain.seq
        demo = conn.execute(
            text("SELECT title, territory, timezone, spec, spec_sha256 FROM conventions")
        ).one()
        spec = demo[3] if isinstance(demo[3], dict) else json.loads(demo[3])
        conn.execute(
            insert(ConventionRow),
            [
                {
                    "id": f"dept-{d:03d}",
                    "title": demo[0],
                    "territory": demo[1],
                    "timezone": demo[2],
                    "spec": {**spec, "id": f"dept-{d:03d}"},
                    "spec_sha256": demo[4],
                    "loaded_at": NOW,
                }
                for d in range(conventions)
            ],
        )
        comm_id = version_id = 0
        start = NOW - timedelta(days=400)
        for d in range(conventions):
            convention_id = f"dept-{d:03d}"
            comms, versions, requests = [], [], []
            for c in range(COMMUNICATIONS_PER_CONVENTION):
                comm_id += 1
                version_id += 1
                at = start + timedelta(hours=d * 50 + c)
                comms.append(
                    {
                        "id": comm_id,
                        "convention_id": convention_id,
                        "submitting_party": "departement",
                        "officer_email": "com@departement.example.org",
                        "title": f"Communication {comm_id}",
                        "created_at": at,
                    }
                )
                versions.append(
                    {
                        "id": version_id,
                        "communication_id": comm_id,
                        "number": 1,
                        "sha256": f"{version_id:064x}",
                        "stored_path": "documents/x.pdf",
                        "original_filename": "affiche.pdf",
                        "media_kind": "pdf",
                        "pages": 2,
                        "size_bytes": 250_000,
                        "status": "cleared",
                        "logo_report": {},
                        "submitted_at": at,
                        "concluded_at": at + timedelta(days=16),
                    }
                )
                refs = {
                    "convention_id": convention_id,
                    "communication_id": comm_id,
                    "version_id": version_id,
                    "request_id": None,
                    "party_id": "departement",
                }
                chain.add(
                    "draft_submitted", at, refs, {"sha256": f"{version_id:064x}", "filename": "affiche.pdf"}
                )
                chain.add("logo_check_completed", at, refs, {"passed": True})
                for p, party in enumerate(PARTNERS):
                    requests.append(
                        {
                            "version_id": version_id,
                            "party_id": party,
                            "status": "approved",
                            "recipients": [f"{party}@example.org"],
                            "send_round": 1,
                            "opened_at": at,
                            "delivered_at": at,
                            "deadline_at": at + timedelta(days=16),
                            "decision": "approve",
                            "decided_at": at + timedelta(days=p + 1),
                            "closed_at": at + timedelta(days=p + 1),
                        }
                    )
                for kind in ("request_opened", "request_delivered", "decision_recorded"):
                    for party in PARTNERS:
                        chain.add(
                            kind,
                            at,
                            {**refs, "party_id": party},
                            {"party": party, "by": f"{party}@example.org"},
                        )
                chain.add("version_cleared", at + timedelta(days=16), refs, {"outcome": "cleared"})
            conn.execute(insert(CommunicationRow), comms)
            conn.execute(insert(VersionRow), versions)
            conn.execute(insert(RequestRow), requests)
            if len(chain.events) >= 20_000 or d == conventions - 1:
                conn.execute(insert(AuditEventRow), chain.events)
                conn.execute(insert(AuditPayloadRow), chain.payloads)
                chain.events, chain.payloads = [], []
        if head:
            conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": chain.seq, "h": chain.prev})
        else:
            conn.execute(insert(AuditHeadRow), [{"id": 1, "seq": chain.seq, "hash": chain.prev}])
    if ctx.engine.dialect.name == "postgresql":
        with ctx.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return chain.seq - first


def history_of_one(ctx: AppContext, communications: int, samples: int = 25) -> dict[str, object]:
    rng = random.Random(7)
    times, rows, touched = [], [], []
    postgres = ctx.engine.dialect.name == "postgresql"
    with ctx.engine.connect() as conn:
        for _ in range(samples):
            cid = rng.randint(1, communications)
            started = time.perf_counter()
            found = conn.execute(text(HISTORY_QUERY), {"c": cid}).all()
            times.append(time.perf_counter() - started)
            rows.append(len(found))
        if postgres:
            plan = conn.execute(
                text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + HISTORY_QUERY), {"c": cid}
            ).scalar_one()
            top = plan[0]["Plan"]
            touched.append(
                {
                    "buffers": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
                    "plan": top["Node Type"],
                }
            )
        else:
            plan = conn.execute(text("EXPLAIN QUERY PLAN " + HISTORY_QUERY), {"c": cid}).all()
            touched.append({"plan": " | ".join(str(r[-1]) for r in plan)})
    return {
        "median_ms": round(statistics.median(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
        "rows_returned": rows[-1],
        "touched": touched[-1],
    }


def run(backend: str, factor: int, workdir: Path) -> dict[str, object]:
    url = fresh_database(backend, workdir, f"bench_scale{factor}")
    ctx = with_demo_convention(context(url, workdir / "data"))
    conventions = 100 * factor
    seeded_at = time.perf_counter()
    events = seed_history(ctx, conventions)
    bulk_open_requests(ctx, open_requests=100_000 * factor, due=1_000 * factor)
    seed_s = time.perf_counter() - seeded_at
    history = history_of_one(ctx, conventions * COMMUNICATIONS_PER_CONVENTION)
    started = time.perf_counter()
    verification = verify_trail(ctx)
    verify_s = time.perf_counter() - started
    started = time.perf_counter()
    sweep = run_sweep(ctx)
    sweep_s = time.perf_counter() - started
    ctx.engine.dispose()
    return {
        "backend": backend,
        "factor": factor,
        "conventions": conventions,
        "communications": conventions * COMMUNICATIONS_PER_CONVENTION + 25_000 * factor,
        "audit_events": events,
        "open_requests": 100_000 * factor,
        "seed_s": round(seed_s, 1),
        "history_of_one": history,
        "verify_s": round(verify_s, 2),
        "verify_ok": verification.ok,
        "verify_events_per_s": round(verification.events_checked / verify_s),
        "verify_rows_read": verification.events_checked + verification.payloads_checked,
        "sweep_s": round(sweep_s, 2),
        "sweep_deemed": sweep.deemed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--factor", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for factor in args.factor:
            for backend in backends:
                print(json.dumps(run(backend, factor, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
