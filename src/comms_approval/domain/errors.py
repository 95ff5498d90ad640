"""The product's error hierarchy; the web and the CLI translate these at the edge."""

from __future__ import annotations


class CommsApprovalError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigurationError(CommsApprovalError):
    """Settings or environment are invalid or unsafe."""


class ConventionFileError(CommsApprovalError):
    """A convention file is unreadable or invalid; names the file and the field."""

    def __init__(self, path: object, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: {field}: {problem}")


class IllegalTransition(CommsApprovalError):
    """A state machine was asked for an event its current state does not accept."""

    def __init__(self, machine: str, event: str, state: str) -> None:
        self.machine = machine
        self.event = event
        self.state = state
        super().__init__(f"{machine}: event '{event}' is not allowed in state '{state}'")


class NotFound(CommsApprovalError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class DecisionRefused(CommsApprovalError):
    """A decision cannot be recorded (deadline passed, version concluded, different decision already in)."""


class SubmissionRefused(CommsApprovalError):
    """A draft cannot be submitted (inactive party, expired convention, failed logo check...)."""


class DocumentError(CommsApprovalError):
    """An uploaded document is corrupt, too large, encrypted or not what it claims to be."""

    def __init__(self, message_en: str, message_fr: str | None = None) -> None:
        self.message_en = message_en
        self.message_fr = message_fr or message_en
        super().__init__(message_en)


class AuditChainBroken(CommsApprovalError):
    """The audit trail does not verify."""


class DeliveryError(CommsApprovalError):
    """A mail could not be handed to the relay."""
