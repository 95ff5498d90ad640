"""The yearly report for the CDEN in the auditors' room: key figures on a page, the PDF and the CSV files."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from comms_approval.bootstrap import AppContext
from comms_approval.domain.lifecycle import school_year_of
from comms_approval.services.audit import AuditRefs
from comms_approval.services.auth import WebUser
from comms_approval.services.conventions import get_convention
from comms_approval.services.routing import local_today
from comms_approval.services.yearly_report import (
    ReportRefused,
    YearlyReport,
    build_yearly_report,
    parse_school_year,
    write_csv,
    write_pdf,
)
from comms_approval.web.auditors import log_view
from comms_approval.web.common import AuditorDep, CtxDep, LangDep, nonce_for, reading, render

router = APIRouter()
# The order of the key figures on the page (the report's own summary keys).
METRICS = (
    "communications",
    "versions",
    "versions_cleared",
    "versions_blocked",
    "versions_superseded",
    "versions_in_progress",
    "requests",
    "explicit_approvals",
    "approvals_with_remarks",
    "silent_approvals",
    "objections",
    "reminders_sent",
    "logo_check_failures",
    "logo_overrides",
    "median_days_to_decision",
)
CSV_PARTS = {"synthese": 0, "partenaires": 1, "objections": 2}
# pyplot keeps global state: two PDFs drawn at once in the thread pool would mix their figures.
_PDF_LOCK = threading.Lock()


def _choice(ctx: AppContext, user: WebUser, request: Request) -> tuple[str, tuple[int, int], list[str]]:
    """The convention and school year asked for (defaults: the first audited one, the current year)."""
    allowed = user.auditor_of
    asked = request.query_params.get("convention") or allowed[0]
    if asked not in allowed:
        raise HTTPException(status_code=404)
    with reading(ctx) as session:
        convention = get_convention(session, asked)
    current = school_year_of(local_today(convention, ctx.clock.now()))
    first = school_year_of(convention.signed_on)
    years = [f"{y}-{y + 1}" for y in range(current[0], first[0] - 1, -1)]
    text = request.query_params.get("year")
    try:
        year = parse_school_year(text) if text else current
    except ReportRefused:
        year = current
    return asked, year, years


def _refs(convention_id: str) -> AuditRefs:
    return AuditRefs(convention_id=convention_id)


def _number(value: object, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text if lang == "en" else text.replace(".", ",")
    return str(value)


@router.get("/audit/report")
def report_page(request: Request, ctx: CtxDep, lang: LangDep, user: AuditorDep) -> Response:
    convention_id, year, years = _choice(ctx, user, request)
    log_view(ctx, user.email, request, _refs(convention_id))
    report = build_yearly_report(ctx, year, convention_id)
    summary = report.summary()
    with reading(ctx) as session:
        titles = {cid: get_convention(session, cid).title for cid in user.auditor_of}
    context: dict[str, Any] = {
        "report": report,
        "figures": [(key, _number(summary[key], lang)) for key in METRICS],
        "parties": [
            {
                "figures": p,
                "median": _number(round(p.median_days, 1) if p.median_days is not None else None, lang),
            }
            for p in report.parties
        ],
        "titles": titles,
        "names": {p.party: p.short_name for p in report.parties},
        "convention_id": convention_id,
        "year": report.label,
        "years": years if report.label in years else [report.label, *years],
        "query": f"convention={convention_id}&year={report.label}",
        "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
    }
    return render(request, "auditor/report.html", context, lang=lang, user=user)


def _download(data: bytes, media: str, filename: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _built(ctx: AppContext, user: WebUser, request: Request) -> YearlyReport:
    convention_id, year, _ = _choice(ctx, user, request)
    log_view(ctx, user.email, request, _refs(convention_id))
    return build_yearly_report(ctx, year, convention_id)


@router.get("/audit/report.pdf")
def report_pdf(request: Request, ctx: CtxDep, user: AuditorDep) -> Response:
    report = _built(ctx, user, request)
    with tempfile.TemporaryDirectory(prefix="report-") as folder, _PDF_LOCK:
        path = write_pdf(report, Path(folder) / "report.pdf")
        data = path.read_bytes()
    return _download(data, "application/pdf", f"rapport-{report.convention_id}-{report.label}.pdf")


@router.get("/audit/report/{part}.csv")
def report_csv(request: Request, part: str, ctx: CtxDep, user: AuditorDep) -> Response:
    if part not in CSV_PARTS:
        raise HTTPException(status_code=404)
    report = _built(ctx, user, request)
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        path = write_csv(report, Path(folder))[CSV_PARTS[part]]
        data = path.read_bytes()
    return _download(data, "text/csv; charset=utf-8", path.name)
