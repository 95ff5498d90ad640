"""Entry points run in separate (spawned) processes: real sweeps and dispatchers lined up on a barrier."""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

# Only the standard library at import time: a spawned child imports this module before run_worker can
# switch the bytecode cache on (see _enable_bytecode_cache).


def _enable_bytecode_cache() -> None:
    """Cache compiled modules in the temporary directory, outside the source tree.

    multiprocessing passes -B to its children when the parent runs with PYTHONDONTWRITEBYTECODE (as on
    the development machine); every worker would then compile the whole stack again, several seconds each.
    """
    import sys
    import tempfile

    if sys.dont_write_bytecode:
        sys.pycache_prefix = str(Path(tempfile.gettempdir()) / "comms-approval-pycache")
        sys.dont_write_bytecode = False


def _report(results: Any, name: str, outcome: str, payload: object) -> None:
    results.put((name, outcome, payload))


def run_worker(
    kind: str,
    name: str,
    url: str,
    data_dir: str,
    now_iso: str,
    barrier: Any,
    results: Any,
    options: dict[str, Any],
) -> None:
    """One worker process: build the context, wait for the others, do one pass, report what happened."""
    _enable_bytecode_cache()
    try:
        from tests.integration.concurrency.support import context_at

        ctx = context_at(url, Path(data_dir), datetime.fromisoformat(now_iso))
        action = _ACTIONS[kind]
        if barrier is not None:
            barrier.wait(timeout=60)
        payload = action(ctx, name, options)
        _report(results, name, "ok", payload)
    except BaseException as error:  # reported to the parent, which asserts on it
        _report(results, name, "error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}")


def _sweep(ctx: Any, name: str, options: dict[str, Any]) -> object:
    from comms_approval.services.sweep import run_sweep

    return asdict(run_sweep(ctx))


def _naive_sweep(ctx: Any, name: str, options: dict[str, Any]) -> object:
    from tests.integration.concurrency.naive import naive_deem_due

    return {"deemed": naive_deem_due(ctx, race_window=options.get("race_window", 0.5))}


def _dispatch(ctx: Any, name: str, options: dict[str, Any]) -> object:
    from comms_approval.services.outbox import dispatch_outbox
    from tests.integration.concurrency.support import mailer_for

    mailer = mailer_for(ctx, options["smtp_port"], timeout=options.get("timeout", 5.0))
    report = asyncio.run(
        dispatch_outbox(ctx, mailer, worker_id=name, batch=options.get("batch", 5), max_batches=1000)
    )
    return {"claimed": report.claimed, "sent": report.sent, "lost_leases": report.lost_leases}


def _naive_dispatch(ctx: Any, name: str, options: dict[str, Any]) -> object:
    from tests.integration.concurrency.naive import naive_dispatch
    from tests.integration.concurrency.support import mailer_for

    mailer = mailer_for(ctx, options["smtp_port"])
    report = asyncio.run(
        naive_dispatch(ctx, mailer, worker_id=name, race_window=options.get("race_window", 0.5))
    )
    return {"claimed": report.claimed, "sent": report.sent, "lost_leases": report.lost_leases}


def _paused_sweep(ctx: Any, name: str, options: dict[str, Any]) -> object:
    """A sweep that stops inside its first version transaction (lock held, changes not committed).

    It tells the parent through `paused`, then waits for `resume` (or for SIGKILL). After resuming, the
    rest of the pass runs; its outcome and that of a second pass in the same process are reported.
    """
    from comms_approval.services import sweep

    paused, resume = options["paused"], options["resume"]
    original: Callable[..., Any] = sweep.conclude_if_decided
    state = {"first": True}

    def conclude_after_pause(*args: Any, **kwargs: Any) -> Any:
        if state["first"]:
            state["first"] = False
            paused.set()
            resume.wait(timeout=60)
        return original(*args, **kwargs)

    sweep.conclude_if_decided = conclude_after_pause  # type: ignore[assignment]
    outcome: dict[str, object] = {"pid": os.getpid()}
    try:
        outcome["first"] = asdict(sweep.run_sweep(ctx))
    except Exception as error:
        outcome["first_error"] = type(error).__name__
    outcome["second"] = asdict(sweep.run_sweep(ctx))
    return outcome


_ACTIONS: dict[str, Callable[[Any, str, dict[str, Any]], object]] = {
    "sweep": _sweep,
    "naive_sweep": _naive_sweep,
    "dispatch": _dispatch,
    "naive_dispatch": _naive_dispatch,
    "paused_sweep": _paused_sweep,
}


def spawn_workers(
    specs: list[tuple[str, str, dict[str, Any]]],
    *,
    url: str,
    data_dir: Path,
    now: datetime,
    timeout: float = 120.0,
) -> dict[str, tuple[str, Any]]:
    """Start one spawned process per (kind, name, options), line them up on a barrier, collect reports."""
    import multiprocessing

    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(len(specs))
    results = mp.Queue()
    processes = [
        mp.Process(
            target=run_worker,
            args=(kind, name, url, str(data_dir), now.isoformat(), barrier, results, options),
            name=name,
        )
        for kind, name, options in specs
    ]
    for process in processes:
        process.start()
    collected: dict[str, tuple[str, Any]] = {}
    try:
        for _ in processes:
            name, outcome, payload = results.get(timeout=timeout)
            collected[name] = (outcome, payload)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():  # pragma: no cover - only when a worker hangs
                process.kill()
    return collected
