"""Which parties a text names: each party's names, acronyms and aliases, tolerant of accents, case and line breaks.

Article 8 applies to "any document naming a party or showing its logo". The matcher folds accents and case,
treats any run of white space (line breaks included) as one space, joins words hyphenated at a line end, and
only matches whole words, so the alias "Caf" never fires inside "cafétéria".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from comms_approval.domain.convention import Party

# Stands for "a hyphen at the end of a line" in the folded text: either a word cut in two or a real hyphen.
_BREAK = "\x00"
_APOSTROPHES = "'’ʼ‘`´′"
_HYPHENS = "-‐‑‒–—−"
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
_SOFT_HYPHEN = "\u00ad"
_PDFIUM_LINE_HYPHEN = "\ufffe"  # how pdfium reports a hyphen that ended a line
_WORD = "0-9a-z"
_MAX_ACRONYM = 8


@dataclass(frozen=True)
class Mention:
    """One place where a party is named: the form that matched, the text as written, and where."""

    party: str
    form: str
    text: str
    start: int
    end: int
    page: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "form": self.form,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "page": self.page,
        }


@dataclass(frozen=True)
class PartyMentions:
    """Every mention of one party in a document."""

    party: str
    mentions: tuple[Mention, ...] = ()

    @property
    def named(self) -> bool:
        return bool(self.mentions)

    @property
    def forms(self) -> tuple[str, ...]:
        """The distinct forms that matched, in order of first appearance."""
        return tuple(dict.fromkeys(m.form for m in self.mentions))

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(sorted({m.page for m in self.mentions if m.page is not None}))

    def as_dict(self) -> dict[str, object]:
        return {
            "party": self.party,
            "named": self.named,
            "forms": list(self.forms),
            "pages": list(self.pages),
            "mentions": [m.as_dict() for m in self.mentions],
        }


def _fold_char(char: str) -> str:
    """Fold one character: accents off, case off, typographic variants to one ASCII form."""
    if char in _LIGATURES:
        return _LIGATURES[char]
    if char in _APOSTROPHES:
        return "'"
    if char in _HYPHENS:
        return "-"
    if char.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> tuple[str, list[int]]:
    """Return the folded text and, for each of its characters, the index of the original character.

    White space collapses to one space; a hyphen followed by white space holding a line break becomes the
    break marker; a soft hyphen disappears.
    """
    out: list[str] = []
    origin: list[int] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == _SOFT_HYPHEN:
            index += 1
            continue
        if char == _PDFIUM_LINE_HYPHEN:
            out.append(_BREAK)
            origin.append(index)
            index += 1
            continue
        if char in _HYPHENS:
            after = index + 1
            while after < length and text[after].isspace():
                after += 1
            if "\n" in text[index + 1 : after] or "\r" in text[index + 1 : after]:
                out.append(_BREAK)
                origin.append(index)
                index = after
                continue
        folded = _fold_char(char)
        if folded == " " and out and out[-1] == " ":
            index += 1
            continue
        for piece in folded:
            out.append(piece)
            origin.append(index)
        index += 1
    return "".join(out), origin


def _is_acronym(form: str) -> bool:
    # "DSDEN", "PJJ", and short capitalised ones such as "Caf", which are also written "C.A.F.".
    letters = form.replace(".", "")
    if not (2 <= len(letters) <= _MAX_ACRONYM and letters.isascii() and letters.isalpha()):
        return False
    return letters.isupper() or (len(letters) <= 4 and letters[0].isupper())


def form_pattern(form: str) -> re.Pattern[str] | None:
    """A regular expression over folded text that finds `form` as whole words (None for an empty form)."""
    folded, _ = fold(form.strip())
    folded = folded.replace(_BREAK, "-").strip(" .")
    if not folded:
        return None
    acronym = _is_acronym(form.strip())
    dotted = acronym and "." in form
    if acronym:
        folded = folded.replace(".", "")
    parts: list[str] = []
    for position, char in enumerate(folded):
        if char == " ":
            parts.append(f"[ {_BREAK}]")
        elif char == "-":
            parts.append(f"(?:-|{_BREAK}| )")
        elif char == "'":
            parts.append("' ?")
        else:
            parts.append(re.escape(char))
            following = folded[position + 1] if position + 1 < len(folded) else ""
            if following and following.isalnum() and char.isalnum():
                # A word may be cut at a line end ("protec-\ntion"); acronyms may be dotted ("C.A.F.").
                parts.append(r"\.?" if acronym else f"{_BREAK}?")
    if dotted:
        parts.append(r"\.?")
    body = "".join(parts)
    return re.compile(f"(?<![{_WORD}])(?<![{_WORD}]{_BREAK}){body}(?!{_BREAK}?[{_WORD}])")


def party_forms(party: Party) -> tuple[str, ...]:
    """The forms a party is known by: full name, short name and aliases, without duplicates."""
    seen: dict[str, str] = {}
    for form in (party.name, party.short_name, *party.aliases):
        key = fold(form.strip())[0]
        if key and key not in seen:
            seen[key] = form.strip()
    return tuple(seen.values())


@dataclass(frozen=True)
class _Hit:
    party: str
    form: str
    start: int
    end: int


def find_mentions(
    text: str,
    parties: Sequence[Party] | Mapping[str, Iterable[str]],
    *,
    page: int | None = None,
) -> dict[str, PartyMentions]:
    """Find each party's names in `text`; one entry per party, in the given order, named or not.

    `parties` is either the convention's parties or a mapping of party id to the forms to look for. When
    two mentions overlap, the longer one wins, so "Préfet du département" names the prefect and not the
    département.
    """
    forms_by_party: dict[str, tuple[str, ...]] = (
        {party_id: tuple(forms) for party_id, forms in parties.items()}
        if isinstance(parties, Mapping)
        else {party.id: party_forms(party) for party in parties}
    )
    folded, origin = fold(text)
    hits: list[_Hit] = []
    for party_id, forms in forms_by_party.items():
        for form in forms:
            pattern = form_pattern(form)
            if pattern is None:
                continue
            hits.extend(_Hit(party_id, form, m.start(), m.end()) for m in pattern.finditer(folded))
    accepted: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if any(a.start <= hit.start and hit.end <= a.end for a in accepted):
            continue
        accepted.append(hit)
    result: dict[str, list[Mention]] = {party_id: [] for party_id in forms_by_party}
    for hit in sorted(accepted, key=lambda h: h.start):
        start = origin[hit.start]
        end = origin[hit.end - 1] + 1
        result[hit.party].append(Mention(hit.party, hit.form, text[start:end], start, end, page))
    return {party_id: PartyMentions(party_id, tuple(found)) for party_id, found in result.items()}


def merge_pages(per_page: Iterable[Mapping[str, PartyMentions]]) -> dict[str, PartyMentions]:
    """Combine the mentions found page by page into one entry per party."""
    merged: dict[str, list[Mention]] = {}
    for page in per_page:
        for party_id, found in page.items():
            merged.setdefault(party_id, []).extend(found.mentions)
    return {party_id: PartyMentions(party_id, tuple(found)) for party_id, found in merged.items()}
