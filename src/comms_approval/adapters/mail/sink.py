"""A local SMTP sink (aiosmtpd on loopback) keeping every mail as an .eml file, for `serve` and the demo."""

from __future__ import annotations

import asyncio
import email.utils
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FreePortController(Controller):
    """An aiosmtpd Controller that accepts port 0 and learns the port the system picked."""

    def _create_server(self) -> Any:
        async def create() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
            )
            # The start-up probe and the callers need the real port, not 0.
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


class _StoreHandler:
    """aiosmtpd handler writing each received message, envelope recipients first, into one .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd hook name
        content: bytes = envelope.original_content or b""
        envelope_lines = "".join(f"X-Sink-Rcpt-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        envelope_lines += f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
        # File names never come from the message: a time-ordered prefix plus a random suffix.
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(envelope_lines.encode("ascii", "replace") + content)
        temporary.replace(self.directory / name)  # atomic: a reader never sees half a message
        return "250 Message accepted for delivery"


class LocalSmtpSink:
    """Accepts any mail on a loopback port and stores it under `directory`; start/stop are idempotent."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        self.host = host
        self._requested_port = port
        self._controller: FreePortController | None = None

    def start(self) -> None:
        if self._controller is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        controller = FreePortController(
            _StoreHandler(self.directory), hostname=self.host, port=self._requested_port
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the SMTP sink is not running")
        port: int = self._controller.port
        return port

    def __enter__(self) -> LocalSmtpSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(frozen=True)
class SinkMessage:
    """One mail kept by the sink, summarised from its headers."""

    path: Path
    to: str
    subject: str
    date: datetime
    message_id: str


def _decoded(value: str | None) -> str:
    if value is None:
        return ""
    return str(make_header(decode_header(value)))


def _read_summary(path: Path) -> SinkMessage:
    with path.open("rb") as handle:
        headers = BytesHeaderParser().parse(handle)
    date: datetime | None = None
    raw_date = headers.get("Date")
    if raw_date:
        try:
            date = email.utils.parsedate_to_datetime(raw_date)
        except (TypeError, ValueError):
            date = None
    if date is None or date.tzinfo is None:
        date = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return SinkMessage(
        path=path,
        to=_decoded(headers.get("To")),
        subject=_decoded(headers.get("Subject")),
        date=date,
        message_id=str(headers.get("Message-ID", "")).strip(),
    )


def list_sink_messages(directory: Path) -> list[SinkMessage]:
    """The sink's mails, oldest first by their Date header (the product's clock), then by arrival."""
    if not directory.is_dir():
        return []
    messages = [_read_summary(path) for path in sorted(directory.glob("*.eml"))]
    return sorted(messages, key=lambda message: (message.date, message.path.name))
