"""Outbox throughput with 1, 2 and 4 worker processes on PostgreSQL for a burst of 5 000 request mails.

    .venv/bin/python -m bench.scale.outbox_workers [--messages 5000] [--workers 1 2 4]

Each worker is a separate process running the product's dispatcher (claims with FOR UPDATE SKIP LOCKED and a
lease); they start together on a barrier. The SMTP server runs in this (otherwise idle) process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.workflow.common import (
    bulk_open_requests,
    bulk_request_mails,
    context,
    fresh_database,
    request_mail_template,
    smtp_sink,
    with_demo_convention,
)


def worker(url: str, data_dir: str, port: int, name: str, barrier: Any, results: Any) -> None:
    from comms_approval.adapters.mail.smtp import SmtpMailer
    from comms_approval.config import SmtpSecurity
    from comms_approval.services.outbox import dispatch_outbox

    ctx = context(url, Path(data_dir), migrate=False)
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=port,
        security=SmtpSecurity.NONE,
        username=None,
        password=None,
        mail_from=ctx.settings.mail_from,
        timeout_seconds=30,
        clock=ctx.clock,
    )
    barrier.wait()
    started = time.monotonic()
    report = asyncio.run(dispatch_outbox(ctx, mailer, worker_id=name, batch=50, max_batches=10**6))
    results.put((name, report.sent, started, time.monotonic()))


def run(workers: int, messages: int, workdir: Path) -> dict[str, object]:
    url = fresh_database("postgres", workdir, "bench_workers")
    ctx = with_demo_convention(context(url, workdir / "data"))
    template = request_mail_template(ctx, workdir)
    bulk_open_requests(ctx, open_requests=messages, due=0, pending_delivery=True)
    queued = bulk_request_mails(ctx, template)
    mp = multiprocessing.get_context("spawn")
    barrier, results = mp.Barrier(workers), mp.Queue()
    with smtp_sink() as (port, sink):
        processes = [
            mp.Process(target=worker, args=(url, str(workdir / "data"), port, f"w{i}", barrier, results))
            for i in range(workers)
        ]
        for process in processes:
            process.start()
        reports = [results.get(timeout=1800) for _ in processes]
        for process in processes:
            process.join()
        received = sink.count
    with ctx.engine.connect() as conn:
        sent_rows = conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one()
        awaiting = conn.execute(text("SELECT count(*) FROM requests WHERE status = 'awaiting'")).scalar_one()
    ctx.engine.dispose()
    wall = max(r[3] for r in reports) - min(r[2] for r in reports)
    return {
        "workers": workers,
        "queued": queued,
        "wall_s": round(wall, 2),
        "msgs_per_s": round(queued / wall, 1),
        "per_worker_sent": {r[0]: r[1] for r in reports},
        "server_received": received,
        "outbox_sent": sent_rows,
        "requests_awaiting": awaiting,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    baseline = None
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        for count in args.workers:
            result = run(count, args.messages, Path(tmp))
            baseline = baseline or float(result["msgs_per_s"])  # type: ignore[arg-type]
            result["scaling_vs_1"] = round(float(result["msgs_per_s"]) / baseline, 2)  # type: ignore[arg-type]
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
