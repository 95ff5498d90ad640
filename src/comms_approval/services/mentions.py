"""Which parties a draft names (Article 8 covers "any document naming a party"), shown beside the logo report."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comms_approval.adapters.text_extraction import TesseractOcr, extract_text
from comms_approval.domain.convention import Convention
from comms_approval.domain.mentions import PartyMentions, find_mentions, merge_pages


@dataclass(frozen=True)
class MentionReport:
    """Per party, where the document names it; plus how the text was obtained and what could not be read."""

    file: str
    kind: str
    pages: int
    sources: tuple[str, ...]  # per page: "text_layer", "ocr" or "none"
    parties: tuple[PartyMentions, ...]
    ocr_engine: str | None = None
    notes_fr: tuple[str, ...] = field(default_factory=tuple)
    notes_en: tuple[str, ...] = field(default_factory=tuple)
    elapsed_ms: float = 0.0

    def named_parties(self) -> tuple[str, ...]:
        return tuple(p.party for p in self.parties if p.named)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind,
            "pages": self.pages,
            "sources": list(self.sources),
            "ocr_engine": self.ocr_engine,
            "named_parties": list(self.named_parties()),
            "parties": [p.as_dict() for p in self.parties],
            "notes_fr": list(self.notes_fr),
            "notes_en": list(self.notes_en),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def mentions_for_document(
    path: Path, convention: Convention, *, ocr: TesseractOcr | None = None, use_ocr: bool = True
) -> MentionReport:
    """Extract the document's text (PDF text layer; OCR for images and scanned pages) and find the parties.

    Without Tesseract the report still comes back, with a note saying what could not be read.
    """
    started = time.perf_counter()
    path = Path(path)
    extracted = extract_text(path, ocr=(ocr or TesseractOcr()) if use_ocr else None)
    per_page = [find_mentions(page.text, convention.parties, page=page.number) for page in extracted.pages]
    merged = merge_pages(per_page) if per_page else {}
    parties = tuple(merged.get(p.id, PartyMentions(p.id)) for p in convention.parties)
    return MentionReport(
        file=path.name,
        kind=extracted.kind,
        pages=len(extracted.pages),
        sources=tuple(page.source for page in extracted.pages),
        parties=parties,
        ocr_engine=extracted.ocr_engine,
        notes_fr=extracted.notes_fr,
        notes_en=extracted.notes_en,
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
    )


_STATUS_FR = {
    "present": "présent",
    "missing": "absent",
    "obsolete": "version obsolète",
    "too_small": "trop petit",
    "uncertain": "incertain",
}


def merge_with_logo_report(
    mentions: MentionReport | Mapping[str, Any],
    logo_report: Mapping[str, Any],
    convention: Convention | None = None,
) -> dict[str, Any]:
    """One row per party with its logo status and its mentions, for display side by side.

    A party the draft names while its current logo is not found gets `named_without_logo` (and
    `bold`): Article 8 then requires the logo, and the display must make that stand out.
    """
    data = mentions.as_dict() if isinstance(mentions, MentionReport) else dict(mentions)
    by_party = {str(p["party"]): p for p in _items(data.get("parties"))}
    logos = {str(p["party"]): p for p in logo_report.get("parties", [])}
    order = list(dict.fromkeys([*logos, *by_party]))
    rows: list[dict[str, Any]] = []
    warnings_fr: list[str] = []
    warnings_en: list[str] = []
    for party_id in order:
        logo = logos.get(party_id, {})
        found = by_party.get(party_id, {})
        status = str(logo.get("status", "missing"))
        named = bool(found.get("named"))
        flagged = named and status != "present"
        short = _short_name(convention, party_id)
        forms = [str(f) for f in found.get("forms", [])]
        rows.append(
            {
                "party": party_id,
                "short_name": short,
                "logo_status": status,
                "logo_status_fr": _STATUS_FR.get(status, status),
                "logo_page": logo.get("page"),
                "named": named,
                "forms": forms,
                "pages": list(found.get("pages", [])),
                "named_without_logo": flagged,
                "bold": flagged,
            }
        )
        if flagged:
            quoted = ", ".join(f"« {form} »" for form in forms)
            warnings_fr.append(
                f"Le document nomme le partenaire {short} ({quoted}), mais son logo en vigueur n’y figure pas "
                f"({_STATUS_FR.get(status, status)}) : l’article 8 impose ce logo."
            )
            warnings_en.append(
                f"The document names {short} ({', '.join(forms)}) but its current logo is not on it "
                f"({status}): Article 8 requires that logo."
            )
    return {
        "file": data.get("file", logo_report.get("file")),
        "rows": rows,
        "named_without_logo": [r["party"] for r in rows if r["named_without_logo"]],
        "warnings_fr": warnings_fr,
        "warnings_en": warnings_en,
        "notes_fr": [str(note) for note in _items(data.get("notes_fr"))],
        "notes_en": [str(note) for note in _items(data.get("notes_en"))],
    }


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _short_name(convention: Convention | None, party_id: str) -> str:
    if convention is None:
        return party_id
    try:
        return convention.party(party_id).short_name
    except KeyError:
        return party_id


def document_mentions(path: Path, convention: Convention) -> dict[str, object]:
    """The submission's mention finder: which parties the draft names (stored beside the logo report)."""
    return mentions_for_document(path, convention).as_dict()
