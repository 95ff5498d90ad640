"""The officers' convention page (Articles 7 and 9): parties' standing, terminations, renewals and expiry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from comms_approval.adapters.db.tables import ConventionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.errors import NotFound
from comms_approval.domain.lifecycle import party_is_active, termination_effective_date
from comms_approval.services.auth import WebUser
from comms_approval.services.conventions import get_convention, party_rows
from comms_approval.services.lifecycle import (
    LifecycleRefused,
    convention_in_force,
    current_period_end,
    record_expiry,
    record_renewal,
    record_termination,
)
from comms_approval.services.routing import local_today
from comms_approval.web.common import (
    CtxDep,
    LangDep,
    OfficerDep,
    form_is_genuine,
    nonce_for,
    reading,
    render,
)
from comms_approval.web.i18n import t
from comms_approval.web.refusals import Refusal, explain

router = APIRouter()
PURPOSE = "lifecycle"
NOTICES = frozenset({"termination_recorded", "renewal_recorded", "expiry_recorded"})
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class PartyStanding:
    """One party as the page shows it: active, leaving on a date, or gone since that date."""

    party_id: str
    name: str
    short_name: str
    state: str  # "active", "leaving" or "left"
    requested_on: date | None
    effective_on: date | None
    reference: str | None


def parse_day(text: str) -> date | None:
    """An ISO date (what `<input type=date>` sends) or a French dd/mm/yyyy one; None when neither."""
    cleaned = text.strip()
    found = _FRENCH_DATE.match(cleaned)
    try:
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(cleaned)
    except ValueError:
        return None


def _check_officer(user: WebUser, convention_id: str) -> None:
    """Only the convention's own officers see or change its lifecycle; others get a plain 404."""
    if convention_id not in user.officer_conventions:
        raise HTTPException(status_code=404)


def _page_context(ctx: AppContext, user: WebUser, convention_id: str) -> dict[str, Any]:
    with reading(ctx) as session:
        convention = get_convention(session, convention_id)
        row = session.get(ConventionRow, convention_id)
        if row is None:
            raise HTTPException(status_code=404)
        today = local_today(convention, ctx.clock.now())
        rows = party_rows(session, convention_id)
        standings = []
        for party in convention.parties:
            stored = rows.get(party.id)
            effective = stored.termination_effective_on if stored else None
            state = (
                "active" if effective is None else "leaving" if party_is_active(today, effective) else "left"
            )
            standings.append(
                PartyStanding(
                    party.id,
                    party.name,
                    party.short_name,
                    state,
                    stored.termination_requested_on if stored else None,
                    effective,
                    stored.termination_reference if stored else None,
                )
            )
        return {
            "convention": convention,
            "own_parties": {p.id for p in convention.parties if user.may_submit_for(convention_id, p.id)},
            "renewals": row.renewals,
            "period_end": current_period_end(convention, row.renewals, today),
            "expired_on": row.expired_on,
            "in_force": convention_in_force(convention, row, today),
            "today": today,
            "standings": standings,
            # what Article 9 gives for a letter received today, shown before anything is recorded
            "effective_if_today": termination_effective_date(today),
            "nonce": nonce_for(ctx, PURPOSE, user.session_hash),
            "signout_nonce": nonce_for(ctx, "signout", user.session_hash),
            "error": None,
            "notice": None,
            "form": {},
        }


@router.get("/desk/conventions/{convention_id}")
def convention_page(
    request: Request, convention_id: str, ctx: CtxDep, lang: LangDep, user: OfficerDep
) -> Response:
    _check_officer(user, convention_id)
    context = _page_context(ctx, user, convention_id)
    notice = request.query_params.get("notice")
    if notice in NOTICES:
        context["notice"] = notice
        party = request.query_params.get("party")
        context["notice_party"] = next((s for s in context["standings"] if s.party_id == party), None)
    return render(request, "officer/convention.html", context, lang=lang, user=user)


def _refused(
    request: Request,
    ctx: AppContext,
    user: WebUser,
    convention_id: str,
    lang: str,
    error: str | Refusal,
    status_code: int,
    form: dict[str, str],
) -> Response:
    context = _page_context(ctx, user, convention_id)
    context["error"] = error
    context["form"] = form
    return render(request, "officer/convention.html", context, lang=lang, user=user, status_code=status_code)


def _done(convention_id: str, notice: str, party: str | None = None) -> Response:
    suffix = f"&{urlencode({'party': party})}" if party else ""
    return RedirectResponse(f"/desk/conventions/{convention_id}?notice={notice}{suffix}", status_code=303)


@router.post("/desk/conventions/{convention_id}/terminations")
def termination(
    request: Request,
    convention_id: str,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    nonce: Annotated[str, Form()] = "",
    party: Annotated[str, Form(max_length=63)] = "",
    requested_on: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the officer's own party's written termination request; the page then shows the day it takes effect.

    Only its own: a party that leaves is no longer asked, nor its logo required, so another party's officer
    recording it (backdated, say) would escape Article 8. Another party's letter is recorded by the
    administrator (`comms-approval convention terminate`).
    """
    _check_officer(user, convention_id)
    form = {"kind": "termination", "party": party, "requested_on": requested_on, "reference": reference}
    refusal = form_is_genuine(request, ctx, PURPOSE, user.session_hash, nonce)
    if refusal is not None:
        return _refused(request, ctx, user, convention_id, lang, t(refusal, lang), 403, form)
    if not user.may_submit_for(convention_id, party):
        not_own = LifecycleRefused(
            "You may record only your own party's termination; another party's letter is recorded by the "
            "administrator.",
            "Vous ne pouvez enregistrer que la résiliation de votre propre partie ; celle d’une autre partie est "
            "enregistrée par l’administrateur.",
        )
        return _refused(request, ctx, user, convention_id, lang, explain(not_own, lang), 403, form)
    day = parse_day(requested_on)
    if day is None:
        return _refused(request, ctx, user, convention_id, lang, t("err_date", lang), 422, form)
    try:
        record_termination(ctx, convention_id, party, day, by=user.email, reference=reference)
    except (LifecycleRefused, NotFound) as exc:
        return _refused(request, ctx, user, convention_id, lang, explain(exc, lang), 422, form)
    return _done(convention_id, "termination_recorded", party)


@router.post("/desk/conventions/{convention_id}/renewals")
def renewal(
    request: Request,
    convention_id: str,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    nonce: Annotated[str, Form()] = "",
) -> Response:
    """Record one more period of the convention (Article 7)."""
    _check_officer(user, convention_id)
    refusal = form_is_genuine(request, ctx, PURPOSE, user.session_hash, nonce)
    if refusal is not None:
        return _refused(request, ctx, user, convention_id, lang, t(refusal, lang), 403, {})
    try:
        record_renewal(ctx, convention_id, by=user.email)
    except (LifecycleRefused, NotFound) as exc:
        return _refused(request, ctx, user, convention_id, lang, explain(exc, lang), 422, {})
    return _done(convention_id, "renewal_recorded")


@router.post("/desk/conventions/{convention_id}/expiry")
def expiry(
    request: Request,
    convention_id: str,
    ctx: CtxDep,
    lang: LangDep,
    user: OfficerDep,
    nonce: Annotated[str, Form()] = "",
    expired_on: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record the first day the convention no longer applies; new submissions are refused from then on."""
    _check_officer(user, convention_id)
    form = {"kind": "expiry", "expired_on": expired_on, "reason": reason}
    refusal = form_is_genuine(request, ctx, PURPOSE, user.session_hash, nonce)
    if refusal is not None:
        return _refused(request, ctx, user, convention_id, lang, t(refusal, lang), 403, form)
    if confirm != "yes":
        return _refused(request, ctx, user, convention_id, lang, t("err_confirm_expiry", lang), 422, form)
    day = parse_day(expired_on) if expired_on.strip() else None
    if expired_on.strip() and day is None:
        return _refused(request, ctx, user, convention_id, lang, t("err_date", lang), 422, form)
    try:
        record_expiry(ctx, convention_id, by=user.email, expired_on=day, reason=reason)
    except (LifecycleRefused, NotFound) as exc:
        return _refused(request, ctx, user, convention_id, lang, explain(exc, lang), 422, form)
    return _done(convention_id, "expiry_recorded")
