"""SQLModel tables: the system of record (conventions, versions, requests, outbox, audit trail, web sessions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from comms_approval.adapters.db.types import UTCDateTime


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


def _json(**kw: Any) -> Any:
    return Field(sa_column=Column(JSON, nullable=False), **kw)


class ConventionRow(SQLModel, table=True):
    """A loaded convention; `spec` holds the validated file content so the domain object can be rebuilt."""

    __tablename__ = "conventions"
    id: str = Field(primary_key=True, max_length=63)
    title: str
    territory: str = Field(max_length=3)
    timezone: str
    spec: dict[str, Any] = _json(default_factory=dict)
    spec_sha256: str = Field(max_length=64)
    loaded_at: datetime = _utc()
    renewals: int = 0
    expired_on: date | None = None


class PartyRow(SQLModel, table=True):
    """A party of a convention and its lifecycle (Articles 7 and 9)."""

    __tablename__ = "parties"
    convention_id: str = Field(foreign_key="conventions.id", primary_key=True, max_length=63)
    party_id: str = Field(primary_key=True, max_length=63)
    name: str
    short_name: str
    termination_requested_on: date | None = None
    termination_effective_on: date | None = None
    termination_reference: str | None = None


class CommunicationRow(SQLModel, table=True):
    """A communication project (poster, leaflet...) submitted by one party; it has numbered versions."""

    __tablename__ = "communications"
    id: int | None = Field(default=None, primary_key=True)
    convention_id: str = Field(foreign_key="conventions.id", index=True, max_length=63)
    submitting_party: str = Field(max_length=63)
    officer_email: str
    title: str
    created_at: datetime = _utc()


class VersionRow(SQLModel, table=True):
    """One uploaded file of a communication; decisions bind to its SHA-256."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("communication_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    communication_id: int = Field(foreign_key="communications.id", index=True)
    number: int
    sha256: str = Field(max_length=64, index=True)
    stored_path: str
    original_filename: str
    media_kind: str = Field(max_length=8)
    pages: int = 0
    size_bytes: int = 0
    status: str = Field(max_length=24, index=True)
    logo_report: dict[str, Any] = _json(default_factory=dict)
    submitted_at: datetime = _utc()
    concluded_at: datetime | None = _utc(default=None)
    # A logo check run apart from the upload (long documents): who holds it until when, and how many times it was
    # started; a claim that lapses (the process died) is taken again, a few times at most.
    check_claimed_until: datetime | None = _utc(default=None)
    check_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    check_progress: float | None = None  # 0..1 while the check runs apart; shown on the officer's page


class LogoOverrideRow(SQLModel, table=True):
    """An officer's written justification that a party's logo is present although the check said otherwise."""

    __tablename__ = "logo_overrides"
    __table_args__ = (UniqueConstraint("version_id", "party_id"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    party_id: str = Field(max_length=63)
    justification: str
    recorded_by: str
    recorded_at: datetime = _utc()


class RequestRow(SQLModel, table=True):
    """One approval request: a version submitted to one party; its clock starts at delivery."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("version_id", "party_id"),
        Index("ix_requests_due", "status", "deadline_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    party_id: str = Field(max_length=63)
    status: str = Field(max_length=24)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    send_round: int = 1
    opened_at: datetime = _utc()
    delivered_at: datetime | None = _utc(default=None)
    deadline_at: datetime | None = _utc(default=None)
    deadline_basis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    decision: str | None = Field(default=None, max_length=24)
    decision_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime | None = _utc(default=None)
    decided_by: str | None = None
    next_reminder_at: datetime | None = _utc(default=None, index=True)
    closed_at: datetime | None = _utc(default=None)


class ReminderRow(SQLModel, table=True):
    """A reminder slot that was used; the unique key makes 'never twice for the same slot' a database fact."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("request_id", "slot"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    slot: str = Field(max_length=32)
    sent_at: datetime = _utc()


class LinkRow(SQLModel, table=True):
    """A review link for one approver address of one request; only the token's hash is stored."""

    __tablename__ = "links"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    recipient: str
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(default=None)


class OutboxRow(SQLModel, table=True):
    """One e-mail to send; written in the same transaction as the state change that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_ready", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    message_id: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    request_id: int | None = Field(default=None, foreign_key="requests.id", index=True)
    version_id: int | None = Field(default=None, foreign_key="versions.id")
    recipient: str
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=24)
    attempts: int = 0
    created_at: datetime = _utc()
    next_attempt_at: datetime = _utc()
    claimed_by: str | None = None
    claimed_until: datetime | None = _utc(default=None)
    accepted_at: datetime | None = _utc(default=None)
    last_code: int | None = None
    last_error: str | None = None


class AuditEventRow(SQLModel, table=True):
    """Append-only, hash-chained audit event. Personal data lives in audit_payloads, committed here by its hash."""

    __tablename__ = "audit_events"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = _utc()
    recorded_at: datetime = _utc()
    kind: str = Field(max_length=48, index=True)
    convention_id: str | None = Field(default=None, max_length=63, index=True)
    communication_id: int | None = Field(default=None, index=True)
    version_id: int | None = None
    request_id: int | None = None
    party_id: str | None = Field(default=None, max_length=63)
    payload_sha256: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditPayloadRow(SQLModel, table=True):
    """The erasable part of an audit event (addresses, texts); a retention purge may delete it, never the event."""

    __tablename__ = "audit_payloads"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    payload: str = Field(sa_column=Column(Text, nullable=False))


class AuditHeadRow(SQLModel, table=True):
    """Single-row pointer to the chain's head; locking it serialises appends across processes."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class DocumentBlobRow(SQLModel, table=True):
    """Derived images (annotated pages, previews) keyed by version, so pages and mails need no recomputation."""

    __tablename__ = "document_blobs"
    __table_args__ = (UniqueConstraint("version_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    name: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SigninLinkRow(SQLModel, table=True):
    """One-time sign-in link for an officer or auditor (hash only)."""

    __tablename__ = "signin_links"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None)


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser session (hash of the cookie value)."""

    __tablename__ = "web_sessions"
    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    email: str
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    revoked_at: datetime | None = _utc(default=None)
