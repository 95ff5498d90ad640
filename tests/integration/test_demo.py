"""The README's first command: the demo plays its whole story and ends in the promised state."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from comms_approval.demo.story import run_demo


@pytest.mark.slow
def test_the_demo_clears_the_poster_by_silence_and_blocks_then_reissues_the_leaflet(tmp_path: Path) -> None:
    """Poster: three explicit approvals and one by silence → cleared; leaflet: objection → blocked, v2 routed."""
    console = Console(record=True, width=120)
    outcome = run_demo(console, tmp_path / "demo")
    assert outcome.first_status == "cleared"
    assert outcome.first_requests == {
        "dsden": "approved_with_remarks",
        "prefet": "approved",
        "dtpjj": "approved",
        "caf": "deemed_approved",
    }
    assert outcome.second_versions == ["blocked", "routing"]
    assert outcome.audit_ok
    assert outcome.mails > 20
    assert "valid" in outcome.conclusion_subject.lower()
    text = console.export_text()
    assert "accord tacite" in text
    assert "version obsolète" in text  # the first poster carried the pre-2015 "Conseil général" logo
    # the CAF's long objection is shortened in the table at a word, with an ellipsis, not cut inside one
    assert "n'est plus en …" in text
    assert "en servic " not in text
