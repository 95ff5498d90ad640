"""The dispatcher's serialiser writes exactly what aiosmtplib would write for build_mime's tree, or refuses alike."""

from __future__ import annotations

import asyncio
import email.quoprimime
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiosmtplib.email import flatten_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comms_approval.adapters.mail.message import (
    Attachment,
    DeliveryStatus,
    OutgoingMessage,
    _qp_body,
    build_mime,
    mime_bytes,
)
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.clock import ManualClock
from comms_approval.config import SmtpSecurity
from tests.support.smtp_server import SmtpTestServer

MAIL_FROM = "Validation des communications <no-reply@comms-approval.localhost>"
PREVIEW = Attachment("aperçu.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "p-7@x.example")
SECOND = Attachment("page 2.png", "image/png", b"\x89PNG\r\n\x1a\n\x00", "p-8@x.example")
ICS = Attachment("echeance.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" * 9)
NOTE = Attachment("note de synthèse.txt", "text/plain; charset=utf-8", "Résumé\n".encode())
SHAPES = {
    "text and html only": (),
    "inline image": (PREVIEW,),
    "attached file": (ICS,),
    "image and file (request mail)": (PREVIEW, ICS),
    "several of each, interleaved": (ICS, PREVIEW, NOTE, SECOND),
}
DATES = {
    "no date": None,
    "UTC": datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
    "Paris summer time": datetime(2026, 7, 14, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
    "naive": datetime(2026, 1, 1),  # noqa: DTZ001 - format_datetime writes -0000 for it
}
LONG_SUBJECT = "Demande d’accord : « Affiche » Semaine de l'assiduité, version 12 — relance " * 3


def a_message(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "message_id": "<5b1c0e2f4d3a291807f6e5d4c3b2a190@comms-approval.localhost>",
        "to": "Hélène Muller <helene@region.example>",
        "subject": "Demande d’accord",
        "text": "Madame, Monsieur,\n\nLien : https://example.org/r/abc=def\nFin. \n",
        "html": '<p style="margin:0">Madame, Monsieur,</p>\n<a href="https://example.org/r/abc">lien</a>\n',
        "attachments": (PREVIEW, ICS),
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def reference(message: OutgoingMessage, date: datetime | None = None) -> bytes:
    """What SmtpMailer sent before: build_mime's tree as aiosmtplib's send_message flattens it."""
    mime = build_mime(message, mail_from=MAIL_FROM, date=date)
    seven_bit = flatten_message(mime, cte_type="7bit")  # a relay without 8BITMIME
    assert flatten_message(mime, cte_type="8bit") == seven_bit == mime.as_bytes()
    return seven_bit


class TestSameBytesAsTheEmailPackage:
    @pytest.mark.parametrize("shape", SHAPES)
    @pytest.mark.parametrize("date", DATES)
    def test_every_tree_shape_and_date(self, shape: str, date: str) -> None:
        message = a_message(attachments=SHAPES[shape])

        assert mime_bytes(message, mail_from=MAIL_FROM, date=DATES[date]) == reference(message, DATES[date])

    @pytest.mark.parametrize(
        "changes",
        [
            {"subject": LONG_SUBJECT},
            {"subject": "=?utf-8?q?d=C3=A9j=C3=A0?= encodé"},
            {"to": "caf@example.org"},
            {"to": '"Préfet <x@evil.example>, Bcc" <caf@example.org>'},
            {"reply_to": "Service communication <com@departement.example.org>"},
            {"headers": (("X-Comms-Request", "42"), ("List-Id", "Demandes d’accord <demandes.example.org>"))},
            {"message_id": "<" + "a" * 40 + "@" + "sous-domaine." * 5 + "example.org>"},
            {"text": "", "html": ""},
            {"text": "ligne finie par une tabulation\t\n" + "x" * 200 + " \n.\n", "html": "=" * 300},
            {"text": "CR LF\r\nCR seul\rsaut de page\x0cfin"},
        ],
        ids=",".join,
    )
    def test_headers_and_bodies_off_the_beaten_track(self, changes: dict[str, object]) -> None:
        message = a_message(**changes)
        sent_at = DATES["UTC"]

        assert mime_bytes(message, mail_from=MAIL_FROM, date=sent_at) == reference(message, sent_at)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        subject=st.text(st.characters(blacklist_categories=["Cs"]), max_size=120),
        text=st.text(st.characters(blacklist_categories=["Cs"]), max_size=400),
        html=st.text(st.characters(blacklist_categories=["Cs"]), max_size=400),
        name=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30),
    )
    def test_any_text_gives_the_same_bytes_or_the_same_refusal(
        self, subject: str, text: str, html: str, name: str
    ) -> None:
        message = a_message(subject=subject, text=text, html=html, to=f'"{name}" <helene@region.example>')
        try:
            expected = reference(message, DATES["UTC"])
        except ValueError:
            with pytest.raises(ValueError):
                mime_bytes(message, mail_from=MAIL_FROM, date=DATES["UTC"])
            return
        assert mime_bytes(message, mail_from=MAIL_FROM, date=DATES["UTC"]) == expected

    @settings(max_examples=300, deadline=None)
    @given(
        body=st.text(st.sampled_from(list(" \t=.-aZé€\x00\x7f\x0b\u2028\n")), max_size=300),
        width=st.integers(min_value=4, max_value=90),
    )
    def test_the_quoted_printable_encoder_is_the_standard_librarys(self, body: str, width: int) -> None:
        data = b"\n".join(body.encode().splitlines()) + b"\n"

        assert _qp_body(data, width) == email.quoprimime.body_encode(data.decode("latin-1"), width)


class TestSameRefusals:
    @pytest.mark.parametrize(
        "changes",
        [
            {"subject": "Affiche\r\nBcc: espion@evil.example"},
            {"subject": "Affiche\u2028Bcc: espion@evil.example"},
            {"to": "Caf <caf@example.org>\r\nBcc: espion@evil.example"},
            {"to": "caf@example.org, espion@evil.example"},
            {"to": "caf@example.org\x00espion@evil.example"},
            {"reply_to": "a@example.org, b@example.org"},
            {"message_id": "no-angle-brackets@example.org"},
            {"headers": (("Bcc", "espion@evil.example"),)},
            {"headers": (("X-Note", "a\r\nBcc: espion@evil.example"),)},
            {"headers": (("X-Note", "a\x85b"),)},
            {"headers": (("Content-Disposition", "inline"),)},
            {"headers": (("Sender", "a@example.org"), ("Sender", "b@example.org"))},
            {"attachments": (Attachment("a\r\nb.png", "image/png", b"x", "c@x"),)},
        ],
        ids=",".join,
    )
    def test_what_build_mime_refuses_is_refused(self, changes: dict[str, object]) -> None:
        message = a_message(**changes)
        with pytest.raises(ValueError):
            build_mime(message, mail_from=MAIL_FROM)

        with pytest.raises(ValueError):
            mime_bytes(message, mail_from=MAIL_FROM)

    def test_an_encoded_word_hiding_a_line_break_never_becomes_a_header(self) -> None:
        message = a_message(subject="Affiche =?utf-8?q?=0D=0ABcc:_espion@evil.example?=")

        raw = mime_bytes(message, mail_from=MAIL_FROM)

        assert b"\nBcc:" not in raw and raw == reference(message)


class TestOnTheWire:
    def test_the_relay_receives_exactly_those_bytes_and_the_250_is_the_delivery(
        self, smtp_server: SmtpTestServer
    ) -> None:
        clock = ManualClock(DATES["UTC"])
        mailer = SmtpMailer(
            host=smtp_server.host,
            port=smtp_server.port,
            security=SmtpSecurity.NONE,
            username=None,
            password=None,
            mail_from=MAIL_FROM,
            timeout_seconds=5,
            clock=clock,
        )
        messages = [a_message(message_id=f"<m{n}@comms-approval.localhost>") for n in range(3)]

        results = asyncio.run(mailer.send_many(messages))

        assert [result.status for result in results] == [DeliveryStatus.ACCEPTED] * 3
        received = smtp_server.accepted_messages()
        assert [m.rcpt_tos for m in received] == [["helene@region.example"]] * 3
        for sent, got in zip(messages, received, strict=True):
            assert got.data.replace(b"\r\n", b"\n") == reference(sent, clock.now()).replace(b"\r\n", b"\n")
