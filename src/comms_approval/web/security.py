"""Web safety at the edge: response headers, per-page form nonces, same-origin checks, token-free logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeadersMiddleware:
    """Adds the safety headers to every response; dynamic pages are never stored by caches (pure ASGI, cheap)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts
        self.static = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.static:
                    if name.decode() not in headers:
                        headers.append(name.decode(), value.decode())
                if is_static:
                    headers.setdefault("Cache-Control", "public, max-age=3600")
                else:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
    """Refuse a cross-site POST: Sec-Fetch-Site decides when the browser sends it, then Origin, then Referer.

    With Referrer-Policy no-referrer, Chromium sends `Origin: null` on form posts but still sends
    Sec-Fetch-Site; a client sending neither a usable Origin nor Sec-Fetch-Site (a script, an old browser)
    is judged by the page nonce alone, which binds the form to its link or session.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() in _SAFE_FETCH_SITES
    allowed = {_origin_of(base_url)}
    host = request.headers.get("host")
    if host:
        allowed.add(f"{request.url.scheme}://{host}".lower())
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
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
