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
        if name.lower() in _RESERVED_HEADERS or name.lower().startswith("content-"):
            # Content-* headers describe the MIME structure: the email package drops or moves them.
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


def _checked(message: OutgoingMessage, mail_from: str) -> tuple[Address, Address, Address | None]:
    """The checks both builders make before anything is built: sender, recipient and reply-to addresses."""
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
    return sender, recipient, reply_to


def _literal_subject(subject: str) -> str:
    # A title that looks like an RFC 2047 encoded word must stay literal text: a word joiner breaks "=?".
    return subject.replace("=?", "=\u2060?")


def build_mime(message: OutgoingMessage, *, mail_from: str, date: datetime | None = None) -> EmailMessage:
    """Build the MIME tree: mixed[ alternative[ text, related[ html, inline images ] ], attachments ].

    Raises ValueError on a line break in any header value, on a malformed Message-ID and on anything but
    exactly one recipient address. Non-ASCII display names and subjects are encoded (RFC 2047) by the
    policy. The Date header comes from the caller's clock when given.
    """
    sender, recipient, reply_to = _checked(message, mail_from)

    mime = EmailMessage(policy=email.policy.SMTP)
    mime["From"] = sender
    mime["To"] = recipient
    mime["Subject"] = _literal_subject(message.subject)
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


# --- The dispatcher's serialiser: the same bytes as build_mime(...) flattened, without the email package's
# per-message header objects and tree. build_mime stays the reference; tests compare the two byte for byte.

_SMTP = email.policy.SMTP
_MAX_LINE = _SMTP.max_line_length or 78
_CRLF = b"\r\n"


@functools.lru_cache(maxsize=4096)
def _folded_header(name: str, value: str) -> bytes:
    """One header line as the SMTP policy folds it (RFC 2047 words, 78 columns), checked like build_mime.

    Address fields are parsed first and given as Address objects, as build_mime assigns them. A refusal
    raises, and exceptions are not cached.
    """
    source: object = value
    if name in ("From", "To", "Reply-To"):
        source = _single_address(name, value)
    elif name == "Subject":
        _refuse_line_breaks(name, value)
        source = _literal_subject(value)
    # What EmailMessage.__setitem__ stores (it refuses a str value that str.splitlines() would split).
    header = _SMTP.header_store_parse(name, source)[1]
    _refuse_line_breaks(name, str(header))
    return str(header.fold(policy=_SMTP)).encode("ascii", "surrogateescape")


def _simple_header(name: str, value: str) -> bytes:
    """A short ASCII value without spaces folds to itself; anything else goes through the policy."""
    line = f"{name}: {value}"
    if len(line) <= _MAX_LINE and value.isascii() and " " not in value:
        return line.encode("ascii") + _CRLF
    return _folded_header(name, value)


# Bytes that quoted-printable must quote in a body, but "=" (done first, by bytes.replace): all but printable
# ASCII, tab and the line feed.
_QP_UNSAFE = re.compile(rb"[^\t\n -~]+")


def _qp_quote(match: re.Match[bytes]) -> bytes:
    return ("=" + match[0].hex("=").upper()).encode("ascii")


def _qp_body(body: bytes, maxlinelen: int) -> str:
    """email.quoprimime.body_encode(body.decode("latin-1"), maxlinelen) for a body of LF-separated lines.

    The same output (tests compare the two); the quoting is done on bytes, in C, instead of a str.translate
    through a 256-entry table, which was most of the cost. The line wrapping below is body_encode's own.
    """
    if not body:
        return ""
    quoted = _QP_UNSAFE.sub(_qp_quote, body.replace(b"=", b"=3D")).decode("ascii")
    soft_break = "=\n"
    maxlinelen1 = maxlinelen - 1
    encoded: list[str] = []
    append = encoded.append
    for line in quoted.split("\n"):
        start = 0
        laststart = len(line) - 1 - maxlinelen
        while start <= laststart:
            stop = start + maxlinelen1
            # make sure we don't break up an escape sequence
            if line[stop - 2] == "=":
                append(line[start : stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":
            # A space or tab at the end of a line must be protected (quoted, or followed by a soft break).
            room = start - laststart
            if room >= 3:
                tail = f"={ord(line[-1]):02X}"
            elif room == 2:
                tail = line[-1] + soft_break
            else:
                tail = f"{soft_break}={ord(line[-1]):02X}"
            append(line[start:-1] + tail)
        else:
            append(line[start:])
    return "\n".join(encoded)


def _text_leaf(subtype: str, text: str, *, mime_version: bool) -> bytes:
    """A quoted-printable text part, encoded exactly as set_content(cte="quoted-printable") encodes it."""
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    encoded = _qp_body(body, _MAX_LINE)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n" + ("MIME-Version: 1.0\r\n" if mime_version else "")
    )
    return (head + "\r\n" + encoded.replace("\n", "\r\n")).encode("ascii")


@functools.lru_cache(maxsize=64)
def _attachment_bytes(attachment: Attachment) -> bytes:
    """The attachment's part (headers and base64 body) as the generator writes it inside a multipart."""
    return _attachment_template(attachment).as_bytes(policy=_SMTP)


def _multipart(subtype: str, boundary: str, parts: list[bytes], *, mime_version: bool) -> bytes:
    head = ("MIME-Version: 1.0\r\n" if mime_version else "") + (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
    )
    return head.encode("ascii") + _multipart_body(boundary, parts)


def _multipart_body(boundary: str, parts: list[bytes]) -> bytes:
    delimiter = f"--{boundary}".encode("ascii")
    body = delimiter + _CRLF + (_CRLF + delimiter + _CRLF).join(parts)
    return body + _CRLF + delimiter + b"--" + _CRLF


def mime_bytes(message: OutgoingMessage, *, mail_from: str, date: datetime | None = None) -> bytes:
    """The message as aiosmtplib puts build_mime(...) on the wire, with the same checks, at a fraction of the cost.

    build_mime parses every header it sets (the content types several times over) and the generator walks
    the tree again; here the fixed parts are written out, the text parts go through the same
    quoted-printable encoder, attachment parts are serialised once per attachment, and only the header
    values that vary are folded by the policy (cached: a batch repeats its sender and subjects).
    """
    _checked(message, mail_from)
    headers = [
        _folded_header("From", mail_from),
        _folded_header("To", message.to),
        _folded_header("Subject", message.subject),
        _simple_header("Message-ID", message.message_id),
    ]
    if date is not None:
        headers.append(_simple_header("Date", email.utils.format_datetime(date)))
    if message.reply_to:
        headers.append(_folded_header("Reply-To", message.reply_to))
    headers.append(b"Auto-Submitted: auto-generated\r\n")
    seen: dict[str, int] = {}
    for name, value in message.headers:
        # As EmailMessage.__setitem__: a header the RFC allows once (References, Sender...) is refused twice.
        count = seen[name.lower()] = seen.get(name.lower(), 0) + 1
        limit = _SMTP.header_max_count(name)
        if limit is not None and count > limit:
            raise ValueError(f"There may be at most {limit} {name} headers in a message")
        headers.append(_folded_header(name, value))

    digest = hashlib.sha256(message.message_id.encode()).hexdigest()[:24]
    inline = [_attachment_bytes(a) for a in message.attachments if a.inline_cid is not None]
    files = [_attachment_bytes(a) for a in message.attachments if a.inline_cid is None]
    # Boundaries are numbered in tree order (pre-order), as _set_boundaries numbers them.
    boundaries = iter(f"=_{digest}.{index}" for index in range(3))
    top = next(boundaries)
    alternative = next(boundaries) if files else top
    text = _text_leaf("plain", message.text, mime_version=False)
    if inline:
        related = next(boundaries)
        html = _multipart(
            "related",
            related,
            [_text_leaf("html", message.html, mime_version=False), *inline],
            mime_version=True,
        )
    else:
        html = _text_leaf("html", message.html, mime_version=True)
    if files:
        body = _multipart_body(
            top, [_multipart("alternative", alternative, [text, html], mime_version=False), *files]
        )
        kind = "mixed"
    else:
        body = _multipart_body(top, [text, html])
        kind = "alternative"
    headers.append(f'MIME-Version: 1.0\r\nContent-Type: multipart/{kind}; boundary="{top}"\r\n\r\n'.encode())
    return b"".join(headers) + body
