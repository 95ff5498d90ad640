"""Sign-in by one-time link, and the officers' desk: upload, logo report, overrides, board, resend."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from comms_approval.adapters.db.tables import CommunicationRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.errors import DocumentError, IllegalTransition, NotFound, SubmissionRefused
from comms_approval.domain.logos import LogoStatus, reason_text
from comms_approval.services.auth import (
    WebUser,
    consume_signin,
    request_signin,
    sign_out,
    signin_link_is_valid,
)
from comms_approval.services.conventions import get_convention
from comms_approval.services.delivery import resend_request
from comms_approval.services.records import check_error_of, get_communication, logo_report_of
from comms_approval.services.routing import overrides_of
from comms_approval.services.status import communication_status
from comms_approval.services.submission import (
    AcceptedDraft,
    check_unheld,
    check_waiting,
    override_logo_check,
    receive_draft,
)
from comms_approval.web.common import (
    SESSION_COOKIE,
    CheckerDep,
    CtxDep,
    LangDep,
    MentionFinderDep,
    OfficerDep,
    UserDep,
    countdown,
    error_page,
    form_is_genuine,
    mentions_beside_logos,
    nonce_for,
    reading,
    render,
)
from comms_approval.web.i18n import t
from comms_approval.web.images import document_state, version_image
from comms_approval.web.refusals import Refusal, explain

router = APIRouter()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file
MAX_TITLE = 300  # characters, as the form's field says (`maxlength`)
# Only these notices may be shown from a query parameter (no text of a visitor's choosing on our pages).
NOTICES = frozenset({"override_recorded", "resent"})


def _notice(request: Request) -> str | None:
    notice = request.query_params.get("notice")
    return notice if notice in NOTICES else None


class UploadTooLarge(Exception):
    """The request body went past the size limit while it was being received."""


def _anonymous_subject(request: Request) -> str:
    return "anonymous"


def _home_for(user: WebUser) -> str:
    return "/desk" if user.is_officer else "/audit"


# -- sign-in ---------------------------------------------------------------------------------------


@router.get("/")
def home(user: UserDep) -> Response:
    return RedirectResponse(_home_for(user) if user else "/signin", status_code=303)


@router.get("/signin")
def signin_form(request: Request, ctx: CtxDep, lang: LangDep, user: UserDep) -> Response:
    return render(
        request,
        "officer/signin.html",
        {"nonce": nonce_for(ctx, "signin", "anonymous"), "email": "", "error_key": None},
        lang=lang,
        user=user,
    )


@router.post("/signin")
def signin_request(
    request: Request,
    ctx: CtxDep,
    lang: LangDep,
    nonce: Annotated[str, Form()] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Queue a link for a declared address; the answer is the same for any well-formed address."""
    refusal = form_is_genuine(request, ctx, "signin", "anonymous", nonce)
    address = email.strip()
    if refusal is None and not _EMAIL.match(address):
        refusal = "err_email"
    if refusal is not None:
        return render(
            request,
            "officer/signin.html",
            {"nonce": nonce_for(ctx, "signin", "anonymous"), "email": address, "error_key": refusal},
            lang=lang,
            status_code=403 if refusal.startswith("err_c") else 422,
        )
    request_signin(ctx, address, language=lang)
    return render(request, "officer/signin_sent.html", {"email": address}, lang=lang)


@router.api_route("/signin/{token}", methods=["GET", "HEAD"])
def signin_confirm(request: Request, token: str, ctx: CtxDep, lang: LangDep) -> Response:
    """Ask before using the link: a scanner fetching it must not burn the one-time link."""
    valid = signin_link_is_valid(ctx, token)
    return render(
        request,
        "officer/signin_confirm.html",
        {"valid": valid, "nonce": nonce_for(ctx, "signin-confirm", token[:16])},
        lang=lang,
        status_code=200 if valid else 404,
    )


@router.post("/signin/{token}")
def signin_consume(
    request: Request, token: str, ctx: CtxDep, lang: LangDep, nonce: Annotated[str, Form()] = ""
) -> Response:
    refusal = form_is_genuine(request, ctx, "signin-confirm", token[:16], nonce)
    if refusal is not None:
        return error_page(request, 403, lang, "forbidden_title", refusal)
    try:
        cookie, user = consume_signin(ctx, token)
    except NotFound:
        return render(
            request, "officer/signin_confirm.html", {"valid": False, "nonce": ""}, lang=lang, status_code=404
        )
    response = RedirectResponse(_home_for(user), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=8 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
        path="/",
    )
    return response


@router.post("/signout")
def signout(
    request: Request, ctx: CtxDep, lang: LangDep, user: UserDep, nonce: Annotated[str, Form()] = ""
) -> Response:
    if user is not None:
        refusal = form_is_genuine(request, ctx, "signout", user.session_hash, nonce)
        if refusal is not None:
            return error_page(request, 403, lang, "forbidden_title", refusal, user=user)
        sign_out(ctx, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=request.app.state.secure_cookies, httponly=True, samesite="lax"
    )
    return response


# -- the desk --------------------------------------------------------------------------------------


def _visible_communication(session: Session, user: WebUser, communication_id: int) -> CommunicationRow:
    """A communication of a convention the officer works in (Article 6: others never see it)."""
    communication = session.get(CommunicationRow, communication_id)
    if communication is None or communication.convention_id not in user.officer_conventions:
        raise HTTPException(status_code=404)
    return communication


def _board(ctx: AppContext, user: WebUser, lang: str) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    rows: list[dict[str, Any]] = []
    with reading(ctx) as session:
        query = (
            select(CommunicationRow)
            .where(CommunicationRow.convention_id.in_(sorted(user.officer_conventions)))  # type: ignore[attr-defined]
            .order_by(CommunicationRow.id.desc())  # type: ignore[union-attr]
        )
        for communication in session.execute(query).scalars():
            status = communication_status(session, communication)
            latest = status["versions"][-1] if status["versions"] else None
            convention = get_convention(session, communication.convention_id)
            names = {p.id: p.short_name for p in convention.parties}
            requests = []
            for item in latest["requests"] if latest else []:
                deadline_at = _parse(item["deadline"])
                requests.append(
                    {
                        **item,
                        "name": names.get(item["party"], item["party"]),
                        "countdown": countdown(deadline_at, now, lang)
                        if item["status"] == "awaiting"
                        else None,
                    }
                )
            rows.append(
                {
                    "communication": communication,
                    "latest": latest,
                    "requests": requests,
                    "submitter": names.get(communication.submitting_party, communication.submitting_party),
                }
            )
    return rows


def _parse(value: str | None) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


def _conventions(ctx: AppContext, user: WebUser) -> list[tuple[str, str]]:
    with reading(ctx) as session:
        return [(cid, get_convention(session, cid).title) for cid in sorted(user.officer_conventions)]


@router.get("/desk")
def desk(request: Request, ctx: CtxDep, lang: LangDep, user: OfficerDep) -> Response:
    return render(
        request,
        "officer/desk.html",
        {
            "rows": _board(ctx, user, lang),
            "conventions": _conventions(ctx, user),
            "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
        },
        lang=lang,
        user=user,
    )


def _upload_context(ctx: AppContext, user: WebUser) -> dict[str, Any]:
    choices = []
    with reading(ctx) as session:
        for convention_id, party_id in user.officer_of:
            convention = get_convention(session, convention_id)
            choices.append(
                {
                    "value": f"{convention_id}/{party_id}",
                    "label": f"{convention.party(party_id).name} — {convention.title}",
                }
            )
    return {
        "choices": choices,
        "nonce": nonce_for(ctx, "upload", user.session_hash),
        "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
        "max_mb": ctx.settings.max_upload_bytes // (1024 * 1024),
        "max_pages": ctx.settings.max_pdf_pages,
        "inline_pages": ctx.settings.inline_check_max_pages,
        "title": "",
        "max_title": MAX_TITLE,
        "error": None,
    }


@router.get("/desk/new")
def upload_form(request: Request, ctx: CtxDep, lang: LangDep, user: OfficerDep) -> Response:
    return render(request, "officer/upload.html", _upload_context(ctx, user), lang=lang, user=user)


async def _read_limited_form(request: Request, limit: int) -> Any:
    """Parse the multipart body while counting bytes: past the limit, stop receiving at once."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _MULTIPART_SLACK:
        raise UploadTooLarge
    received = 0
    receive = request.receive

    async def counting_receive() -> Any:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + _MULTIPART_SLACK:
                raise UploadTooLarge
        return message

    limited = Request(request.scope, counting_receive)
    return await limited.form(max_files=1, max_fields=20)


async def _save_upload(upload: UploadFile, folder: Path, limit: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False)  # noqa: SIM115
    size = 0
    with handle:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                Path(handle.name).unlink(missing_ok=True)
                raise UploadTooLarge
            handle.write(chunk)
    return Path(handle.name)


@router.post("/desk/new")
@router.post("/desk/communications/{communication_id}/versions")
async def upload(
    request: Request,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    checker: CheckerDep,
    find_mentions: MentionFinderDep,
    communication_id: int | None = None,
) -> Response:
    """Receive a draft (size limited while streaming, type judged by content), check it and route it."""
    limit = ctx.settings.max_upload_bytes
    context = _upload_context(ctx, user)
    template = "officer/upload.html"

    if communication_id is not None:
        # A failed new version comes back to the same form, for this communication only.
        context["form_action"] = f"/desk/communications/{communication_id}/versions"
        context["version_of"] = communication_id

    def fail(message: str | Refusal, status: int) -> Response:
        return render(
            request, template, {**context, "error": message}, lang=lang, status_code=status, user=user
        )

    try:
        form = await _read_limited_form(request, limit)
    except UploadTooLarge:
        return fail(t("too_large", lang, mb=limit // (1024 * 1024)), 413)
    refusal = form_is_genuine(request, ctx, "upload", user.session_hash, str(form.get("nonce") or ""))
    if refusal is not None:
        return fail(t(refusal, lang), 403)
    upload_file = form.get("file")
    title = str(form.get("title") or "").strip()
    context["title"] = title
    kept_title = None
    if communication_id is not None:
        with reading(ctx) as session:
            existing = _visible_communication(session, user, communication_id)
        convention_id, party_id = existing.convention_id, existing.submitting_party
        kept_title = existing.title
        title = title or existing.title
    else:
        convention_id, _, party_id = str(form.get("party") or "").partition("/")
    if not user.may_submit_for(convention_id, party_id):
        return fail(t("err_party", lang), 403)
    if not title:
        return fail(t("err_title", lang), 422)
    # The field's maxlength binds only browsers; a communication's title already recorded (e.g. by the command
    # line) may be kept by its new versions.
    if len(title) > MAX_TITLE and title != kept_title:
        context["title"] = title[:MAX_TITLE]  # the form echoes what it accepts
        return fail(t("err_title_too_long", lang, max=MAX_TITLE), 422)
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return fail(t("err_file", lang), 422)
    try:
        path = await _save_upload(upload_file, ctx.settings.data_dir / "uploads", limit)
    except UploadTooLarge:
        return fail(t("too_large", lang, mb=limit // (1024 * 1024)), 413)
    try:
        received = await run_in_threadpool(
            receive_draft,
            ctx,
            checker,
            convention_id=convention_id,
            party_id=party_id,
            title=title,
            file=path,
            officer_email=user.email,
            original_filename=upload_file.filename,
            declared_type=upload_file.content_type,
            communication_id=communication_id,
            find_mentions=find_mentions,
        )
    except (DocumentError, SubmissionRefused) as exc:
        return fail(explain(exc, lang), 422)
    finally:
        path.unlink(missing_ok=True)
    if isinstance(received, AcceptedDraft):  # minutes of search: its page follows the check
        request.app.state.checks.enqueue(received.version_id)
    return RedirectResponse(f"/desk/versions/{received.version_id}", status_code=303)


def _version_context(ctx: AppContext, user: WebUser, version_id: int, lang: str) -> dict[str, Any]:
    with reading(ctx) as session:
        version = session.get(VersionRow, version_id)
        if version is None:
            raise HTTPException(status_code=404)
        communication = _visible_communication(session, user, version.communication_id)
        convention = get_convention(session, communication.convention_id)
        report = logo_report_of(version)
        overrides = overrides_of(session, version_id)
        names = {p.id: p.short_name for p in convention.parties}
        status = communication_status(session, communication)
        this = next(v for v in status["versions"] if v["version_id"] == version_id)
        document = document_state(ctx, session, version)
    results = report.parties if report is not None else ()
    failing = [r for r in results if r.status is not LogoStatus.PRESENT and r.party not in overrides]
    checking = check_waiting(version)
    return {
        "version": version,
        "communication": communication,
        "convention": convention,
        "report": report,
        "checking": checking,
        "check_pending": check_unheld(version, ctx.clock.now()),
        "check_minutes": max(1, math.ceil(version.pages * SECONDS_PER_PAGE / 60)),
        "check_error": check_error_of(version, lang),
        "poll_seconds": CHECK_POLL_SECONDS,
        "reasons": {r.party: reason_text(r.reason, lang) for r in results},
        "overrides": overrides,
        "names": names,
        "failing": failing,
        "requests": this["requests"],
        "may_act": user.may_submit_for(communication.convention_id, communication.submitting_party),
        "nonce": nonce_for(ctx, "override", user.session_hash),
        "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
        "pages_shown": min(version.pages or 1, 20),
        "mentions": mentions_beside_logos(version.logo_report, convention),
        "document": document,
        "timezone": convention.timezone,
    }


# What the officer is told to expect while a long draft is checked (bench/RESULTS.md: 0.5-3 s a page).
SECONDS_PER_PAGE = 2.0
CHECK_POLL_SECONDS = 4


@router.get("/desk/versions/{version_id}")
def version_page(request: Request, version_id: int, ctx: CtxDep, lang: LangDep, user: OfficerDep) -> Response:
    context = _version_context(ctx, user, version_id, lang)
    if context["check_pending"]:  # a check a dead process left is taken up when its officer looks
        request.app.state.checks.enqueue(version_id)
    context["error"] = None
    context["notice"] = _notice(request)
    return render(request, "officer/version.html", context, lang=lang, user=user)


@router.get("/desk/versions/{version_id}/check")
def version_check(request: Request, version_id: int, ctx: CtxDep, user: OfficerDep) -> JSONResponse:
    """Whether the version's logo check is still running: the version page polls it (app.js) to reload once."""
    with reading(ctx) as session:
        version = session.get(VersionRow, version_id)
        if version is None:
            raise HTTPException(status_code=404)
        _visible_communication(session, user, version.communication_id)
    if check_unheld(version, ctx.clock.now()):
        request.app.state.checks.enqueue(version_id)
    return JSONResponse(
        {"checking": check_waiting(version), "status": version.status, "progress": version.check_progress}
    )


@router.post("/desk/versions/{version_id}/overrides")
def record_override(
    request: Request,
    version_id: int,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    nonce: Annotated[str, Form()] = "",
    party: Annotated[str, Form()] = "",
    justification: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    context = _version_context(ctx, user, version_id, lang)
    refusal = form_is_genuine(request, ctx, "override", user.session_hash, nonce)
    error: str | Refusal | None = t(refusal, lang) if refusal else None
    if error is None and len(justification.strip()) < 10:
        error = t("err_justification", lang)
    if error is None:
        try:
            override_logo_check(
                ctx,
                version_id=version_id,
                party_id=party,
                justification=justification,
                officer_email=user.email,
            )
        except (SubmissionRefused, NotFound) as exc:
            error = explain(exc, lang)
    if error is not None:
        context["error"] = error
        context["notice"] = None
        return render(
            request,
            "officer/version.html",
            context,
            lang=lang,
            user=user,
            status_code=403 if refusal else 422,
        )
    return RedirectResponse(f"/desk/versions/{version_id}?notice=override_recorded", status_code=303)


@router.get("/desk/communications/{communication_id}")
def communication_page(
    request: Request, communication_id: int, ctx: CtxDep, lang: LangDep, user: OfficerDep
) -> Response:
    now = ctx.clock.now()
    with reading(ctx) as session:
        communication = _visible_communication(session, user, communication_id)
        convention = get_convention(session, communication.convention_id)
        status = communication_status(session, communication)
    names = {p.id: p.short_name for p in convention.parties}
    for version in status["versions"]:
        for item in version["requests"]:
            item["name"] = names.get(item["party"], item["party"])
            item["countdown"] = (
                countdown(_parse(item["deadline"]), now, lang) if item["status"] == "awaiting" else None
            )
            item["deadline_at"] = _parse(item["deadline"])
            item["delivered"] = _parse(item["delivered_at"])
            item["decided"] = _parse(item["decided_at"])
            item["address"] = ", ".join(convention.party(item["party"]).approvers)
    return render(
        request,
        "officer/communication.html",
        {
            "communication": communication,
            "convention": convention,
            "status": status,
            "versions": list(reversed(status["versions"])),
            "submitter": convention.party(communication.submitting_party),
            "may_act": user.may_submit_for(communication.convention_id, communication.submitting_party),
            "nonce": nonce_for(ctx, "upload", user.session_hash),
            "resend_nonce": nonce_for(ctx, "resend", user.session_hash),
            "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
            "max_mb": ctx.settings.max_upload_bytes // (1024 * 1024),
            "max_pages": ctx.settings.max_pdf_pages,
            "inline_pages": ctx.settings.inline_check_max_pages,
            "notice": _notice(request),
            "timezone": convention.timezone,
        },
        lang=lang,
        user=user,
    )


@router.post("/desk/requests/{request_id}/resend")
def resend(
    request: Request,
    request_id: int,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    nonce: Annotated[str, Form()] = "",
    addresses: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    refusal = form_is_genuine(request, ctx, "resend", user.session_hash, nonce)
    if refusal is not None:
        return error_page(request, 403, lang, "forbidden_title", refusal, user=user)
    from comms_approval.adapters.db.tables import RequestRow

    with reading(ctx) as session:
        row = session.get(RequestRow, request_id)
        if row is None:
            raise HTTPException(status_code=404)
        version = session.get(VersionRow, row.version_id)
        assert version is not None
        communication = _visible_communication(session, user, version.communication_id)
    wanted = [a.strip() for a in addresses.replace(";", ",").split(",") if a.strip()]
    try:
        resend_request(ctx, request_id=request_id, officer_email=user.email, addresses=wanted or None)
    except (SubmissionRefused, NotFound) as exc:
        return error_page(request, 422, lang, "error", "", user=user, refusal=explain(exc, lang))
    except (
        IllegalTransition
    ) as exc:  # e.g. resending a request that is not undeliverable: a mistake, not a crash
        return error_page(request, 409, lang, "error", "", user=user, refusal=explain(exc, lang))
    return RedirectResponse(f"/desk/communications/{communication.id}?notice=resent", status_code=303)


@router.get("/v/{version_id}/{kind}/{number}.png")
def signed_in_image(
    request: Request, version_id: int, kind: str, number: int, ctx: CtxDep, user: UserDep
) -> Response:
    """Images of a version for its convention's officers and auditors."""
    if user is None:
        raise HTTPException(status_code=404)
    with reading(ctx) as session:
        version = session.get(VersionRow, version_id)
        if version is None:
            raise HTTPException(status_code=404)
        communication = get_communication(session, version.communication_id)
        if communication.convention_id not in user.officer_conventions | set(user.auditor_of):
            raise HTTPException(status_code=404)
        return version_image(ctx, session, version, kind, number)
