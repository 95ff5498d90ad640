"""The auditors' room: read-only history, live chain status, exports and certificates; every view is recorded."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from sqlmodel import Session
from starlette.responses import Response, StreamingResponse

from comms_approval.adapters.db import audit as store
from comms_approval.adapters.db.tables import AuditEventRow, CommunicationRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.errors import NotFound
from comms_approval.services.audit import CSV_COLUMNS, AuditRefs, iter_export, record, verify_session
from comms_approval.services.certificates import (
    CertificateRefused,
    approval_certificate_pdf,
    silence_attestation_pdf,
)
from comms_approval.services.conventions import get_convention, list_conventions
from comms_approval.services.status import communication_status
from comms_approval.web.common import AuditorDep, CtxDep, LangDep, nonce_for, reading, render

router = APIRouter()
EVENT_LIMIT = 500
PARIS = ZoneInfo("Europe/Paris")
REQUEST_STATES = (
    "pending_delivery",
    "awaiting",
    "approved",
    "approved_with_remarks",
    "objected",
    "deemed_approved",
    "undeliverable",
    "withdrawn",
)
VERSION_STATES = ("rejected_by_check", "routing", "cleared", "blocked", "superseded")


def log_view(ctx: AppContext, auditor: str, request: Request, refs: AuditRefs = AuditRefs()) -> None:  # noqa: B008
    """The auditor's own trace: who opened what, in the same trail they are auditing."""
    with ctx.uow() as uow:  # the one write of the room: the auditor's own trace
        record(
            uow.session,
            ctx.clock,
            "auditor_page_viewed",
            refs,
            {"auditor": auditor, "path": request.url.path, "query": str(request.url.query)},
        )
        uow.commit()


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    params = request.query_params
    convention = params.get("convention") or ""
    return {
        "convention": convention if convention in allowed else "",
        "party": (params.get("party") or "")[:63],
        "state": params.get("state") if params.get("state") in REQUEST_STATES + VERSION_STATES else "",
        "start": _date(params.get("from")),
        "end": _date(params.get("to")),
    }


def _chain(session: Session) -> dict[str, Any]:
    result = verify_session(session)
    return {
        "ok": result.ok,
        "seq": result.head_seq if result.ok else result.first_bad_seq,
        "hash": result.head_hash,
        "problem": result.problem,
        "checked": result.events_checked,
    }


def _events(session: Session, allowed: tuple[str, ...], f: dict[str, Any]) -> list[AuditEventRow]:
    query = select(AuditEventRow).where(
        AuditEventRow.convention_id.in_([f["convention"]] if f["convention"] else list(allowed))  # type: ignore[union-attr]
    )
    if f["party"]:
        query = query.where(AuditEventRow.party_id == f["party"])
    if f["start"]:
        query = query.where(AuditEventRow.occurred_at >= datetime.combine(f["start"], time(0), PARIS))  # type: ignore[arg-type]
    if f["end"]:
        query = query.where(
            AuditEventRow.occurred_at < datetime.combine(f["end"] + timedelta(days=1), time(0), PARIS)  # type: ignore[arg-type]
        )
    query = query.order_by(AuditEventRow.seq.desc()).limit(EVENT_LIMIT)  # type: ignore[attr-defined]
    return list(session.execute(query).scalars())


def _communications(session: Session, allowed: tuple[str, ...], f: dict[str, Any]) -> list[dict[str, Any]]:
    query = (
        select(CommunicationRow)
        .where(
            CommunicationRow.convention_id.in_([f["convention"]] if f["convention"] else list(allowed))  # type: ignore[attr-defined]
        )
        .order_by(CommunicationRow.id.desc())  # type: ignore[union-attr]
    )
    rows = []
    for communication in session.execute(query).scalars():
        status = communication_status(session, communication)
        versions = status["versions"]
        if (
            f["party"]
            and communication.submitting_party != f["party"]
            and not any(r["party"] == f["party"] for v in versions for r in v["requests"])
        ):
            continue
        if f["state"] and not any(
            v["status"] == f["state"] or any(r["status"] == f["state"] for r in v["requests"])
            for v in versions
        ):
            continue
        created = communication.created_at.astimezone(PARIS).date()
        if (f["start"] and created < f["start"]) and not _touched_since(versions, f["start"]):
            continue
        if f["end"] and created > f["end"]:
            continue
        rows.append({"communication": communication, "latest": versions[-1] if versions else None})
    return rows


def _touched_since(versions: list[dict[str, Any]], start: date) -> bool:
    return any(
        v["submitted_at"] and datetime.fromisoformat(v["submitted_at"]).date() >= start for v in versions
    )


@router.get("/audit")
def room(request: Request, ctx: CtxDep, lang: LangDep, user: AuditorDep) -> Response:
    allowed = user.auditor_of
    f = _filters(request, allowed)
    log_view(ctx, user.email, request, AuditRefs(convention_id=f["convention"] or None))
    with reading(ctx) as session:
        conventions = [row for row in list_conventions(session) if row.id in allowed]
        parties = sorted(
            {(p.id, p.short_name) for row in conventions for p in get_convention(session, row.id).parties}
        )
        context = {
            "filters": f,
            "conventions": conventions,
            "parties": parties,
            "request_states": REQUEST_STATES,
            "version_states": VERSION_STATES,
            "chain": _chain(session),
            "events": _events(session, allowed, f),
            "communications": _communications(session, allowed, f),
            "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
        }
    return render(request, "auditor/room.html", context, lang=lang, user=user)


def _auditable(session: Session, user: Any, communication_id: int) -> CommunicationRow:
    communication = session.get(CommunicationRow, communication_id)
    if communication is None or communication.convention_id not in user.auditor_of:
        raise HTTPException(status_code=404)
    return communication


@router.get("/audit/communications/{communication_id}")
def communication_history(
    request: Request, communication_id: int, ctx: CtxDep, lang: LangDep, user: AuditorDep
) -> Response:
    with reading(ctx) as session:
        communication = _auditable(session, user, communication_id)
        convention = get_convention(session, communication.convention_id)
        status = communication_status(session, communication)
        events = list(
            session.execute(
                select(AuditEventRow)
                .where(AuditEventRow.communication_id == communication_id)  # type: ignore[arg-type]
                .order_by(AuditEventRow.seq)  # type: ignore[arg-type]
            ).scalars()
        )
        payloads = {
            seq: text for seq, text in store.payload_map(session).items() if seq in {e.seq for e in events}
        }
        chain = _chain(session)
    log_view(
        ctx,
        user.email,
        request,
        AuditRefs(convention_id=communication.convention_id, communication_id=communication_id),
    )
    names = {p.id: p.short_name for p in convention.parties}
    for version in status["versions"]:
        for item in version["requests"]:
            item["name"] = names.get(item["party"], item["party"])
            for key in ("delivered_at", "deadline", "decided_at"):
                item[key + "_dt"] = datetime.fromisoformat(item[key]) if item[key] else None
    return render(
        request,
        "auditor/communication.html",
        {
            "communication": communication,
            "convention": convention,
            "versions": list(reversed(status["versions"])),
            "events": events,
            "payloads": {seq: json.loads(text) for seq, text in payloads.items()},
            "names": names,
            "chain": chain,
            "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
        },
        lang=lang,
        user=user,
    )


def _export_lines(ctx: AppContext, allowed: tuple[str, ...], fmt: str) -> Iterator[str]:
    """The whole chain (so it verifies offline); payloads are withheld unless the event belongs to a convention
    the auditor audits: other conventions' events, and events of no convention (sign-ins, other auditors'
    page views...), which carry addresses and queries. No auditor is global: `allowed` is the conventions that
    declare this address as their auditor. A withheld payload is marked `payload_withheld` in JSONL, so the
    offline verifier does not take it for an erasure outside retention."""
    with reading(ctx) as session:
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
            writer.writeheader()
        for event in iter_export(session):
            data = event.as_dict()
            if event.convention_id not in allowed:
                data["payload"] = None  # its digest stays in payload_sha256: the chain still verifies
                data["payload_withheld"] = True
            if fmt == "jsonl":
                yield json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n"
                continue
            data.pop("chain")
            data.pop("payload_withheld", None)
            data["payload"] = json.dumps(data["payload"], ensure_ascii=False, sort_keys=True)
            writer.writerow(data)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if fmt == "csv" and buffer.getvalue():
            yield buffer.getvalue()


@router.get("/audit/export.{fmt}")
def export(request: Request, fmt: str, ctx: CtxDep, user: AuditorDep) -> Response:
    if fmt not in ("jsonl", "csv"):
        raise HTTPException(status_code=404)
    log_view(ctx, user.email, request)
    stamp = ctx.clock.now().strftime("%Y%m%dT%H%M%SZ")
    media = "application/x-ndjson; charset=utf-8" if fmt == "jsonl" else "text/csv; charset=utf-8"
    lines = list(_export_lines(ctx, user.auditor_of, fmt))
    return StreamingResponse(
        iter(lines),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-trail-{stamp}.{fmt}"'},
    )


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/audit/communications/{communication_id}/certificate.pdf")
def certificate(
    request: Request, communication_id: int, ctx: CtxDep, lang: LangDep, user: AuditorDep
) -> Response:
    with reading(ctx) as session:
        communication = _auditable(session, user, communication_id)
    version = request.query_params.get("version")
    log_view(
        ctx,
        user.email,
        request,
        AuditRefs(convention_id=communication.convention_id, communication_id=communication_id),
    )
    try:
        data = approval_certificate_pdf(
            ctx,
            communication_id,
            version_number=int(version) if version and version.isdigit() else None,
            language=lang,
        )
    except NotFound as exc:
        raise HTTPException(status_code=404) from exc
    return _pdf(data, f"certificat-communication-{communication_id}.pdf")


@router.get("/audit/requests/{request_id}/attestation.pdf")
def attestation(request: Request, request_id: int, ctx: CtxDep, lang: LangDep, user: AuditorDep) -> Response:
    with reading(ctx) as session:
        row = session.get(RequestRow, request_id)
        version = session.get(VersionRow, row.version_id) if row else None
        if row is None or version is None:
            raise HTTPException(status_code=404)
        communication = _auditable(session, user, version.communication_id)
    log_view(
        ctx,
        user.email,
        request,
        AuditRefs(
            convention_id=communication.convention_id,
            communication_id=communication.id,
            request_id=request_id,
            party_id=row.party_id,
        ),
    )
    try:
        data = silence_attestation_pdf(ctx, request_id, language=lang)
    except (NotFound, CertificateRefused) as exc:
        raise HTTPException(status_code=404) from exc
    return _pdf(data, f"attestation-silence-demande-{request_id}.pdf")
