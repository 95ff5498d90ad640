"""End to end: submit a 2-page PDF (5-party convention, real logo check) until every request mail is accepted.

    .venv/bin/python -m bench.workflow.end_to_end [--backend sqlite|postgres|both] [--runs 3]

Phases: validation + storage + the OpenCV logo check + preview + routing (submit_draft), then the dispatcher
until the local SMTP server has accepted the four partners' five request mails (the DSDEN has two approvers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.workflow.common import context, fresh_database, smtp_sink, with_demo_convention
from comms_approval.adapters.convention_file import load_convention
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.config import SmtpSecurity
from comms_approval.demo.posters import draw_poster
from comms_approval.services.logo_check import OpenCvLogoMatcher
from comms_approval.services.outbox import dispatch_outbox
from comms_approval.services.submission import submit_draft

CONVENTION = Path(__file__).resolve().parents[2] / "conventions" / "demo.toml"


def two_page_pdf(workdir: Path, index: int) -> Path:
    """Page 1: the poster with the five logos; page 2: a text page (as a leaflet's back)."""
    convention = load_convention(CONVENTION)
    poster = draw_poster(
        convention, workdir / f"poster-{index}.png", title=f"Semaine {index}", subtitle="Assiduité"
    )
    front = Image.open(poster).convert("RGB")
    back = Image.new("RGB", front.size, "#ffffff")
    target = workdir / f"depliant-{index}.pdf"
    front.save(target, save_all=True, append_images=[back], resolution=150)
    return target


def run(backend: str, runs: int, workdir: Path) -> dict[str, object]:
    url = fresh_database(backend, workdir, "bench_e2e")
    ctx = with_demo_convention(context(url, workdir / "data"))
    checker = OpenCvLogoMatcher()
    submit_s, deliver_s, total_s, statuses = [], [], [], []
    with smtp_sink() as (port, sink):
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
        for index in range(runs + 1):  # the first run warms the logo references' cache; not counted
            pdf = two_page_pdf(workdir, index)
            before = sink.count
            started = time.perf_counter()
            result = submit_draft(
                ctx,
                checker,
                convention_id="demo-absenteisme-75",
                party_id="departement",
                title=f"Dépliant {index}",
                file=pdf,
                officer_email="com@departement.example.org",
            )
            submitted = time.perf_counter()
            asyncio.run(dispatch_outbox(ctx, mailer, worker_id="bench"))
            done = time.perf_counter()
            statuses.append((result.status, len(result.requests), sink.count - before))
            if index:
                submit_s.append(submitted - started)
                deliver_s.append(done - submitted)
                total_s.append(done - started)
    ctx.engine.dispose()
    return {
        "backend": backend,
        "runs": runs,
        "pages": 2,
        "parties": 5,
        "outcomes": statuses,
        "submit_s_median": round(statistics.median(submit_s), 3),
        "deliver_s_median": round(statistics.median(deliver_s), 3),
        "total_s_median": round(statistics.median(total_s), 3),
        "total_s_max": round(max(total_s), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        for backend in backends:
            print(json.dumps(run(backend, args.runs, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
