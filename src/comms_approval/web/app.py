"""The web app factory: partners' review pages, the officers' desk and the auditors' room on one FastAPI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from comms_approval.bootstrap import AppContext
from comms_approval.services.logo_check import LogoChecker
from comms_approval.services.mentions import document_mentions
from comms_approval.services.submission import MentionFinder
from comms_approval.web import auditors, lifecycle, officers, partners, reports
from comms_approval.web.checks import BackgroundChecks, keep_resuming
from comms_approval.web.common import (
    SignInRequired,
    app_checker,
    error_page,
    get_lang,
    ids_in_range,
    make_templates,
    optional_user,
)
from comms_approval.web.ratelimit import FailedLookupLimiter, TokenRateLimitMiddleware
from comms_approval.web.security import SecurityHeadersMiddleware, install_log_redaction

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    ctx: AppContext,
    *,
    logo_checker: LogoChecker | None = None,
    find_mentions: MentionFinder | None = document_mentions,
) -> FastAPI:
    """Build the app around an existing context; the logo checker defaults to the OpenCV one, built lazily.

    `find_mentions` reads which parties a draft names (text layer, OCR); tests pass a fake, None skips it.
    """
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.checks.resume()  # checks a previous process left unfinished
        resuming = asyncio.create_task(keep_resuming(app.state.checks))
        yield
        resuming.cancel()
        app.state.checks.shutdown()

    app = FastAPI(title="comms-approval", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    app.state.logo_checker = logo_checker
    app.state.find_mentions = find_mentions
    app.state.checks = BackgroundChecks(
        ctx,
        lambda: app_checker(app.state),
        find_mentions,
        workers=ctx.settings.background_check_workers,
    )
    app.state.templates = make_templates()
    app.state.secure_cookies = ctx.settings.base_url.startswith("https://")
    app.state.lookup_limiter = FailedLookupLimiter(ctx.clock)
    app.add_middleware(TokenRateLimitMiddleware, limiter=app.state.lookup_limiter)
    app.add_middleware(SecurityHeadersMiddleware, hsts=app.state.secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Every route's integer ids are bounded (404 beyond any row's), whichever router declares them.
    bounded = [Depends(ids_in_range)]
    for module in (partners, officers, auditors, lifecycle, reports):
        app.include_router(module.router, dependencies=bounded)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        """Liveness, and the floor of the web benchmark (no database, no template)."""
        return PlainTextResponse("ok")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        lang = get_lang(request)
        user = None
        if exc.status_code == 403:
            user = optional_user(request)
            return error_page(request, 403, lang, "forbidden_title", "forbidden_text", user=user)
        if exc.status_code == 404:
            return error_page(request, 404, lang, "not_found_title", "not_found_text")
        return error_page(request, exc.status_code, lang, "error", "err_refused")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, 422, get_lang(request), "error", "err_form_expired")

    return app
