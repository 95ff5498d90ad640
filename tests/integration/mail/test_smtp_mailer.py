"""SmtpMailer against a real aiosmtpd server with injected faults: what counts as delivered, and when."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comms_approval.adapters.mail.message import Attachment, DeliveryStatus, OutgoingMessage
from comms_approval.adapters.mail.sink import LocalSmtpSink, list_sink_messages
from comms_approval.adapters.mail.smtp import SmtpMailer, retry_delay
from comms_approval.clock import ManualClock
from comms_approval.config import Environment, Settings, SmtpSecurity
from comms_approval.domain.errors import ConfigurationError
from tests.support.smtp_server import SmtpTestServer, Stage

MAIL_FROM = "Validation des communications <no-reply@comms-approval.localhost>"


def message(number: int = 1, to: str = "Élise Martin <elise@partner.example>") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=f"<outbox-{number}.3f9a@comms-approval.localhost>",
        to=to,
        subject=f"Demande d’accord n° {number}",
        text="Madame, Monsieur,\n",
        html="<p>Madame, Monsieur,</p>",
        attachments=(Attachment("echeance.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\n"),),
    )


def mailer_for(
    server: SmtpTestServer,
    clock: ManualClock,
    *,
    security: SmtpSecurity = SmtpSecurity.NONE,
    timeout: float = 5.0,
    trust_server: bool = True,
) -> SmtpMailer:
    return SmtpMailer(
        host=server.host,
        port=server.port,
        security=security,
        username=None,
        password=None,
        mail_from=MAIL_FROM,
        timeout_seconds=timeout,
        clock=clock,
        tls_context=server.client_tls_context() if server.starttls and trust_server else None,
    )


class TestAcceptedDelivery:
    def test_accepted_message_is_stamped_with_the_injected_clock_at_the_250(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        result = asyncio.run(mailer_for(smtp_server, clock).send(message()))

        assert result.status is DeliveryStatus.ACCEPTED
        assert result.code == 250
        assert result.accepted_at == datetime(2026, 4, 23, 9, 30, tzinfo=UTC)
        (received,) = smtp_server.accepted_messages()
        assert received.rcpt_tos == ["elise@partner.example"]
        assert received.mail_from == "no-reply@comms-approval.localhost"
        assert received.message_id == "<outbox-1.3f9a@comms-approval.localhost>"
        assert received.message["Subject"] == "Demande d’accord n° 1"
        assert received.message["Date"] is not None

    def test_send_many_delivers_every_message_over_one_connection(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        messages = [message(n, to=f"p{n}@partner.example") for n in range(1, 6)]

        results = asyncio.run(mailer_for(smtp_server, clock).send_many(messages))

        assert [r.status for r in results] == [DeliveryStatus.ACCEPTED] * 5
        assert len(smtp_server.accepted_messages()) == 5
        assert len(smtp_server.connections()) == 1

    def test_send_many_goes_on_with_a_fresh_session_after_one_refused_message(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.fail_permanently("p2@partner.example")
        messages = [message(n, to=f"p{n}@partner.example") for n in range(1, 4)]

        results = asyncio.run(mailer_for(smtp_server, clock).send_many(messages))

        assert [r.status for r in results] == [
            DeliveryStatus.ACCEPTED,
            DeliveryStatus.PERMANENT_FAILURE,
            DeliveryStatus.ACCEPTED,
        ]
        assert [m.rcpt_tos for m in smtp_server.accepted_messages()] == [
            ["p1@partner.example"],
            ["p3@partner.example"],
        ]


class TestRelayRefusals:
    def test_451_is_a_temporary_failure_and_the_retry_is_accepted(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.fail_temporarily("elise@partner.example", times=1)
        mailer = mailer_for(smtp_server, clock)

        first = asyncio.run(mailer.send(message()))
        clock.advance(timedelta(minutes=1))
        second = asyncio.run(mailer.send(message()))

        assert (first.status, first.code, first.accepted_at) == (DeliveryStatus.TEMPORARY_FAILURE, 451, None)
        assert second.status is DeliveryStatus.ACCEPTED
        assert second.accepted_at == datetime(2026, 4, 23, 9, 31, tzinfo=UTC)
        assert len(smtp_server.accepted_messages()) == 1

    def test_550_at_data_is_a_permanent_failure(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.fail_permanently("elise@partner.example")

        result = asyncio.run(mailer_for(smtp_server, clock).send(message()))

        assert (result.status, result.code, result.accepted_at) == (
            DeliveryStatus.PERMANENT_FAILURE,
            550,
            None,
        )
        assert "Mailbox unavailable" in result.detail
        assert smtp_server.accepted_messages() == []

    def test_refused_recipient_at_rcpt_is_a_permanent_failure_with_its_code(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.refuse_recipient("elise@partner.example", code=550, text="5.1.1 No such user")

        result = asyncio.run(mailer_for(smtp_server, clock).send(message()))

        assert (result.status, result.code) == (DeliveryStatus.PERMANENT_FAILURE, 550)
        assert "elise@partner.example" in result.detail and "No such user" in result.detail
        assert smtp_server.received_messages() == []

    def test_greylisting_at_rcpt_is_a_temporary_failure(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.fail_temporarily("elise@partner.example", stage=Stage.RCPT, code=450)

        result = asyncio.run(mailer_for(smtp_server, clock).send(message()))

        assert (result.status, result.code) == (DeliveryStatus.TEMPORARY_FAILURE, 450)

    def test_a_header_injection_attempt_is_refused_before_anything_is_sent(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        hostile = OutgoingMessage(
            message_id="<outbox-9.aa@comms-approval.localhost>",
            to="elise@partner.example",
            subject="Bonjour\r\nBcc: everyone@elsewhere.example",
            text="t",
            html="<p>t</p>",
        )

        result = asyncio.run(mailer_for(smtp_server, clock).send(hostile))

        assert result.status is DeliveryStatus.PERMANENT_FAILURE
        assert "header injection" in result.detail
        assert smtp_server.received_messages() == []


class TestBrokenSessions:
    def test_a_stalled_relay_hits_the_overall_timeout_and_is_a_temporary_failure(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.stall("elise@partner.example", seconds=5)
        started = time.monotonic()

        result = asyncio.run(mailer_for(smtp_server, clock, timeout=0.5).send(message()))

        elapsed = time.monotonic() - started
        assert result.status is DeliveryStatus.TEMPORARY_FAILURE
        assert result.accepted_at is None
        assert "within 0.5 s" in result.detail
        assert elapsed < 2.0

    def test_a_connection_dropped_after_data_is_temporary_and_the_retry_repeats_the_message_id(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        smtp_server.drop_after_data("elise@partner.example", times=1)
        mailer = mailer_for(smtp_server, clock)

        first = asyncio.run(mailer.send(message()))
        second = asyncio.run(mailer.send(message()))

        assert first.status is DeliveryStatus.TEMPORARY_FAILURE
        assert second.status is DeliveryStatus.ACCEPTED
        received = smtp_server.received_messages()
        assert [m.answered for m in received] == [False, True]
        assert received[0].message_id == received[1].message_id == "<outbox-1.3f9a@comms-approval.localhost>"

    def test_an_unreachable_relay_fails_every_message_of_the_batch_temporarily(
        self, clock: ManualClock
    ) -> None:
        mailer = SmtpMailer(
            host="127.0.0.1",
            port=1,  # nothing listens on tcpmux: connection refused
            security=SmtpSecurity.NONE,
            username=None,
            password=None,
            mail_from=MAIL_FROM,
            timeout_seconds=2,
            clock=clock,
        )

        results = asyncio.run(mailer.send_many([message(1), message(2)]))

        assert [r.status for r in results] == [DeliveryStatus.TEMPORARY_FAILURE] * 2
        assert all("cannot open an SMTP session" in r.detail for r in results)


class TestTransportSecurity:
    def test_starttls_required_but_not_offered_fails_temporarily_and_sends_nothing_in_plaintext(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        result = asyncio.run(mailer_for(smtp_server, clock, security=SmtpSecurity.STARTTLS).send(message()))

        assert result.status is DeliveryStatus.TEMPORARY_FAILURE
        assert "does not offer STARTTLS" in result.detail
        assert "nothing was sent in plaintext" in result.detail
        assert smtp_server.received_messages() == []
        assert smtp_server.replies() == []  # not even a RCPT TO went out

    def test_starttls_offered_is_used_and_the_message_travels_encrypted(
        self, make_smtp_server: Callable[..., SmtpTestServer], clock: ManualClock
    ) -> None:
        server = make_smtp_server(starttls=True)

        result = asyncio.run(mailer_for(server, clock, security=SmtpSecurity.STARTTLS).send(message()))

        assert result.status is DeliveryStatus.ACCEPTED
        (received,) = server.accepted_messages()
        assert received.over_tls is True

    def test_an_untrusted_certificate_is_a_temporary_failure_not_a_plaintext_fallback(
        self, make_smtp_server: Callable[..., SmtpTestServer], clock: ManualClock
    ) -> None:
        server = make_smtp_server(starttls=True)
        mailer = mailer_for(server, clock, security=SmtpSecurity.STARTTLS, trust_server=False)

        result = asyncio.run(mailer.send(message()))

        assert result.status is DeliveryStatus.TEMPORARY_FAILURE
        assert "cannot open an SMTP session" in result.detail
        assert server.received_messages() == []

    def test_credentials_over_plaintext_to_a_remote_relay_are_refused(self, clock: ManualClock) -> None:
        with pytest.raises(ConfigurationError, match="unencrypted"):
            SmtpMailer(
                host="smtp.example.org",
                port=25,
                security=SmtpSecurity.NONE,
                username="user",
                password="pw",
                mail_from=MAIL_FROM,
                timeout_seconds=5,
                clock=clock,
            )


class TestSettings:
    def test_from_settings_needs_a_host(self, clock: ManualClock) -> None:
        with pytest.raises(ConfigurationError, match="SMTP_HOST"):
            SmtpMailer.from_settings(Settings(smtp_host=None), clock)

    def test_from_settings_refuses_plaintext_to_a_remote_relay_in_production(
        self, clock: ManualClock
    ) -> None:
        settings = Settings(
            env=Environment.PRODUCTION,
            secret_key="x" * 40,
            smtp_host="smtp.example.org",
            smtp_security=SmtpSecurity.NONE,
            mail_from="Visas <no-reply@visas.example.org>",
        )
        with pytest.raises(ConfigurationError, match="production"):
            SmtpMailer.from_settings(settings, clock)

    def test_production_refuses_to_start_without_a_relay_or_with_the_development_sender(self) -> None:
        """Without a relay, the local sink would accept every mail: requests counted as delivered, unseen."""
        production = {"env": Environment.PRODUCTION, "secret_key": "x" * 40}
        with pytest.raises(ConfigurationError, match="SMTP_HOST is required in production"):
            Settings(**production)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="MAIL_FROM"):
            Settings(**production, smtp_host="smtp.example.org")  # type: ignore[arg-type]
        ready = Settings(**production, smtp_host="smtp.example.org", mail_from="Visas <v@visas.example.org>")  # type: ignore[arg-type]
        assert ready.is_production

    def test_from_settings_builds_a_mailer_that_delivers(
        self, smtp_server: SmtpTestServer, clock: ManualClock
    ) -> None:
        settings = Settings(
            smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_security=SmtpSecurity.NONE
        )

        result = asyncio.run(SmtpMailer.from_settings(settings, clock).send(message()))

        assert result.status is DeliveryStatus.ACCEPTED


class TestRetryDelay:
    def test_delays_grow_exponentially_under_full_jitter_and_stay_under_the_cap(self) -> None:
        rng = random.Random(7)
        ceilings = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        for attempt, ceiling in enumerate(ceilings, start=1):
            delays = [retry_delay(attempt, rng=rng) for _ in range(200)]
            assert all(0 <= d <= ceiling for d in delays)
            assert max(delays) > ceiling * 0.8  # the jitter spans the whole range
        assert retry_delay(10_000, rng=rng) <= 3600

    def test_attempt_numbers_start_at_one(self) -> None:
        with pytest.raises(ValueError, match="start at 1"):
            retry_delay(0, rng=random.Random(1))


class TestLocalSink:
    def test_the_sink_stores_each_mail_as_an_eml_and_lists_them_in_clock_order(
        self, tmp_path: Path, clock: ManualClock
    ) -> None:
        with LocalSmtpSink(tmp_path / "sink") as sink:
            mailer = SmtpMailer(
                host="127.0.0.1",
                port=sink.port,
                security=SmtpSecurity.NONE,
                username=None,
                password=None,
                mail_from=MAIL_FROM,
                timeout_seconds=5,
                clock=clock,
            )
            asyncio.run(mailer.send(message(1, to="Zoé Durand <zoe@partner.example>")))
            clock.advance(timedelta(days=7))
            asyncio.run(mailer.send(message(2, to="Ana <ana@partner.example>")))

        listed = list_sink_messages(tmp_path / "sink")

        assert [m.to for m in listed] == ["Zoé Durand <zoe@partner.example>", "Ana <ana@partner.example>"]
        assert [m.subject for m in listed] == ["Demande d’accord n° 1", "Demande d’accord n° 2"]
        assert listed[1].date - listed[0].date == timedelta(days=7)
        assert listed[0].message_id == "<outbox-1.3f9a@comms-approval.localhost>"
        assert all(m.path.suffix == ".eml" and m.path.parent == tmp_path / "sink" for m in listed)
        assert b"X-Sink-Rcpt-To: zoe@partner.example" in listed[0].path.read_bytes()

    def test_an_absent_sink_directory_lists_nothing(self, tmp_path: Path) -> None:
        assert list_sink_messages(tmp_path / "missing") == []

    def test_the_port_is_unknown_until_the_sink_runs(self, tmp_path: Path) -> None:
        sink = LocalSmtpSink(tmp_path)
        with pytest.raises(RuntimeError, match="not running"):
            _ = sink.port
