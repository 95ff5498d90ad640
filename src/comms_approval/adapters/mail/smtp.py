"""SmtpMailer: hands messages to an SMTP relay with aiosmtplib, with explicit TLS and an overall timeout."""

from __future__ import annotations

import asyncio
import email.errors
import ipaddress
import random
import ssl
from collections.abc import Sequence

import aiosmtplib

from comms_approval.adapters.mail.message import (
    DeliveryResult,
    DeliveryStatus,
    OutgoingMessage,
    build_mime,
    envelope_address,
    mime_bytes,
)
from comms_approval.clock import Clock
from comms_approval.config import Settings, SmtpSecurity
from comms_approval.domain.errors import ConfigurationError


def retry_delay(
    attempt: int, *, base_seconds: float = 30, cap_seconds: float = 3600, rng: random.Random
) -> float:
    """Seconds to wait before retry number `attempt` (1-based): exponential backoff with full jitter.

    Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of many
    messages that failed together, so they do not hit a recovering relay at the same instant.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    # Capping the exponent first keeps 2**n finite for absurd attempt numbers.
    ceiling = min(cap_seconds, base_seconds * 2.0 ** min(attempt - 1, 60))
    return rng.uniform(0, ceiling)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _status_for_code(code: int) -> DeliveryStatus:
    if 500 <= code < 600:
        return DeliveryStatus.PERMANENT_FAILURE
    # 4xx is transient by definition; anything unexpected is retried rather than given up on.
    return DeliveryStatus.TEMPORARY_FAILURE


def _failure(status: DeliveryStatus, code: int | None, detail: str) -> DeliveryResult:
    return DeliveryResult(status=status, code=code, detail=detail, accepted_at=None)


class _ConnectionFailedError(Exception):
    """The session could not be opened; every message of the batch shares the same fate."""

    def __init__(self, result: DeliveryResult) -> None:
        super().__init__(result.detail)
        self.result = result


class SmtpMailer:
    """Implements the Mailer port against a real relay; one message = one recipient."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: SmtpSecurity,
        username: str | None,
        password: str | None,
        mail_from: str,
        timeout_seconds: float,
        clock: Clock,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            raise ConfigurationError("the SMTP timeout must be positive")
        if security is SmtpSecurity.NONE and username is not None and not _is_loopback(host):
            raise ConfigurationError(
                "SMTP credentials over an unencrypted session to a remote relay are refused; "
                "set COMMS_APPROVAL_SMTP_SECURITY to starttls or tls"
            )
        envelope_address(mail_from)  # fail at start-up, not at the first mail
        self._host = host
        self._port = port
        self._security = security
        self._username = username
        self._password = password
        self._mail_from = mail_from
        self._timeout = timeout_seconds
        self._clock = clock
        self._tls_context = tls_context

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> SmtpMailer:
        """Build the mailer from COMMS_APPROVAL_SMTP_* settings."""
        if not settings.smtp_host:
            raise ConfigurationError("COMMS_APPROVAL_SMTP_HOST is not set")
        if (
            settings.is_production
            and settings.smtp_security is SmtpSecurity.NONE
            and not _is_loopback(settings.smtp_host)
        ):
            raise ConfigurationError("an unencrypted SMTP session to a remote relay is refused in production")
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password,
            mail_from=settings.mail_from,
            timeout_seconds=settings.smtp_timeout_seconds,
            clock=clock,
        )

    def _client(self) -> aiosmtplib.SMTP:
        # TLS is always stated explicitly: aiosmtplib's default (start_tls=None) upgrades only when the
        # server offers STARTTLS and silently stays in plaintext otherwise. The STARTTLS upgrade and the
        # login are done by hand in _open_session so that no credential or mail can precede the upgrade.
        return aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._security is SmtpSecurity.TLS,
            start_tls=False,
            timeout=self._timeout,
            tls_context=self._tls_context,
        )

    async def _open_session(self, client: aiosmtplib.SMTP) -> None:
        await client.connect()
        if self._security is SmtpSecurity.STARTTLS:
            await client.ehlo()
            if not client.supports_extension("starttls"):
                raise aiosmtplib.SMTPNotSupported("the server's EHLO answer lists no STARTTLS")
            await client.starttls(tls_context=self._tls_context)
        if self._username is not None:
            await client.login(self._username, self._password or "")

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver one message over its own session."""
        (result,) = await self.send_many([message])
        return result

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        """Deliver messages in order over one session, reconnecting after a failure that may have broken it.

        Each message gets the whole timeout (connection included when it has to reconnect). If the relay
        cannot be reached at all, the remaining messages are reported as temporary failures untried.
        """
        results: list[DeliveryResult] = []
        client: aiosmtplib.SMTP | None = None
        try:
            for index, message in enumerate(messages):
                connecting = False
                try:
                    async with asyncio.timeout(self._timeout):
                        if client is None or not client.is_connected:
                            connecting = True
                            client = await self._connect()
                            connecting = False
                        result = await self._deliver(client, message)
                except _ConnectionFailedError as failed:
                    results.extend(failed.result for _ in messages[index:])
                    client = None
                    break
                except TimeoutError:
                    result = _failure(
                        DeliveryStatus.TEMPORARY_FAILURE,
                        None,
                        f"no answer from {self._host}:{self._port} within {self._timeout:g} s",
                    )
                    if connecting:
                        results.extend(result for _ in messages[index:])
                        client = None
                        break
                results.append(result)
                if result.status is not DeliveryStatus.ACCEPTED:
                    # After an error the session state is uncertain; a fresh one is cheap and safe.
                    await self._discard(client)
                    client = None
        finally:
            await self._quit(client)
        return results

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        try:
            await self._open_session(client)
        except aiosmtplib.SMTPNotSupported as error:
            await self._discard(client)
            raise _ConnectionFailedError(
                _failure(
                    DeliveryStatus.TEMPORARY_FAILURE,
                    None,
                    f"configuration: the relay {self._host}:{self._port} does not offer STARTTLS, "
                    "which COMMS_APPROVAL_SMTP_SECURITY=starttls requires; "
                    f"nothing was sent in plaintext ({error})",
                )
            ) from error
        except aiosmtplib.SMTPAuthenticationError as error:
            await self._discard(client)
            raise _ConnectionFailedError(
                _failure(
                    DeliveryStatus.TEMPORARY_FAILURE,
                    error.code,
                    f"configuration: SMTP authentication refused by {self._host}: "
                    f"{error.code} {error.message}",
                )
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            await self._discard(client)
            raise _ConnectionFailedError(
                _failure(
                    DeliveryStatus.TEMPORARY_FAILURE,
                    error.code,
                    f"the relay {self._host} refused the session: {error.code} {error.message}",
                )
            ) from error
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as error:
            await self._discard(client)
            raise _ConnectionFailedError(
                _failure(
                    DeliveryStatus.TEMPORARY_FAILURE,
                    None,
                    f"cannot open an SMTP session with {self._host}:{self._port}: "
                    f"{type(error).__name__}: {error}",
                )
            ) from error
        return client

    async def _deliver(self, client: aiosmtplib.SMTP, message: OutgoingMessage) -> DeliveryResult:
        sender = envelope_address(self._mail_from)
        try:
            recipient = envelope_address(message.to)
            if (sender + recipient).isascii():
                # The bytes send_message would flatten build_mime's tree into, written directly: 7-bit
                # (quoted-printable and base64 parts, RFC 2047 headers), so no BODY=8BITMIME is needed.
                data = mime_bytes(message, mail_from=self._mail_from, date=self._clock.now())
                sending = client.sendmail(sender, [recipient], data)
            else:
                # An internationalised address needs SMTPUTF8 and UTF-8 headers: send_message handles both.
                mime = build_mime(message, mail_from=self._mail_from, date=self._clock.now())
                sending = client.send_message(mime, sender=sender, recipients=[recipient])
        except (ValueError, email.errors.MessageError) as error:
            # A malformed address or header can never succeed: report it instead of sending something else.
            return _failure(
                DeliveryStatus.PERMANENT_FAILURE, None, f"message refused before sending: {error}"
            )
        try:
            refused, response = await sending
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            return _failure(
                _status_for_code(first.code), first.code, f"recipient {recipient} refused: {first.message}"
            )
        except aiosmtplib.SMTPSenderRefused as error:
            # A refused sender is our configuration, not the partner's address: retry, never 'undeliverable'.
            return _failure(
                DeliveryStatus.TEMPORARY_FAILURE,
                error.code,
                f"configuration: sender {error.sender} refused: {error.code} {error.message}",
            )
        except aiosmtplib.SMTPResponseException as error:
            return _failure(_status_for_code(error.code), error.code, f"{error.code} {error.message}")
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as error:
            # Includes a connection dropped after DATA: the relay may hold the message, so the retry
            # carries the same Message-ID and at most one duplicate reaches the recipient.
            return _failure(
                DeliveryStatus.TEMPORARY_FAILURE, None, f"connection lost: {type(error).__name__}: {error}"
            )
        accepted_at = self._clock.now()
        if recipient in refused:
            # aiosmtplib returns normally when *some* recipient was accepted; with one recipient per
            # message this cannot happen, but a relay that answers oddly must never count as delivered.
            reply = refused[recipient]
            return _failure(
                _status_for_code(reply.code), reply.code, f"recipient {recipient} refused: {reply.message}"
            )
        return DeliveryResult(
            status=DeliveryStatus.ACCEPTED, code=250, detail=response, accepted_at=accepted_at
        )

    @staticmethod
    async def _discard(client: aiosmtplib.SMTP | None) -> None:
        if client is not None and client.is_connected:
            client.close()

    @staticmethod
    async def _quit(client: aiosmtplib.SMTP | None) -> None:
        if client is None or not client.is_connected:
            return
        try:
            async with asyncio.timeout(5):
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
