"""Logo verification as pure values: statuses, the per-party report, and the policy that turns evidence into a status."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


class LogoStatus(enum.StrEnum):
    """What the check concluded for one party (Article 8, first sentence)."""

    PRESENT = "present"
    MISSING = "missing"
    OBSOLETE = "obsolete"
    TOO_SMALL = "too_small"
    UNCERTAIN = "uncertain"


class LogoVersion(enum.StrEnum):
    """Which declared version of a party's logo a reference image is."""

    CURRENT = "current"
    OBSOLETE = "obsolete"


class Reason(enum.StrEnum):
    """Why a status is not a plain 'present' or 'missing'; stable codes, translated for people below."""

    OBSOLETE_VERSION = "obsolete_version"
    TOO_SMALL = "too_small"
    WEAK_MATCH = "weak_match"
    BUSY_BACKGROUND = "busy_background"
    TINY = "tiny"
    COLOUR_MISMATCH = "colour_mismatch"
    GRAYSCALE_COLOUR_ONLY = "grayscale_colour_only"
    RIVAL_CLOSE = "rival_close"
    PART_MISMATCH = "part_mismatch"
    CONTRAST_MISMATCH = "contrast_mismatch"
    WORDMARK_MISMATCH = "wordmark_mismatch"
    WORDMARK_UNLIKE = "wordmark_unlike"


_REASONS: dict[Reason, tuple[str, str]] = {
    Reason.OBSOLETE_VERSION: (
        "Seule une version obsolète du logo figure sur le document.",
        "Only an obsolete version of the logo appears on the document.",
    ),
    Reason.TOO_SMALL: (
        "Le logo figure, mais sa largeur est inférieure au minimum de lisibilité.",
        "The logo appears but is narrower than the minimum legible width.",
    ),
    Reason.WEAK_MATCH: (
        "Un logo ressemblant a été repéré, mais la correspondance n’est pas concluante.",
        "A similar logo was found, but the match is not conclusive.",
    ),
    Reason.BUSY_BACKGROUND: (
        "Un logo possible a été repéré sur un fond chargé (photographie ou texte) ; merci de le confirmer.",
        "A possible logo was found on a busy background (a photograph or text); please confirm it.",
    ),
    Reason.TINY: (
        "Un logo possible a été repéré, mais il est trop petit pour être vérifié avec certitude.",
        "A possible logo was found, but it is too small to be verified with certainty.",
    ),
    Reason.COLOUR_MISMATCH: (
        "La forme du logo correspond, mais ses couleurs diffèrent de la version en vigueur.",
        "The logo's shape matches, but its colours differ from the current version.",
    ),
    Reason.GRAYSCALE_COLOUR_ONLY: (
        "Le document est en niveaux de gris et la version en vigueur ne se distingue de la version "
        "obsolète que par ses couleurs.",
        "The document is in grayscale and the current version differs from the obsolete one only in colour.",
    ),
    Reason.RIVAL_CLOSE: (
        "Le logo repéré ressemble presque autant à un autre logo connu ; merci de le confirmer.",
        "The logo found looks almost as much like another known logo; please confirm it.",
    ),
    Reason.PART_MISMATCH: (
        "Le logo repéré ressemble à celui de la partie, mais une partie de son dessin diffère "
        "(sigle ou emblème) ; merci de le confirmer.",
        "The logo found looks like the party's, but part of its design differs (acronym or emblem); "
        "please confirm it.",
    ),
    Reason.CONTRAST_MISMATCH: (
        "Le logo repéré a la forme de celui de la partie, mais ses valeurs claires et foncées diffèrent "
        "(autres couleurs ?) ; merci de le confirmer.",
        "The logo found has the party's shape, but its light and dark values differ (other colours?); "
        "please confirm it.",
    ),
    Reason.WORDMARK_MISMATCH: (
        "Le logo repéré a la forme de celui de la partie, mais son texte se lit autrement "
        "(autre sigle ou autre nom) ; merci de le confirmer.",
        "The logo found has the party's shape, but its text reads differently (another acronym or name); "
        "please confirm it.",
    ),
    Reason.WORDMARK_UNLIKE: (
        "Le logo repéré a la forme de celui de la partie, mais son texte, trop petit ou trop pâle pour être "
        "lu, ne ressemble pas au sien ; merci de le confirmer.",
        "The logo found has the party's shape, but its text, too small or faint to be read, does not look "
        "like the party's; please confirm it.",
    ),
}


def reason_text(code: str | None, language: str = "fr") -> str | None:
    """The sentence explaining a reason code, in French (default) or English; unknown codes pass through."""
    if code is None:
        return None
    try:
        fr, en = _REASONS[Reason(code)]
    except ValueError:
        return code
    return en if language == "en" else fr


_STATUS_LABELS: dict[LogoStatus, tuple[str, str]] = {
    LogoStatus.PRESENT: ("présent", "present"),
    LogoStatus.MISSING: ("absent", "missing"),
    LogoStatus.OBSOLETE: ("version obsolète", "obsolete version"),
    LogoStatus.TOO_SMALL: ("trop petit", "too small"),
    LogoStatus.UNCERTAIN: ("à confirmer", "to be confirmed"),
}


def status_label(status: LogoStatus, language: str = "fr") -> str:
    """A party's logo status as a reader sees it, in French (default) or English, lower case."""
    fr, en = _STATUS_LABELS[status]
    return en if language == "en" else fr


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PartyLogoResult:
    """The verdict for one party: status, confidence score, and where (1-based page, box in page fractions)."""

    party: str
    status: LogoStatus
    score: float
    page: int | None
    box: Box | None
    width_mm: float | None
    reason: str | None = None

    @property
    def reason_fr(self) -> str | None:
        return reason_text(self.reason, "fr")

    @property
    def reason_en(self) -> str | None:
        return reason_text(self.reason, "en")

    def as_dict(self, *, include_details: bool = False) -> dict[str, object]:
        data: dict[str, object] = {
            "party": self.party,
            "status": self.status.value,
            "score": round(self.score, 4),
            "page": self.page,
            "box": [round(v, 5) for v in self.box] if self.box is not None else None,
            "width_mm": round(self.width_mm, 2) if self.width_mm is not None else None,
        }
        if include_details:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartyLogoResult:
        box = data.get("box")
        width = data.get("width_mm")
        page = data.get("page")
        return cls(
            party=str(data["party"]),
            status=LogoStatus(data["status"]),
            score=float(data["score"]),
            page=int(page) if page is not None else None,
            box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])) if box is not None else None,
            width_mm=float(width) if width is not None else None,
            reason=data.get("reason"),
        )


@dataclass(frozen=True)
class LogoReport:
    """The logo check of one document: one result per party of the convention."""

    file: str
    pages: int
    parties: tuple[PartyLogoResult, ...]
    elapsed_ms: float
    annotated_pages: tuple[Path, ...] = ()

    @property
    def compliant(self) -> bool:
        return all(p.status is LogoStatus.PRESENT for p in self.parties)

    def missing_parties(self) -> tuple[str, ...]:
        return tuple(p.party for p in self.parties if p.status is not LogoStatus.PRESENT)

    def result_for(self, party: str) -> PartyLogoResult:
        for result in self.parties:
            if result.party == party:
                return result
        raise KeyError(party)

    def as_dict(self, *, include_details: bool = False) -> dict[str, object]:
        """The issue's JSON contract; `include_details` adds reasons and annotated pages for storage."""
        data: dict[str, object] = {
            "file": self.file,
            "pages": self.pages,
            "compliant": self.compliant,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "parties": [p.as_dict(include_details=include_details) for p in self.parties],
        }
        if include_details:
            data["annotated_pages"] = [str(p) for p in self.annotated_pages]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogoReport:
        return cls(
            file=str(data["file"]),
            pages=int(data["pages"]),
            parties=tuple(PartyLogoResult.from_dict(p) for p in data["parties"]),
            elapsed_ms=float(data["elapsed_ms"]),
            annotated_pages=tuple(Path(p) for p in data.get("annotated_pages", ())),
        )

    def with_annotations(self, pages: Iterable[Path]) -> LogoReport:
        return replace(self, annotated_pages=tuple(pages))


@dataclass(frozen=True)
class LogoEvidence:
    """What the detector measured for one candidate of one reference logo; the policy decides from this."""

    party: str
    version: LogoVersion
    score: float  # masked normalised correlation with the aligned reference, -1..1
    rival_score: float  # best score, at the same place, of any *other* reference (other party or version)
    colour_distance: float | None  # median CIE76 ΔE inside the logo; None when the page has no colour
    page: int
    box: Box
    width_mm: float
    grayscale_page: bool = False
    colour_only_rival: bool = False  # a rival of this party differs from this logo only in colour
    busy_background: bool = False
    rival_party: str | None = None
    rival_colour_distance: float | None = None  # the rival's colour distance at the same place, if known
    rival_part_colour_distance: float | None = None  # the colour distance of the rival's worst part, if known
    contrast_gain: float | None = None  # the page's contrast over the logo / the logo's own, when measured
    fine_score: float | None = None  # the score with faint parts too, to rank two versions of one logo
    rival_fine_score: float | None = None  # the same for the rival, when it is another version of this logo
    ink_score: float | None = None  # correlation on the logo's opaque pixels only, when measured
    rival_ink_score: float | None = None  # the same for the rival, when it is another version of this logo
    part_colour_distance: float | None = None  # the colour distance of the logo's worst-matching part
    # the same score for the page's background alone, the logo left out (what a gradient explains by itself)
    background_score: float | None = None
    # the page's edge sharpness where the logo's edges are strongest, relative to the logo's, per contrast gain
    edge_gain: float | None = None
    wordmark_read: bool | None = None  # the logo's main word read on the page: same / another word / unread
    # Whether the rival's main word was read at the same place (True) or not (False), when the rival is
    # another version of this party's logo with another name; None when not looked for. Read only to settle
    # a near tie between two versions.
    rival_wordmark_read: bool | None = None
    # When the main word could not be read, or was read as another word: how much its letters, compared as
    # shapes, look like the logo's (best correlation, -1..1); None when not compared (read as the name, too
    # small to compare, or no main word).
    wordmark_shape: float | None = None
    # Measured on a PDF image object itself (the fast path: its own pixels, on white), not on a rendered page.
    image_object: bool = False
    # The logo has a main word, but it was neither read as the name nor compared as a shape here (too small to
    # compare): only the picture speaks, and another acronym in the same layout looks all but the same.
    wordmark_unchecked: bool = False


@dataclass(frozen=True)
class LogoThresholds:
    """Decision thresholds, calibrated on the benchmark (bench/logos); see bench/RESULTS.md."""

    accept: float = 0.7
    margin: float = 0.05
    candidate: float = 0.5
    max_colour_distance: float = 18.0
    uncertain_colour_distance: float = 30.0
    tiny_mm: float = 6.0
    # The logo's own opaque pixels must match: genuine logos accepted scored >= 0.75 on the tuning sets
    # (seeds 31 and 9, ~1 400 logos); an emblem look-alike (another emblem beside the same name) on a
    # grayscale page 0.54. 0.5 was kept earlier as losing the fewest genuine logos on a validation set;
    # 0.6 loses none on the five bench sets of 2026-12-04 (bench/RESULTS.md).
    min_ink: float = 0.6
    # A PDF image object is the logo file's own pixels, nothing printed over them: a genuine logo's ink fits
    # there almost exactly. Where nobody read its name (compared as shapes only), a fit whose ink is only roughly
    # right rests on the outline and the name: an emblem look-alike sharing the name (a star on a disc where
    # the logo has a ring) fitted so at 0.86, its ink 0.84, on a grayscale page. Genuine logos fitted so on
    # four bench sets: ink 0.963 or more (bench/RESULTS.md).
    object_ink: float = 0.9
    # The page's contrast over the logo divided by the logo's own: 0.85-1.31 for genuine logos (1st-99th
    # percentile, validation set), 0.46-0.65 or 1.9 for look-alikes whose emblem has other colours, which
    # a grayscale page otherwise cannot tell apart (bench/RESULTS.md). Checked only where colours were not
    # compared: on a colour page the colour distance says it, and a thin logo rendered small loses contrast
    # to anti-aliasing (0.64 for a 6.8 %-wide vector logo whose colours matched within 2 ΔE). The upper
    # bound: genuine logos fitted on grayscale pages reached 1.28 at most (seeds 7, 41 and 31); seed 41's
    # c6-029 showed an emblem look-alike, a dark gradient square where the logo has a flat mid-gray one, at
    # 1.43, which 1.6 let through.
    contrast_gain: tuple[float, float] = (0.7, 1.4)
    # The colour distance of the logo's worst part (a 2 x 3 or 2 x 4 grid): at most 51 for genuine logos
    # on the validation sets, 91 for an obsolete version whose wordmark is another colour (bench/RESULTS.md).
    max_part_colour_distance: float = 60.0
    # How much better than the page's own background (the logo left out) a candidate must explain the page
    # to be accepted. Not tuned: a fit that explains no more than a smooth gradient or photograph does by
    # itself proves nothing (bench/RESULTS.md).
    min_background_margin: float = 0.0
    # A fit whose faint parts fail (fine score) rests on its strong parts alone; that is proof only when its
    # own ink matches almost exactly. Genuine logos with a fine score under 0.5 had ink scores of 0.985 or
    # more (4 of ~2 100 on four bench sets); the fits of a part of a look-alike or of a busy photograph that
    # the policy accepted had 0.26-0.38 and ink 0.70-0.90 (bench/RESULTS.md).
    min_fine_score: float = 0.45
    exact_ink: float = 0.95
    # The page's edge sharpness where the logo's edges are strongest, relative to the logo's (per contrast
    # gain): 1.02-1.57 for genuine logos (1st-99th percentile, ~1 900 on five bench sets); 0.11-0.16 for a
    # photograph's soft shading and for fits at a wrong size or place, where the page's edges are elsewhere
    # (bench/RESULTS.md).
    min_edge_gain: float = 0.5
    # A main word nobody could read must at least look like the logo's: its letters compared as shapes where
    # the fit puts them (words 12 px high or more). Text look-alikes (another acronym, same font and place)
    # scored 0.16-0.39 on the tuning sets (seeds 9 and 31) but one at 0.49; genuine names under 0.40 were
    # one faint name overprinted by page text on a JPEG photograph (0.38), lost (bench/RESULTS.md).
    min_wordmark_shape: float = 0.4
    # A name Tesseract read surely as another word, whose letters compared as shapes still look like the
    # name's, was misread (an L read as an E at JPEG quality 30): genuine names read so scored 0.64-0.97 as
    # shapes (7 on seeds 7 and 41), text look-alikes, obsolete versions and fits elsewhere 0.19-0.56 (41).
    misread_shape: float = 0.7
    # A transparent logo on a busy photograph: the score counts the whole box, where the page's own blur
    # predicts the background poorly, so genuine logos there scored 0.60-0.70 (9 of seed 31's 29 misses)
    # while their own ink matched almost exactly (0.99-1.00) and explained far more than the background alone
    # (margin 0.3 and more). Such a fit is proof from `busy_accept`; no false "present" on five bench sets
    # (bench/RESULTS.md).
    busy_accept: float = 0.6
    busy_exact_ink: float = 0.98
    busy_background_margin: float = 0.3
    # The same exact ink and clear margin over the background, with the name's letters confirmed as shapes
    # where the fit puts them (`wordmark_shape`, computed where nobody read the name), is proof from
    # `named_accept`: transparent logos on a photograph whose box the blur predicts poorly (0.51-0.70 on
    # seeds 7, 67 and 31). Look-alikes that share the name (another emblem beside it: shapes 0.87-0.98) and
    # whose ink fits exactly (up to 0.995) had background margins of 0.06-0.24 on four bench sets; text
    # look-alikes' shapes were 0.61 or less (bench/RESULTS.md).
    named_accept: float = 0.5
    named_shape: float = 0.7
    # A fit whose name could not be checked (`wordmark_unchecked`: too small to compare), and whose own ink is
    # not exact over a clear margin: the picture alone must fit this well. The four false "present" of seeds 41
    # and 31 were such fits at 0.70-0.76, 12-15 mm wide (three text look-alikes, another acronym in the same
    # layout, and an emblem look-alike); the genuine logos accepted so on seeds 41, 67 and 31 fitted at 0.78 or
    # more (two at 0.66 and 0.70 with their ink exact over a clear margin). No logo lost on the four bench sets
    # (bench/RESULTS.md).
    unnamed_accept: float = 0.77
    # A proof at least this strong holds its place against every other party (`holds`): a candidate of
    # another party there is verified only if it comes close at a glance. 94 % of the proofs on seed 31
    # (1 007) scored 0.85 or more, half of them 0.96 or more (bench/RESULTS.md).
    held_score: float = 0.85


DEFAULT_THRESHOLDS = LogoThresholds()


@dataclass(frozen=True)
class _Judgement:
    accepted: bool
    reason: str | None = None
    plausible: bool = False


def _judge(ev: LogoEvidence, t: LogoThresholds) -> _Judgement:
    """Whether one candidate proves its reference is on the page, and if not, whether it is worth showing."""
    if ev.score < t.candidate:
        return _Judgement(False)
    colour_ok = ev.colour_distance is None or ev.colour_distance <= t.max_colour_distance
    accept = acceptance_score(
        ev.score,
        ink=ev.ink_score,
        background=ev.background_score,
        busy=ev.busy_background,
        named=ev.wordmark_shape is not None and ev.wordmark_shape >= t.named_shape,
        unnamed=ev.wordmark_unchecked,
        thresholds=t,
    )
    if ev.grayscale_page and ev.colour_only_rival and ev.score >= accept:
        # Without colour, this version and its colour-only twin are the same picture: the rival score
        # says nothing, and neither "present" nor "obsolete" can be told.
        return _Judgement(False, Reason.GRAYSCALE_COLOUR_ONLY, plausible=True)
    if ev.wordmark_read is False and ev.rival_wordmark_read is True:
        # The page names the other version of this logo: it is that version, not this one.
        return _Judgement(False, Reason.WORDMARK_MISMATCH)
    margin = rival_margin(ev, t)
    if margin < t.margin and not names_settle(ev):
        # Another known logo (another party's, or another version) explains the pixels as well: a near
        # tie (either way) is worth showing the officer; a rival clearly better means it is not this logo.
        return _Judgement(False, Reason.RIVAL_CLOSE, plausible=margin > -t.margin and colour_ok)
    if ev.colour_distance is not None and ev.colour_distance > t.uncertain_colour_distance:
        return _Judgement(False)
    if not colour_ok or (
        ev.part_colour_distance is not None and ev.part_colour_distance > t.max_part_colour_distance
    ):
        return _Judgement(False, Reason.COLOUR_MISMATCH, plausible=True)
    if (
        ev.colour_distance is None  # on a colour page the colours themselves were compared (above)
        and ev.contrast_gain is not None
        and not t.contrast_gain[0] <= ev.contrast_gain <= t.contrast_gain[1]
    ):
        return _Judgement(False, Reason.CONTRAST_MISMATCH, plausible=ev.score >= accept)
    if (ev.ink_score is not None and ev.ink_score < t.min_ink) or _rough_on_its_object(ev, t):
        return _Judgement(False, Reason.PART_MISMATCH, plausible=ev.score >= accept)
    if names_another(ev, t):
        # The emblem fits, but where the logo names its body the page names another: a look-alike.
        return _Judgement(False, Reason.WORDMARK_MISMATCH, plausible=ev.score >= accept)
    if ev.wordmark_shape is not None and ev.wordmark_shape < t.min_wordmark_shape:
        # Nothing legible where the logo names its body, and the letters there are not the name's shapes.
        return _Judgement(False, Reason.WORDMARK_UNLIKE, plausible=ev.score >= accept)
    background_explains = (
        ev.background_score is not None and ev.score - ev.background_score <= t.min_background_margin
    )
    rests_on_strong_parts = (
        ev.fine_score is not None
        and ev.fine_score < t.min_fine_score
        and ev.ink_score is not None
        and ev.ink_score < t.exact_ink
    )
    edges_missing = ev.edge_gain is not None and ev.edge_gain < t.min_edge_gain
    if ev.score < accept or background_explains or rests_on_strong_parts or edges_missing:
        # Below the acceptance score, or explained as well by the page's own background without any logo (a
        # smooth gradient or photograph; or a fit of part of the logo, whose other parts the background
        # blur then holds), or resting on its strong parts with its ink only roughly right, or without the
        # logo's sharp edges where they should be: worth showing, not proof.
        if ev.width_mm < t.tiny_mm:
            return _Judgement(False, Reason.TINY, plausible=True)
        reason = Reason.BUSY_BACKGROUND if ev.busy_background else Reason.WEAK_MATCH
        return _Judgement(False, reason, plausible=True)
    return _Judgement(True)


def _rough_on_its_object(ev: LogoEvidence, t: LogoThresholds) -> bool:
    """A fit on a PDF image object whose name was compared as shapes only, and whose ink is not the logo's
    (`object_ink`)."""
    return (
        ev.image_object
        and ev.wordmark_read is None
        and ev.wordmark_shape is not None
        and ev.ink_score is not None
        and ev.ink_score < t.object_ink
    )


def acceptance_score(
    score: float,
    *,
    ink: float | None,
    background: float | None,
    busy: bool,
    named: bool = False,
    unnamed: bool = False,
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
) -> float:
    """The score from which a candidate can be proof: lower when the logo's own ink fits almost exactly and
    the background alone explains far less, on a busy background (a transparent logo on a photograph, whose
    box the page's blur predicts poorly) or where the name's letters are the name's shapes (`named`); higher
    otherwise where its name could not be checked at all (`unnamed`)."""
    t = thresholds
    if not (
        ink is not None
        and ink >= t.busy_exact_ink
        and background is not None
        and score - background >= t.busy_background_margin
    ):
        return t.unnamed_accept if unnamed else t.accept
    lowest = t.accept
    if busy:
        lowest = min(lowest, t.busy_accept)
    if named:
        lowest = min(lowest, t.named_accept)
    return lowest


def would_accept(evidence: LogoEvidence, thresholds: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether the policy accepts this candidate as proof (the detector reads the wordmark only then)."""
    return _judge(evidence, thresholds).accepted


def worth_showing(evidence: LogoEvidence, thresholds: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether a candidate the policy does not accept is still worth showing the officer (`uncertain`).

    The detector then compares its name as a shape too: a smaller fit inside that place, whose name is too
    small to compare, inherits the verdict (`_contradicted_places`).
    """
    return _judge(evidence, thresholds).plausible


def rival_margin(ev: LogoEvidence, t: LogoThresholds = DEFAULT_THRESHOLDS) -> float:
    """How much better this logo explains the pixels than its best rival.

    Against another version of the same logo, on the fine scores when both are known: versions that differ
    only in a wordmark faint on this background differ only in the parts the plain score leaves out. The
    ink scores, when both are known, add their own margin: two versions drawn alike but laid out apart
    (the emblem a little larger, the wordmark a little lower) both fit the page's box about as well, but
    only the right one puts its own ink exactly on the page's ink.
    """
    rival = effective_rival(ev, t)
    if rival > -1.0 and ev.fine_score is not None and ev.rival_fine_score is not None:
        margin = ev.fine_score - ev.rival_fine_score
        if ev.ink_score is not None and ev.rival_ink_score is not None:
            margin += ev.ink_score - ev.rival_ink_score
        return margin
    return ev.score - rival


def names_another(ev: LogoEvidence, t: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether the page names another body where this logo names its own: another word read surely there,
    unless its letters, compared as shapes, still look like the name's (a misread, `misread_shape`)."""
    return ev.wordmark_read is False and (ev.wordmark_shape is None or ev.wordmark_shape < t.misread_shape)


def names_settle(ev: LogoEvidence) -> bool:
    """Whether reading the names settled a tie with another version of this logo in this one's favour.

    Two versions that differ in their name (a new acronym beside the same emblem) are the same picture to
    correlation at 150 dpi; the page's own word tells them apart when it reads as this one's and not the other's.
    The rival's name not found there (another word, or nothing legible in its band) is enough: this logo's
    own name, which is not the rival's, was read in that very place.
    """
    return ev.rival_party == ev.party and ev.wordmark_read is True and ev.rival_wordmark_read is False


def version_tie(ev: LogoEvidence, thresholds: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether this candidate would be accepted but for another version of its own logo scoring as well.

    The detector then reads both versions' names on the page (a tie that only the names can settle).
    """
    if (
        ev.rival_party != ev.party
        or ev.rival_score <= -1.0
        or rival_margin(ev, thresholds) >= thresholds.margin
    ):
        return False
    alone = replace(ev, rival_score=-1.0, rival_party=None, rival_fine_score=None, rival_ink_score=None)
    return _judge(alone, thresholds).accepted


def effective_rival(ev: LogoEvidence, t: LogoThresholds = DEFAULT_THRESHOLDS) -> float:
    """The rival's score, unless its colours cannot explain the pixels while this logo's can.

    A recoloured obsolete version has the same shapes: in gray it scores as well as the current one, and
    only colour tells them apart. On a colour page, a rival whose colours the policy would refuse for
    itself (beyond `max_colour_distance` overall, or `max_part_colour_distance` in its worst part) is no
    rival at all. The worst part matters for a version with another name beside the same emblem: seed 7's
    c2-021 showed the current name faint on a photograph, where the obsolete version, its emblem put on the
    same emblem, fitted a little better by correlation (0.90 against 0.87) with its tagline 77 ΔE off the
    page (bench/RESULTS.md).
    """
    ours_fit = ev.colour_distance is not None and ev.colour_distance <= t.max_colour_distance
    theirs_refused = (
        ev.rival_colour_distance is not None and ev.rival_colour_distance > t.max_colour_distance
    ) or (
        ev.rival_part_colour_distance is not None
        and ev.rival_part_colour_distance > t.max_part_colour_distance
        and (ev.part_colour_distance is None or ev.part_colour_distance <= t.max_part_colour_distance)
    )
    if ours_fit and theirs_refused:
        return -1.0
    return ev.rival_score


def is_conclusive(
    evidence: LogoEvidence, thresholds: LogoThresholds = DEFAULT_THRESHOLDS, min_width_mm: float = 0.0
) -> bool:
    """Whether this one candidate already settles its party's verdict (the detector may stop searching).

    A fit narrower than the party's legible minimum settles nothing: the logo scaled into a part of itself
    (its emblem) fits too, and the whole logo may be among the next candidates.
    """
    return (
        evidence.width_mm >= min_width_mm
        and _judge(evidence, thresholds).accepted
        and (rival_margin(evidence, thresholds) >= 2 * thresholds.margin or names_settle(evidence))
    )


def decide_party(
    party: str,
    min_width_mm: float,
    evidence: Sequence[LogoEvidence],
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
) -> PartyLogoResult:
    """The status of one party from every candidate the detector found for its logos (current and obsolete).

    Another party's logo never counts: evidence is filtered on `party`. An obsolete version only ever
    yields `obsolete`. A current logo proven narrower than `min_width_mm` yields `too_small`.
    """
    mine = _seen_on_image_objects(
        _contradicted_places((e for e in evidence if e.party == party), thresholds), thresholds
    )
    judged = [(e, _judge(e, thresholds)) for e in mine]
    current = [(e, j) for e, j in judged if e.version is LogoVersion.CURRENT]
    obsolete = [(e, j) for e, j in judged if e.version is LogoVersion.OBSOLETE]

    accepted = sorted((e for e, j in current if j.accepted), key=lambda e: e.score, reverse=True)
    if accepted:
        # One place, one size: where two accepted fits measure the same place, the better one says how wide
        # the logo is. Seed 7's c5-033 showed a logo 8 mm wide fitted at 0.97, and fitted a quarter too wide
        # (10.5 mm, 0.90) at the same place: the wider fit made it `present` instead of `too_small`.
        legible = [
            e
            for e in accepted
            if e.width_mm >= min_width_mm
            and not any(
                o.score > e.score and o.page == e.page and box_iou(o.box, e.box) >= SAME_PLACE
                for o in accepted
            )
        ]
        if legible:
            best = max(legible, key=lambda e: (e.width_mm >= min_width_mm, e.score))
            return _result(best, LogoStatus.PRESENT, None)
        return _result(accepted[0], LogoStatus.TOO_SMALL, Reason.TOO_SMALL)

    plausible = sorted(((e, j) for e, j in current if j.plausible), key=lambda p: p[0].score, reverse=True)
    old = sorted((e for e, j in obsolete if j.accepted), key=lambda e: e.score, reverse=True)
    if old and (not plausible or old[0].score >= plausible[0][0].score):
        return _result(old[0], LogoStatus.OBSOLETE, Reason.OBSOLETE_VERSION)
    if plausible:
        best, judgement = plausible[0]
        if best.width_mm < min_width_mm and judgement.reason != Reason.GRAYSCALE_COLOUR_ONLY:
            # Narrower than the legible minimum and not verified: `uncertain`, as too small to verify, not
            # `too_small`, which says the logo is there. Small fits on a part of another logo or of a
            # look-alike made 106 of the 1 880 absent parties of six bench sets `too_small` (bench/RESULTS.md).
            return _result(best, LogoStatus.UNCERTAIN, Reason.TINY)
        return _result(best, LogoStatus.UNCERTAIN, judgement.reason)
    best_score = max((e.score for e in mine if e.version is LogoVersion.CURRENT), default=0.0)
    return PartyLogoResult(party, LogoStatus.MISSING, max(0.0, best_score), None, None, None)


def _contradicted_places(evidence: Iterable[LogoEvidence], t: LogoThresholds) -> list[LogoEvidence]:
    """The evidence, where a place whose main word was read as another name, or looks unlike it, stays so.

    Two measurements of one place (two candidates, two alignments, or a smaller fit inside the same
    logo) may not both read the wordmark: the one that read another name there speaks for the place,
    and the one that read nothing cannot prove it. Likewise a fit whose word was too small to compare
    (the logo scaled into a look-alike's emblem) inherits the unlike word of the fit of the whole place.
    """
    items = list(evidence)
    refuted = [e for e in items if names_another(e, t)]
    unlike = [
        e
        for e in items
        if e.wordmark_read is None
        and e.wordmark_shape is not None
        and e.wordmark_shape < t.min_wordmark_shape
    ]

    def within(e: LogoEvidence, places: list[LogoEvidence]) -> LogoEvidence | None:
        return next(
            (
                r
                for r in places
                if r.version is e.version and r.page == e.page and _overlap(r.box, e.box) >= 0.5
            ),
            None,
        )

    def settled(e: LogoEvidence) -> LogoEvidence:
        if e.wordmark_read is not None:
            return e
        place = within(e, refuted)
        if place is not None:
            return replace(e, wordmark_read=False, wordmark_shape=place.wordmark_shape)
        place = within(e, unlike) if e.wordmark_shape is None else None
        return e if place is None else replace(e, wordmark_shape=place.wordmark_shape)

    return [settled(e) for e in items]


def _seen_on_image_objects(evidence: Iterable[LogoEvidence], t: LogoThresholds) -> list[LogoEvidence]:
    """The evidence without the rendered-page fits that lie on a PDF image object which, measured itself,
    is not this logo.

    An image object's own pixels say what it shows; the rendered page adds only what is printed over it or
    around it. A text look-alike embedded as an image, its other name drawn in a colour close to the page's
    and crossed by the page's text, fitted the rendered page at 0.98 (the name's parts too faint to count)
    while the object itself fitted at 0.48 (seed 7's c1-008, bench/RESULTS.md). Where every measurement of
    this logo on the object at that place falls short of `accept`, or has its ink only roughly right
    (`_rough_on_its_object`), the rendered fit there proves nothing.
    """
    items = list(evidence)
    objects = [e for e in items if e.image_object]

    def refuted(e: LogoEvidence) -> bool:
        on_it = [
            o
            for o in objects
            if o.version is e.version and o.page == e.page and box_iou(o.box, e.box) >= SAME_PLACE
        ]
        return bool(on_it) and not any(o.score >= t.accept and not _rough_on_its_object(o, t) for o in on_it)

    return [e for e in items if e.image_object or not refuted(e)]


SAME_PLACE = 0.5  # intersection over union of two boxes measuring one place


def _intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """The area two boxes (x0, y0, x1, y1) have in common."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy


def _overlap(a: Box, b: Box) -> float:
    """The share of the smaller box that lies in the other (a part of a place is that place)."""
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return _intersection(a, b) / smaller if smaller > 0 else 0.0


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    inter = _intersection(a, b)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def outranks(other: LogoEvidence, ev: LogoEvidence, t: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether another party's candidate holds `ev`'s place with a better score than `ev` and its rival.

    `ev`'s place is the other's box (IoU > 0.4) or, for a strong fit of the other's logo, a part of it
    (`holds`): two parties' emblems drawn alike fit each other's, and a logo scaled into that part of
    another party's logo, its name too small to compare, is no proof.
    """
    return (
        other.party != ev.party
        and other.page == ev.page
        and (box_iou(ev.box, other.box) > 0.4 or holds(other, ev.party, ev.page, ev.box, t))
        and other.score > max(ev.rival_score, ev.score)
    )


def holds(
    proof: LogoEvidence, party: str, page: int, box: Box, t: LogoThresholds = DEFAULT_THRESHOLDS
) -> bool:
    """Whether another party's logo, proven at its place, holds `box` on `page` (the detector does not look
    for `party`'s logo there: one place shows one logo).

    `box` is that place (IoU >= 0.5) or lies mostly inside it (a fit of a part of that logo). Only a strong
    proof holds a place: a weaker one may be another party's logo mistaken, which that party's own fit
    there must still be able to outrank (`outranks`).
    """
    if proof.party == party or proof.page != page or proof.score < t.held_score:
        return False
    area = (box[2] - box[0]) * (box[3] - box[1])
    return box_iou(box, proof.box) >= SAME_PLACE or (
        area > 0 and _intersection(box, proof.box) >= HELD_INSIDE * area
    )


HELD_INSIDE = 0.8  # share of a candidate's box inside a proven place for it to be a part of that logo


def exclusive(evidence: Sequence[LogoEvidence], t: LogoThresholds = DEFAULT_THRESHOLDS) -> list[LogoEvidence]:
    """One place shows one logo: where two parties' candidates overlap, the weaker one gets the stronger as rival.

    Only candidates of the same page can overlap: each is compared with its page's, not with the whole
    document's (a long PDF's evidence is judged as a whole, in `decide_document`).
    """
    by_page: dict[int, list[LogoEvidence]] = {}
    for ev in evidence:
        by_page.setdefault(ev.page, []).append(ev)
    out = []
    for ev in evidence:
        stronger = ev
        for other in by_page[ev.page]:
            if outranks(other, stronger, t):
                stronger = _against(ev, other)  # another party's logo: ranked on the plain scores
        out.append(stronger)
    return out


def _against(ev: LogoEvidence, other: LogoEvidence, *, fine: bool = False) -> LogoEvidence:
    """`ev` with `other` as its rival; with `fine`, its fine and ink scores too (another version of one logo,
    ranked on its faint parts and its ink, `rival_margin`)."""
    return replace(
        ev,
        rival_score=other.score,
        rival_party=other.party,
        rival_colour_distance=other.colour_distance,
        rival_part_colour_distance=other.part_colour_distance,
        rival_fine_score=other.fine_score if fine else None,
        rival_ink_score=other.ink_score if fine else None,
        rival_wordmark_read=None,
    )


def ties_current(found: LogoEvidence, current: LogoEvidence, t: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether a fit of the current logo at the place of an obsolete version's fit explains it about as well.

    An obsolete version found as the rival of one current fit (the detector's `verify`) was compared with that
    fit only; it is no proof where another current fit ties it. Seed 67's c1-037: the current logo fitted at
    0.995 against 0.999 (a tie the names settle), and the obsolete version beat a fit a sixth too wide (0.936).
    """
    return (
        current.party == found.party
        and current.version is LogoVersion.CURRENT
        and current.page == found.page
        and box_iou(current.box, found.box) >= SAME_PLACE
        and rival_margin(_against(found, current, fine=True), t) < t.margin
    )


def _result(ev: LogoEvidence, status: LogoStatus, reason: str | None) -> PartyLogoResult:
    return PartyLogoResult(ev.party, status, ev.score, ev.page, ev.box, ev.width_mm, reason)


@dataclass(frozen=True)
class PartyRequirement:
    """What the policy needs to know about a party: its id and minimum legible width."""

    party: str
    min_width_mm: float


def decide_document(
    requirements: Sequence[PartyRequirement],
    evidence: Sequence[LogoEvidence],
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
) -> tuple[PartyLogoResult, ...]:
    """Apply `decide_party` to every party of the convention, keeping the convention's order.

    The evidence of the whole document is made `exclusive` first: a PDF's image objects and its rendered
    pages are searched apart (a party proven in an image object is not looked for again), so a fit of
    another party on that image object's place has only met its rival here.
    """
    judged = exclusive(evidence, thresholds)
    return tuple(decide_party(r.party, r.min_width_mm, judged, thresholds) for r in requirements)


def page_width_mm(
    *, pdf_points: float | None = None, dpi: float | None = None, width_px: int | None = None
) -> float:
    """Physical width of a page: PDF page box, else image DPI, else an A4 width (210 mm)."""
    if pdf_points is not None and pdf_points > 0:
        return pdf_points * 25.4 / 72.0
    if dpi is not None and dpi > 1 and width_px is not None:
        return width_px * 25.4 / dpi
    return 210.0
