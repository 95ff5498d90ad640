"""The MIME tree of an outgoing mail, the refusal of header injection, and the deadline calendar file."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from comms_approval.adapters.mail.ics import deadline_ics, escape_text, fold_line
from comms_approval.adapters.mail.message import Attachment, OutgoingMessage, build_mime, envelope_address

MAIL_FROM = "Validation des communications <no-reply@comms-approval.localhost>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def a_message(**changes: object) -> OutgoingMessage:
    message = OutgoingMessage(
        message_id="<outbox-12.3f9a@comms-approval.localhost>",
        to="Hélène Muller <helene@region.example>",
        subject="Demande d’accord\u00a0: « Fête de la science »",
        text="Madame, Monsieur,\n",
        html='<p>Madame, Monsieur,</p><img src="cid:preview-12@comms-approval.localhost">',
        attachments=(
            Attachment("apercu.png", "image/png", PNG, inline_cid="preview-12@comms-approval.localhost"),
            Attachment(
                "echeance.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
            ),
        ),
        reply_to="com@unistra.example",
        headers=(("X-Comms-Approval-Request", "42"),),
    )
    return replace(message, **changes)  # type: ignore[arg-type]


def reparsed(mime: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class TestMimeStructure:
    def test_mail_is_mixed_with_alternative_text_and_related_html_plus_the_calendar(self) -> None:
        mime = reparsed(build_mime(a_message(), mail_from=MAIL_FROM))

        assert mime.get_content_type() == "multipart/mixed"
        alternative, calendar = mime.get_payload()  # type: ignore[misc]
        assert alternative.get_content_type() == "multipart/alternative"
        text, related = alternative.get_payload()
        assert text.get_content_type() == "text/plain"
        assert related.get_content_type() == "multipart/related"
        html, image = related.get_payload()
        assert html.get_content_type() == "text/html"
        assert image["Content-ID"] == "<preview-12@comms-approval.localhost>"
        assert image.get_content_disposition() == "inline"
        assert image.get_content() == PNG
        assert calendar.get_content_type() == "text/calendar"
        assert calendar.get_param("method") == "PUBLISH"
        assert calendar.get_filename() == "echeance.ics"

    def test_headers_carry_the_given_message_id_the_clock_date_and_encoded_non_ascii(self) -> None:
        sent_at = datetime(2026, 4, 23, 8, 30, tzinfo=UTC)
        raw = build_mime(a_message(), mail_from=MAIL_FROM, date=sent_at).as_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0]
        mime = reparsed(build_mime(a_message(), mail_from=MAIL_FROM, date=sent_at))

        assert head.isascii()  # RFC 2047 encoded words, no raw 8-bit header
        assert mime["Message-ID"] == "<outbox-12.3f9a@comms-approval.localhost>"
        assert mime["Subject"] == "Demande d’accord\u00a0: « Fête de la science »"
        assert mime["To"] == "Hélène Muller <helene@region.example>"
        assert mime["Date"] == "Thu, 23 Apr 2026 08:30:00 +0000"
        assert mime["Reply-To"] == "com@unistra.example"
        assert mime["Auto-Submitted"] == "auto-generated"
        assert mime["X-Comms-Approval-Request"] == "42"

    def test_the_envelope_address_is_the_bare_addr_spec(self) -> None:
        assert envelope_address("Hélène Muller <helene@region.example>") == "helene@region.example"


class TestHeaderInjection:
    @pytest.mark.parametrize(
        "changes",
        [
            {"subject": "Bonjour\r\nBcc: everyone@evil.example"},
            {"subject": "Bonjour\nBcc: everyone@evil.example"},
            {"to": "helene@region.example\r\nBcc: everyone@evil.example"},
            {"reply_to": "a@b.example\nX-Evil: 1"},
            {"headers": (("X-Note", "ok\r\nBcc: everyone@evil.example"),)},
            {"attachments": (Attachment("a\r\nb.ics", "text/calendar", b""),)},
            {"attachments": (Attachment("a.png", "image/png", PNG, inline_cid="x\r\ny"),)},
        ],
    )
    def test_a_line_break_in_any_header_value_is_refused(self, changes: dict[str, object]) -> None:
        with pytest.raises(ValueError, match="line break"):
            build_mime(a_message(**changes), mail_from=MAIL_FROM)

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"to": "a@b.example, c@d.example"}, "exactly one"),
            ({"to": "not an address"}, "exactly one"),
            ({"message_id": "outbox-12"}, "Message-ID"),
            ({"headers": (("Bcc", "x@y.example"),)}, "cannot be overridden"),
            ({"headers": (("Bad Name", "x"),)}, "invalid header name"),
            ({"attachments": (Attachment("a.bin", "nonsense", b""),)}, "content type"),
        ],
    )
    def test_malformed_addresses_ids_and_headers_are_refused(
        self, changes: dict[str, object], problem: str
    ) -> None:
        with pytest.raises(ValueError, match=problem):
            build_mime(a_message(**changes), mail_from=MAIL_FROM)


class TestDeadlineCalendar:
    DEADLINE = datetime(2026, 5, 12, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))

    def calendar(self, **changes: str) -> bytes:
        values = {
            "uid": "request-42@comms-approval.localhost",
            "summary": "Échéance : accord sur « Fête de la science », version 2",
            "description": "Sans réponse, votre accord sera réputé acquis; article 8.\nLien : https://x.example/r/abc",
        }
        values.update(changes)
        return deadline_ics(
            created=datetime(2026, 4, 23, 8, 30, tzinfo=UTC), deadline=self.DEADLINE, **values
        )

    def unfolded(self, data: bytes) -> list[str]:
        return data.decode("utf-8").replace("\r\n ", "").split("\r\n")

    def test_the_event_ends_at_the_deadline_in_utc_and_lines_end_with_crlf(self) -> None:
        data = self.calendar()
        lines = self.unfolded(data)

        assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
        assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
        assert "DTEND:20260511T220000Z" in lines
        assert "DTSTART:20260511T210000Z" in lines
        assert "UID:request-42@comms-approval.localhost" in lines
        assert "DTSTAMP:20260423T083000Z" in lines
        assert "METHOD:PUBLISH" in lines and "VERSION:2.0" in lines
        assert lines.index("BEGIN:VALARM") < lines.index("TRIGGER:-P1D") < lines.index("END:VALARM")

    def test_text_values_are_escaped_and_long_lines_folded_within_75_octets(self) -> None:
        data = self.calendar(description="é" * 100 + ", fin; suite\nligne 2")
        raw_lines = data.decode("utf-8").split("\r\n")
        description = next(line for line in self.unfolded(data) if line.startswith("DESCRIPTION:"))

        assert all(len(line.encode("utf-8")) <= 75 for line in raw_lines)
        assert description == "DESCRIPTION:" + "é" * 100 + "\\, fin\\; suite\\nligne 2"

    def test_the_summary_keeps_its_words(self) -> None:
        summary = next(line for line in self.unfolded(self.calendar()) if line.startswith("SUMMARY:"))
        assert summary == "SUMMARY:Échéance : accord sur « Fête de la science »\\, version 2"

    def test_naive_datetimes_and_broken_uids_are_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            deadline_ics(uid="u@x", summary="s", description="d", deadline=datetime(2026, 5, 12),  # noqa: DTZ001
                         created=datetime(2026, 4, 23, tzinfo=UTC))  # fmt: skip
        with pytest.raises(ValueError, match="UID"):
            self.calendar(uid="u@x\r\nX-EVIL:1")

    def test_folding_never_splits_a_multibyte_character(self) -> None:
        folded = fold_line("X:" + "€" * 60)
        assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
        assert folded.replace("\r\n ", "") == "X:" + "€" * 60

    def test_backslashes_are_escaped_first(self) -> None:
        assert escape_text("a\\b,c") == "a\\\\b\\,c"
