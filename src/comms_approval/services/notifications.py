"""Turns state changes into outbox rows: renders each mail once, with a unique idempotency key."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from email.utils import parseaddr

from sqlalchemy import select
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import OutboxRow
from comms_approval.adapters.mail.message import Attachment, OutgoingMessage
from comms_approval.adapters.mail.render import MailRenderer
from comms_approval.bootstrap import TEMPLATES_DIR, AppContext


class OutboxStatus:
    """Outbox row states (transport only; the business states live on requests and versions)."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    FAILED = "failed"
    # Never sent, on purpose: by the time its turn came, the mail had nothing left to say (a request mail of a
    # withdrawn or resent request, a reminder to a party that has decided). Final, like SENT and FAILED.
    CANCELLED = "cancelled"

    READY = (QUEUED, RETRY)


# The idempotency keys of the mails tied to a request's delivery round (a resend opens the next one), built and
# read here only: the outbox reads a round back to drop a mail its request has outgrown.
_ROUND_IN_KEY = {
    "request": re.compile(r"^request:\d+:round(\d+):"),
    "reminder": re.compile(r"^reminder:\d+:(?:r(\d+):)?[a-z]"),
}


def request_mail_key(request_id: int | None, send_round: int, address: str = "") -> str:
    """The key of a request mail to `address` (without one: the prefix of all the round's request mails)."""
    return f"request:{request_id}:round{send_round}:{address}"


def reminder_slot(send_round: int, slot_key: str) -> str:
    """A reminder slot as stored for a delivery round: bare for the first ('after-7d'), then 'r2:after-7d'."""
    return slot_key if send_round <= 1 else f"r{send_round}:{slot_key}"


def reminder_mail_key(request_id: int | None, send_round: int, slot_key: str, address: str) -> str:
    return f"reminder:{request_id}:{reminder_slot(send_round, slot_key)}:{address}"


def send_round_of(kind: str, key: str) -> int | None:
    """The delivery round a request mail's or a reminder's key names; None for another mail."""
    pattern = _ROUND_IN_KEY.get(kind)
    found = pattern.match(key) if pattern is not None else None
    return int(found.group(1) or 1) if found is not None else None


def renderer(ctx: AppContext) -> MailRenderer:
    cached = ctx.extras.get("mail_renderer")
    if not isinstance(cached, MailRenderer):
        cached = MailRenderer(TEMPLATES_DIR / "email")
        ctx.extras["mail_renderer"] = cached
    return cached


def message_id_for(key: str, mail_from: str) -> str:
    """Deterministic per outbox row: a re-send after a crash carries the same Message-ID."""
    domain = parseaddr(mail_from)[1].partition("@")[2] or "comms-approval.localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def enqueue(
    session: Session,
    ctx: AppContext,
    *,
    template: str,
    key: str,
    recipient: str,
    language: str,
    context: Mapping[str, object],
    request_id: int | None = None,
    version_id: int | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxRow | None:
    """Queue one message in the caller's transaction; a key already queued is not queued again."""
    existing = session.execute(select(col(OutboxRow.id)).where(col(OutboxRow.idempotency_key) == key)).first()
    if existing is not None:
        return None
    mail = renderer(ctx).render(template, language, context)
    now = ctx.clock.now()
    row = OutboxRow(
        idempotency_key=key,
        message_id=message_id_for(key, ctx.settings.mail_from),
        kind=template,
        request_id=request_id,
        version_id=version_id,
        recipient=recipient,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        attachments=[
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "inline_cid": a.inline_cid,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ],
        status=OutboxStatus.QUEUED,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


def to_outgoing(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=row.message_id,
        to=row.recipient,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        attachments=tuple(
            Attachment(
                filename=a["filename"],
                content_type=a["content_type"],
                data=base64.b64decode(a["data"]),
                inline_cid=a.get("inline_cid"),
            )
            for a in row.attachments
        ),
    )
