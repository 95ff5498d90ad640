"""The outgoing mail value objects, the delivery result, the Mailer port and the MIME builder."""

from __future__ import annotations

import email.policy
import email.utils
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol

# RFC 5322 msg-id, kept strict on purpose: the outbox relies on it to recognise duplicates.
_MESSAGE_ID = re.compile(r"^<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+>$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
# Headers build_mime owns; letting a caller set them twice would produce ambiguous messages.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "message-id", "date", "reply-to", "mime-version", "content-type"}
)


@dataclass(frozen=True)
class Attachment:
    """A file carried by a mail; with inline_cid it is an image shown inside the HTML part."""

    filename: str
    content_type: str
    data: bytes
    inline_cid: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient, exactly as the outbox row describes it."""

    message_id: str
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class DeliveryStatus(StrEnum):
    """What the relay did with a message."""

    ACCEPTED = "accepted"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery attempt; accepted_at is the instant of the relay's 250."""

    status: DeliveryStatus
    code: int | None
    detail: str
    accepted_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.status is DeliveryStatus.ACCEPTED


class Mailer(Protocol):
    """The port the services use to hand a message to a relay."""

    async def send(self, message: OutgoingMessage) -> DeliveryResult: ...


def _refuse_line_breaks(field: str, value: str) -> None:
    # A CR or LF in a header value would let a hostile title add headers (e.g. Bcc) to the mail.
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {field!r} contains a line break; refusing (header injection)")


def _single_address(field: str, value: str) -> Address:
    _refuse_line_breaks(field, value)
    return _parse_single_address(field, value)


# Parsing an address header costs a fraction of a millisecond; the dispatcher parses the sender and each
# recipient several times per message. Address is immutable and a refusal raises (never cached).
@functools.lru_cache(maxsize=4096)
def _parse_single_address(field: str, value: str) -> Address:
    header = email.policy.default.header_factory("To", value)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1 or header.defects or not addresses[0].username or not addresses[0].domain:
        raise ValueError(f"header {field!r} must hold exactly one valid e-mail address, got {value!r}")
    return addresses[0]


def envelope_address(value: str) -> str:
    """Return the bare addr-spec of a header address ('Name <a@b>' -> 'a@b') for the SMTP envelope."""
    return _single_address("address", value).addr_spec


def _split_content_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    _refuse_line_breaks("content-type", content_type)
    main, *params = (part.strip() for part in content_type.split(";"))
    maintype, _, subtype = main.partition("/")
    if not maintype or not subtype:
        raise ValueError(f"invalid content type {content_type!r}")
    parsed: dict[str, str] = {}
    for param in params:
        key, _, raw = param.partition("=")
        parsed[key.strip().lower()] = raw.strip().strip('"')
    return maintype.lower(), subtype.lower(), parsed


def _check_headers(headers: Iterable[tuple[str, str]]) -> None:
    for name, value in headers:
        if not _HEADER_NAME.match(name):
            raise ValueError(f"invalid header name {name!r}")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is set by build_mime and cannot be overridden")
        _refuse_line_breaks(name, value)


@functools.lru_cache(maxsize=64)
def _attachment_template(attachment: Attachment) -> EmailMessage:
    # A batch of request mails carries the same preview image and calendar file again and again: their
    # headers are parsed and their data base64-encoded once. Never handed out: see _attachment_part.
    part = EmailMessage(policy=email.policy.SMTP)
    maintype, subtype, params = _split_content_type(attachment.content_type)
    if attachment.inline_cid is not None:
        part.set_content(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            cid=f"<{attachment.inline_cid}>",
            disposition="inline",
            filename=attachment.filename,
        )
    else:
        part.set_content(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=params
        )
    return part


def _attachment_part(attachment: Attachment) -> EmailMessage:
    """The MIME part of an attachment, as add_related / add_attachment would build it, from the cache.

    Each message gets its own part object (headers are immutable values, the payload an immutable str),
    so a caller that edits one message cannot change another.
    """
    template = _attachment_template(attachment)
    part = EmailMessage(policy=template.policy)
    for name, value in template.raw_items():
        part.set_raw(name, value)
    part.set_payload(template.get_payload())
    return part


def _set_boundaries(mime: EmailMessage, message_id: str) -> None:
    """Give every multipart a boundary derived from the Message-ID, numbered in tree order.

    Left unset, the generator draws a random boundary and scans the whole rendered body for it at every
    level. This one cannot occur in the body: every leaf is quoted-printable or base64, and neither
    encoding ever writes "=_" ("=" is escaped as =3D in quoted-printable and is only trailing padding in
    base64), while headers never start a line with "--".
    """
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    for index, part in enumerate(part for part in mime.walk() if part.is_multipart()):
        part.set_boundary(f"=_{digest}.{index}")


def build_mime(message: OutgoingMessage, *, mail_from: str, date: datetime | None = None) -> EmailMessage:
    """Build the MIME tree: mixed[ alternative[ text, related[ html, inline images ] ], attachments ].

    Raises ValueError on a line break in any header value, on a malformed Message-ID and on anything but
    exactly one recipient address. Non-ASCII display names and subjects are encoded (RFC 2047) by the
    policy. The Date header comes from the caller's clock when given.
    """
    if not _MESSAGE_ID.match(message.message_id):
        raise ValueError(f"invalid Message-ID {message.message_id!r}; expected <local@domain>")
    sender = _single_address("From", mail_from)
    recipient = _single_address("To", message.to)
    _refuse_line_breaks("Subject", message.subject)
    reply_to = _single_address("Reply-To", message.reply_to) if message.reply_to else None
    _check_headers(message.headers)
    for attachment in message.attachments:
        _refuse_line_breaks("filename", attachment.filename)
        if attachment.inline_cid is not None:
            _refuse_line_breaks("Content-ID", attachment.inline_cid)

    mime = EmailMessage(policy=email.policy.SMTP)
    mime["From"] = sender
    mime["To"] = recipient
    # A title that looks like an RFC 2047 encoded word must stay literal text: a word joiner breaks "=?".
    mime["Subject"] = message.subject.replace("=?", "=\u2060?")
    mime["Message-ID"] = message.message_id
    if date is not None:
        mime["Date"] = email.utils.format_datetime(date)
    if reply_to is not None:
        mime["Reply-To"] = reply_to
    # RFC 3834: tells auto-responders (out-of-office) not to answer a machine.
    mime["Auto-Submitted"] = "auto-generated"
    for name, value in message.headers:
        mime[name] = value

    mime.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    parts = mime.get_payload()
    html_part = parts[1] if isinstance(parts, list) else None
    if not isinstance(html_part, EmailMessage):  # pragma: no cover -- add_alternative guarantees it
        raise TypeError("unexpected MIME structure")
    for attachment in message.attachments:
        if attachment.inline_cid is None:
            continue
        if html_part.get_content_type() != "multipart/related":
            html_part.make_related()
        html_part.attach(_attachment_part(attachment))
    for attachment in message.attachments:
        if attachment.inline_cid is not None:
            continue
        if mime.get_content_type() != "multipart/mixed":
            mime.make_mixed()
        mime.attach(_attachment_part(attachment))
    _set_boundaries(mime, message.message_id)
    # Check what will be serialised, not only what was given: older Pythons decode an RFC 2047 encoded word
    # hidden in a value and write its CR LF out as is (CVE-2024-6923).
    for name, value in mime.items():
        _refuse_line_breaks(name, str(value))
    return mime
