"""Brute force of link tokens: a client that keeps hitting unknown links is slowed down (HTTP 429)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp

from comms_approval.clock import Clock

GUARDED_PREFIXES = ("/r/", "/signin/")


class FailedLookupLimiter:
    """Counts failed link lookups (404) per client address in a sliding window, on the injected clock.

    Partners with a valid link never fail, so they are never limited; a guesser is stopped after a few
    dozen tries per window, which makes 256-bit tokens hopeless to guess even from many addresses.
    """

    def __init__(self, clock: Clock, *, limit: int = 30, window: timedelta = timedelta(minutes=10)) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked_for(self, client: str) -> timedelta | None:
        """How long the client must wait, or None when it may try."""
        now = self.clock.now()
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.limit:
                return None
            return failures[0] + self.window - now

    def record_failure(self, client: str) -> None:
        now = self.clock.now()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a spray of addresses
                self._failures = {k: v for k, v in self._failures.items() if v}


class TokenRateLimitMiddleware(BaseHTTPMiddleware):
    """Answers 429 instead of 404 to a client that failed too many link lookups; records each 404 on a guarded
    path.

    A valid link still opens for a blocked client: a whole administration may reach us from one address (a
    proxy, a NAT), and one guesser or faulty link scanner there must not keep its partners from answering, least
    of all on the last day, when their silence would become approval. The guesser gains nothing: every unknown
    link keeps answering 429, and a valid one tells only what its holder already knows.
    """

    def __init__(self, app: ASGIApp, limiter: FailedLookupLimiter) -> None:
        super().__init__(app)
        self.limiter = limiter

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(GUARDED_PREFIXES):
            return await call_next(request)
        client = request.client.host if request.client else "unknown"
        response = await call_next(request)
        if response.status_code != 404:
            return response
        wait = self.limiter.blocked_for(client)
        self.limiter.record_failure(client)
        if wait is None:
            return response
        seconds = max(1, int(wait.total_seconds()) + 1)
        return PlainTextResponse(
            "Trop de liens invalides : veuillez réessayer plus tard. / Too many invalid links: try again later.",
            status_code=429,
            headers={
                "Retry-After": str(seconds),
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
