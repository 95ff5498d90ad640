"""Web safety at the edge: response headers, per-page form nonces, same-origin checks, token-free logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

# Nothing from third parties, no inline script or style: every asset comes from this origin.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
NONCE_LIFETIME_SECONDS = 12 * 3600
_SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    """Adds the safety headers to every response; dynamic pages are never stored by caches."""

    def __init__(self, app: object, *, hsts: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.hsts = hsts

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        else:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if self.hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def make_nonce(secret: str, purpose: str, subject: str, *, now: float | None = None) -> str:
    """A form nonce bound to one page (`purpose` + `subject`, e.g. a link hash or a session hash)."""
    issued = int(now if now is not None else time.time())
    salt = secrets.token_hex(8)
    mac = hmac.new(
        secret.encode(), f"{purpose}|{subject}|{issued}|{salt}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{issued}.{salt}.{mac}"


def check_nonce(
    secret: str, purpose: str, subject: str, nonce: str | None, *, now: float | None = None
) -> bool:
    """Whether `nonce` was issued by this server for this page and is less than 12 hours old."""
    if not nonce or nonce.count(".") != 2:
        return False
    issued_text, salt, mac = nonce.split(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    current = now if now is not None else time.time()
    if not (current - NONCE_LIFETIME_SECONDS <= issued <= current + 60):
        return False
    expected = hmac.new(
        secret.encode(), f"{purpose}|{subject}|{issued}|{salt}".encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, mac)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_origin(request: Request, base_url: str) -> bool:
    """Refuse a cross-site POST: Sec-Fetch-Site when the browser sends it, then Origin, then Referer.

    With Referrer-Policy no-referrer, browsers still send Origin on POST. A client sending none of the
    three (a script, not a browser) is judged by the page nonce alone.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _SAFE_FETCH_SITES:
        return False
    allowed = {_origin_of(base_url)}
    host = request.headers.get("host")
    if host:
        allowed.add(f"{request.url.scheme}://{host}".lower())
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("referer")
    if referer:
        return _origin_of(referer) in allowed
    return True


_TOKEN_PATH = re.compile(r"/(r|signin)/[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """Replace secret link tokens in a path or log line."""
    return _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/[redacted]", text)


class TokenRedactingFilter(logging.Filter):
    """Keeps review and sign-in tokens out of access logs (uvicorn logs the full path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    """Attach the filter to the loggers that may print request paths (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error", "comms_approval.web"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())


async def equalise(started: float, floor_seconds: float) -> None:
    """Pad a token lookup's answer to a fixed floor, so unknown and revoked links take the same time."""
    import anyio

    remaining = floor_seconds - (time.perf_counter() - started)
    if remaining > 0:
        await anyio.sleep(remaining)
