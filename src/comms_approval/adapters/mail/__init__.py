"""Mail adapter: MIME building, SMTP delivery (aiosmtplib), a local SMTP sink, templates, calendar files."""

from comms_approval.adapters.mail.ics import deadline_ics
from comms_approval.adapters.mail.message import (
    Attachment,
    DeliveryResult,
    DeliveryStatus,
    Mailer,
    OutgoingMessage,
    build_mime,
    envelope_address,
)
from comms_approval.adapters.mail.render import (
    MailRenderer,
    RenderedMail,
    datetime_text,
    deadline_sentence,
    deadline_text,
    long_date,
)
from comms_approval.adapters.mail.sink import LocalSmtpSink, SinkMessage, list_sink_messages
from comms_approval.adapters.mail.smtp import SmtpMailer, retry_delay

__all__ = [
    "Attachment",
    "DeliveryResult",
    "DeliveryStatus",
    "LocalSmtpSink",
    "MailRenderer",
    "Mailer",
    "OutgoingMessage",
    "RenderedMail",
    "SinkMessage",
    "SmtpMailer",
    "build_mime",
    "datetime_text",
    "deadline_ics",
    "deadline_sentence",
    "deadline_text",
    "envelope_address",
    "list_sink_messages",
    "long_date",
    "retry_delay",
]
