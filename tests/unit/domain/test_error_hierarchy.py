"""The product's errors carry what the edges need to explain them."""

from __future__ import annotations

from comms_approval.domain import errors


def test_every_product_error_derives_from_the_one_base() -> None:
    for cls in (
        errors.ConfigurationError,
        errors.ConventionFileError,
        errors.IllegalTransition,
        errors.NotFound,
        errors.DecisionRefused,
        errors.SubmissionRefused,
        errors.DocumentError,
        errors.AuditChainBroken,
        errors.DeliveryError,
    ):
        assert issubclass(cls, errors.CommsApprovalError)
        assert cls.__doc__


def test_a_convention_file_error_names_file_field_and_problem() -> None:
    error = errors.ConventionFileError("conventions/demo.toml", "parties[2].id", "duplicate party id 'caf'")

    assert str(error) == "conventions/demo.toml: parties[2].id: duplicate party id 'caf'"
    assert (error.path, error.field, error.problem) == (
        "conventions/demo.toml",
        "parties[2].id",
        "duplicate party id 'caf'",
    )


def test_an_illegal_transition_names_machine_event_and_state() -> None:
    error = errors.IllegalTransition("request", "approve", "withdrawn")

    assert str(error) == "request: event 'approve' is not allowed in state 'withdrawn'"


def test_a_document_error_falls_back_to_english_when_no_french_message_is_given() -> None:
    assert errors.DocumentError("PDF is encrypted").message_fr == "PDF is encrypted"
    bilingual = errors.DocumentError("PDF is encrypted", "Le PDF est chiffré.")
    assert (bilingual.message_en, bilingual.message_fr, str(bilingual)) == (
        "PDF is encrypted", "Le PDF est chiffré.", "PDF is encrypted",
    )  # fmt: skip
