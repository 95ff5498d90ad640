"""Stand-ins for the web tests: a mention finder that reads a given text instead of running OCR on the draft."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comms_approval.domain.convention import Convention
from comms_approval.domain.mentions import find_mentions
from comms_approval.services.mentions import MentionReport


@dataclass
class FakeMentionFinder:
    """Finds the parties in `text` (as if it were the draft's text layer) with the real matcher; no OCR."""

    text: str = ""
    calls: int = 0

    def __call__(self, path: Path, convention: Convention) -> dict[str, object]:
        self.calls += 1
        found = find_mentions(self.text, convention.parties, page=1)
        report = MentionReport(
            file=path.name,
            kind="image",
            pages=1,
            sources=("text_layer",),
            parties=tuple(found[p.id] for p in convention.parties),
        )
        return report.as_dict()
