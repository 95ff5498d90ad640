"""Sweep cost: one sweep over 100 000 open requests of which 1 000 are due, against a bare SQL query.

    .venv/bin/python -m bench.workflow.sweep_cost [--backend sqlite|postgres|both] [--open 100000] [--due 1000]

Prints one JSON line per backend: seeding time, the bare query (SELECT of the due rows) and the sweep.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from sqlalchemy import text

from bench.workflow.common import (
    NOW,
    bulk_open_requests,
    context,
    fresh_database,
    timed,
    with_demo_convention,
)
from comms_approval.services.sweep import run_sweep

BARE_QUERY = (
    "SELECT id, version_id FROM requests WHERE status = 'awaiting' AND deadline_at <= :now ORDER BY id"
)


def run(backend: str, open_requests: int, due: int, workdir: Path) -> dict[str, object]:
    url = fresh_database(backend, workdir, "bench_sweep")
    ctx = with_demo_convention(context(url, workdir / "data"))
    seed_seconds, _ = timed(lambda: bulk_open_requests(ctx, open_requests=open_requests, due=due))
    with ctx.engine.connect() as conn:
        # A warm-up, as the scheduled sweep finds the pages in cache too; then the measured runs.
        conn.execute(text(BARE_QUERY), {"now": NOW}).all()
        bare_times = []
        for _ in range(5):
            seconds, rows = timed(lambda: conn.execute(text(BARE_QUERY), {"now": NOW}).all())
            bare_times.append(seconds)
        bare_rows = len(rows)  # type: ignore[arg-type]
    sweep_seconds, report = timed(lambda: run_sweep(ctx))
    idle_seconds, idle_report = timed(lambda: run_sweep(ctx))  # the next pass: nothing left to do
    bare = min(bare_times)
    ctx.engine.dispose()
    return {
        "backend": backend,
        "open_requests": open_requests,
        "due": due,
        "seed_s": round(seed_seconds, 2),
        "bare_query_s": round(bare, 4),
        "bare_rows": bare_rows,
        "sweep_s": round(sweep_seconds, 3),
        "sweep_report": report.__dict__,  # type: ignore[attr-defined]
        "ratio_sweep_to_bare": round(sweep_seconds / bare, 1) if bare else None,
        "idle_sweep_s": round(idle_seconds, 3),
        "idle_report": idle_report.__dict__,  # type: ignore[attr-defined]
        "goal_under_2s": sweep_seconds < 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--open", type=int, default=100_000, dest="open_requests")
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for backend in backends:
            print(json.dumps(run(backend, args.open_requests, args.due, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
