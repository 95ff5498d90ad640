"""The partner's review page: GET shows the draft and the choices, only a POST with a nonce decides."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from comms_approval.adapters.links import token_hash
from comms_approval.bootstrap import AppContext
from comms_approval.domain.deadlines import Deadline, silence_has_elapsed
from comms_approval.domain.errors import DecisionRefused, NotFound
from comms_approval.domain.french import (
    explain_deadline_en,
    explain_deadline_fr,
    format_deadline_en,
    format_deadline_fr,
)
from comms_approval.domain.logos import LogoReport
from comms_approval.domain.requests import FINAL_VERSION_STATES, RequestState, VersionState
from comms_approval.services.conventions import get_convention
from comms_approval.services.decisions import (
    MAX_TEXT,
    DecisionKind,
    LinkGone,
    LinkTarget,
    record_decision,
    resolve_link,
)
from comms_approval.services.routing import overrides_of
from comms_approval.services.visual_diff import MAX_PAGES, version_differences
from comms_approval.web.common import (
    CtxDep,
    LangDep,
    countdown,
    error_page,
    form_is_genuine,
    mentions_beside_logos,
    nonce_for,
    reading,
    render,
    secret,
)
from comms_approval.web.images import document_state, previous_version, version_image

router = APIRouter()
# Unknown and revoked links answer after the same floor, so timing does not tell them apart.
FAILURE_FLOOR_SECONDS = 0.08
DECIDED = frozenset(
    {
        RequestState.APPROVED,
        RequestState.APPROVED_WITH_REMARKS,
        RequestState.OBJECTED,
        RequestState.DEEMED_APPROVED,
    }
)
_REFUSALS = (
    ("different decision", "err_already"),
    ("deadline has passed", "err_deadline"),
    ("not yet registered as delivered", "err_not_delivered"),
    ("needs a reason", "err_reason"),
    ("needs the remarks", "err_remarks"),
    ("too long", "err_too_long"),
)


class _Gone(Exception):
    """The link is real but its request is withdrawn or its version concluded without this party's answer."""


@dataclass(frozen=True)
class Review:
    target: LinkTarget
    context: dict[str, Any]


def _pad(started: float) -> None:
    remaining = FAILURE_FLOOR_SECONDS - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)


def _is_gone(target: LinkTarget) -> bool:
    if target.link.revoked_at is not None:  # e.g. sent to an address corrected since: gone whatever came next
        return True
    state = RequestState(target.request.status)
    if state in DECIDED:
        return False  # the recorded answer stays readable on the same link
    if state is RequestState.WITHDRAWN:
        return True
    return VersionState(target.version.status) in FINAL_VERSION_STATES


def _load(ctx: AppContext, token: str, lang: str) -> Review:
    with reading(ctx) as session:
        target = resolve_link(session, ctx, token)
        if _is_gone(target):
            raise _Gone
        convention = get_convention(session, target.communication.convention_id)
        party = convention.party(target.request.party_id)
        submitter = convention.party(target.communication.submitting_party)
        report = LogoReport.from_dict(target.version.logo_report)
        overrides = overrides_of(session, target.version.id or 0)
        previous = previous_version(session, target.version)
        request = target.request
        deadline = Deadline.from_dict(request.deadline_basis) if request.deadline_basis else None
        now = ctx.clock.now()
        state = RequestState(request.status)
        elapsed = request.deadline_at is not None and silence_has_elapsed(request.deadline_at, now)
        tz = convention.timezone
        document = document_state(ctx, session, target.version)
        previous_kept = previous is not None and document_state(ctx, session, previous).available
        differs = previous is not None and previous.sha256 != target.version.sha256
        comparable = document.available and previous_kept
        changes = None
        if differs and comparable:
            assert previous is not None
            changes = version_differences(ctx, previous, target.version)
        context = {
            "convention": convention,
            "party": party,
            "submitter": submitter,
            "recipient": target.link.recipient,
            "communication": target.communication,
            "version": target.version,
            "req": request,
            "state": state.value,
            "report": report,
            "names": {p.id: p.short_name for p in convention.parties},
            "overrides": overrides,
            "previous": previous,
            "changes": changes,
            "pages_shown": min(target.version.pages or 1, MAX_PAGES),
            "deadline": deadline,
            "deadline_text": (format_deadline_en(deadline) if lang == "en" else format_deadline_fr(deadline))
            if deadline
            else None,
            "deadline_steps": (
                explain_deadline_en(deadline) if lang == "en" else explain_deadline_fr(deadline)
            )
            if deadline
            else (),
            "countdown": countdown(request.deadline_at, now, lang),
            "deadline_iso": request.deadline_at.isoformat() if request.deadline_at else None,
            "decided": state in DECIDED,
            "elapsed": elapsed and state not in DECIDED,
            "timezone": tz,
            "max_text": MAX_TEXT,
            "mentions": mentions_beside_logos(target.version.logo_report, convention),
            "document": document,
            "comparison_unavailable": differs and not comparable,
        }
        return Review(target, context)


def _link_subject(ctx: AppContext, token: str) -> str:
    return token_hash(token, secret(ctx))


def _page(
    request: Request,
    ctx: AppContext,
    token: str,
    lang: str,
    *,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    started = time.perf_counter()
    try:
        review = _load(ctx, token, lang)
    except NotFound:
        _pad(started)
        return error_page(request, 404, lang, "not_found_title", "not_found_text")
    except _Gone:
        _pad(started)
        return error_page(request, 410, lang, "gone_title", "gone_text")
    context = {
        **review.context,
        "nonce": nonce_for(ctx, "decide", _link_subject(ctx, token)),
        "form_action": request.url.path,
        "thanks": request.query_params.get("done") == "1",
        "chosen": None,
        "text": "",
        "error_key": None,
        **(extra or {}),
    }
    return render(request, "partner/review.html", context, lang=lang, status_code=status_code)


@router.api_route("/r/{token}", methods=["GET", "HEAD"], name="review")
def review_page(request: Request, token: str, ctx: CtxDep, lang: LangDep) -> Response:
    """Show the request; deliberately free of side effects (mail scanners fetch these links)."""
    return _page(request, ctx, token, lang)


@router.post("/r/{token}")
def decide(
    request: Request,
    token: str,
    ctx: CtxDep,
    lang: LangDep,
    nonce: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT * 4)] = "",
) -> Response:
    """Record the partner's answer (same origin, nonce bound to this link), then show it (303)."""
    refusal = form_is_genuine(request, ctx, "decide", _link_subject(ctx, token), nonce)
    if refusal is not None:
        started = time.perf_counter()
        try:
            with reading(ctx) as session:
                resolve_link(session, ctx, token)
        except NotFound:
            _pad(started)
            return error_page(request, 404, lang, "not_found_title", "not_found_text")
        return _page(request, ctx, token, lang, status_code=403, extra={"error_key": refusal})
    error_key = _validate(decision, text)
    if error_key is not None:
        return _page(
            request,
            ctx,
            token,
            lang,
            status_code=422,
            extra={"error_key": error_key, "chosen": decision, "text": text},
        )
    try:
        record_decision(ctx, token=token, decision=decision, text=text)
    except NotFound:
        return error_page(request, 404, lang, "not_found_title", "not_found_text")
    except LinkGone:
        return error_page(request, 410, lang, "gone_title", "gone_text")
    except DecisionRefused as exc:
        key = next((k for needle, k in _REFUSALS if needle in str(exc)), "err_refused")
        return _page(request, ctx, token, lang, status_code=409, extra={"error_key": key, "text": text})
    suffix = "&lang=en" if lang == "en" and request.query_params.get("lang") == "en" else ""
    return RedirectResponse(f"{request.url.path}?done=1{suffix}", status_code=303)


def _validate(decision: str, text: str) -> str | None:
    try:
        kind = DecisionKind(decision)
    except ValueError:
        return "err_choose"
    cleaned = text.strip()
    if len(cleaned) > MAX_TEXT:
        return "err_too_long"
    if kind is DecisionKind.OBJECT and not cleaned:
        return "err_reason"
    if kind is DecisionKind.APPROVE_WITH_REMARKS and not cleaned:
        return "err_remarks"
    return None


@router.get("/r/{token}/{kind}/{number}.png")
def review_image(
    request: Request, token: str, kind: str, number: int, ctx: CtxDep, lang: LangDep
) -> Response:
    """Page previews, annotated pages and difference pages of the version behind a link."""
    started = time.perf_counter()
    with reading(ctx) as session:
        try:
            target = resolve_link(session, ctx, token)
        except NotFound:
            _pad(started)
            return error_page(request, 404, lang, "not_found_title", "not_found_text")
        if _is_gone(target):
            _pad(started)
            return error_page(request, 410, lang, "gone_title", "gone_text")
        return version_image(ctx, session, target.version, kind, number)
