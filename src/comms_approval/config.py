"""Typed application settings, read from the environment (prefix COMMS_APPROVAL_) and a .env file."""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from comms_approval.domain.errors import ConfigurationError

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "dev-secret-change-me", "secret"})
DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - the known placeholder refused in production


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SmtpSecurity(enum.StrEnum):
    """How to protect the SMTP session; there is deliberately no 'opportunistic' mode."""

    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class Settings(BaseSettings):
    """Every knob of the product in one place; built once by the composition root."""

    model_config = SettingsConfigDict(
        env_prefix="COMMS_APPROVAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    database_url: str | None = None

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_timeout_seconds: float = 30.0
    smtp_retry_window_hours: float = 48.0
    mail_from: str = "Comms Approval <no-reply@comms-approval.localhost>"

    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    default_language: str = "fr"

    clock_override: datetime | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 200
    # A draft longer than this is checked apart from its upload (the page waits for it); a page costs 0.5-3 s.
    inline_check_max_pages: int = 4
    background_check_workers: int = 1

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("clock_override")
    @classmethod
    def _aware_clock(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("the clock override needs a time zone offset, e.g. 2026-05-12T00:00:00+02:00")
        return value

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            if (
                self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS
                or len(self.secret_key.get_secret_value()) < 32
            ):
                raise ConfigurationError(
                    "COMMS_APPROVAL_SECRET_KEY is a placeholder or shorter than 32 characters; "
                    "set a long random value in production"
                )
            if self.clock_override is not None:
                raise ConfigurationError("COMMS_APPROVAL_CLOCK_OVERRIDE is refused in production")
            if not self.smtp_host:
                # Without a relay, mail goes to the local sink, which accepts it: every request would count
                # as delivered and its partner's silence as approval fifteen days later, unseen.
                raise ConfigurationError(
                    "COMMS_APPROVAL_SMTP_HOST is required in production: without a relay, mail would only be "
                    "kept in a local folder, yet counted as delivered"
                )
            if "localhost" in self.mail_from.lower():
                raise ConfigurationError(
                    "COMMS_APPROVAL_MAIL_FROM is the development sender; set an address of your own domain "
                    "in production (relays and recipients refuse mail from .localhost)"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'comms-approval.db').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def outbox_sink_dir(self) -> Path:
        """Where the local SMTP sink keeps the mail when no relay is configured."""
        return self.data_dir / "mail-sink"

    def ensure_clock_override_allowed(self) -> None:
        """Refuse a moved 'now' in production (DESIGN.md: clock overrides are for demos and tests)."""
        if self.is_production:
            raise ConfigurationError("moving the clock (--now) is refused in production")
