"""A real SMTP server for tests (aiosmtpd on loopback) that records what it gets and injects faults on demand.

Use it from any test module::

    from tests.support.smtp_server import SmtpTestServer, make_smtp_server, smtp_server  # fixtures

    def test_x(smtp_server: SmtpTestServer) -> None:
        smtp_server.fail_temporarily("a@example.org", times=2)      # 451 twice, then 250
        ...
        assert smtp_server.accepted_messages()[0].message["Subject"] == ...

Faults match a recipient (case-insensitive) or, at the DATA stage, a Message-ID; ``recipient=None`` and
``message_id=None`` match every message. A fault applies ``times`` times (``None`` = for ever), then the
server behaves normally again. Faults are checked in the order they were added.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.policy
import ipaddress
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from comms_approval.adapters.mail.sink import FreePortController


class FaultKind(StrEnum):
    """What the server does instead of the normal answer."""

    REPLY = "reply"  # answer with `code text` (451, 550, 552...) at the fault's stage
    STALL = "stall"  # wait `seconds` before answering DATA (then 250 if the client is still there)
    DROP_AFTER_DATA = "drop_after_data"  # keep the message, close the connection, never send the 250


class Stage(StrEnum):
    RCPT = "rcpt"
    DATA = "data"


@dataclass
class Fault:
    """One injected misbehaviour; `remaining` counts down to 0 (None = unlimited)."""

    kind: FaultKind
    stage: Stage
    recipient: str | None = None
    message_id: str | None = None
    remaining: int | None = 1
    code: int = 451
    text: str = "4.3.0 Try again later"
    seconds: float = 0.0

    def matches(self, recipients: list[str], message_id: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.recipient is not None and self.recipient.lower() not in (r.lower() for r in recipients):
            return False
        return self.message_id is None or self.message_id == message_id


@dataclass
class ReceivedMessage:
    """A message the server received completely (after the final '.' of DATA)."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    peer: str
    over_tls: bool
    answered: bool = False  # True once the 250 was actually sent back
    received_at: float = field(default_factory=time.monotonic)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Reply:
    """Every answer the server chose at RCPT or DATA, for assertions on retries."""

    stage: Stage
    recipients: tuple[str, ...]
    code: int


def _generate_self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 and localhost, generated at test time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Handler:
    """aiosmtpd hooks; runs in the server thread, so shared state is guarded by the server's lock."""

    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd hook name
        self, smtp: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        fault = self.server._take_fault(Stage.RCPT, [address], None)
        if fault is not None:
            self.server._log_reply(Stage.RCPT, [address], fault.code)
            return f"{fault.code} {fault.text}"
        envelope.rcpt_tos.append(address)
        self.server._log_reply(Stage.RCPT, [address], 250)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        data: bytes = envelope.original_content or b""
        parsed = BytesParser(policy=email.policy.default).parsebytes(data)
        assert isinstance(parsed, EmailMessage)
        message_id = str(parsed["Message-ID"]) if parsed["Message-ID"] else None
        fault = self.server._take_fault(Stage.DATA, list(envelope.rcpt_tos), message_id)
        if fault is not None and fault.kind is FaultKind.REPLY:
            self.server._log_reply(Stage.DATA, envelope.rcpt_tos, fault.code)
            return f"{fault.code} {fault.text}"
        received = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            message=parsed,
            peer=str(session.peer),
            over_tls=smtp._tls_protocol is not None,
        )
        self.server._record(received)
        if fault is not None and fault.kind is FaultKind.DROP_AFTER_DATA:
            self.server._log_reply(Stage.DATA, envelope.rcpt_tos, 0)
            # abort() discards anything still buffered, so the client never sees a reply.
            smtp.transport.abort()
            if smtp._original_transport is not None:
                smtp._original_transport.abort()
            await asyncio.Event().wait()  # cancelled by aiosmtpd when it notices the lost connection
        if fault is not None and fault.kind is FaultKind.STALL:
            await asyncio.sleep(fault.seconds)
        self.server._log_reply(Stage.DATA, envelope.rcpt_tos, 250)
        received.answered = True
        return "250 2.0.0 Message accepted"


class SmtpTestServer:
    """aiosmtpd on 127.0.0.1 with a free port; optional STARTTLS with a certificate made at test time."""

    def __init__(self, *, starttls: bool = False, require_starttls: bool = False) -> None:
        self.starttls = starttls
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._received: list[ReceivedMessage] = []
        self._replies: list[Reply] = []
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._server_tls: ssl.SSLContext | None = None
        self.cert_path: Path | None = None
        if starttls:
            self._tempdir = tempfile.TemporaryDirectory(prefix="smtp-test-cert-")
            self.cert_path, key_path = _generate_self_signed(Path(self._tempdir.name))
            self._server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._server_tls.load_cert_chain(self.cert_path, key_path)
        kwargs: dict[str, Any] = {}
        if self._server_tls is not None:
            # Offering STARTTLS is what the tls_context parameter does in aiosmtpd.
            kwargs = {"tls_context": self._server_tls, "require_starttls": require_starttls}
        self._controller = FreePortController(_Handler(self), hostname="127.0.0.1", port=0, **kwargs)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> SmtpTestServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context trusting this server's self-signed certificate (and nothing else)."""
        if self.cert_path is None:
            raise RuntimeError("this server was started without STARTTLS")
        return ssl.create_default_context(cafile=str(self.cert_path))

    # -- fault injection --------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_temporarily(
        self,
        recipient: str | None = None,
        *,
        times: int | None = 1,
        code: int = 451,
        text: str = "4.3.0 Try again later",
        stage: Stage = Stage.DATA,
        message_id: str | None = None,
    ) -> Fault:
        """Answer `code` (4xx) `times` times, then accept."""
        return self.add_fault(Fault(FaultKind.REPLY, stage, recipient, message_id, times, code, text))

    def fail_permanently(
        self,
        recipient: str | None = None,
        *,
        times: int | None = None,
        code: int = 550,
        text: str = "5.1.1 Mailbox unavailable",
        stage: Stage = Stage.DATA,
        message_id: str | None = None,
    ) -> Fault:
        """Answer `code` (5xx) at DATA (or RCPT), by default for ever."""
        return self.add_fault(Fault(FaultKind.REPLY, stage, recipient, message_id, times, code, text))

    def refuse_recipient(
        self, recipient: str, *, code: int = 550, text: str = "5.1.1 No such user", times: int | None = None
    ) -> Fault:
        """Refuse the address at RCPT TO."""
        return self.fail_permanently(recipient, times=times, code=code, text=text, stage=Stage.RCPT)

    def stall(
        self,
        recipient: str | None = None,
        *,
        seconds: float,
        times: int | None = 1,
        message_id: str | None = None,
    ) -> Fault:
        """Keep the client waiting `seconds` after the end of DATA before answering."""
        return self.add_fault(
            Fault(FaultKind.STALL, Stage.DATA, recipient, message_id, times, seconds=seconds)
        )

    def drop_after_data(
        self, recipient: str | None = None, *, times: int | None = 1, message_id: str | None = None
    ) -> Fault:
        """Store the message, then cut the connection without the 250 (the client cannot know)."""
        return self.add_fault(Fault(FaultKind.DROP_AFTER_DATA, Stage.DATA, recipient, message_id, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- what happened ----------------------------------------------------------------------------
    def received_messages(self) -> list[ReceivedMessage]:
        """Every message received completely, answered or not (a dropped one counts)."""
        with self._lock:
            return list(self._received)

    def accepted_messages(self) -> list[ReceivedMessage]:
        """Messages the server acknowledged with a 250."""
        with self._lock:
            return [message for message in self._received if message.answered]

    def messages_to(self, recipient: str) -> list[ReceivedMessage]:
        return [m for m in self.received_messages() if recipient.lower() in (r.lower() for r in m.rcpt_tos)]

    def replies(self) -> list[Reply]:
        with self._lock:
            return list(self._replies)

    def connections(self) -> set[str]:
        """Distinct client connections (peer address and port) that delivered at least one message."""
        return {message.peer for message in self.received_messages()}

    def wait_for_messages(self, count: int, *, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until `count` messages arrived (the server runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.received_messages()
            if len(messages) >= count:
                return messages
            time.sleep(0.01)
        raise AssertionError(f"expected {count} messages, got {len(self.received_messages())}")

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._received.clear()
            self._replies.clear()

    # -- used by the handler (server thread) -----------------------------------------------------
    def _take_fault(self, stage: Stage, recipients: list[str], message_id: str | None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage is stage and fault.matches(recipients, message_id):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def _record(self, received: ReceivedMessage) -> None:
        with self._lock:
            self._received.append(received)

    def _log_reply(self, stage: Stage, recipients: list[str], code: int) -> None:
        with self._lock:
            self._replies.append(Reply(stage, tuple(recipients), code))

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture
def make_smtp_server() -> Iterator[Callable[..., SmtpTestServer]]:
    """Factory fixture: `make_smtp_server(starttls=True)`; every server made is stopped after the test."""
    servers: list[SmtpTestServer] = []

    def make(*, starttls: bool = False, require_starttls: bool = False) -> SmtpTestServer:
        server = SmtpTestServer(starttls=starttls, require_starttls=require_starttls).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server: Callable[..., SmtpTestServer]) -> SmtpTestServer:
    """A plain (no STARTTLS offered) recording server on a free loopback port."""
    return make_smtp_server()


__all__ = [
    "Fault",
    "FaultKind",
    "ReceivedMessage",
    "Reply",
    "SmtpTestServer",
    "Stage",
    "make_smtp_server",
    "smtp_server",
]
