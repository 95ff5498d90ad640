"""Logo checks of long drafts, run on a few threads of the web process instead of inside the upload request.

The database holds the truth (a version in `checking`, claimed with a lease: `services.submission.run_check`);
this queue only avoids starting the same check twice in one process. Checks left by a process that died are
taken again at start-up, every `resume_every` seconds while the app runs (`keep_resuming`: a process killed
mid-check by a restart leaves a live lease, which the start-up pass finds still held), or when their officer's
page asks after them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from comms_approval.bootstrap import AppContext
from comms_approval.services.logo_check import LogoChecker
from comms_approval.services.submission import MentionFinder, pending_checks, run_check

log = logging.getLogger(__name__)


class BackgroundChecks:
    """A bounded pool of logo-check threads; `enqueue` is idempotent per version while it is queued or running."""

    def __init__(
        self,
        ctx: AppContext,
        checker: Callable[[], LogoChecker],
        find_mentions: MentionFinder | None,
        *,
        workers: int = 1,
    ) -> None:
        self._ctx = ctx
        self._checker = checker
        self._find_mentions = find_mentions
        self._workers = workers  # 0: this process checks nothing apart (the `check-drafts` flow does)
        self._executor: ThreadPoolExecutor | None = None
        self._queued: set[int] = set()
        self._lock = threading.Lock()
        # real seconds between two looks for checks nobody holds (a lease lapses 5 minutes after its renewal)
        self.resume_every = 60.0

    def enqueue(self, version_id: int) -> bool:
        """Queue a version's check unless this process already has it (or runs no checks); True when queued now."""
        if self._workers <= 0:
            return False
        with self._lock:
            if version_id in self._queued:
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="logo-check"
                )
            self._queued.add(version_id)
            future: Future[None] = self._executor.submit(self._run, version_id)
        future.add_done_callback(lambda _: self._release(version_id))
        return True

    def resume(self) -> list[int]:
        """Queue every check nobody holds (a process died during it, or it was never started)."""
        if self._workers <= 0:
            return []
        pending = pending_checks(self._ctx)
        return [version_id for version_id in pending if self.enqueue(version_id)]

    def wait(self) -> None:
        """Wait until the checks queued so far have ended (the tests: a check is then over, whatever its thread)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=False)

    def shutdown(self) -> None:
        """Stop taking work; a running check ends, queued ones stay pending in the database for the next start."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _run(self, version_id: int) -> None:
        try:
            outcome = run_check(self._ctx, self._checker(), version_id, find_mentions=self._find_mentions)
            if outcome is not None:
                log.info("logo check of version %s: %s", version_id, outcome.status)
        except Exception:  # the lease lapses and the check is taken again; never kill the worker thread
            log.exception("the background logo check of version %s did not end", version_id)

    def _release(self, version_id: int) -> None:
        with self._lock:
            self._queued.discard(version_id)


async def keep_resuming(checks: BackgroundChecks) -> None:
    """Take up the checks nobody holds, every `checks.resume_every` seconds, until cancelled (the app's life)."""
    while True:
        await asyncio.sleep(checks.resume_every)
        try:
            await asyncio.to_thread(checks.resume)
        except Exception:  # a database hiccup: the next pass looks again
            log.exception("looking for logo checks to take up failed")
