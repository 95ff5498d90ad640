"""Routing a compliant version: one request per other active party, a link per approver, mails queued."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlmodel import Session

from comms_approval.adapters.db.tables import (
    CommunicationRow,
    LinkRow,
    LogoOverrideRow,
    PartyRow,
    RequestRow,
    VersionRow,
)
from comms_approval.adapters.links import new_token, token_hash
from comms_approval.adapters.mail.ics import deadline_ics
from comms_approval.adapters.mail.message import Attachment
from comms_approval.adapters.mail.render import deadline_event_title, deadline_sentence
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention, Party
from comms_approval.domain.deadlines import compute_deadline
from comms_approval.domain.events import RequestOpened
from comms_approval.domain.lifecycle import party_is_active
from comms_approval.domain.requests import RequestState
from comms_approval.services.notifications import enqueue, request_mail_key
from comms_approval.services.records import record_event, request_refs


def local_today(convention: Convention, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(convention.timezone)).date()


def active_parties(convention: Convention, party_rows: Mapping[str, PartyRow], on: date) -> tuple[Party, ...]:
    """The parties still in the convention on `on`: a termination takes effect on its day (Article 9)."""
    return tuple(
        party
        for party in convention.parties
        if party_is_active(on, row.termination_effective_on if (row := party_rows.get(party.id)) else None)
    )


def routed_parties(
    convention: Convention, submitting_party: str, party_rows: Mapping[str, PartyRow], on: date
) -> list[Party]:
    """Every other party still active on the submission date (Article 9: terminated parties leave)."""
    return [party for party in active_parties(convention, party_rows, on) if party.id != submitting_party]


def review_url(ctx: AppContext, token: str) -> str:
    return f"{ctx.settings.base_url}/r/{token}"


def provisional_deadline(ctx: AppContext, convention: Convention) -> datetime:
    """The deadline if the mail is delivered today; the real one (kept on the request) is never earlier."""
    return compute_deadline(
        ctx.clock.now(),
        days=convention.silence_days,
        rule=convention.deadline_rule,
        territory=convention.territory,
        timezone=convention.timezone,
    ).deadline


def open_requests(
    session: Session,
    ctx: AppContext,
    *,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    parties: Sequence[Party],
    mail_context: Mapping[str, object],
    preview: Attachment | None,
) -> list[RequestRow]:
    """Create the requests and queue one request mail per approver address (each with its own link)."""
    now = ctx.clock.now()
    requests = []
    for party in parties:
        request = RequestRow(
            version_id=version.id or 0,
            party_id=party.id,
            status=RequestState.PENDING_DELIVERY.value,
            recipients=list(party.approvers),
            opened_at=now,
        )
        session.add(request)
        session.flush()
        record_event(
            session,
            ctx.clock,
            RequestOpened(
                occurred_at=now,
                request_id=str(request.id),
                version_id=str(version.id),
                party_id=party.id,
                addresses=tuple(party.approvers),
            ),
            request_refs(communication, version, request),
        )
        queue_request_mails(
            session, ctx, convention, communication, version, request, party, mail_context, preview
        )
        requests.append(request)
    return requests


def queue_request_mails(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    request: RequestRow,
    party: Party,
    mail_context: Mapping[str, object],
    preview: Attachment | None,
) -> None:
    """One message per recipient of the current send round, each with a fresh link token."""
    deadline = provisional_deadline(ctx, convention)
    for address in request.recipients:
        token = new_token()
        session.add(
            LinkRow(
                token_hash=token_hash(token, ctx.settings.secret_key.get_secret_value()),
                request_id=request.id or 0,
                recipient=address,
                created_at=ctx.clock.now(),
            )
        )
        context = {
            **mail_context,
            "recipient_party": party.name,
            "recipient_party_short": party.short_name,
            "recipient_address": address,
            "review_url": review_url(ctx, token),
            "deadline": deadline,
            "changes": mail_context["changes_by_language"][party.language],  # type: ignore[index]
        }
        if preview is not None:
            context["preview_cid"] = preview.inline_cid
        ics = Attachment(
            filename="echeance.ics" if party.language == "fr" else "deadline.ics",
            content_type="text/calendar; method=PUBLISH",
            data=deadline_ics(
                uid=f"request-{request.id}-round{request.send_round}@comms-approval",
                summary=deadline_event_title(communication.title, version.number, party.language),
                description=f"{deadline_sentence(deadline, convention.timezone, party.language)} "
                f"{review_url(ctx, token)}",
                deadline=deadline,
                created=ctx.clock.now(),
            ),
        )
        enqueue(
            session,
            ctx,
            template="request",
            key=request_mail_key(request.id, request.send_round, address),
            recipient=address,
            language=party.language,
            context=context,
            request_id=request.id,
            version_id=version.id,
            attachments=[preview, ics] if preview is not None else [ics],
        )


def overrides_of(session: Session, version_id: int) -> dict[str, LogoOverrideRow]:
    from sqlalchemy import select

    rows = session.execute(select(LogoOverrideRow).where(LogoOverrideRow.version_id == version_id)).scalars()  # type: ignore[arg-type]
    return {row.party_id: row for row in rows}


def request_mail_context(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
) -> tuple[dict[str, object], Attachment | None]:
    """What every request or reminder mail of a version says, and its inline preview image."""
    from comms_approval.domain.logos import LogoReport
    from comms_approval.services.records import versions_of

    report = LogoReport.from_dict(version.logo_report)
    submitter = convention.party(communication.submitting_party)
    overrides = overrides_of(session, version.id or 0)
    earlier = [v for v in versions_of(session, communication.id or 0) if v.number < version.number]
    previous = earlier[-1] if earlier else None
    context: dict[str, object] = {
        "convention_title": convention.title,
        "requesting_party": submitter.name,
        "requesting_party_short": submitter.short_name,
        "officer_email": communication.officer_email,
        "communication_title": communication.title,
        "version": version.number,
        "sha256": version.sha256,
        "pages": version.pages,
        "timezone": convention.timezone,
        "logo_check": [
            {
                "party": convention.party(r.party).short_name,
                "found": r.status.value == "present",
                "override": (
                    {
                        "officer": overrides[r.party].recorded_by,
                        "justification": overrides[r.party].justification,
                    }
                    if r.party in overrides
                    else None
                ),
            }
            for r in report.parties
        ],
        "overrides": [
            {"party": convention.party(p).short_name, "justification": o.justification}
            for p, o in overrides.items()
        ],
        "previous_version": previous.number if previous else None,
        "changes_by_language": describe_changes(previous, version),
        "silence_days": convention.silence_days,
    }
    preview_path = ctx.settings.data_dir / "derived" / version.sha256 / "preview.png"
    preview = (
        Attachment(
            filename="apercu.png",
            content_type="image/png",
            data=preview_path.read_bytes(),
            inline_cid=f"preview-{version.sha256[:16]}@comms-approval.localhost",
        )
        if preview_path.is_file()
        else None
    )
    return context, preview


def describe_changes(previous: VersionRow | None, version: VersionRow) -> dict[str, str]:
    """A one-line summary of what changed since the previous version, in each language."""
    if previous is None:
        return {"fr": "", "en": ""}
    if previous.sha256 == version.sha256:
        return {
            "fr": "Fichier identique à la version précédente.",
            "en": "Same file as the previous version.",
        }
    size_fr = f"{previous.size_bytes / 1024:.0f}\u00a0Ko → {version.size_bytes / 1024:.0f}\u00a0Ko"
    size_en = f"{previous.size_bytes / 1024:.0f} KiB → {version.size_bytes / 1024:.0f} KiB"
    return {
        "fr": f"Nouveau fichier (version {previous.number} → {version.number}) : {previous.pages} → {version.pages}"
        f" page(s), {size_fr}. La page de consultation montre les différences visuelles.",
        "en": f"New file (version {previous.number} → {version.number}): {previous.pages} → {version.pages}"
        f" page(s), {size_en}. The review page shows the visual differences.",
    }
