"""Sign-in without passwords: one-time links e-mailed to declared officers and auditors, then web sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from comms_approval.adapters.db.tables import SigninLinkRow, WebSessionRow
from comms_approval.adapters.links import looks_like_token, new_token, token_hash
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import NotFound
from comms_approval.services.audit import AuditRefs, record
from comms_approval.services.conventions import get_convention, list_conventions, party_rows
from comms_approval.services.notifications import enqueue
from comms_approval.services.routing import active_parties, local_today

SIGNIN_VALIDITY = timedelta(minutes=20)
SESSION_VALIDITY = timedelta(hours=8)
# Keyed hashes of sign-in links and sessions use a purpose prefix, so a review-link hash never matches them.
_SIGNIN = "signin:"
_SESSION = "session:"


@dataclass(frozen=True)
class WebUser:
    """Who is signed in and what the conventions let them do."""

    email: str
    officer_of: tuple[tuple[str, str], ...] = ()  # (convention id, party id)
    auditor_of: tuple[str, ...] = ()  # convention ids
    session_hash: str = field(default="", repr=False)

    @property
    def is_officer(self) -> bool:
        return bool(self.officer_of)

    @property
    def is_auditor(self) -> bool:
        return bool(self.auditor_of)

    @property
    def officer_conventions(self) -> frozenset[str]:
        return frozenset(convention for convention, _ in self.officer_of)

    def may_submit_for(self, convention_id: str, party_id: str) -> bool:
        return (convention_id, party_id) in self.officer_of


def _digest(ctx: AppContext, purpose: str, token: str) -> str:
    return token_hash(purpose + token, ctx.settings.secret_key.get_secret_value())


def roles_of(
    session: Session, email: str, now: datetime
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The (convention, party) pairs an address may submit for, and the conventions it audits.

    A party whose termination has taken effect (Article 9, on the convention's local date at `now`) has left: its
    officers no longer submit for it nor read the convention's drafts (Article 6).
    """
    officer: list[tuple[str, str]] = []
    auditor: list[str] = []
    for row in list_conventions(session):
        convention: Convention = get_convention(session, row.id)
        parties = convention.officer_parties(email)
        if parties:
            active = active_parties(
                convention, party_rows(session, convention.id), local_today(convention, now)
            )
            officer.extend((convention.id, party.id) for party in parties if party in active)
        if convention.is_auditor(email):
            auditor.append(convention.id)
    return tuple(officer), tuple(auditor)


def request_signin(ctx: AppContext, email: str, *, language: str = "fr") -> bool:
    """Queue a one-time sign-in link for a declared officer or auditor; other addresses get nothing.

    The caller shows the same answer either way, so the page does not reveal who is declared.
    """
    address = email.strip().lower()
    if "@" not in address or len(address) > 254:
        return False
    with ctx.uow() as uow:
        session = uow.session
        officer, auditor = roles_of(session, address, ctx.clock.now())
        if not officer and not auditor:
            return False
        token = new_token()
        now = ctx.clock.now()
        link = SigninLinkRow(
            token_hash=_digest(ctx, _SIGNIN, token),
            email=address,
            created_at=now,
            expires_at=now + SIGNIN_VALIDITY,
        )
        session.add(link)
        session.flush()
        enqueue(
            session,
            ctx,
            template="signin",
            key=f"signin:{link.id}",
            recipient=address,
            language=language if language in ("fr", "en") else "fr",
            context={
                "email": address,
                "signin_url": f"{ctx.settings.base_url}/signin/{token}",
                "valid_minutes": int(SIGNIN_VALIDITY.total_seconds() // 60),
            },
        )
        uow.commit()
        return True


def signin_link_is_valid(ctx: AppContext, token: str) -> bool:
    """Whether a sign-in link can still be used (the confirmation page asks before consuming it)."""
    if not looks_like_token(token):
        return False
    with ctx.uow() as uow:
        row = _signin_row(uow.session, ctx, token)
        return row is not None and row.used_at is None and row.expires_at > ctx.clock.now()


def _signin_row(session: Session, ctx: AppContext, token: str) -> SigninLinkRow | None:
    return session.execute(
        select(SigninLinkRow).where(SigninLinkRow.token_hash == _digest(ctx, _SIGNIN, token))  # type: ignore[arg-type]
    ).scalar_one_or_none()


def consume_signin(ctx: AppContext, token: str) -> tuple[str, WebUser]:
    """Use a sign-in link once and open a session; returns the session cookie value and the user.

    Raises NotFound for an unknown, expired or already used link (the same answer for all three).
    """
    if not looks_like_token(token):
        raise NotFound("unknown sign-in link")
    with ctx.uow() as uow:
        session = uow.session
        now = ctx.clock.now()
        # A guarded update: of two simultaneous uses, exactly one changes the row.
        used = session.execute(
            update(SigninLinkRow)
            .where(
                SigninLinkRow.token_hash == _digest(ctx, _SIGNIN, token),  # type: ignore[arg-type]
                SigninLinkRow.used_at.is_(None),  # type: ignore[union-attr]
                SigninLinkRow.expires_at > now,  # type: ignore[arg-type]
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("unknown, expired or used sign-in link")
        link = _signin_row(session, ctx, token)
        assert link is not None
        officer, auditor = roles_of(session, link.email, now)
        if not officer and not auditor:
            raise NotFound("this address is no longer declared in any convention")
        cookie = new_token()
        digest = _digest(ctx, _SESSION, cookie)
        session.add(
            WebSessionRow(
                session_hash=digest, email=link.email, created_at=now, expires_at=now + SESSION_VALIDITY
            )
        )
        record(session, ctx.clock, "web_signed_in", AuditRefs(), {"email": link.email})
        uow.commit()
        return cookie, WebUser(link.email, officer, auditor, digest)


def session_user(ctx: AppContext, cookie: str | None) -> WebUser | None:
    """The signed-in user behind a session cookie, or None (unknown, expired or signed out)."""
    if not cookie or not looks_like_token(cookie):
        return None
    digest = _digest(ctx, _SESSION, cookie)
    with ctx.uow(read_only=True) as uow:
        session = uow.session
        row = session.execute(
            select(WebSessionRow).where(WebSessionRow.session_hash == digest)  # type: ignore[arg-type]
        ).scalar_one_or_none()
        now = ctx.clock.now()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        # Roles are read afresh: an address removed from a convention, or whose party left, loses access at once.
        officer, auditor = roles_of(session, row.email, now)
        if not officer and not auditor:
            return None
        return WebUser(row.email, officer, auditor, digest)


def sign_out(ctx: AppContext, cookie: str | None) -> None:
    """Revoke the session behind a cookie (nothing happens for an unknown one)."""
    if not cookie or not looks_like_token(cookie):
        return
    with ctx.uow() as uow:
        uow.session.execute(
            update(WebSessionRow)
            .where(
                WebSessionRow.session_hash == _digest(ctx, _SESSION, cookie),  # type: ignore[arg-type]
                WebSessionRow.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            .values(revoked_at=ctx.clock.now())
        )
        uow.commit()
