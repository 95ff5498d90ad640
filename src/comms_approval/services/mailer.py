"""Chooses the mail transport: the configured relay, or a local SMTP sink kept in the data directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from comms_approval.adapters.mail.sink import LocalSmtpSink
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext
from comms_approval.config import SmtpSecurity


@contextmanager
def open_mailer(ctx: AppContext) -> Iterator[SmtpMailer]:
    """Yield a mailer; with no relay configured, mail goes to a loopback sink that stores .eml files."""
    if ctx.settings.smtp_host:
        yield SmtpMailer.from_settings(ctx.settings, ctx.clock)
        return
    sink = LocalSmtpSink(ctx.settings.outbox_sink_dir)
    sink.start()
    try:
        yield SmtpMailer(
            host="127.0.0.1",
            port=sink.port,
            security=SmtpSecurity.NONE,
            username=None,
            password=None,
            mail_from=ctx.settings.mail_from,
            timeout_seconds=ctx.settings.smtp_timeout_seconds,
            clock=ctx.clock,
        )
    finally:
        sink.stop()
