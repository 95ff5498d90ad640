"""Lifecycle use cases (Articles 7 and 9): record a party's termination, a renewal, the convention's expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from comms_approval.adapters.db.audit import AuditRefs
from comms_approval.adapters.db.tables import ConventionRow, PartyRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import CommsApprovalError, NotFound
from comms_approval.domain.french import format_date_fr
from comms_approval.domain.lifecycle import (
    convention_period_end,
    party_is_active,
    termination_effective_date,
)
from comms_approval.domain.lifecycle_events import (
    ConventionExpiryRecorded,
    ConventionRenewed,
    PartyTerminationRegistered,
)
from comms_approval.services.conventions import get_convention
from comms_approval.services.records import record_event
from comms_approval.services.routing import local_today


class LifecycleRefused(CommsApprovalError):
    """A termination, renewal or expiry cannot be recorded; carries an English and a French message."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en = message_en
        self.message_fr = message_fr
        super().__init__(message_fr)


@dataclass(frozen=True)
class TerminationResult:
    """A recorded termination: the party stays routed until `effective_on` (a 1 September)."""

    convention_id: str
    party_id: str
    requested_on: date
    effective_on: date
    reference: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "convention": self.convention_id,
            "party": self.party_id,
            "requested_on": self.requested_on.isoformat(),
            "effective_on": self.effective_on.isoformat(),
            "reference": self.reference,
        }


@dataclass(frozen=True)
class ConventionTerm:
    """Where a convention stands on a given day: renewals recorded, current period end, expiry, in force."""

    convention_id: str
    signed_on: date
    renewals: int
    period_end: date
    expired_on: date | None
    in_force: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "convention": self.convention_id,
            "signed_on": self.signed_on.isoformat(),
            "renewals": self.renewals,
            "period_end": self.period_end.isoformat(),
            "expired_on": self.expired_on.isoformat() if self.expired_on else None,
            "in_force": self.in_force,
        }


def _convention_row(session: Session, convention_id: str) -> ConventionRow:
    row = session.get(ConventionRow, convention_id)
    if row is None:
        raise NotFound(f"unknown convention {convention_id!r}")
    return row


def convention_in_force(convention: Convention, row: ConventionRow, on: date) -> bool:
    """Like `domain.lifecycle.convention_is_in_force`, but a convention without tacit renewal also counts
    the renewals recorded expressly (its in-force period grows with each one)."""
    if on < convention.signed_on:
        return False
    if row.expired_on is not None and on >= row.expired_on:
        return False
    if convention.tacit_renewal:
        return True
    return on <= convention_period_end(convention.signed_on, convention.duration_years, row.renewals)


def current_period_end(convention: Convention, renewals: int, on: date) -> date:
    """Last day of the period containing `on`; with tacit renewal, periods follow each other as needed."""
    end = convention_period_end(convention.signed_on, convention.duration_years, renewals)
    if convention.tacit_renewal:
        while end < on:
            renewals += 1
            end = convention_period_end(convention.signed_on, convention.duration_years, renewals)
    return end


def convention_term(ctx: AppContext, convention_id: str) -> ConventionTerm:
    """The convention's term as of today (local date in its time zone)."""
    with ctx.uow(read_only=True) as uow:
        convention = get_convention(uow.session, convention_id)
        row = _convention_row(uow.session, convention_id)
        today = local_today(convention, ctx.clock.now())
        return ConventionTerm(
            convention_id=convention.id,
            signed_on=convention.signed_on,
            renewals=row.renewals,
            period_end=current_period_end(convention, row.renewals, today),
            expired_on=row.expired_on,
            in_force=convention_in_force(convention, row, today),
        )


def not_in_force_message(convention: Convention, row: ConventionRow, on: date) -> tuple[str, str]:
    """A clear (English, French) explanation of why a convention refuses new submissions on `on`."""
    if on < convention.signed_on:
        return (
            f"Convention {convention.id} applies only from {convention.signed_on.isoformat()}.",
            f"La convention {convention.id} ne s’applique qu’à compter du {format_date_fr(convention.signed_on)}.",
        )
    if row.expired_on is not None and on >= row.expired_on:
        return (
            f"Convention {convention.id} expired on {row.expired_on.isoformat()}: new drafts can no longer "
            "be submitted under it (requests already sent run to their end).",
            f"La convention {convention.id} a pris fin le {format_date_fr(row.expired_on)} : aucun nouveau "
            "projet ne peut plus être soumis à ce titre (les demandes déjà envoyées vont à leur terme).",
        )
    end = convention_period_end(convention.signed_on, convention.duration_years, row.renewals)
    return (
        f"Convention {convention.id} ended on {end.isoformat()} and was not renewed.",
        f"La convention {convention.id} est arrivée à échéance le {format_date_fr(end)} sans être renouvelée.",
    )


def record_termination(
    ctx: AppContext,
    convention_id: str,
    party_id: str,
    requested_on: date,
    by: str,
    reference: str | None = None,
) -> TerminationResult:
    """Record a party's written termination request (Article 9) and compute the day it takes effect.

    From that 1 September the party is no longer routed for new submissions; requests already opened
    for it run to their end.
    """
    if not by.strip():
        raise LifecycleRefused(
            "Say who records the termination.", "Veuillez indiquer qui enregistre la dénonciation."
        )
    with ctx.uow() as uow:
        session = uow.session
        convention = get_convention(session, convention_id)
        if party_id not in convention.party_ids():
            raise NotFound(f"party {party_id!r} is not in convention {convention_id!r}")
        today = local_today(convention, ctx.clock.now())
        if requested_on > today:
            raise LifecycleRefused(
                f"The request date {requested_on.isoformat()} is in the future.",
                f"La date de la demande ({format_date_fr(requested_on)}) est postérieure à aujourd’hui.",
            )
        if requested_on < convention.signed_on:
            raise LifecycleRefused(
                f"The request date {requested_on.isoformat()} precedes the signature of the convention.",
                f"La date de la demande ({format_date_fr(requested_on)}) précède la signature de la convention.",
            )
        row = session.get(PartyRow, (convention_id, party_id))
        if row is None:
            party = convention.party(party_id)
            row = PartyRow(
                convention_id=convention_id, party_id=party_id, name=party.name, short_name=party.short_name
            )
        if row.termination_effective_on is not None:
            raise LifecycleRefused(
                f"A termination is already recorded for {party_id} "
                f"(effective {row.termination_effective_on.isoformat()}).",
                f"Une dénonciation est déjà enregistrée pour {row.short_name} "
                f"(effet au {format_date_fr(row.termination_effective_on)}).",
            )
        effective = termination_effective_date(requested_on)
        cleaned_reference = reference.strip() if reference and reference.strip() else None
        row.termination_requested_on = requested_on
        row.termination_effective_on = effective
        row.termination_reference = cleaned_reference
        session.add(row)
        record_event(
            session,
            ctx.clock,
            PartyTerminationRegistered(
                occurred_at=ctx.clock.now(),
                convention_id=convention_id,
                party_id=party_id,
                requested_on=requested_on,
                effective_on=effective,
                recorded_by=by.strip(),
                reference=cleaned_reference,
            ),
            AuditRefs(convention_id=convention_id, party_id=party_id),
        )
        uow.commit()
    return TerminationResult(convention_id, party_id, requested_on, effective, cleaned_reference)


def record_renewal(ctx: AppContext, convention_id: str, by: str) -> ConventionTerm:
    """Record one more period of the convention (Article 7); refused once its expiry is recorded."""
    with ctx.uow() as uow:
        session = uow.session
        convention = get_convention(session, convention_id)
        row = _convention_row(session, convention_id)
        today = local_today(convention, ctx.clock.now())
        if row.expired_on is not None:
            raise LifecycleRefused(
                f"Convention {convention_id} ends on {row.expired_on.isoformat()}; it cannot be renewed.",
                f"La convention {convention_id} prend fin le {format_date_fr(row.expired_on)} ; "
                "elle ne peut pas être renouvelée.",
            )
        row.renewals += 1
        end = convention_period_end(convention.signed_on, convention.duration_years, row.renewals)
        session.add(row)
        record_event(
            session,
            ctx.clock,
            ConventionRenewed(
                occurred_at=ctx.clock.now(),
                convention_id=convention_id,
                renewals=row.renewals,
                period_end=end,
                recorded_by=by.strip() or "?",
            ),
            AuditRefs(convention_id=convention_id),
        )
        uow.commit()
        return ConventionTerm(
            convention_id,
            convention.signed_on,
            row.renewals,
            end,
            None,
            convention_in_force(convention, row, today),
        )


def record_expiry(
    ctx: AppContext,
    convention_id: str,
    by: str,
    *,
    expired_on: date | None = None,
    reason: str | None = None,
) -> ConventionTerm:
    """Record the first day on which the convention no longer applies (default: the day after the current
    period, e.g. when a party stopped the tacit renewal). New submissions are refused from that day."""
    with ctx.uow() as uow:
        session = uow.session
        convention = get_convention(session, convention_id)
        row = _convention_row(session, convention_id)
        today = local_today(convention, ctx.clock.now())
        if expired_on is None:
            expired_on = date.fromordinal(current_period_end(convention, row.renewals, today).toordinal() + 1)
        if expired_on <= convention.signed_on:
            raise LifecycleRefused(
                f"The end date {expired_on.isoformat()} must come after the signature.",
                f"La date de fin ({format_date_fr(expired_on)}) doit être postérieure à la signature.",
            )
        if row.expired_on is not None and row.expired_on <= today:
            raise LifecycleRefused(
                f"Convention {convention_id} already ended on {row.expired_on.isoformat()}.",
                f"La convention {convention_id} a déjà pris fin le {format_date_fr(row.expired_on)}.",
            )
        row.expired_on = expired_on
        session.add(row)
        record_event(
            session,
            ctx.clock,
            ConventionExpiryRecorded(
                occurred_at=ctx.clock.now(),
                convention_id=convention_id,
                expired_on=expired_on,
                recorded_by=by.strip() or "?",
                reason=reason.strip() if reason and reason.strip() else None,
            ),
            AuditRefs(convention_id=convention_id),
        )
        uow.commit()
        return ConventionTerm(
            convention_id,
            convention.signed_on,
            row.renewals,
            current_period_end(convention, row.renewals, today),
            expired_on,
            convention_in_force(convention, row, today),
        )


@dataclass(frozen=True)
class PartyLifecycle:
    """One party's standing for display: active today, and its termination if any."""

    party_id: str
    short_name: str
    active: bool
    requested_on: date | None
    effective_on: date | None
    reference: str | None


def party_lifecycles(ctx: AppContext, convention_id: str) -> list[PartyLifecycle]:
    """Each party of the convention with its termination dates, for the CLI and the officer pages."""
    from comms_approval.services.conventions import party_rows

    with ctx.uow(read_only=True) as uow:
        convention = get_convention(uow.session, convention_id)
        rows = party_rows(uow.session, convention_id)
        today = local_today(convention, ctx.clock.now())
        result = []
        for party in convention.parties:
            row = rows.get(party.id)
            effective = row.termination_effective_on if row else None
            result.append(
                PartyLifecycle(
                    party.id,
                    party.short_name,
                    party_is_active(today, effective),
                    row.termination_requested_on if row else None,
                    effective,
                    row.termination_reference if row else None,
                )
            )
        return result
