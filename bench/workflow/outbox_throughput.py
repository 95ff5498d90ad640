"""Outbox throughput: the product's dispatcher vs a bare aiosmtplib loop over one connection (the floor).

    .venv/bin/python -m bench.workflow.outbox_throughput [--backend sqlite|postgres|both] [--messages 2000]

Both send the same genuine request mails (HTML + text + preview image + .ics) to a local SMTP server that
accepts and counts. The dispatcher also does its real work per message: claim with a lease, build the MIME,
record the 250, start the request's clock (deadline, audit event). Goal: at least 0.8 of the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import aiosmtplib
from sqlalchemy import select

from bench.workflow.common import (
    bulk_open_requests,
    bulk_request_mails,
    context,
    fresh_database,
    request_mail_template,
    smtp_sink,
    with_demo_convention,
)
from comms_approval.adapters.db.tables import OutboxRow
from comms_approval.adapters.mail.message import build_mime, envelope_address
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext
from comms_approval.config import SmtpSecurity
from comms_approval.services.notifications import to_outgoing
from comms_approval.services.outbox import dispatch_outbox


def prepare(backend: str, messages: int, workdir: Path) -> AppContext:
    url = fresh_database(backend, workdir, "bench_outbox")
    ctx = with_demo_convention(context(url, workdir / "data"))
    template = request_mail_template(ctx, workdir)
    bulk_open_requests(ctx, open_requests=messages, due=0, pending_delivery=True)
    bulk_request_mails(ctx, template)
    return ctx


async def floor(ctx: AppContext, port: int) -> tuple[int, float]:
    """The same messages, MIME built beforehand, sent in a loop over one connection: the transport's floor."""
    with ctx.uow() as uow:
        rows = list(uow.session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())  # type: ignore[arg-type]
        uow.commit()
    sender = envelope_address(ctx.settings.mail_from)
    prepared = [
        (build_mime(to_outgoing(row), mail_from=ctx.settings.mail_from), envelope_address(row.recipient))
        for row in rows
    ]
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, use_tls=False, timeout=30)
    started = time.perf_counter()
    await client.connect()
    for mime, recipient in prepared:
        await client.send_message(mime, sender=sender, recipients=[recipient])
    await client.quit()
    return len(prepared), time.perf_counter() - started


async def product(ctx: AppContext, port: int) -> tuple[int, float]:
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
    started = time.perf_counter()
    report = await dispatch_outbox(ctx, mailer, worker_id="bench", batch=100, max_batches=10**6)
    return report.sent, time.perf_counter() - started


def run(backend: str, messages: int, workdir: Path) -> dict[str, object]:
    ctx = prepare(backend, messages, workdir)
    with smtp_sink() as (port, sink):
        floor_sent, floor_s = asyncio.run(floor(ctx, port))
        sent, product_s = asyncio.run(product(ctx, port))
        received = sink.count
    ctx.engine.dispose()
    floor_rate, product_rate = floor_sent / floor_s, sent / product_s
    return {
        "backend": backend,
        "messages": messages,
        "floor_msgs_per_s": round(floor_rate, 1),
        "dispatcher_msgs_per_s": round(product_rate, 1),
        "ratio_to_floor": round(product_rate / floor_rate, 2),
        "goal_0_8": product_rate / floor_rate >= 0.8,
        "server_received": received,
        "dispatcher_sent": sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        for backend in backends:
            print(json.dumps(run(backend, args.messages, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
