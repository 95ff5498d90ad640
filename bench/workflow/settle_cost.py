"""Settle cost: the dispatcher's database work per message, without SMTP, threads or the GIL's arbitration.

    .venv/bin/python -m bench.workflow.settle_cost [--backend sqlite|postgres|both] [--messages 2000] [--batch 100]

The same genuine request mails as outbox_throughput, claimed and settled batch after batch in this thread,
every answer a 250 (each starts its request's clock: deadline, audit event). Prints the process CPU time
per message of claim_batch and of settle_many, which moves far less with the machine's load than the
throughput ratio does: compare two versions of the code with it, in alternation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.workflow.outbox_throughput import prepare
from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus
from comms_approval.services.audit import verify_trail
from comms_approval.services.outbox import DispatchReport, claim_batch, settle_many


def run(backend: str, messages: int, batch: int, workdir: Path) -> dict[str, object]:
    ctx = prepare(backend, messages, workdir)
    report = DispatchReport()
    claim_cpu = settle_cpu = 0.0
    claimed = 0
    while True:
        started = time.process_time()
        rows = claim_batch(ctx, "bench", batch)
        claim_cpu += time.process_time() - started
        if not rows:
            break
        claimed += len(rows)
        now = ctx.clock.now()
        answers = [
            (row.id or 0, DeliveryResult(DeliveryStatus.ACCEPTED, 250, "2.0.0 ok", now)) for row in rows
        ]
        started = time.process_time()
        settle_many(ctx, answers, "bench", report)
        settle_cpu += time.process_time() - started
    chain = verify_trail(ctx)
    ctx.engine.dispose()
    return {
        "backend": backend,
        "messages": claimed,
        "sent": report.sent,
        "claim_cpu_ms_per_msg": round(claim_cpu * 1000 / max(claimed, 1), 3),
        "settle_cpu_ms_per_msg": round(settle_cpu * 1000 / max(claimed, 1), 3),
        "audit_chain_ok": chain.ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-settle-") as tmp:
        for backend in backends:
            print(json.dumps(run(backend, args.messages, args.batch, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
