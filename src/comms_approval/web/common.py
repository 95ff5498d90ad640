"""What every route shares: the context, templates with the language, the signed-in user, nonces, errors."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, get_args, get_type_hints
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session
from starlette.datastructures import State
from starlette.responses import HTMLResponse, Response

from comms_approval.bootstrap import TEMPLATES_DIR, AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.french import (
    format_date_en,
    format_date_fr,
    format_datetime_en,
    format_datetime_fr,
)
from comms_approval.services.auth import WebUser, session_user
from comms_approval.services.logo_check import LogoChecker
from comms_approval.services.mentions import merge_with_logo_report
from comms_approval.services.submission import MentionFinder
from comms_approval.web.i18n import LANG_COOKIE, LANGUAGES, negotiate, t
from comms_approval.web.refusals import Refusal
from comms_approval.web.security import check_nonce, is_same_origin, make_nonce

SESSION_COOKIE = "ca_session"
BADGES = {
    # state -> visual tone; every badge also carries its words, colour is never the only signal
    "pending_delivery": "neutral", "awaiting": "info", "approved": "ok", "approved_with_remarks": "ok",
    "objected": "bad", "deemed_approved": "ok-soft", "undeliverable": "warn", "withdrawn": "muted",
    "checking": "neutral", "rejected_by_check": "warn", "routing": "info", "cleared": "ok", "blocked": "bad",
    "superseded": "muted", "present": "ok", "missing": "bad", "obsolete": "warn", "too_small": "warn",
    "uncertain": "info",
}  # fmt: skip
_STATE_PREFIX = {"request": "rs_", "version": "vs_", "logo": "ls_"}


@contextmanager
def reading(ctx: AppContext) -> Iterator[Session]:
    """A read-only unit of work (no write lock on SQLite) whose rows stay readable after it ends."""
    with ctx.uow(read_only=True) as uow:
        yield uow.session
        uow.session.expunge_all()


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def app_checker(state: State) -> LogoChecker:
    """The app's one logo checker (it caches the logos' templates), built on first use."""
    checker: LogoChecker | None = state.logo_checker
    if checker is None:
        from comms_approval.services.logo_check import default_logo_checker

        checker = default_logo_checker(state.ctx.settings)
        state.logo_checker = checker
    return checker


def get_checker(request: Request) -> LogoChecker:
    return app_checker(request.app.state)


def get_mention_finder(request: Request) -> MentionFinder | None:
    finder: MentionFinder | None = request.app.state.find_mentions
    return finder


def get_lang(request: Request) -> str:
    return negotiate(request, get_ctx(request).settings.default_language)


def optional_user(request: Request) -> WebUser | None:
    return session_user(get_ctx(request), request.cookies.get(SESSION_COOKIE))


CtxDep = Annotated[AppContext, Depends(get_ctx)]
LangDep = Annotated[str, Depends(get_lang)]
UserDep = Annotated[WebUser | None, Depends(optional_user)]
CheckerDep = Annotated[LogoChecker, Depends(get_checker)]
MentionFinderDep = Annotated[MentionFinder | None, Depends(get_mention_finder)]


# No row id goes beyond this (PostgreSQL's integer ids); the database drivers fail on larger numbers.
MAX_ROW_ID = 2**31 - 1
_INTEGER = TypeAdapter(int)


@functools.cache
def _integer_path_params(endpoint: Callable[..., Any]) -> frozenset[str]:
    """The parameters typed `int` (or `int | None`) of a route's function."""
    return frozenset(
        name for name, hint in get_type_hints(endpoint).items() if int in (hint, *get_args(hint))
    )


def ids_in_range(request: Request) -> None:
    """An integer path parameter (an id, a page number) beyond any row's is unknown, so 404, as any other unknown id.

    The route itself still converts and validates it; this only keeps out the numbers a database cannot compare.
    """
    endpoint = request.scope.get("endpoint")
    if endpoint is None:
        return
    for name in _integer_path_params(endpoint) & request.path_params.keys():
        try:
            number = _INTEGER.validate_python(request.path_params[name])
        except ValidationError:
            continue  # not a number: the route's own validation answers
        if not -MAX_ROW_ID <= number <= MAX_ROW_ID:
            raise HTTPException(status_code=404)


class SignInRequired(Exception):
    """Raised by a route dependency; the app answers with a redirect to the sign-in page."""


def require_user(user: UserDep) -> WebUser:
    if user is None:
        raise SignInRequired
    return user


def require_officer(user: Annotated[WebUser, Depends(require_user)]) -> WebUser:
    if not user.is_officer:
        raise HTTPException(status_code=403)
    return user


def require_auditor(user: Annotated[WebUser, Depends(require_user)]) -> WebUser:
    if not user.is_auditor:
        raise HTTPException(status_code=403)
    return user


OfficerDep = Annotated[WebUser, Depends(require_officer)]
AuditorDep = Annotated[WebUser, Depends(require_auditor)]


def secret(ctx: AppContext) -> str:
    return ctx.settings.secret_key.get_secret_value()


def nonce_for(ctx: AppContext, purpose: str, subject: str) -> str:
    return make_nonce(secret(ctx), purpose, subject)


def form_is_genuine(
    request: Request, ctx: AppContext, purpose: str, subject: str, nonce: str | None
) -> str | None:
    """None when the POST comes from our own page; otherwise the message key explaining the refusal."""
    if not is_same_origin(request, ctx.settings.base_url):
        return "err_cross_site"
    if not check_nonce(secret(ctx), purpose, subject, nonce):
        return "err_form_expired"
    return None


def state_label(kind: str, state: str | None, lang: str) -> str:
    if state is None:
        return ""
    return t(_STATE_PREFIX[kind] + state, lang)


def when(instant: datetime | None, lang: str, timezone: str = "Europe/Paris") -> str:
    if instant is None:
        return "—"
    return format_datetime_en(instant, timezone) if lang == "en" else format_datetime_fr(instant, timezone)


def day(value: date | None, lang: str) -> str:
    if value is None:
        return "—"
    return format_date_en(value) if lang == "en" else format_date_fr(value)


def percent(ratio: float, lang: str) -> str:
    """'0,5 %' in French (comma, narrow no-break space), '0.5%' in English."""
    value = f"{ratio * 100:.1f}"
    return f"{value.replace('.', ',')}\u202f%" if lang == "fr" else f"{value}%"


def countdown(deadline: datetime | None, now: datetime, lang: str) -> str:
    """'3 jour(s) et 4 heure(s)' until a deadline, or 'échéance dépassée'."""
    if deadline is None:
        return "—"
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return t("elapsed", lang)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return t("days_left", lang, n=days, h=hours)
    return t("hours_left", lang, h=hours, m=rest // 60)


def mentions_beside_logos(logo_report: Mapping[str, Any], convention: Convention) -> dict[str, Any] | None:
    """Per party, whether the draft names it, keyed by party id (None for drafts checked without it)."""
    mentions = logo_report.get("mentions")
    if not isinstance(mentions, Mapping):
        return None
    merged = merge_with_logo_report(mentions, logo_report, convention)
    return {
        "by_party": {row["party"]: row for row in merged["rows"]},
        "flagged": merged["named_without_logo"],
        "warnings_fr": merged["warnings_fr"],
        "warnings_en": merged["warnings_en"],
        "notes_fr": merged["notes_fr"],
        "notes_en": merged["notes_en"],
    }


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR / "web"))
    env = templates.env
    env.globals["badge_tone"] = lambda state: BADGES.get(state or "", "neutral")
    env.filters["payload_json"] = lambda value: json.dumps(
        value, ensure_ascii=False, indent=1, sort_keys=True
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def lang_switch_url(request: Request, lang: str) -> str:
    other = "en" if lang == "fr" else "fr"
    params = dict(request.query_params)
    params["lang"] = other
    # A query alone: the browser keeps the page's own path and site (a path such as `//evil.example/x`, put in
    # the link, would be read as another site).
    return "?" + urlencode(params)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    lang: str,
    status_code: int = 200,
    user: WebUser | None = None,
) -> HTMLResponse:
    """Render a page with the helpers every template uses (`_`, `state_label`, `when`...)."""
    templates: Jinja2Templates = request.app.state.templates
    full: dict[str, Any] = {
        "lang": lang,
        "_": lambda key, **values: t(key, lang, **values),
        "state_label": lambda kind, state: state_label(kind, state, lang),
        "when": lambda instant, tz="Europe/Paris": when(instant, lang, tz),
        "lang_switch_url": lang_switch_url(request, lang),
        "percent": lambda ratio: percent(ratio, lang),
        "day": lambda value: day(value, lang),
        "user": user,
        "path": request.url.path,
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    remember_language(request, response)
    return response


def remember_language(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.app.state.secure_cookies,
        )


def error_page(
    request: Request,
    status_code: int,
    lang: str,
    title_key: str,
    text_key: str,
    user: WebUser | None = None,
    *,
    refusal: Refusal | None = None,
) -> HTMLResponse:
    """A plain error page: a message key, or a service refusal already put in the page's language."""
    return render(
        request,
        "error.html",
        {"title_key": title_key, "text_key": text_key, "status": status_code, "refusal": refusal},
        lang=lang,
        status_code=status_code,
        user=user,
    )
