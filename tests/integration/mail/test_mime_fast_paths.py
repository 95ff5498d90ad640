"""The dispatcher's MIME shortcuts (boundaries from the Message-ID, cached attachment parts) change no mail."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from comms_approval.adapters.mail.message import Attachment, OutgoingMessage, build_mime

MAIL_FROM = "Validation des communications <no-reply@comms-approval.localhost>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ICS = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def a_message(
    message_id: str = "<outbox-7.ab12@comms-approval.localhost>", text: str = "Bonjour,\n"
) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        to="Hélène Muller <helene@region.example>",
        subject="Demande d’accord",
        text=text,
        html="<p>Bonjour,</p>",
        attachments=(
            Attachment("aperçu.png", "image/png", PNG, inline_cid="preview-7@comms-approval.localhost"),
            Attachment("echeance.ics", "text/calendar; method=PUBLISH", ICS),
        ),
    )


def boundaries(mime: EmailMessage) -> list[str | None]:
    return [part.get_boundary() for part in mime.walk() if part.is_multipart()]


def parts(mime: EmailMessage) -> list[EmailMessage]:
    payload = mime.get_payload()
    assert isinstance(payload, list)
    found = [part for part in payload if isinstance(part, EmailMessage)]
    assert len(found) == len(payload)
    return found


def reparsed(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class TestBoundaries:
    def test_a_resend_of_the_same_row_serialises_to_the_same_bytes(self) -> None:
        first = build_mime(a_message(), mail_from=MAIL_FROM).as_bytes()
        again = build_mime(a_message(), mail_from=MAIL_FROM).as_bytes()

        assert first == again

    def test_every_multipart_level_has_its_own_boundary_and_two_messages_never_share_one(self) -> None:
        one = boundaries(build_mime(a_message(), mail_from=MAIL_FROM))
        other = boundaries(
            build_mime(a_message("<outbox-8.cd34@comms-approval.localhost>"), mail_from=MAIL_FROM)
        )

        assert len(one) == 3 and len(set(one)) == 3
        assert not set(one) & set(other)

    def test_a_body_quoting_the_boundary_is_encoded_and_cannot_cut_the_message(self) -> None:
        boundary = boundaries(build_mime(a_message(), mail_from=MAIL_FROM))[0]
        hostile = f"--{boundary}\nContent-Type: text/html\n\n<script>x</script>\n--{boundary}--\n"

        parsed = reparsed(build_mime(a_message(text=hostile), mail_from=MAIL_FROM).as_bytes())

        alternative, calendar = parts(parsed)
        text, _related = parts(alternative)
        assert text.get_content().replace("\r\n", "\n") == hostile
        assert calendar.get_filename() == "echeance.ics"


class TestCachedAttachments:
    def test_cached_parts_carry_the_same_headers_and_content_as_freshly_built_ones(self) -> None:
        for _ in range(2):  # the second build comes from the cache
            parsed = reparsed(build_mime(a_message(), mail_from=MAIL_FROM).as_bytes())
            alternative, calendar = parts(parsed)
            _text, related = parts(alternative)
            _html, image = parts(related)

            assert image.get_content() == PNG
            assert image.get_filename() == "aperçu.png"
            assert image["Content-ID"] == "<preview-7@comms-approval.localhost>"
            assert image.get_content_disposition() == "inline"
            assert calendar.get_content() == ICS.decode()
            assert calendar.get_param("method") == "PUBLISH"
            assert calendar.get_content_disposition() == "attachment"

    def test_editing_one_message_leaves_the_next_one_untouched(self) -> None:
        first = build_mime(a_message(), mail_from=MAIL_FROM)
        calendar = parts(first)[1]
        calendar["X-Edited"] = "yes"
        calendar.set_payload("changed")

        second = build_mime(a_message(), mail_from=MAIL_FROM)

        assert parts(second)[1]["X-Edited"] is None
        assert parts(reparsed(second.as_bytes()))[1].get_content() == ICS.decode()
