"""OpenCV logo matcher: proposes candidates by coarse multi-scale correlation, verifies them on aligned pixels.

It returns evidence (scores, colour distance, box, width); the policy in domain/logos.py decides the status.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from comms_approval.adapters.logos import wordmark
from comms_approval.adapters.logos.references import (
    CHROMA_WEIGHT,
    MIN_INK_STD,
    PosedTemplate,
    PoseKind,
    ReferenceLogo,
    edge_strength,
    gradient_magnitude,
    ink_usable,
)
from comms_approval.adapters.logos.spectral import FLAT_VARIANCE, MaskedSpectralImage, SpectralImage
from comms_approval.domain.logos import (
    DEFAULT_THRESHOLDS,
    Box,
    LogoEvidence,
    LogoThresholds,
    LogoVersion,
    acceptance_score,
    box_iou,
    exclusive,
    holds,
    is_conclusive,
    outranks,
    rival_margin,
    ties_current,
    version_tie,
    worth_showing,
    would_accept,
)

WORK_WIDTH = 1240  # pages are matched at about 150 dpi on A4: enough for a 5 %-wide logo (62 px)
MIN_FRACTION = 0.036  # smallest logo searched, as a fraction of the page width
MAX_FRACTION = 0.7
# Sizes below ~5 % of the width need the half-resolution level, seven times dearer than the next: they
# are searched in a second pass, only for the parties the first pass did not find.
FIRST_PASS_FRACTION = 0.0525
SCALE_STEP = 1.19  # coarse correlation on small templates tolerates about ±9 % of scale error
# matchTemplate costs about the same whatever the template size (DFT), ~11 ms at half resolution and
# ~1.6 ms at quarter resolution: so templates are kept 16-32 px wide and the pyramid does the rest.
BASE_TEMPLATE = 16
PEAKS_PER_SCALE = 12
RESCORED_PER_OCTAVE = 24
CANDIDATES_PER_REFERENCE = 6
VERIFY_WIDTH = 160  # aligned comparison is done with the logo at most this wide
MIN_PROPOSAL = 0.12


@dataclass
class _Candidate:
    ref: ReferenceLogo
    x: float  # top-left, working-page pixels
    y: float
    width: float  # logo width, working-page pixels
    proposal: float


@dataclass
class Measurement:
    """The aligned comparison of one reference with one place of the page."""

    ref: ReferenceLogo
    score: float  # (global + weakest part) / 2 masked normalised correlations
    global_score: float
    weakest_part: float
    colour_distance: float | None
    box_px: tuple[float, float, float, float]
    width_px: float
    busy: bool
    # the worse of the same two correlations on the logo's opaque pixels only; None when that ink is one
    # flat colour (nothing to correlate: not a mismatch) or was not compared (the quick first look)
    ink_score: float | None = None
    contrast_gain: float | None = None  # page contrast / predicted contrast over the logo's box
    fine_score: float | None = None  # the score with faint parts compared too (to rank versions)
    part_colour_distance: float | None = None  # the colour distance of the logo's worst part
    angle: float = 0.0  # the rotation found (degrees, counter-clockwise)
    # the score over the whole box even where `score` is over the logo's footprint only (busy background):
    # a placement at a wrong size leaves ink unexplained there, which the footprint does not see
    box_score: float | None = None
    # the same score for the page's own background alone (the logo left out): what a smooth gradient or a
    # photograph explains by itself, without any logo
    background_score: float | None = None
    # the sharpness of the page's edges where the logo's are strongest, relative to the logo's, per unit of
    # contrast gain: a logo printed is sharp, a photograph's soft shading that mimics its light-dark steps is not
    edge_gain: float | None = None


@dataclass
class PreparedPage:
    """A page ready for matching: working-resolution RGB and gray pyramid, computed once."""

    number: int
    rgb: np.ndarray  # float32 0..255
    gray_levels: list[np.ndarray]
    _edges: dict[int, np.ndarray]
    width_mm: float
    height_mm: float
    grayscale: bool
    _features: dict[int, np.ndarray] = field(default_factory=dict)
    _hsv: dict[int, np.ndarray] = field(default_factory=dict)
    _spectral: dict[int, SpectralImage] = field(default_factory=dict)
    _masked_spectral: dict[int, MaskedSpectralImage] = field(default_factory=dict)
    _backprojections: dict[tuple[str, int], tuple[np.ndarray, np.ndarray] | None] = field(
        default_factory=dict
    )
    # a logo's coarse peaks at one width of the ladder, and re-scored candidates (`propose`, `_rescore`):
    # a party searched coarse-first and then in full shares them
    _peaks: dict[tuple[str, bool, float], list[tuple[float, int, int, int]]] = field(default_factory=dict)
    _rescored: dict[tuple[object, ...], _Candidate | None] = field(default_factory=dict)

    def hsv(self, level: int) -> np.ndarray:
        """The page in 8-bit HSV at a pyramid level (for colour back-projection)."""
        cached = self._hsv.get(level)
        if cached is None:
            h, w = self.gray_levels[level].shape
            rgb = self.rgb if level == 0 else cv2.resize(self.rgb, (w, h), interpolation=cv2.INTER_AREA)
            cached = self._hsv[level] = _hsv8(rgb)
        return cached

    def backprojection(self, ref: ReferenceLogo, level: int) -> tuple[np.ndarray, np.ndarray] | None:
        """How much each pixel's colour is typical of `ref` and rare on this page, and the ratio histogram.

        Swain and Ballard's ratio histogram: a colour frequent in the logo and rare on the page scores 1,
        the page's own dominant colours (a photograph's sky, a colour field) are damped. None when the logo
        has too few saturated pixels for its colours to say anything.
        """
        key = (ref.name, level)
        if key not in self._backprojections:
            self._backprojections[key] = None
            ratio = _ratio_histogram(ref, self.hsv(level))
            if ratio is not None:
                bp = cv2.calcBackProject([self.hsv(level)], [0, 1], ratio, _HIST_RANGES, 1.0)
                self._backprojections[key] = (bp.astype(np.float32), ratio)
        return self._backprojections[key]

    def features(self, level: int, colour: bool) -> np.ndarray:
        """Search features at a level: edges, plus weighted chroma planes on colour pages."""
        if not colour or self.grayscale:
            return self.edges(level)
        cached = self._features.get(level)
        if cached is None:
            h, w = self.gray_levels[level].shape
            rgb = self.rgb if level == 0 else cv2.resize(self.rgb, (w, h), interpolation=cv2.INTER_AREA)
            lab = cv2.cvtColor((rgb / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab)
            cached = np.empty((h, w, 3), np.float32)
            cached[:, :, 0] = self.edges(level)
            cached[:, :, 1:] = CHROMA_WEIGHT * lab[:, :, 1:]
            self._features[level] = cached
        return cached

    def features_window(self, level: int, colour: bool, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """`features(level, colour)[y0:y1, x0:x1]`, computed on the window alone at full resolution.

        Re-scoring small candidates needs full-resolution features in a few small windows: computing them
        for the whole page would cost more than all the windows together. Edge strength reaches
        EDGE_REACH pixels, so the window is computed with that margin and cut: the values are identical.
        """
        cached = self._features.get(level) if colour and not self.grayscale else self._edges.get(level)
        if cached is not None or level > 0:
            return self.features(level, colour)[y0:y1, x0:x1]
        h, w = self.gray_levels[0].shape
        mx0, my0 = max(0, x0 - EDGE_REACH), max(0, y0 - EDGE_REACH)
        mx1, my1 = min(w, x1 + EDGE_REACH), min(h, y1 + EDGE_REACH)
        edges = edge_strength(self.gray_levels[0][my0:my1, mx0:mx1])[y0 - my0 : y1 - my0, x0 - mx0 : x1 - mx0]
        if not colour or self.grayscale:
            return np.ascontiguousarray(edges)
        lab = cv2.cvtColor((self.rgb[y0:y1, x0:x1] / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab)
        window = np.empty((y1 - y0, x1 - x0, 3), np.float32)
        window[:, :, 0] = edges
        window[:, :, 1:] = CHROMA_WEIGHT * lab[:, :, 1:]
        return window

    def match_features(self, level: int, colour: bool, templ: np.ndarray) -> np.ndarray:
        """`_match_edges(self.features(level, colour), templ)`, the page transformed once for all templates.

        Only the colour features (three planes) go through the shared spectrum: on one plane OpenCV's own
        matchTemplate is as fast.
        """
        image = self.features(level, colour)
        if image.ndim == 2:
            return _match_edges(image, templ)
        spectral = self._spectral.get(level)
        if spectral is None:
            spectral = self._spectral[level] = SpectralImage(image)
        result, energy = spectral.match(templ)
        result[energy < EMPTY_EDGES] = -1.0
        return result

    def match_ink(self, level: int, templ: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Masked correlation of the gray level with a logo's ink, and the page's deviation under the ink."""
        spectral = self._masked_spectral.get(level)
        if spectral is None:
            spectral = self._masked_spectral[level] = MaskedSpectralImage(self.gray_levels[level])
        return spectral.match(templ, mask)

    def edges(self, level: int) -> np.ndarray:
        """Edge strength at a pyramid level, computed on first use (full resolution is rarely needed)."""
        cached = self._edges.get(level)
        if cached is None:
            cached = self._edges[level] = edge_strength(self.gray_levels[level])
        return cached

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


EDGE_REACH = 8  # pixels an edge-strength value depends on around it (3 x 3 Sobel, then a sigma-1 blur)
_HIST_BINS = [30, 32]  # hue, saturation
_HIST_RANGES = [0.0, 180.0, 0.0, 256.0]
MIN_SATURATION = 60  # pixels below this are gray, black or white: their hue means nothing


def _hsv8(rgb: np.ndarray) -> np.ndarray:
    hsv: np.ndarray = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV)
    return hsv


def _saturated(hsv: np.ndarray) -> np.ndarray:
    return (hsv[:, :, 1] >= MIN_SATURATION) & (hsv[:, :, 2] >= 40)


def _saturated_ink(ref_hsv: np.ndarray, alpha: np.ndarray) -> np.ndarray | None:
    """A logo's opaque pixels whose hue means something, or None when they are too few (under a tenth of
    its ink) for its colours to say anything: then no colour back-projection can look for it."""
    opaque = alpha > 0.5
    mask = opaque & _saturated(ref_hsv)
    return mask if int(mask.sum()) >= 0.1 * max(1, int(opaque.sum())) else None


def _ratio_histogram(ref: ReferenceLogo, page_hsv: np.ndarray) -> np.ndarray | None:
    ref_hsv = _hsv8(ref.rgb)
    mask = _saturated_ink(ref_hsv, ref.alpha)
    if mask is None:
        return None
    model = cv2.calcHist([ref_hsv], [0, 1], mask.astype(np.uint8), _HIST_BINS, _HIST_RANGES)
    image = cv2.calcHist([page_hsv], [0, 1], None, _HIST_BINS, _HIST_RANGES)
    m = np.asarray(model, np.float64) / float(model.sum())
    i = np.asarray(image, np.float64) / float(max(1.0, float(image.sum())))
    # 255 for a colour at least as frequent in the logo as on the page; back-projection output is 8-bit
    ratio: np.ndarray = (255.0 * np.minimum(m / (i + 1e-6), 1.0)).astype(np.float32)
    return ratio


def prepare_page(rgb8: np.ndarray, number: int, width_mm: float, height_mm: float) -> PreparedPage:
    h, w = rgb8.shape[:2]
    if w > WORK_WIDTH:
        size = (WORK_WIDTH, max(1, round(h * WORK_WIDTH / w)))
        rgb8 = cv2.resize(rgb8, size, interpolation=cv2.INTER_AREA)
    rgb = rgb8.astype(np.float32)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    levels = [gray]
    while min(levels[-1].shape) > 48:
        prev = levels[-1]
        levels.append(
            cv2.resize(
                prev, (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2)), interpolation=cv2.INTER_AREA
            )
        )
    # Grayscale page: (almost) no coloured pixel at quarter resolution. A count, not a percentile: a single
    # small colour logo on a gray page must make the page a colour page.
    quarter = (max(1, rgb8.shape[1] // 4), max(1, rgb8.shape[0] // 4))
    small = cv2.resize(rgb8, quarter, interpolation=cv2.INTER_AREA)
    spread = small.max(axis=2).astype(np.int16) - small.min(axis=2).astype(np.int16)
    grayscale = int((spread > 24).sum()) < 20
    return PreparedPage(number, rgb, levels, {}, width_mm, height_mm, grayscale)


# Mean edge strength under which a window is blank paper (gradients of pure rounding noise). Kept absolute:
# a logo in low contrast on a coloured background has weak edges but is not blank.
EMPTY_EDGES = 1.0


def _match_edges(image: np.ndarray, templ: np.ndarray, energy: np.ndarray | None = None) -> np.ndarray:
    """Normalised correlation of edge maps, with windows that hold almost no edges ruled out.

    On a blank area the edge map is ~0 plus rounding noise, and a normalised correlation of noise can be
    anything up to 1: those windows are set to -1. `energy` is `_edge_energy` of the image for a template
    of this size, when the caller has it already (rotations of one template share it).
    """
    # Masked correlation (the logo's footprint only) was tried for the re-scoring: no better, slower.
    result = cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED)
    th, tw = templ.shape[:2]
    if energy is None:
        energy = _edge_energy(image, tw, th)
    result[(energy[: result.shape[0], : result.shape[1]] < EMPTY_EDGES) | ~np.isfinite(result)] = -1.0
    return result


def _edge_energy(image: np.ndarray, tw: int, th: int) -> np.ndarray:
    """The mean edge strength of every `tw` x `th` window of an edge map, by its top-left corner."""
    edges = image if image.ndim == 2 else np.ascontiguousarray(image[:, :, 0])
    return np.asarray(
        cv2.boxFilter(edges, -1, (tw, th), anchor=(0, 0), normalize=True, borderType=cv2.BORDER_CONSTANT)
    )


def _best_ink(image: MaskedSpectralImage, posed: PosedTemplate) -> tuple[float, tuple[int, int]]:
    """Best normalised correlation over the template's opaque pixels only (its mask), and where.

    Windows where the page is flat under the mask (`MIN_INK_STD`) cannot be compared and are left out.
    Templates too small or too flat to say anything score -1. The image is larger than the template
    (`_search_pose` skips the scales it would not hold).
    """
    if posed.masked is None:
        return -1.0, (0, 0)
    result, deviation = image.match(posed.masked)
    result[deviation < MIN_INK_STD] = -1.0
    _, value, _, (x, y) = cv2.minMaxLoc(result)
    return float(value), (x, y)


def _coarsest_level(page: PreparedPage) -> int:
    """The smallest pyramid level still ~150 px wide: below that a big logo's template has nowhere to slide
    and its features are mush, so big logos get bigger templates instead."""
    level = 0
    while level + 1 < len(page.gray_levels) and page.gray_levels[level + 1].shape[1] >= 150:
        level += 1
    return level


# A wide logo's template must keep some height at its level: GHZSA's (aspect 0.33), searched 185 px wide at
# the eighth-resolution level, was 8 px high there, its name mush, and correlated at 0.38 at its own place
# while text blocks reached 0.97 (seed 41 c2-027); at the quarter level (15 px high) it ranked first.
MIN_TEMPLATE_HEIGHT = 12


def _search_level(page: PreparedPage, ref: ReferenceLogo, width: float) -> int:
    """The pyramid level a logo `width` wide is searched at: the coarsest (down to a level ~150 px wide) where
    its template is 16 px wide or more (see `BASE_TEMPLATE`) and `MIN_TEMPLATE_HEIGHT` high; never finer
    than half resolution."""
    by_width = int(math.log2(width / BASE_TEMPLATE))
    by_height = int(math.log2(max(1.0, width * ref.aspect / MIN_TEMPLATE_HEIGHT)))
    return max(1, min(_coarsest_level(page), by_width, by_height))


def _widths(page_width: int, lowest: float, highest: float) -> list[float]:
    widths = []
    w = lowest * page_width
    while w <= highest * page_width:
        widths.append(w)
        w *= SCALE_STEP
    return widths


def propose(
    page: PreparedPage,
    ref: ReferenceLogo,
    *,
    limit: int = CANDIDATES_PER_REFERENCE,
    sizes: tuple[float, float] = (FIRST_PASS_FRACTION, MAX_FRACTION),
    chroma: bool = True,
    min_level: int = 0,
) -> list[_Candidate]:
    """Candidates of `ref` on the page, best first.

    Coarse correlation over a ladder of logo widths, each on the pyramid level that keeps the template
    16-32 px wide, and some height for a wide logo (`_search_level`; cheap: small templates shrug off a few
    degrees of rotation). Small templates also fit
    parts of unrelated things, and their scores are not comparable across scales, so every coarse peak is
    re-scored with a 64-128 px template in a small window before ranking. `min_level` leaves out the widths
    searched at finer pyramid levels (see `COARSE_FIRST_LEVEL`).
    """
    colour = chroma and _uses_chroma(page, ref, sizes)
    coarse: dict[int, list[tuple[float, float, float, float, int]]] = {}
    for width in _widths(page.width, *sizes):
        level = _search_level(page, ref, width)
        if level < min_level:
            continue
        factor = 2**level
        octave = int(math.log2(width / (MIN_FRACTION * page.width)))
        for best, px, py, tw in _ladder_peaks(page, ref, width, level, colour):
            coarse.setdefault(octave, []).append((best, px * factor, py * factor, tw * factor, factor))
    # Coarse scores are only comparable within an octave of sizes: re-score the best few of each octave.
    found: list[_Candidate] = []
    for peaks in coarse.values():
        peaks.sort(reverse=True)
        for _, peak_x, peak_y, peak_w, factor in peaks[:RESCORED_PER_OCTAVE]:
            rescored = _rescore(page, ref, peak_x, peak_y, peak_w, factor, scales=(1.0,), colour=colour)
            if rescored is not None:
                found.append(rescored)
    found.sort(key=lambda c: c.proposal, reverse=True)
    kept: list[_Candidate] = []
    per_octave: dict[int, int] = {}
    for cand in found:
        # Small templates also fit parts of a bigger logo: keep the best of each octave of sizes.
        octave = int(math.log2(cand.width / (MIN_FRACTION * page.width)))
        if per_octave.get(octave, 0) >= 2 and len(kept) >= 2:
            continue
        box = (cand.x, cand.y, cand.x + cand.width, cand.y + cand.width * ref.aspect)
        if all(box_iou(box, (k.x, k.y, k.x + k.width, k.y + k.width * ref.aspect)) < 0.3 for k in kept):
            kept.append(cand)
            per_octave[octave] = per_octave.get(octave, 0) + 1
            if len(kept) >= limit:
                break
    refined = []
    for cand in kept:
        # the kept few get the scale refined (the coarse ladder is ~±9 % off at worst)
        better = _rescore(page, ref, cand.x, cand.y, cand.width, 2, scales=(0.93, 1.07), colour=colour)
        refined.append(better if better is not None and better.proposal > cand.proposal else cand)
    refined.sort(key=lambda c: c.proposal, reverse=True)
    return refined


def _ladder_peaks(
    page: PreparedPage, ref: ReferenceLogo, width: float, level: int, colour: bool
) -> list[tuple[float, int, int, int]]:
    """The best coarse peaks of `ref` about `width` wide (score, x, y at `level`, template width there),
    computed once per page."""
    key = (ref.name, colour, width)
    cached = page._peaks.get(key)
    if cached is not None:
        return cached
    peaks: list[tuple[float, int, int, int]] = page._peaks.setdefault(key, [])
    image = page.features(level, colour)
    tw = max(8, round(width / 2**level))
    templ = ref.features(tw, colour=colour)
    th, tw = templ.shape[:2]
    if th < 4 or th >= image.shape[0] or tw >= image.shape[1]:
        return peaks
    result = page.match_features(level, colour, templ)
    for _ in range(PEAKS_PER_SCALE):
        _, best, _, (px, py) = cv2.minMaxLoc(result)
        if best < MIN_PROPOSAL or not math.isfinite(best):
            break
        peaks.append((float(best), px, py, tw))
        rx, ry = max(1, tw // 2), max(1, th // 2)
        result[max(0, py - ry) : py + ry + 1, max(0, px - rx) : px + rx + 1] = -1.0
    return peaks


def _uses_chroma(page: PreparedPage, ref: ReferenceLogo, sizes: tuple[float, float]) -> bool:
    """Whether a colour logo's search on this page compares its colours too: not on a grayscale page, where
    there are none, nor for the small sizes of the second pass, where chroma planes cost more than they tell."""
    return ref.has_colour and not page.grayscale and sizes[0] >= FIRST_PASS_FRACTION


# Edge-only proposals verified for a colour logo its colour proposals did not prove. Two: small templates fit
# parts of things, so the best is often a small patch and a large logo comes second (seed 67's c0-037: a 61-px
# patch inside the logo at 0.72, the 548-px logo at 0.68). Two gained a logo on seeds 67 and 31 and lost none
# on the four bench sets (bench/RESULTS.md).
EDGE_ONLY_PROPOSALS = 2
BACKPROJECTION_PROPOSALS = 2
MIN_COLOUR_PROPOSAL = 0.45


def _colour_proposals(page: PreparedPage, ref: ReferenceLogo, sizes: tuple[float, float]) -> list[_Candidate]:
    """Candidates from the correlation of the page's colour back-projection with the logo's own.

    On a busy photograph the logo's edges drown in the background's, but its joint hue-saturation
    histogram rarely occurs there: the back-projection lights the logo's coloured parts up.
    """
    peaks: list[_Candidate] = []
    for width in _widths(page.width, *sizes):
        level = _search_level(page, ref, width)
        projected = page.backprojection(ref, level)
        if projected is None:
            return []
        image, ratio = projected
        factor = 2**level
        tw = max(8, round(width / factor))
        th = ref.template_height(tw)
        if th >= image.shape[0] or tw >= image.shape[1]:
            continue
        small_rgb = cv2.resize(ref.rgb, (tw, th), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(ref.alpha, (tw, th), interpolation=cv2.INTER_AREA)
        templ = cv2.calcBackProject([_hsv8(small_rgb)], [0, 1], ratio, _HIST_RANGES, 1.0).astype(np.float32)
        templ *= alpha
        if float(templ.std()) < 1.0:
            continue
        result = cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED)
        result[~np.isfinite(result)] = -1.0
        _, best, _, (px, py) = cv2.minMaxLoc(result)
        if best >= MIN_COLOUR_PROPOSAL:
            peaks.append(_Candidate(ref, px * factor, py * factor, tw * factor, float(best)))
    return _distinct(peaks, BACKPROJECTION_PROPOSALS)


INK_PROPOSALS = 3
# A small ink template correlates as well with a part of the logo as with the whole: the peaks came out at
# 0.6-1.0 of the logo's width, and are verified at their width and at one and two ladder steps wider.
INK_WIDTHS = (1.0, 1.19, 1.41)
MIN_INK_PROPOSAL = 0.8  # genuine logos found this way scored >= 0.87 (bench sets, seeds 3 and 5)


# The finest pyramid level a colour logo's ink is correlated at on a colour page, once its edges alone and its
# colours were searched: the quarter level. The ink ladder reaches half resolution only for the widths a wide
# logo keeps its height at there (`_search_level`), where a masked correlation costs five at the quarter level
# (17 against 3.5 ms). There, on colour pages, its few rows fitted text and took the three proposals' places
# from the quarter level's one at the logo (seed 67's c3-033 p3b, now found), or fitted inside a look-alike
# (c1-001 p1e, no longer "present"); over the four bench sets they proved one logo, through another placement
# of a fit whose colours sat on the bar (seed 31's c6-027 p6c, now `uncertain`). On a grayscale page, and for a
# logo whose colours say nothing, the ink is the only search after the first and keeps half resolution: there
# it finds small logos (seed 41's c7-033 p7d, 6.6 % wide) (bench/RESULTS.md).
INK_MIN_LEVEL_AFTER_COLOURS = 2


def _ink_proposals(
    page: PreparedPage, ref: ReferenceLogo, sizes: tuple[float, float], *, min_level: int = 1
) -> list[_Candidate]:
    """Candidates from the masked correlation of the logo's opaque pixels with the gray page.

    The last resort for a transparent logo laid on a photograph or on text, where the background's edges
    drown the logo's in the edge proposals: only the logo's own ink is compared, whatever lies around it.
    Dear (five transforms per width, with the page's own shared), so it runs only when the others failed;
    `min_level` leaves out the widths searched at finer pyramid levels.
    """
    peaks: list[_Candidate] = []
    for width in _widths(page.width, *sizes):
        level = _search_level(page, ref, width)
        if level < min_level:
            continue
        image = page.gray_levels[level]
        factor = 2**level
        tw = max(8, round(width / factor))
        templ, mask = ref.ink(tw)
        th = templ.shape[0]
        if th < 4 or th >= image.shape[0] or tw >= image.shape[1]:
            continue
        on = mask > 0
        if not ink_usable(templ, on):
            continue
        result, deviation = page.match_ink(level, templ, mask)
        edges = cv2.boxFilter(
            page.edges(level), -1, (tw, th), anchor=(0, 0), normalize=True, borderType=cv2.BORDER_CONSTANT
        )[: result.shape[0], : result.shape[1]]
        result[edges < EMPTY_EDGES] = -1.0
        for _ in range(INK_PROPOSALS):
            _, best, _, (px, py) = cv2.minMaxLoc(result)
            if best < MIN_INK_PROPOSAL:
                break
            # a place where the page is flat under the ink is no proposal (and takes one of the few turns)
            if deviation[py, px] >= MIN_INK_STD:
                peaks.append(_Candidate(ref, px * factor, py * factor, tw * factor, float(best)))
            rx, ry = max(1, tw // 2), max(1, th // 2)
            result[max(0, py - ry) : py + ry + 1, max(0, px - rx) : px + rx + 1] = -1.0
    return _distinct(peaks, INK_PROPOSALS)


def _distinct(peaks: list[_Candidate], limit: int) -> list[_Candidate]:
    """The best `limit` candidates, none overlapping a better one (IoU >= 0.3)."""
    kept: list[_Candidate] = []
    for cand in sorted(peaks, key=lambda c: c.proposal, reverse=True):
        if all(box_iou(_cand_box(cand), _cand_box(k)) < 0.3 for k in kept):
            kept.append(cand)
            if len(kept) >= limit:
                break
    return kept


RESCORE_WIDTH = 64


def _rescore(
    page: PreparedPage,
    ref: ReferenceLogo,
    x: float,
    y: float,
    width: float,
    coarse_factor: int,
    scales: Sequence[float] = (0.93, 1.0, 1.07),
    *,
    colour: bool,
) -> _Candidate | None:
    """Re-score a coarse peak with a 64-128 px edge template at three scales, in a small window (once per
    page: a party searched coarse-first and then in full re-scores the same peaks)."""
    key = (ref.name, x, y, width, coarse_factor, tuple(scales), colour)
    if key in page._rescored:
        return page._rescored[key]
    level = max(0, min(len(page.gray_levels) - 1, int(math.log2(max(1.0, width / RESCORE_WIDTH)))))
    h, w = page.gray_levels[level].shape
    factor = 2**level
    windows = []
    for s in scales:
        tw = max(8, round(width * s / factor))
        templ = ref.features(tw, colour=colour)
        th = templ.shape[0]
        r = max(2, coarse_factor // factor + 1)
        cx, cy = (x + width / 2) / factor, (y + width * ref.aspect / 2) / factor
        x0, y0 = max(0, round(cx - tw / 2) - r), max(0, round(cy - th / 2) - r)
        x1, y1 = min(w, x0 + tw + 2 * r), min(h, y0 + th + 2 * r)
        if x1 - x0 >= tw and y1 - y0 >= th:
            windows.append((templ, x0, y0, x1, y1))
    if not windows:
        page._rescored[key] = None  # no window fits the page here
        return None
    ux0, uy0 = min(v[1] for v in windows), min(v[2] for v in windows)
    ux1, uy1 = max(v[3] for v in windows), max(v[4] for v in windows)
    image = page.features_window(level, colour, ux0, uy0, ux1, uy1)
    best: _Candidate | None = None
    for templ, x0, y0, x1, y1 in windows:
        # Edges are zero where the logo is transparent, so clutter there only weighs in the normalisation;
        # OpenCV's masked correlation was measured to do worse on edge maps.
        result = _match_edges(image[y0 - uy0 : y1 - uy0, x0 - ux0 : x1 - ux0], templ)
        _, value, _, (px, py) = cv2.minMaxLoc(result)
        if best is None or value > best.proposal:
            th, tw = templ.shape[:2]
            best = _Candidate(ref, (x0 + px) * factor, (y0 + py) * factor, tw * factor, float(value))
    page._rescored[key] = best
    return best


def _cand_box(cand: _Candidate) -> tuple[float, float, float, float]:
    return (cand.x, cand.y, cand.x + cand.width, cand.y + cand.width * cand.ref.aspect)


def _zncc(a: np.ndarray, b: np.ndarray) -> float:
    """Zero-mean normalised correlation; 0 when either side is flat or too small.

    Flat is the correlations' own rule (`FLAT_VARIANCE`: varying by less than a hundredth of a level), and a
    flat signal is like nothing. Without it, a white page part under a logo's structured part correlated
    through single-precision rounding residue alone, anywhere in [-1, 1] (seed 67's c4-008: a weakest part of
    -0.94 or -0.36 for the same place, depending on the order of two linear operations).
    """
    if a.size < 16:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    saa, sbb = float((a * a).sum()), float((b * b).sum())
    if min(saa, sbb) < FLAT_VARIANCE * a.size:
        return 0.0
    return float((a * b).sum()) / math.sqrt(saa * sbb)


PART_MIN_SHARE = 0.3  # parts fainter than this share of the logo's contrast are left out (JPEG noise)
FINE_PART_MIN_SHARE = 0.1  # ... except to tell two versions of a logo apart


@functools.lru_cache(maxsize=512)
def _part_labels(box: tuple[int, int, int, int]) -> tuple[np.ndarray, int, np.ndarray]:
    """The part (0..5 or 0..7) of every pixel of `box`: a 2 x 3 grid, or 2 x 4 for a wide logo; and each
    part's area. Cached (read-only arrays): the same box is divided for every comparison of one fit."""
    x0, y0, x1, y1 = box
    cols = 4 if (x1 - x0) > 2.2 * (y1 - y0) else 3
    rows = 2
    row_of = np.searchsorted([y0 + (y1 - y0) * i // rows for i in range(1, rows)], np.arange(y0, y1), "right")
    col_of = np.searchsorted([x0 + (x1 - x0) * j // cols for j in range(1, cols)], np.arange(x0, x1), "right")
    labels = row_of[:, None] * cols + col_of[None, :]
    area = np.bincount(labels.ravel(), minlength=rows * cols)
    labels.setflags(write=False)
    area.setflags(write=False)
    return labels, rows * cols, area


def _parts_score(
    crop: np.ndarray,
    logo: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    min_share: float = PART_MIN_SHARE,
) -> float:
    """The correlation of the logo's worst-matching part (a 2 x 3 or 2 x 4 grid over the logo).

    A look-alike with one changed element (another acronym, another emblem) scores low on that element
    even when the global correlation is high. Parts with little structure of their own (a flat area,
    a few anti-aliased edge pixels) are skipped: there, JPEG noise would decide.
    """
    parts = _LogoParts.of(logo, mask, box, min_share)
    if parts is None:
        return 0.0
    return parts.worst(crop[parts.ys, parts.xs])


@dataclass(frozen=True)
class _LogoParts:
    """The logo's side of `_parts_score`, computed once for every page crop compared with it (`_ink_match`
    compares nine shifts of the page with one logo): the mask's pixels in the box, their parts and sums."""

    ys: np.ndarray  # the mask's pixels inside the box, row by row (absolute coordinates)
    xs: np.ndarray
    label: np.ndarray  # the part of each of those pixels
    parts: int
    n: np.ndarray
    area: np.ndarray
    sb: np.ndarray
    sbb: np.ndarray
    b: np.ndarray  # the logo's values there (float64)
    min_std: float

    @classmethod
    def of(
        cls, logo: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], min_share: float
    ) -> _LogoParts | None:
        t_all = logo[mask]
        if t_all.size < 16:
            return None
        min_std = max(4.0, min_share * float(t_all.std()))
        x0, y0, x1, y1 = box
        # Every part's sums in one pass (bincount over a part-label image) instead of a loop of masked copies.
        labels, parts, area = _part_labels(box)
        inside = mask[y0:y1, x0:x1]
        iy, ix = np.nonzero(inside)
        label = labels[inside]
        b = logo[y0:y1, x0:x1][inside].astype(np.float64)
        n = np.bincount(label, minlength=parts).astype(np.float64)
        sb, sbb = np.bincount(label, b, parts), np.bincount(label, b * b, parts)
        return cls(iy + y0, ix + x0, label, parts, n, area, sb, sbb, b, min_std)

    def worst(self, page_values: np.ndarray) -> float:
        """The worst part's correlation of the page's values at `ys, xs` with the logo's."""
        a = page_values.astype(np.float64)
        label, parts, n, sb = self.label, self.parts, self.n, self.sb
        sa, saa = np.bincount(label, a, parts), np.bincount(label, a * a, parts)
        sab = np.bincount(label, a * self.b, parts)
        worst = 1.0
        for p in range(parts):
            if n[p] < 0.2 * self.area[p] or n[p] < 16:
                continue
            var_b = max(0.0, self.sbb[p] - sb[p] * sb[p] / n[p])
            if math.sqrt(var_b / n[p]) < self.min_std:
                continue
            var_a = max(0.0, saa[p] - sa[p] * sa[p] / n[p])
            # a flat page part (`FLAT_VARIANCE`, as `_zncc`) under a structured logo part: no likeness, 0
            if var_a < FLAT_VARIANCE * n[p]:
                worst = min(worst, 0.0)
                continue
            worst = min(worst, (sab[p] - sa[p] * sb[p] / n[p]) / math.sqrt(var_a * var_b))
        return max(-1.0, float(worst))


COARSE_ALIGN_WIDTH = 72
_ANGLES = (-3.0, 0.0, 3.0)
_SCALES = (0.92, 0.96, 1.0, 1.04, 1.08)


@dataclass(frozen=True)
class _Pose:
    score: float
    angle: float  # degrees, counter-clockwise
    scale: float  # relative to the nominal template width
    ox: float  # top-left of the (rotated) template in the crop
    oy: float
    width: int  # template width used (nominal * scale)
    height: int

    def warp(self, nominal: int) -> np.ndarray:
        """Affine map crop -> nominal-size logo coordinates."""
        rot = cv2.getRotationMatrix2D((self.width / 2.0, self.height / 2.0), self.angle, 1.0)
        inv = cv2.invertAffineTransform(rot)
        k = self.width / nominal
        a = inv[:, :2] / k
        b = (inv[:, 2] - inv[:, :2] @ np.array([self.ox, self.oy], np.float64)) / k
        return np.hstack([a, b[:, None]]).astype(np.float32)


_ALIGNMENTS: tuple[PoseKind, ...] = ("ink", "flat", "edges")


def _search_pose(
    crop_gray: np.ndarray,
    ref: ReferenceLogo,
    nominal: int,
    angles: Sequence[float],
    scales: Sequence[float],
    window: tuple[float, float, float] | None = None,
    *,
    mode: PoseKind = "edges",
) -> _Pose | None:
    """Best correlation over a few rotations and scales of the template (optionally near a point).

    `edges`: edge maps (`crop_gray` is an edge map), robust to colour and contrast changes. `ink`: the
    masked correlation of the logo's opaque pixels only, blind to whatever lies around and between them
    (a photograph, text behind a transparent logo). `flat`: the logo on white, plainly, for a logo
    flattened on white or printed on a light page, whose ink alone may be one flat colour with nothing
    inside it to correlate.
    """
    best: _Pose | None = None
    # the whole crop, searched at every scale, is transformed once; a window differs with the scale
    whole_ink = MaskedSpectralImage(crop_gray) if mode == "ink" and window is None else None
    for s in scales:
        width = max(8, round(nominal * s))
        th = ref.template_height(width)
        if th + 2 >= crop_gray.shape[0] or width + 2 >= crop_gray.shape[1]:
            continue
        image, x_off, y_off = crop_gray, 0, 0
        if window is not None:
            cx, cy, r = window  # expected template centre and search radius, crop pixels
            x_off = max(0, round(cx - width / 2 - r))
            y_off = max(0, round(cy - th / 2 - r))
            x_end = min(crop_gray.shape[1], round(cx + width / 2 + r) + 1)
            y_end = min(crop_gray.shape[0], round(cy + th / 2 + r) + 1)
            if x_end - x_off <= width or y_end - y_off <= th:
                continue
            image = crop_gray[y_off:y_end, x_off:x_end]
        energy = _edge_energy(image, width, th) if mode == "edges" else None  # the same for every angle
        ink_image = (whole_ink or MaskedSpectralImage(image)) if mode == "ink" else None  # for every angle
        for angle in angles:
            # The coarse frame's templates are nearly the same for every candidate (the logo framed ~72 px
            # wide): kept with the logo. The fine frame's, turned by a refined angle, are not.
            posed = ref.posed(mode, width, angle, keep=window is None)
            if ink_image is not None:
                value, (ox, oy) = _best_ink(ink_image, posed)
            elif mode == "flat":
                result = cv2.matchTemplate(image, posed.plane, cv2.TM_CCOEFF_NORMED)
                result[~np.isfinite(result)] = -1.0
                _, value, _, (ox, oy) = cv2.minMaxLoc(result)
            else:
                _, value, _, (ox, oy) = cv2.minMaxLoc(_match_edges(image, posed.plane, energy))
            if best is None or value > best.score:
                best = _Pose(
                    float(value), angle, width / nominal, float(ox + x_off), float(oy + y_off), width, th
                )
    return best


HOPELESS = 0.3
# An alignment mode whose first look at the coarse frame scores under this is not refined: its quick score
# stands. On 80 drafts of seed 67 (8 286 first looks), the 1 008 refined from 0.3-0.4 reached 0.5 seven times,
# all at wrong places; no genuine logo's best fit came from a first look under 0.45. Raised from 0.3: full runs
# of four bench sets kept every recall and false "present" figure, for ~6 % less CPU (bench/RESULTS.md).
QUICK_REJECT = 0.4
SURE_ALIGNMENT = 0.85
# How much an alignment's refinement (fine frame, angle and scale) raised its score over the first look at the
# coarse frame: 0.14 at the 99th percentile, 0.30 at the 99.9th, 0.47 at most (9 427 alignments, seeds 41 and
# 67, bench/RESULTS.md).
REFINEMENT_GAIN = 0.3


# How far in scale one alignment reaches around its nominal width: the coarse scales (+-8 %) then the fine
# step (+-2 %). A candidate about the box of one already verified, but at another size, was not verified:
# seed 41's c2-016 (a logo 259 px wide) was proposed 344 px wide and failed there; its colour and ink
# proposals at 264 px were then skipped as "about that box" (IoU 0.56), and the logo was missing.
ALIGN_SCALE_REACH = 1.1


def _within_scale_reach(width: float, verified: float) -> bool:
    """Whether a verification at `verified` (logo width) also measured a logo `width` wide there."""
    return max(width, verified) <= ALIGN_SCALE_REACH * min(width, verified)


FINE_ANGLES = (-1.5, -0.75, 0.75, 1.5)  # degrees around the coarse pose's angle
FINE_SCALES = (0.98, 1.02)  # around the pose's scale
# What a scale step must gain to be taken: at the fine frame the ink correlation moves by about this much from
# resampling alone. The demo's CAF logo, embedded 1 500 px wide and placed exactly: 0.954 at its scale, 0.957
# 2 % wider, which put its box's edges 0.003-0.007 of the page off.
FINE_SCALE_GAIN = 0.01


def _refine_pose(
    image: np.ndarray,
    ref: ReferenceLogo,
    nominal: int,
    coarse: _Pose,
    window: tuple[float, float, float],
    mode: PoseKind,
) -> _Pose | None:
    """The coarse pose refined on the fine frame: its scale first (`FINE_SCALES`), then the angle at that
    scale, then the scale again if the angle moved.

    The scale first: a logo drawn in thin strokes correlates only near its own width. Seed 67's c7-003, a
    wordmark logo 380 px wide over text, had every angle score under 0.47 at the coarse scale (2-3 % off),
    and the fit settled at a wrong one (-1.5 degrees, 0.65 where it fits at 0.80 upright). Steps of a
    pixel instead of 2 % found it too, but the correlation of such strokes rises and falls from one pixel
    to the next by resampling alone, and climbing it moved clean fits a pixel off (bench/RESULTS.md).
    """

    def rescaled(pose: _Pose) -> _Pose:
        best = pose
        for k in FINE_SCALES:
            other = _search_pose(
                image, ref, nominal, (pose.angle,), (pose.scale * k,), window=window, mode=mode
            )
            if other is not None and other.score > max(best.score, pose.score + FINE_SCALE_GAIN):
                best = other
        return best

    start = _search_pose(image, ref, nominal, (coarse.angle,), (coarse.scale,), window=window, mode=mode)
    if start is None:
        return None
    best = rescaled(start)
    turned = _search_pose(
        image,
        ref,
        nominal,
        tuple(best.angle + a for a in FINE_ANGLES),
        (best.scale,),
        window=window,
        mode=mode,
    )
    return rescaled(turned) if turned is not None and turned.score > best.score else best


def _scaled_pose(pose: _Pose, k: float) -> _Pose:
    return _Pose(
        pose.score,
        pose.angle,
        pose.scale,
        pose.ox * k,
        pose.oy * k,
        round(pose.width * k),
        round(pose.height * k),
    )


def measure(
    page: PreparedPage,
    ref: ReferenceLogo,
    x: float,
    y: float,
    width: float,
    *,
    refine_from: float = QUICK_REJECT,
) -> Measurement | None:
    """Align `ref` around the given placement (translation, scale, small rotation) and compare the pixels.

    An alignment whose first look at the coarse frame scores under `refine_from` is not refined: its quick
    score stands.
    """
    return _align(page, ref, x, y, width, refine_from=refine_from)


def glance(page: PreparedPage, ref: ReferenceLogo, x: float, y: float, width: float, enough: float) -> float:
    """The best quick score of `ref` around the placement: each alignment's coarse pose compared at the
    coarse frame only (2-9 ms, where `measure` takes 15-30), stopping once one reaches `enough`."""
    m = _align(page, ref, x, y, width, glance_until=enough)
    return m.score if m is not None else -1.0


def _align(
    page: PreparedPage,
    ref: ReferenceLogo,
    x: float,
    y: float,
    width: float,
    *,
    glance_until: float | None = None,
    refine_from: float = QUICK_REJECT,
) -> Measurement | None:
    height = width * ref.aspect
    margin = 0.15 * width + 4
    cx0, cy0 = max(0, int(x - margin)), max(0, int(y - margin))
    cx1, cy1 = min(page.width, int(x + width + margin) + 1), min(page.height, int(y + height + margin) + 1)
    if cx1 - cx0 < 8 or cy1 - cy0 < 8:
        return None
    full = page.rgb[cy0:cy1, cx0:cx1]

    def frame(plane: np.ndarray, limit: float) -> tuple[np.ndarray, float]:
        f = min(1.0, limit / max(width, 1.0))
        if f >= 1.0:
            return plane, 1.0
        size = (max(8, round((cx1 - cx0) * f)), max(8, round((cy1 - cy0) * f)))
        return cv2.resize(plane, size, interpolation=cv2.INTER_AREA), size[0] / (cx1 - cx0)

    # Three ways to align, tried in turn until one fits well: the logo's own ink (blind to a busy background
    # and to the white box of a flattened logo), the logo on white (when its ink is one flat colour), edges.
    # The coarse frame is looked at in gray (`_quick_look`): the page's gray level, resized.
    coarse_gray, fc = frame(page.gray_levels[0][cy0:cy1, cx0:cx1], COARSE_ALIGN_WIDTH)

    def coarse_rgb() -> np.ndarray:  # the coarse frame in colour, for the few looks that need it
        return frame(full, COARSE_ALIGN_WIDTH)[0]

    crop_rgb, ff = frame(full, VERIFY_WIDTH)
    crop_gray = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY)
    tc = max(8, round(width * fc))
    tf = max(8, round(width * ff))
    k = ff / fc
    best: Measurement | None = None
    for mode in _ALIGNMENTS:
        if best is not None and best.score >= SURE_ALIGNMENT:
            break  # the logo already fits this well here: another alignment would not do better
        coarse = edge_strength(coarse_gray) if mode == "edges" else coarse_gray
        # angle and scale jointly: searched one after the other they lost logos (bench/RESULTS.md)
        pose = _search_pose(coarse, ref, tc, _ANGLES, _SCALES, mode=mode)
        if pose is None or pose.score < HOPELESS:
            continue  # nothing like this logo here: not worth the fine alignment
        # A first comparison at the coarse frame (~1 ms) rules most wrong places out before the fine
        # alignment (~7 ms): below QUICK_REJECT there, no candidate reached a plausible score (bench/RESULTS.md).
        first = pose.warp(tc)
        quick = _quick_look(ref, first, coarse_gray, tc, fc, (cx0, cy0))
        if quick is not None and HOPELESS <= quick.score < refine_from and not page.grayscale:
            # Just under the bar in gray: a logo as light as its page may show its contrast along its colours
            # (the full measurement would compare it there).
            coloured = _quick_look(ref, first, coarse_gray, tc, fc, (cx0, cy0), coarse_rgb())
            if coloured is not None and coloured.score > quick.score:
                quick = coloured
        if glance_until is not None or quick is None or quick.score < refine_from:
            if quick is not None and (best is None or quick.score > best.score):
                best = quick
            if glance_until is not None and best is not None and best.score >= glance_until:
                break  # a glance stops at the coarse frame, as soon as one alignment comes close enough
            continue
        # fine frame (<= 160 px): refine angle and scale in small steps near the coarse pose
        if k > 1.3:
            centre = ((pose.ox + pose.width / 2) * k, (pose.oy + pose.height / 2) * k)
            fine_image = edge_strength(crop_gray) if mode == "edges" else crop_gray
            window = (centre[0], centre[1], 2.0 * k + 2)
            fine = _refine_pose(fine_image, ref, tf, pose, window, mode)
            warp = fine.warp(tf) if fine is not None else _scaled_pose(pose, k).warp(tf)
            angle = fine.angle if fine is not None else pose.angle
        else:
            warp, angle = _scaled_pose(pose, k).warp(tf), pose.angle
        m = _measure_pose(page, ref, warp, crop_rgb, crop_gray, tf, ff, (cx0, cy0))
        if m is not None and (best is None or m.score > best.score):
            best = replace(m, angle=angle)
    return best


MIN_SOLID_INK = 24  # pixels of the logo's own ink, at least, for its correlation to mean something


# Two hypotheses of a logo's surroundings (flattened on white, or the page's ground in its gaps) whose summed
# global and weakest-part scores differ by less than this fit alike: the levels decide. Seed 7's c4-013: a
# transparent logo on a flat gray ground (a grayscale page) fitted both ways at 0.968, the white box was kept by
# a hair, and the page's contrast measured against a white box's (gain 0.21) refused the logo as a look-alike
# in other colours.
HYPOTHESES_TIE = 0.02


def _better_hypothesis(
    soft_crop: np.ndarray,
    soft_predicted: np.ndarray,
    soft_flattened: np.ndarray,
    region: np.ndarray,
    tight: tuple[int, int, int, int],
) -> tuple[bool, float, float]:
    """Whether the logo flattened on white explains the page better than the logo over its estimated ground,
    and the better hypothesis's global and weakest-part scores.

    A logo flattened on white shows a white box on a coloured or photographic page, where the ground estimated
    from around the box is wrong. Correlation ignores levels: on a flat ground both hypotheses fit alike (a
    white box, or the ground's own colour in the logo's gaps), and within `HYPOTHESES_TIE` the levels tell
    whether the white box is there.
    """
    global_score, weakest = _compare(soft_crop, soft_predicted, region, tight)
    flat_global, flat_weakest = _compare(soft_crop, soft_flattened, region, tight)
    flat_gain = (flat_global + flat_weakest) - (global_score + weakest)
    flat_better = flat_gain > 0
    if abs(flat_gain) < HYPOTHESES_TIE:
        page_levels = soft_crop[region]
        flat_better = float(np.abs(page_levels - soft_flattened[region]).mean()) < float(
            np.abs(page_levels - soft_predicted[region]).mean()
        )
    return (True, flat_global, flat_weakest) if flat_better else (False, global_score, weakest)


def _placed_box(
    warp: np.ndarray, logo_shape: tuple[int, ...], ff: float, origin: tuple[int, int]
) -> tuple[tuple[float, float, float, float], float]:
    """The page box (pixels) of a logo of `logo_shape` placed by `warp` (crop -> logo) in a crop sampled at
    `ff` from `origin`, and the logo's width along its own axis."""
    inverse = cv2.invertAffineTransform(warp)
    lh, lw = logo_shape[:2]
    corners = np.array([[0, 0], [lw, 0], [0, lh], [lw, lh]], np.float32)
    pts = corners @ inverse[:, :2].T + inverse[:, 2]
    px = pts[:, 0] / ff + origin[0]
    py = pts[:, 1] / ff + origin[1]
    box_px = (float(px.min()), float(py.min()), float(px.max()), float(py.max()))
    return box_px, float(np.hypot(*(inverse[:, 0] * lw))) / ff


def _quick_look(
    ref: ReferenceLogo,
    warp: np.ndarray,
    crop_gray: np.ndarray,
    tf: int,
    ff: float,
    origin: tuple[int, int],
    crop_rgb: np.ndarray | None = None,
) -> Measurement | None:
    """`_measure_pose`'s score and box alone (the first look at the coarse frame).

    In gray: the full measurement predicts the page in colour and compares it in gray, and the gray
    conversion, the warp and the background's normalised blur are all linear, so predicting the gray plane
    directly gives the same score (to float rounding) for a third of the warping and blurring. With
    `crop_rgb`, along the logo's main colour axis instead, as the full measurement does where gray misses most
    of the logo's contrast (`_contrast_axis`; None where gray carries it): a logo as light as its page.
    """
    logo_gray, logo_alpha, logo_rgb = ref.planes(tf)
    size = (crop_gray.shape[1], crop_gray.shape[0])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    a = cv2.warpAffine(logo_alpha, warp, size, flags=flags, borderValue=0)
    footprint = a > 0.05
    if footprint.sum() < 24:
        return None
    ys, xs = np.nonzero(footprint)
    tight = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    region = np.zeros(footprint.shape, bool)
    region[tight[1] : tight[3], tight[0] : tight[2]] = True
    weight = (1.0 - a).astype(np.float32)
    sigma = max(2.0, 0.08 * tf)
    norm = cv2.GaussianBlur(weight, (0, 0), sigma) + 1e-3
    if crop_rgb is None:
        page_plane = crop_gray
        ink = cv2.warpAffine(logo_gray - 255.0 * (1.0 - logo_alpha), warp, size, flags=flags, borderValue=0)
        predicted = ink + weight * (cv2.GaussianBlur(crop_gray * weight, (0, 0), sigma) / norm)
        flattened = ink + weight * 255.0
    else:
        premultiplied = (logo_rgb - 255.0 * (1.0 - logo_alpha[:, :, None])).astype(np.float32)
        ink_rgb = cv2.warpAffine(premultiplied, warp, size, flags=flags, borderValue=(0, 0, 0))
        background = cv2.GaussianBlur(crop_rgb * weight[:, :, None], (0, 0), sigma) / norm[:, :, None]
        predicted_rgb = ink_rgb + weight[:, :, None] * background
        axis = _contrast_axis(predicted_rgb, region)
        if axis is None:
            return None  # gray carries the logo's contrast here: the look in gray stands
        page_plane = crop_rgb @ axis
        predicted = predicted_rgb @ axis
        flattened = (ink_rgb + weight[:, :, None] * 255.0) @ axis
    _, global_score, weakest = _better_hypothesis(
        _soft(page_plane.astype(np.float32)),
        _soft(predicted.astype(np.float32)),
        _soft(flattened.astype(np.float32)),
        region,
        tight,
    )
    box_px, width_px = _placed_box(warp, logo_gray.shape, ff, origin)
    score = (global_score + weakest) / 2.0
    return Measurement(ref, score, global_score, weakest, None, box_px, width_px, busy=False)


def _measure_pose(
    page: PreparedPage,
    ref: ReferenceLogo,
    warp: np.ndarray,
    crop_rgb: np.ndarray,
    crop_gray: np.ndarray,
    tf: int,
    ff: float,
    origin: tuple[int, int],
) -> Measurement | None:
    """Compare the page with the logo placed by `warp` (crop -> logo coordinates), in gray and colour."""
    logo_gray, logo_alpha, logo_rgb = ref.planes(tf)
    size = (crop_gray.shape[1], crop_gray.shape[0])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    ink = (logo_rgb - 255.0 * (1.0 - logo_alpha[:, :, None])).astype(np.float32)  # premultiplied colour
    a = cv2.warpAffine(logo_alpha, warp, size, flags=flags, borderValue=0)
    ink_w = cv2.warpAffine(ink, warp, size, flags=flags, borderValue=(0, 0, 0))
    footprint = a > 0.05
    if footprint.sum() < 24:
        return None
    ys, xs = np.nonzero(footprint)
    tight = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    # What the page should look like if this logo sits here: its ink over the local background, the
    # background estimated from the pixels around and between the logo's strokes (normalised convolution).
    weight = (1.0 - a).astype(np.float32)
    sigma = max(2.0, 0.08 * tf)
    background = cv2.GaussianBlur(crop_rgb * weight[:, :, None], (0, 0), sigma) / (
        cv2.GaussianBlur(weight, (0, 0), sigma)[:, :, None] + 1e-3
    )
    predicted = ink_w + (1.0 - a[:, :, None]) * background
    region = np.zeros(footprint.shape, bool)
    region[tight[1] : tight[3], tight[0] : tight[2]] = True  # the whole box: extra ink of a look-alike counts
    soft_crop = _soft(crop_gray)
    # the predicted appearance in the plane compared: gray, or a colour axis (below)
    predicted_plane = cv2.cvtColor(predicted.astype(np.float32), cv2.COLOR_RGB2GRAY)
    soft_predicted = _soft(predicted_plane)
    flattened = ink_w + (1.0 - a[:, :, None]) * 255.0
    flattened_gray = cv2.cvtColor(flattened.astype(np.float32), cv2.COLOR_RGB2GRAY)
    soft_flattened = _soft(flattened_gray)
    flat_better, global_score, weakest = _better_hypothesis(
        soft_crop, soft_predicted, soft_flattened, region, tight
    )
    if flat_better:
        predicted = flattened
        predicted_plane, soft_predicted = flattened_gray, soft_flattened
    soft_ink_crop = soft_crop  # the logo's own ink is compared in gray (below)
    crop_plane = crop_gray  # the plane compared: gray, or the colour axis below
    axis = None if page.grayscale else _contrast_axis(predicted, region)
    if axis is not None:
        # A colour logo about as light as its background (purple on blue) is all but invisible in gray: its
        # contrast lies along another colour axis, on which both sides are compared instead.
        predicted_plane = predicted.astype(np.float32) @ axis
        crop_plane = crop_rgb @ axis
        soft_crop, soft_predicted = _soft(crop_plane), _soft(predicted_plane)
        global_score, weakest = _compare(soft_crop, soft_predicted, region, tight)
    mask = a > 0.6
    busy = _busy(crop_gray, mask)
    compared = region
    box_score = (global_score + weakest) / 2.0
    if busy:
        # A busy background (text, a photograph) shows through a transparent logo's empty parts, where the
        # background estimated from around the strokes is a blur of it: there the comparison measures the
        # background, not the logo. On such a page the logo is compared on its own footprint (2 px around
        # its strokes), when that fits better.
        near = region & (cv2.dilate(footprint.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
        near_global, near_weakest = _compare(soft_crop, soft_predicted, near, tight)
        if near_global + near_weakest > global_score + weakest:
            global_score, weakest, compared = near_global, near_weakest, near
    score = (global_score + weakest) / 2.0

    box_px, width_px = _placed_box(warp, logo_gray.shape, ff, origin)
    colour = part_colour = None
    if not page.grayscale and mask.sum() >= 12:
        colour, part_colour = _colour_distance(
            crop_rgb, np.clip(predicted, 0, 255).astype(np.float32), mask, tight
        )
    # Faint parts (a wordmark in low contrast on this background) are left out of the weakest part, as JPEG
    # noise decides there; but between two versions of one logo that differ in the wordmark they are all
    # the difference there is: the fine score keeps them, to rank the versions.
    fine = _parts_score(soft_crop, soft_predicted, compared, tight, min_share=FINE_PART_MIN_SHARE)
    fine_score = (global_score + fine) / 2.0
    # The logo's own ink alone: whatever shows through its transparent parts (photograph, text) is ignored.
    # Eroded, so that the pixels compared are the ink's, not its edges blended with the page. A logo drawn in
    # thin strokes (a ring, letters) keeps nothing once eroded at 5-6 % of the page width: its opaque pixels
    # are compared as they are (`_ink_match` blurs both sides and tries one-pixel shifts). Seed 7's c6-018, a
    # ring and letters 77 px wide on a photograph, was refused with an ink score of 0 and fits at 0.998 so.
    opaque = a > 0.9
    solid = cv2.erode(opaque.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if solid.sum() < MIN_SOLID_INK:
        solid = opaque
    ink_score: float | None = 0.0  # a fit too thin to keep any ink at all proves nothing
    if solid.sum() >= MIN_SOLID_INK:
        ink_score = (
            None  # a one-colour logo: its ink alone has nothing to correlate, which is no mismatch
            if float(soft_flattened[solid].std()) < MIN_INK_STD
            else _ink_match(soft_ink_crop, soft_flattened, solid, tight)
        )
    # Correlation ignores contrast; a look-alike whose emblem has other colours keeps the shapes but not
    # the light-dark values, which is what decides on a grayscale page.
    spread = float(predicted_plane[compared].std())
    gain = float(soft_crop[compared].std()) / spread if spread > 1.0 else None
    # The page's background alone, sampled two pixels or more away from the logo's footprint: a fit a pixel
    # or two off leaves a sliver of the logo's own ink outside the footprint, whose colours, spread over the
    # logo's place by the blur, made the background alone "explain" the logo. Seed 41's c2-039 (an orange
    # disc and a green star on purple, JPEG quality 32): the background scored 0.92 against the fit's 0.88,
    # 0.62 sampled so.
    far = (1.0 - cv2.dilate(a, np.ones((5, 5), np.uint8))).astype(np.float32)
    # blurred in the plane compared only: the blur, like the gray conversion or the colour axis, is linear
    background_plane = cv2.GaussianBlur(crop_plane * far, (0, 0), sigma) / (
        cv2.GaussianBlur(far, (0, 0), sigma) + 1e-3
    )
    background_global, background_weakest = _compare(soft_crop, _soft(background_plane), compared, tight)
    return Measurement(
        ref,
        score,
        global_score,
        weakest,
        colour,
        box_px,
        width_px,
        busy,
        ink_score,
        gain,
        fine_score,
        part_colour,
        box_score=box_score,
        background_score=(background_global + background_weakest) / 2.0,
        edge_gain=_edge_gain(soft_crop, soft_predicted, compared, gain),
    )


def _edge_gain(
    page: np.ndarray, predicted: np.ndarray, region: np.ndarray, contrast_gain: float | None
) -> float | None:
    """The page's edge strength where the predicted logo's edges are strongest, relative to the logo's,
    per unit of contrast gain (None when either cannot be measured).

    The page's gradient is taken at its strongest within a pixel around (a fit a pixel off, JPEG).
    """
    logo = gradient_magnitude(predicted)
    inside = logo[region]
    if not contrast_gain or inside.size < 24 or float(inside.max()) < 1.0:
        return None
    strong = region & (logo >= 0.5 * float(inside.max()))
    page_edges = cv2.dilate(gradient_magnitude(page), np.ones((3, 3), np.uint8))
    return float(np.median(page_edges[strong])) / float(np.median(logo[strong])) / contrast_gain


# How much more a logo's colours must spread along their main axis than along gray for that axis to be used:
# 2 lost a logo on seed 5 (an emblem's chroma drowned the wordmark's lightness, which told two versions apart);
# the logos it found on seed 9 spread 3.05-4.05 times more (bench/RESULTS.md).
COLOUR_AXIS_RATIO = 3.0
MIN_COLOUR_SPREAD = 8.0  # levels: a logo whose colours spread less than this has no contrast to follow
_GRAY_AXIS = np.array([0.299, 0.587, 0.114]) / np.linalg.norm([0.299, 0.587, 0.114])


def _contrast_axis(predicted: np.ndarray, region: np.ndarray) -> np.ndarray | None:
    """The colour axis along which the predicted appearance varies most, when gray misses most of it.

    None when gray carries the contrast (the usual case): the axis is used only where the logo's colours
    spread at least COLOUR_AXIS_RATIO times more along it than along the gray axis.
    """
    pixels = predicted[region].reshape(-1, 3).astype(np.float64)
    if len(pixels) < 24:
        return None
    centred = pixels - pixels.mean(axis=0)
    # Not np.cov: its BLAS product splits the sum over pixels between threads, and the rounding then varies
    # from run to run (two runs of the same drafts gave different evidence on 4 of 54); einsum's own loop
    # adds in one order.
    cov = np.einsum("ni,nj->ij", centred, centred) / (len(pixels) - 1)
    values, vectors = np.linalg.eigh(cov)
    spread = math.sqrt(max(0.0, float(values[-1])))
    gray_spread = math.sqrt(max(0.0, float(_GRAY_AXIS @ cov @ _GRAY_AXIS)))
    if spread < MIN_COLOUR_SPREAD or spread < COLOUR_AXIS_RATIO * gray_spread:
        return None
    axis: np.ndarray = vectors[:, -1].astype(np.float32)
    return axis


INK_SHIFT = 1


def _ink_match(
    crop: np.ndarray, logo: np.ndarray, solid: np.ndarray, box: tuple[int, int, int, int]
) -> float:
    """How well the page matches the logo on its solid ink: the worse of the global and weakest-part scores.

    Eroded strokes are a pixel or two wide at this size, and a fit one pixel off (JPEG, rounding of the
    pose) halves their correlation: the best of the page shifted by up to INK_SHIFT pixels is kept. A
    different emblem or acronym does not fit any better one pixel away.
    """
    parts = _LogoParts.of(logo, solid, box, PART_MIN_SHARE)
    ys, xs = np.nonzero(solid)
    ink = logo[ys, xs]
    h, w = crop.shape[:2]
    best = -1.0
    for dy in range(-INK_SHIFT, INK_SHIFT + 1):
        for dx in range(-INK_SHIFT, INK_SHIFT + 1):
            # the page moved by (dy, dx), as np.roll has it: only the pixels compared are gathered
            shifted = crop[(ys - dy) % h, (xs - dx) % w]
            weakest = 0.0 if parts is None else parts.worst(crop[(parts.ys - dy) % h, (parts.xs - dx) % w])
            best = max(best, min(_zncc(shifted, ink), weakest))
    return best


def _busy(crop_gray: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the page around the logo's ink is busy (text, a photograph): strong Laplacian texture in a ring."""
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    return bool(ring.sum() > 30 and float(cv2.Laplacian(crop_gray, cv2.CV_32F)[ring].std()) > 18.0)


def _soft(gray: np.ndarray) -> np.ndarray:
    """The light blur both sides of every comparison get (JPEG ringing, sub-pixel misalignment)."""
    soft: np.ndarray = cv2.GaussianBlur(gray, (0, 0), 0.7)
    return soft


def _compare(
    soft_crop: np.ndarray, soft_predicted: np.ndarray, region: np.ndarray, tight: tuple[int, int, int, int]
) -> tuple[float, float]:
    """Global and weakest-part correlation of the page with a predicted appearance of the logo (gray)."""
    return _zncc(soft_crop[region], soft_predicted[region]), _parts_score(
        soft_crop, soft_predicted, region, tight
    )


def _colour_distance(
    crop_rgb: np.ndarray, logo_rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[float, float]:
    """Colour distance between page and logo (ΔE, lightness weighed lightly): overall, and worst part.

    `mask` lies inside `box` (the tight box of the logo's footprint), which the parts divide.
    """
    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inner.sum() < 12:
        inner = mask
    a = cv2.cvtColor((cv2.GaussianBlur(crop_rgb, (0, 0), 1.2) / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab)[
        inner
    ]
    b = cv2.cvtColor((cv2.GaussianBlur(logo_rgb, (0, 0), 1.2) / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab)[
        inner
    ]
    # Lightness shifts with scanning and JPEG; hue and saturation identify the version. Weigh L lightly.
    diff = np.sqrt(0.25 * (a[:, 0] - b[:, 0]) ** 2 + (a[:, 1] - b[:, 1]) ** 2 + (a[:, 2] - b[:, 2]) ** 2)
    overall = float(np.percentile(diff, 60))
    # The same, part by part: a wordmark in other colours is a small share of the logo's pixels.
    x0, y0, x1, y1 = box
    labels, parts, _ = _part_labels(box)
    label = labels[inner[y0:y1, x0:x1]]
    worst = 0.0
    for p in range(parts):
        part = diff[label == p]
        if part.size >= 24:
            worst = max(worst, float(np.median(part)))
    return overall, worst


Anchor = tuple[float, float, float, float]  # a part of a logo: x0, y0, x1, y1 in fractions of the logo


@dataclass
class ReferenceSet:
    """Every reference logo of a convention, with which ones are rivals of which (same party, other version)."""

    refs: list[ReferenceLogo]
    colour_only_rival: dict[str, bool]
    # whether a colour back-projection can look for the logo (`_saturated_ink`), by reference name
    colours_searchable: dict[str, bool]
    _main_words: dict[str, wordmark.MainWord | None] = field(default_factory=dict)
    _guessed_words: dict[str, wordmark.MainWord | None] = field(default_factory=dict)
    _anchors: dict[str, tuple[Anchor | None, Anchor | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, refs: list[ReferenceLogo]) -> ReferenceSet:
        colour_only: dict[str, bool] = {}
        for ref in refs:
            flag = False
            for other in refs:
                if other is ref or other.party != ref.party or other.version is ref.version:
                    continue
                if abs(other.aspect - ref.aspect) > 0.1 * ref.aspect:
                    continue
                size = (ref.width, ref.height)
                g = cv2.resize(other.gray, size, interpolation=cv2.INTER_AREA)
                m = ref.alpha > 0.5
                lab = cv2.resize(other.lab, size, interpolation=cv2.INTER_AREA)
                de = float(np.median(np.linalg.norm(lab[m] - ref.lab[m], axis=1)))
                if _zncc(g[m], ref.gray[m]) > 0.85 and de > 12.0:
                    flag = True
            colour_only[ref.name] = flag
        searchable = {ref.name: _saturated_ink(_hsv8(ref.rgb), ref.alpha) is not None for ref in refs}
        return cls(refs, colour_only, searchable)

    def rivals(self, ref: ReferenceLogo) -> list[ReferenceLogo]:
        return [r for r in self.refs if r is not ref and r.party == ref.party]

    def anchors(self, ref: ReferenceLogo) -> tuple[Anchor | None, Anchor | None]:
        """The boxes of the reference's emblem and of its name (fractions of the logo; None when it has none),
        found from its ink alone: where two versions of a logo laid out apart share a part."""
        if ref.name not in self._anchors:
            word = wordmark.word_place(ref.rgb, ref.alpha)
            self._anchors[ref.name] = (
                wordmark.emblem_box(ref.rgb, ref.alpha),
                word.box if word is not None else None,
            )
        return self._anchors[ref.name]

    def main_word(self, ref: ReferenceLogo, reader: wordmark.WordReader) -> wordmark.MainWord | None:
        """The reference's main word (read once per reference set), or only its place when none was read."""
        if ref.name not in self._main_words:
            self._main_words[ref.name] = wordmark.main_word(
                ref.rgb, ref.alpha, reader
            ) or wordmark.word_place(ref.rgb, ref.alpha)
        return self._main_words[ref.name]

    def guessed_word(self, ref: ReferenceLogo, reader: wordmark.WordReader) -> wordmark.MainWord | None:
        """The reference's main word read whatever Tesseract's confidence ("PNVBEN" at 27 for PNVBN): not
        sure enough to look for on a page, but enough to tell that another version is not this name."""
        if ref.name not in self._guessed_words:
            self._guessed_words[ref.name] = wordmark.main_word(ref.rgb, ref.alpha, reader, min_confidence=0.0)
        return self._guessed_words[ref.name]


def read_wordmark(
    page: PreparedPage,
    refs: ReferenceSet,
    ev: LogoEvidence,
    m: Measurement,
    rival: Measurement | None = None,
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
) -> LogoEvidence:
    """The evidence with the wordmark read, when the policy would accept it otherwise (else unchanged).

    When it would be accepted but for another version of the same logo scoring as well, and the two
    versions bear different names, the rival's name is read at its own place too: the names settle the tie.
    A fit only worth showing has its name compared as a shape, never read (Tesseract is dear): a look-alike's
    whole place often fits only so-so while the logo scaled into its emblem fits well, with a name too small
    to compare, and the unlike name of the whole place is what refutes it (`_contradicted_places`).
    """
    tie = rival is not None and version_tie(ev, thresholds)
    to_read = tie or would_accept(ev, thresholds)
    if not (to_read or worth_showing(ev, thresholds)):
        return ev
    reader = wordmark.reader()
    word = refs.main_word(m.ref, reader) if reader is not None else None
    if reader is None or word is None:
        return ev
    read = (
        wordmark.read_on_page(page.gray_levels[0], _placement(m), word, reader, _colours(page))
        if to_read and word.text
        else None  # only worth showing, or a name Tesseract could not read on the reference itself
    )
    # Nothing legible, or another word read: the word's letters are compared as shapes too (another acronym
    # has others; a name misread has its own).
    shape = (
        wordmark.word_shape(page.gray_levels[0], _placement(m), word, m.ref.gray, _colours(page))
        if read is not True
        else None
    )
    ev = replace(
        ev, wordmark_read=read, wordmark_shape=shape, wordmark_unchecked=read is not True and shape is None
    )
    if tie and rival is not None and read is not None:
        rival_word = refs.main_word(rival.ref, reader)
        if read and rival_word is not None and not rival_word.text:
            # This logo's own name was read here; the rival's, unsure even on its own file, is looked for
            # as Tesseract guessed it there: another word read surely in its place says it is not there.
            rival_word = refs.guessed_word(rival.ref, reader)
        if rival_word is not None and rival_word.text and not wordmark.same_name(rival_word.text, word.text):
            rival_read = wordmark.read_on_page(
                page.gray_levels[0], _placement(rival), rival_word, reader, _colours(page)
            )
            ev = replace(ev, rival_wordmark_read=rival_read is True)
    return ev


def _colours(page: PreparedPage) -> np.ndarray | None:
    """The page's colours for reading a name in colour (None on a grayscale page: gray is all there is)."""
    return None if page.grayscale else page.rgb


def _placement(m: Measurement) -> wordmark.Placement:
    x0, y0, x1, y1 = m.box_px
    return wordmark.Placement((x0 + x1) / 2, (y0 + y1) / 2, m.width_px, m.ref.aspect, m.angle)


def _best_rival(
    refs: ReferenceSet,
    m: Measurement,
    fits: Callable[[ReferenceLogo], Iterable[Measurement | None]],
) -> Measurement | None:
    """The other version of `m`'s logo that best fits where `m` was found (None when `m` is too weak to care).

    `fits` measures a version at its placements there. They are ranked over the whole box, not on a busy
    background's footprint-only score: placed at a wrong size, a version leaves ink unexplained there, which
    its footprint does not see.
    """
    if not _rival_worthy(m):
        return None
    best: Measurement | None = None
    for other in refs.rivals(m.ref):
        for r in fits(other):
            if r is not None and (best is None or _whole_box(r) > _whole_box(best)):
                best = r
    return best


def _whole_box(m: Measurement) -> float:
    return m.box_score if m.box_score is not None else m.score


def _evidence(
    page: PreparedPage,
    m: Measurement,
    rival: Measurement | None,
    colour_only: bool,
) -> LogoEvidence:
    x0, y0, x1, y1 = m.box_px
    box: Box = (
        max(0.0, x0 / page.width),
        max(0.0, y0 / page.height),
        min(1.0, x1 / page.width),
        min(1.0, y1 / page.height),
    )
    return LogoEvidence(
        party=m.ref.party,
        version=m.ref.version,
        score=m.score,
        rival_score=rival.score if rival is not None else -1.0,
        colour_distance=m.colour_distance,
        page=page.number,
        box=box,
        width_mm=m.width_px / page.width * page.width_mm,
        grayscale_page=page.grayscale,
        colour_only_rival=colour_only,
        busy_background=m.busy,
        rival_party=rival.ref.party if rival is not None else None,
        rival_colour_distance=rival.colour_distance if rival is not None else None,
        rival_part_colour_distance=rival.part_colour_distance if rival is not None else None,
        fine_score=m.fine_score,
        rival_fine_score=rival.fine_score if rival is not None else None,
        rival_ink_score=rival.ink_score if rival is not None else None,
        contrast_gain=m.contrast_gain,
        ink_score=m.ink_score,
        part_colour_distance=m.part_colour_distance,
        background_score=m.background_score,
        edge_gain=m.edge_gain,
    )


def _rival_worthy(m: Measurement, t: LogoThresholds = DEFAULT_THRESHOLDS) -> bool:
    """A rival only matters to a match the policy could accept, within its margin of rivals: counting on its
    name's shapes (compared later, `read_wordmark`) to be the name's."""
    accept = acceptance_score(
        m.score, ink=m.ink_score, background=m.background_score, busy=m.busy, named=True, thresholds=t
    )
    return m.score >= accept - t.margin


def _rival_placements(
    box: tuple[float, float, float, float], aspect: float
) -> list[tuple[float, float, float]]:
    """Where to fit a rival version into the box found for a logo: (x, y, width) top-left placements.

    The same width, centred; and, when the rival's proportions differ (a longer wordmark beside the same
    emblem), the same height, from the same left edge and centred: otherwise the rival would be measured
    at a wrong size and lose to the logo it should have beaten.
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    placements = [(x0, (y0 + y1) / 2 - width * aspect / 2, width)]
    by_height = height / aspect
    if abs(by_height - width) > 0.1 * width:
        placements += [(x0, y0, by_height), ((x0 + x1) / 2 - by_height / 2, y0, by_height)]
    return placements


# Two placements of a rival closer than this (in scale, and in centre offset over the width) are one: the
# alignment reaches that far by itself.
SAME_PLACEMENT = 0.06


def _anchored_placements(
    m: Measurement,
    own: tuple[Anchor | None, Anchor | None],
    other: tuple[Anchor | None, Anchor | None],
    aspect: float,
) -> list[tuple[float, float, float]]:
    """Placements of a rival version that put its emblem on the emblem of the logo found, or its name on the
    name (same height, same centre), where those differ from the whole box's (`_rival_placements`).

    Two versions drawn with the same emblem (or name) but laid out apart: seed 7's c7-008 showed an obsolete
    version whose emblem is a sixth smaller beside the same name; the current logo scaled to fit that emblem
    scored 0.98, the obsolete version measured in the current's box (a sixth too narrow, beyond the
    alignment's reach) 0.94 and lost, where at its own place it fits at 0.97 and better in its faint parts.
    """
    x0, y0, x1, y1 = m.box_px
    w = m.width_px
    h = w * m.ref.aspect
    left, top = (x0 + x1) / 2 - w / 2, (y0 + y1) / 2 - h / 2
    whole = (x0 + x1) / 2, (y0 + y1) / 2
    placements: list[tuple[float, float, float]] = []
    for a, b in zip(own, other, strict=True):
        if a is None or b is None:
            continue
        width = (a[3] - a[1]) * h / ((b[3] - b[1]) * aspect)
        cx, cy = left + (a[0] + a[2]) / 2 * w, top + (a[1] + a[3]) / 2 * h
        x, y = cx - (b[0] + b[2]) / 2 * width, cy - (b[1] + b[3]) / 2 * width * aspect
        centre = x + width / 2, y + width * aspect / 2
        if abs(width / w - 1.0) < SAME_PLACEMENT and math.dist(centre, whole) < SAME_PLACEMENT * w:
            continue  # the whole box's placement measures it already
        if any(
            abs(width / p[2] - 1.0) < SAME_PLACEMENT and math.dist((x, y), p[:2]) < SAME_PLACEMENT * w
            for p in placements
        ):
            continue
        placements.append((x, y, width))
    return placements


def verify(
    page: PreparedPage,
    refs: ReferenceSet,
    cand: _Candidate,
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
    *,
    widths: Sequence[float] = (1.0,),
) -> list[LogoEvidence]:
    """Measure a candidate against its rivals, at each of `widths` times its width (same centre, best kept).

    The candidate's evidence comes first. When an obsolete version of its logo explains that place about as
    well or better (within the policy's margin) and the policy accepts it there, that version's evidence
    follows, measured already as the rival: an obsolete version shown is then found where the current logo
    was looked for, whatever that version's own proposals were (seed 7's c7-008: obsolete versions are
    searched with 4 proposals over all sizes, and smaller places took all 4).
    """
    m: Measurement | None = None
    cx, cy = cand.x + cand.width / 2, cand.y + cand.width * cand.ref.aspect / 2
    for k in widths:
        w = cand.width * k
        at = measure(page, cand.ref, cx - w / 2, cy - w * cand.ref.aspect / 2, w)
        if at is not None and (m is None or at.score > m.score):
            m = at
    if m is None:
        return []
    # A rival matters only within the policy's margin of the fit: one whose first look falls further under
    # than a refined alignment ever gained over it is left at its quick score.
    hopeless = max(QUICK_REJECT, m.score - thresholds.margin - REFINEMENT_GAIN)
    rival = _best_rival(
        refs,
        m,
        lambda other: (
            measure(page, other, *p, refine_from=hopeless)
            for p in _rival_placements(m.box_px, other.aspect)
            + _anchored_placements(m, refs.anchors(m.ref), refs.anchors(other), other.aspect)
        ),
    )

    def judged(fit: Measurement, against: Measurement | None) -> LogoEvidence:
        colour_only = refs.colour_only_rival.get(fit.ref.name, False)
        return read_wordmark(page, refs, _evidence(page, fit, against, colour_only), fit, against, thresholds)

    ev = judged(m, rival)
    if (
        rival is None
        or rival.ref.version is not LogoVersion.OBSOLETE
        or rival_margin(ev, thresholds) >= thresholds.margin
    ):
        return [ev]
    other = judged(rival, m)
    # Only a proof is kept: measured where the current logo was looked for, and not searched for itself, a
    # mere tie of that version would weigh on other parties' logos at that place (`exclusive`) unasked.
    return [ev, other] if would_accept(other, thresholds) else [ev]


# How far under a proof's score a candidate of another party may glance at its place and still be verified
# there. Quick scores are the coarse frame's: under the full measurement's by 0.24 or less for 99 % of seed
# 31's alignments, at worst by 0.57 (bench/RESULTS.md).
HELD_GLANCE_MARGIN = 0.25
# A wide logo keeps its template's height by being searched at half resolution (`MIN_TEMPLATE_HEIGHT`), where a
# correlation costs four times one at the quarter level and most of the proposal ladder's time (seed 7: 470 of
# 585 ms/page). A party's best candidate from the quarter level and coarser is verified first: a logo proven
# there is not searched at half resolution.
COARSE_FIRST_LEVEL = 2


def detect_on_page(
    page: PreparedPage,
    refs: ReferenceSet,
    *,
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
    skip_parties: frozenset[str] = frozenset(),
    coarse_only: frozenset[str] = frozenset(),
    exhaustive: bool = False,
    min_width_mm: Mapping[str, float] | None = None,
) -> list[LogoEvidence]:
    """Evidence for every current logo (and, for parties not clearly found, their obsolete versions).

    `skip_parties` are not searched (proven on this page already, by its PDF image objects). Parties in
    `coarse_only` get their best candidate from the coarse levels verified and no more (a document's first
    look at each page, or a party proven on another page): where their logo is on this page it is mostly
    proven so, and then holds its place against another party's fit (`outranks`); where it is not, no finer
    level nor further stage runs for them (every stage costs ~0.5 s for a party not on the page).

    A party's search stops at the first candidate the policy accepts conclusively at no less than the
    party's legible width (`min_width_mm`; unless `exhaustive`); logos under
    ~5 % of the page width are searched only for parties still missing after the first pass.
    A logo whose edge proposals all failed gets more tries: a colour logo from its edges alone (without
    the chroma a colourful photograph drowns) and from colour back-projection; any logo from its own ink.
    Every party's best candidate is verified before any party's next ones, first the best from the coarse
    pyramid levels alone (`COARSE_FIRST_LEVEL`): most logos are proven there, and a place another party's
    logo is proven at is then not verified again for the others (`holds`, unless the candidate comes close
    there at a glance): a fifth of the verification time on seed 31.
    Proposals are kept for the page: a party searched again (`outranked`) is not proposed twice.
    """
    evidence: list[LogoEvidence] = []
    as_rivals: list[LogoEvidence] = []  # obsolete versions found as a candidate's rival (`verify`)
    verified: dict[tuple[object, ...], LogoEvidence | None] = {}
    found: set[str] = set(skip_parties)
    proposed: dict[tuple[str, tuple[float, float], int, int], list[_Candidate]] = {}

    def search(
        ref: ReferenceLogo,
        sizes: tuple[float, float],
        limit: int,
        *,
        first_only: bool = False,
        min_level: int = 0,
    ) -> None:
        key = (ref.name, sizes, limit, min_level)
        if key not in proposed:
            proposed[key] = propose(page, ref, sizes=sizes, limit=limit, min_level=min_level)
        first = proposed[key]
        if first_only:
            if first:
                settles(first[0])
            return
        if any(settles(cand) for cand in first):
            return
        # every candidate verified so far, at the widths it was verified at (logo widths, page pixels)
        tried: list[tuple[_Candidate, list[float]]] = [(cand, [cand.width]) for cand in first]

        def settles_untried(
            cands: Iterable[_Candidate], widths: Sequence[float] = (1.0,), apart: float = 0.3
        ) -> bool:
            """The first of `cands` that settles the party, each verified only at the widths no candidate tried
            before covered about its box (`apart`) and within the alignment's reach of scale."""
            for cand in cands:
                covered = [
                    w for k, ws in tried if box_iou(_cand_box(cand), _cand_box(k)) >= apart for w in ws
                ]
                left = [k for k in widths if not any(_within_scale_reach(cand.width * k, w) for w in covered)]
                if left and settles(cand, left):
                    return True
                tried.append((cand, [cand.width * k for k in left]))
            return False

        if _uses_chroma(page, ref, sizes):
            # The chroma planes compare the whole window: on a colourful photograph the background's colours
            # under a transparent logo decorrelate it (0.38 where its edges alone correlate at 0.98).
            if settles_untried(propose(page, ref, sizes=sizes, limit=EDGE_ONLY_PROPOSALS, chroma=False)):
                return
            # Then the places whose colours are the logo's.
            if settles_untried(_colour_proposals(page, ref, sizes)):
                return
        if sizes[0] >= FIRST_PASS_FRACTION:
            # Last resort: the places where the logo's own ink is, whatever the background.
            # Verified wider too, an ink proposal is skipped only where a tried candidate had about its box.
            # Not at half resolution where its edges alone and its colours were searched.
            looked = _uses_chroma(page, ref, sizes) and refs.colours_searchable[ref.name]
            ink = _ink_proposals(page, ref, sizes, min_level=INK_MIN_LEVEL_AFTER_COLOURS if looked else 1)
            settles_untried(ink, INK_WIDTHS, apart=0.5)

    def settles(cand: _Candidate, widths: Sequence[float] = (1.0,)) -> bool:
        key = (cand.ref.name, round(cand.x), round(cand.y), round(cand.width), tuple(widths))
        if key in verified:  # searched again (see `outranked`): the same candidate, the same evidence
            ev = verified[key]
        elif not exhaustive and held(cand, widths):
            return False  # another party's logo is proven there: not worth a verification
        else:
            found_there = verify(page, refs, cand, thresholds, widths=widths)
            evidence.extend(found_there)
            as_rivals.extend(found_there[1:])
            ev = verified[key] = found_there[0] if found_there else None
        if ev is None:
            return False
        if not exhaustive and proves(ev):
            found.add(cand.ref.party)
            return True  # a clear match: the other candidates cannot change the verdict
        return False

    def proves(ev: LogoEvidence) -> bool:
        return (
            ev.version is LogoVersion.CURRENT
            and is_conclusive(ev, thresholds, (min_width_mm or {}).get(ev.party, 0.0))
            # a place another party's logo holds better is no proof (`exclusive` gives it that rival)
            and not any(outranks(other, ev, thresholds) for other in evidence)
        )

    def held(cand: _Candidate, widths: Sequence[float]) -> bool:
        """Whether another party's logo is proven where `cand` lies, and `cand` does not even come close there
        at a glance: then it is not worth a verification. A glance, not a skip outright: a near twin of
        that logo (the same with a bar more) fitted there at 0.97 while its own party's logo was the one
        shown (0.98); that party must still be able to outrank it (`outranks`)."""
        x0, y0, x1, y1 = _cand_box(cand)
        box = (x0 / page.width, y0 / page.height, x1 / page.width, y1 / page.height)
        holding = [
            ev for ev in evidence if holds(ev, cand.ref.party, page.number, box, thresholds) and proves(ev)
        ]
        if not holding:
            return False
        enough = max(ev.score for ev in holding) - HELD_GLANCE_MARGIN
        cx, cy = cand.x + cand.width / 2, cand.y + cand.width * cand.ref.aspect / 2
        for k in widths:
            w = cand.width * k
            if glance(page, cand.ref, cx - w / 2, cy - w * cand.ref.aspect / 2, w, enough) >= enough:
                return False
        return True

    def search_current(parties: set[str]) -> None:
        first = (FIRST_PASS_FRACTION, MAX_FRACTION)
        # Every party's best candidate first: most logos are proven there, and the places they hold are not
        # verified again for the other parties' next candidates (`holds`). The coarse levels' best first:
        # a logo proven there needs no search at the finer ones (`COARSE_FIRST_LEVEL`).
        for min_level in (COARSE_FIRST_LEVEL, 0):
            for ref in refs.refs:
                if ref.version is LogoVersion.CURRENT and ref.party in parties and ref.party not in found:
                    search(ref, first, CANDIDATES_PER_REFERENCE, first_only=True, min_level=min_level)
            found.update(coarse_only)  # their coarse look is all they get
        for sizes in (first, (MIN_FRACTION, FIRST_PASS_FRACTION)):
            for ref in refs.refs:
                if ref.version is LogoVersion.CURRENT and ref.party in parties and ref.party not in found:
                    search(ref, sizes, CANDIDATES_PER_REFERENCE if sizes[1] == MAX_FRACTION else 3)

    search_current({ref.party for ref in refs.refs})
    # A proof that a party searched later outranks at its place proves nothing: that party searches again.
    outranked = {
        p
        for p in found - skip_parties - coarse_only
        if not any(ev.party == p and proves(ev) for ev in evidence)
    }
    found -= outranked
    search_current(outranked)
    for ref in refs.refs:
        if ref.version is LogoVersion.OBSOLETE and ref.party not in found:
            search(ref, (MIN_FRACTION, MAX_FRACTION), 4)
    # An obsolete version found as a rival stands only if it beats every fit of the current logo at its place.
    tied = {id(o) for o in as_rivals if any(ties_current(o, c, thresholds) for c in evidence)}
    return exclusive([e for e in evidence if id(e) not in tied], thresholds)


# An image object is compared, as a thumbnail, with every reference of its shape; only those that correlate
# nearly as well as the best are measured (their rivals are measured as rivals anyway). On seed 31's PDFs
# (112 image objects, 93 of them logos measured at 0.9 or more) the logo's own reference was the best
# thumbnail or 0.06 under it (its obsolete version, kept too); 286 measurements instead of 909, the others
# being other parties' logos fitted at up to 0.77 to that image, which the policy then set aside
# (bench/RESULTS.md).
EMBEDDED_THUMBNAIL = 48
EMBEDDED_SHORTLIST = 0.25
# An image object covering more than this share of the page is a photograph or a flattened poster, never one
# logo (at most 70 % of the width): the rendering path looks inside it, the fast path does not extract it.
MAX_EMBEDDED_AREA = 0.5


def _shortlist(content: np.ndarray, refs: list[ReferenceLogo]) -> list[ReferenceLogo]:
    """The references worth measuring on an image object's content (RGB on white), in their order.

    A full measurement costs 10-50 ms per reference; a thumbnail correlation a few microseconds. Whatever
    the thumbnails say, the best is always measured: the verdict stays the measurement's.
    """
    gray = cv2.cvtColor(content.astype(np.float32), cv2.COLOR_RGB2GRAY)
    scores = []
    for ref in refs:
        thumbnail = ref.planes(EMBEDDED_THUMBNAIL)[0]  # the logo on white, in gray
        size = (thumbnail.shape[1], thumbnail.shape[0])
        scores.append(_zncc(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), thumbnail))
    best = max(scores)
    return [ref for ref, score in zip(refs, scores, strict=True) if score >= best - EMBEDDED_SHORTLIST]


def match_embedded(
    rgba: np.ndarray,
    box: Box,
    page_number: int,
    page_width_mm: float,
    page_height_mm: float,
    refs: ReferenceSet,
    thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
) -> list[LogoEvidence]:
    """Compare a PDF image object directly with every reference of a similar shape (the PDF fast path)."""
    # Match at working resolution: the logo's size on the page, not the image's native pixel count
    # (a full-page photograph can be several thousand pixels wide: shrink it before anything else).
    image_w_mm = (box[2] - box[0]) * page_width_mm
    # Never wider than fits the working width once padded (pad 0.2 on each side): prepare_page would
    # shrink the padded image again and the coordinates below would point elsewhere.
    target_w = max(16.0, min(float(rgba.shape[1]), image_w_mm / 210.0 * WORK_WIDTH * 1.5, WORK_WIDTH / 1.45))
    if target_w < rgba.shape[1]:
        f = target_w / rgba.shape[1]
        size = (max(8, round(rgba.shape[1] * f)), max(8, round(rgba.shape[0] * f)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    alpha = rgba[:, :, 3].astype(np.float32) / 255.0
    small = rgba[:, :, :3].astype(np.float32) * alpha[:, :, None] + 255.0 * (1.0 - alpha[:, :, None])
    visible = (alpha > 0.15) & (np.abs(small - 255.0).max(axis=2) > 12.0)
    ys, xs = np.nonzero(visible)
    if len(xs) < 24:
        return []
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    content_aspect = (y1 - y0) / max(1, x1 - x0)
    shaped = [r for r in refs.refs if abs(content_aspect - r.aspect) <= 0.3 * r.aspect]
    if not shaped:
        return []
    likely = _shortlist(small[y0:y1, x0:x1], shaped)
    pad = max(6, round(0.2 * small.shape[1]))
    padded = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    image_mm = image_w_mm * padded.shape[1] / small.shape[1]
    page = prepare_page(
        np.clip(padded, 0, 255).astype(np.uint8),
        page_number,
        image_mm,
        image_mm * padded.shape[0] / padded.shape[1],
    )
    width = float(x1 - x0)

    def fitted(logo: ReferenceLogo) -> tuple[float, float, float]:
        # fit the reference's width inside a rotated bounding box: cos(5°) is ~1, the slack is in the height
        return x0 + pad, y0 + pad + ((y1 - y0) - width * logo.aspect) / 2, width

    measured: dict[str, Measurement | None] = {}

    def fit(logo: ReferenceLogo) -> Measurement | None:
        # one placement per reference: a version measured as a rival is the same measurement as its own
        if logo.name not in measured:
            measured[logo.name] = measure(page, logo, *fitted(logo))
        return measured[logo.name]

    out: list[LogoEvidence] = []
    for ref in likely:
        m = fit(ref)
        if m is None:
            continue
        rival = _best_rival(refs, m, lambda other: [fit(other)])
        ev = read_wordmark(
            page,
            refs,
            _evidence(page, m, rival, refs.colour_only_rival.get(ref.name, False)),
            m,
            rival,
            thresholds,
        )
        # page-of-the-image fractions -> PDF page fractions
        bx0, by0, bx1, by1 = ev.box
        iw, ih = box[2] - box[0], box[3] - box[1]
        sx = padded.shape[1] / small.shape[1]
        sy = padded.shape[0] / small.shape[0]
        ox, oy = pad / padded.shape[1], pad / padded.shape[0]
        mapped: Box = (
            box[0] + (bx0 - ox) * sx * iw,
            box[1] + (by0 - oy) * sy * ih,
            box[0] + (bx1 - ox) * sx * iw,
            box[1] + (by1 - oy) * sy * ih,
        )
        out.append(
            replace(
                ev,
                box=mapped,
                width_mm=m.width_px / page.width * image_mm,
                page=page_number,
                image_object=True,
            )
        )
    return exclusive(out, thresholds)
