"""Delivery facts: the relay's 250 starts the clock; a permanent failure stops it; resend starts a new one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import CommunicationRow, OutboxRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.deadlines import compute_deadline
from comms_approval.domain.errors import NotFound, SubmissionRefused
from comms_approval.domain.events import DeliveryFailed, RequestDelivered, RequestResent
from comms_approval.domain.reminders import reminder_slots
from comms_approval.domain.requests import RequestEvent, RequestState, next_request_state
from comms_approval.services.conclusion import revoke_links
from comms_approval.services.conventions import get_convention
from comms_approval.services.locks import lock_version, reload_request
from comms_approval.services.notifications import OutboxStatus, enqueue, request_mail_key
from comms_approval.services.records import get_communication, record_event, request_refs
from comms_approval.services.routing import queue_request_mails, request_mail_context


@dataclass
class DeliveryBatch:
    """What one settling transaction already holds: the version rows it locked, the rows read after the locks.

    Only valid inside that transaction: the locks are what make the cached rows current.
    """

    locked_versions: dict[int, VersionRow] = field(default_factory=dict)
    requests: dict[int, RequestRow] = field(default_factory=dict)
    communications: dict[int, CommunicationRow] = field(default_factory=dict)
    conventions: dict[str, Convention] = field(default_factory=dict)

    def lock(self, session: Session, request_ids: set[int]) -> None:
        """Lock the versions of these requests, then read the requests and communications: 3 statements.

        The versions are locked by one SELECT ... ORDER BY id FOR UPDATE, which takes the row locks in
        ascending id order, the product's global order (see services/locks.py). The requests are read after
        the locks (populate_existing: never a stale copy from the identity map), so they are the guard of
        each transition, as reload_request after lock_version would be.
        """
        if not request_ids:
            return
        of_requests = select(col(RequestRow.version_id)).where(col(RequestRow.id).in_(request_ids))
        versions = session.execute(
            select(VersionRow)
            .where(col(VersionRow.id).in_(of_requests))
            .order_by(col(VersionRow.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
        self.locked_versions.update((version.id, version) for version in versions if version.id is not None)
        requests = session.execute(
            select(RequestRow)
            .where(col(RequestRow.id).in_(request_ids))
            .execution_options(populate_existing=True)
        ).scalars()
        self.requests.update((request.id, request) for request in requests if request.id is not None)
        communication_ids = {version.communication_id for version in self.locked_versions.values()}
        communications = session.execute(
            select(CommunicationRow).where(col(CommunicationRow.id).in_(communication_ids))
        ).scalars()
        self.communications.update((row.id, row) for row in communications if row.id is not None)

    def convention(self, session: Session, convention_id: str) -> Convention:
        # Parsing the convention's spec is the dearest step of starting a clock; a batch reads it once.
        if convention_id not in self.conventions:
            self.conventions[convention_id] = get_convention(session, convention_id)
        return self.conventions[convention_id]


def mark_request_delivered(
    session: Session,
    ctx: AppContext,
    request_id: int,
    accepted_at: datetime,
    *,
    batch: DeliveryBatch | None = None,
) -> bool:
    """First accepted request mail of the current round: the request awaits, its deadline is fixed and kept."""
    cached = batch.requests.get(request_id) if batch is not None else None
    request = cached if cached is not None else reload_request(session, request_id)
    version = batch.locked_versions.get(request.version_id) if batch is not None else None
    if version is None:
        version = lock_version(session, request.version_id)
        assert version is not None
        request = reload_request(session, request_id)
    # else: the batch locked this version before the request was read (above or in DeliveryBatch.lock), so
    # that read is the guard; what this transaction changed since is in the same object.
    if request.status != RequestState.PENDING_DELIVERY.value:
        return False
    known = batch.communications.get(version.communication_id) if batch is not None else None
    communication = known if known is not None else get_communication(session, version.communication_id)
    if batch is not None:
        convention = batch.convention(session, communication.convention_id)
    else:
        convention = get_convention(session, communication.convention_id)
    deadline = compute_deadline(
        accepted_at,
        days=convention.silence_days,
        rule=convention.deadline_rule,
        territory=convention.territory,
        timezone=convention.timezone,
    )
    request.status = next_request_state(RequestState(request.status), RequestEvent.DELIVER).value
    request.delivered_at = accepted_at
    request.deadline_at = deadline.deadline_utc()
    request.deadline_basis = deadline.as_dict()
    slots = reminder_slots(deadline, convention.reminders)
    request.next_reminder_at = slots[0].due_at if slots else None
    session.add(request)
    record_event(
        session,
        ctx.clock,
        RequestDelivered(
            occurred_at=accepted_at,
            request_id=str(request.id),
            version_id=str(version.id),
            party_id=request.party_id,
            deadline=deadline,
        ),
        request_refs(communication, version, request),
    )
    return True


def note_permanent_failure(session: Session, ctx: AppContext, row: OutboxRow, detail: str) -> None:
    """Alert the officer; the request becomes undeliverable when no message of its round can still arrive."""
    if row.request_id is None:
        return
    request = reload_request(session, row.request_id)
    version = lock_version(session, request.version_id)
    assert version is not None
    request = reload_request(session, row.request_id)
    communication = get_communication(session, version.communication_id)
    convention = get_convention(session, communication.convention_id)
    party = convention.party(request.party_id)
    submitter = convention.party(communication.submitting_party)
    enqueue(
        session,
        ctx,
        template="delivery_failure",
        key=f"delivery-failure:{row.id}",
        recipient=communication.officer_email,
        language=submitter.language,
        context={
            "convention_title": convention.title,
            "communication_title": communication.title,
            "version": version.number,
            "timezone": convention.timezone,
            "party": party.name,
            "address": row.recipient,
            "smtp_code": row.last_code,
            "smtp_detail": detail,
            "failed_at": ctx.clock.now(),
            "silence_days": convention.silence_days,
            "status_url": f"{ctx.settings.base_url}/desk/communications/{communication.id}",
        },
        request_id=request.id,
        version_id=version.id,
    )
    if request.status != RequestState.PENDING_DELIVERY.value:
        return
    prefix = request_mail_key(request.id, request.send_round)
    still_possible = session.execute(
        select(col(OutboxRow.id)).where(
            col(OutboxRow.idempotency_key).startswith(prefix),
            col(OutboxRow.status) != OutboxStatus.FAILED,
            col(OutboxRow.id) != row.id,
        )
    ).first()
    if still_possible is not None:
        return
    _make_undeliverable(session, ctx, communication, version, request, detail, bounce=False)


def _make_undeliverable(
    session: Session,
    ctx: AppContext,
    communication: CommunicationRow,
    version: VersionRow,
    request: RequestRow,
    detail: str,
    *,
    bounce: bool,
) -> None:
    """No delivery, no clock: the request leaves the deadline sweep until the officer resends it."""
    event = RequestEvent.BOUNCE if bounce else RequestEvent.FAIL_DELIVERY
    request.status = next_request_state(RequestState(request.status), event).value
    request.next_reminder_at = None
    session.add(request)
    record_event(
        session,
        ctx.clock,
        DeliveryFailed(
            occurred_at=ctx.clock.now(),
            request_id=str(request.id),
            version_id=str(version.id),
            party_id=request.party_id,
            reason=detail,
            bounce=bounce,
        ),
        request_refs(communication, version, request),
    )


def record_bounce(ctx: AppContext, *, request_id: int, detail: str) -> None:
    """A bounce that arrives after the 250: the clock stops and silence can no longer count as approval."""
    with ctx.uow() as uow:
        session = uow.session
        request = session.get(RequestRow, request_id)
        if request is None:
            raise NotFound(f"unknown request {request_id}")
        version = lock_version(session, request.version_id)
        assert version is not None
        request = reload_request(session, request_id)
        communication = get_communication(session, version.communication_id)
        _make_undeliverable(session, ctx, communication, version, request, detail, bounce=True)
        uow.commit()


def resend_request(
    ctx: AppContext, *, request_id: int, officer_email: str, addresses: list[str] | None = None
) -> RequestRow:
    """Resend an undeliverable request, perhaps to corrected addresses: new links, a new clock at delivery."""
    with ctx.uow() as uow:
        session = uow.session
        request = session.get(RequestRow, request_id)
        if request is None:
            raise NotFound(f"unknown request {request_id}")
        version = lock_version(session, request.version_id)
        assert version is not None
        request = reload_request(session, request_id)
        communication = get_communication(session, version.communication_id)
        convention = get_convention(session, communication.convention_id)
        if not convention.party(communication.submitting_party).may_submit(officer_email):
            raise SubmissionRefused(f"{officer_email} is not an officer of the submitting party")
        party = convention.party(request.party_id)
        recipients = [a.strip().lower() for a in addresses] if addresses else list(party.approvers)
        from comms_approval.adapters.convention_file import _EMAIL

        for address in recipients:
            if not _EMAIL.match(address):
                raise SubmissionRefused(f"bad e-mail address {address!r}")
            # Only the party's own approvers: a link sent anywhere else would let its holder answer for the
            # party (or let the party's silence count where it never reads). A wrong roster is corrected in the
            # convention file, loaded again, then the request is resent.
            if not party.may_approve(address):
                raise SubmissionRefused(
                    f"{address} is not an approver of {party.id} in this convention; correct the convention's "
                    "roster first"
                )
        request.status = next_request_state(RequestState(request.status), RequestEvent.RESEND).value
        request.send_round += 1
        request.recipients = recipients
        request.delivered_at = None
        request.deadline_at = None
        request.deadline_basis = None
        request.next_reminder_at = None
        revoke_links(session, ctx, request)
        session.add(request)
        session.flush()
        record_event(
            session,
            ctx.clock,
            RequestResent(
                occurred_at=ctx.clock.now(),
                request_id=str(request.id),
                version_id=str(version.id),
                party_id=request.party_id,
                resent_by=officer_email,
                addresses=tuple(recipients),
            ),
            request_refs(communication, version, request),
        )
        mail_context, preview = request_mail_context(session, ctx, convention, communication, version)
        queue_request_mails(
            session, ctx, convention, communication, version, request, party, mail_context, preview
        )
        uow.commit()
        return request
