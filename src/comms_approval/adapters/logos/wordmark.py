"""Reading a logo's wordmark: a look-alike that keeps the emblem but names another body is not the party's logo.

Correlation sees a word as a band of dark strokes: another acronym in the same font and place scores almost
as well (bench/RESULTS.md). A reader does not: the party's main word (the tallest word Tesseract reads with
confidence on the reference) is read again where it should be on the page. Three outcomes: the same word
(fuzzy, a misread letter or two allowed), another word of the same size there, or nothing legible (small,
faint, busy: no conclusion either way). Tesseract runs in-process through tesserocr (~10 ms a word band);
without it, or without its language data, the check is skipped and says so once in the log.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

REFERENCE_WIDTH = 600  # references are read at this width: their main word is then 40-90 px high
MIN_REFERENCE_CONFIDENCE = 50.0  # a made-up acronym reads at 54-92 on a clean reference (no dictionary)
STANDOUT = 1.5  # the main word is at least this much taller than any other word: the name, not a tagline
# A word read less surely on the page contradicts nothing. Made-up acronyms read at 50-60 on a noisy band (a
# look-alike's "DCM" at 53 in its own colour); from 50, no genuine logo was lost on seeds 5, 9, 17 (bench/RESULTS.md).
MIN_PAGE_CONFIDENCE = 50.0
TARGET_WORD_HEIGHT = 48.0  # page word bands are scaled so the word is about this high (Tesseract's comfort)
MIN_WORD_HEIGHT_PX = 7.0  # below this on the working page, letters are a few pixels: nothing can be read
NARROW_RIGHT = 0.3  # band margin right of the word, in word widths: first read
WIDE_RIGHT = 1.0  # ... and when a word read runs off that edge (another name, longer)
LEFT = 0.12  # band margin left of the word, in word widths
TIGHT_LEFT = 0.02  # ... when nothing was read: page text showing through a transparent logo beside its name
BAND_MARGIN = 16  # pixels of plain background around the band read
MIN_BAND_CONTRAST = 12.0  # gray levels between the band's 1st and 99th percentiles
MIN_SIMILARITY = 0.5  # 1 - edit distance / length: "EEGD" for "EECD" is the name (0.75), "VSTB" not (0)
LEPTONICA_SEVERITY_NONE = 6  # L_SEVERITY_NONE in leptonica's environ.h
_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)


@dataclass(frozen=True)
class Word:
    """A word read by Tesseract: its text, confidence (0-100) and box in pixels of the image read."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class MainWord:
    """The reference's main word, with its box as fractions of the logo's width and height, and its ink's
    colour (RGB; None when the word is not one colour)."""

    text: str
    box: tuple[float, float, float, float]
    ink: tuple[float, float, float] | None = None


class WordReader:
    """One Tesseract engine (sparse text, French data) per process; calls are serialised by a lock."""

    def __init__(self, tessdata: str, language: str = "fra") -> None:
        import tesserocr  # type: ignore[import-untyped]  # no stubs

        _quiet_leptonica(tesserocr.__file__)
        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(path=tessdata, lang=language, psm=tesserocr.PSM.SPARSE_TEXT)
        self._lock = threading.Lock()

    def read(self, gray: np.ndarray) -> list[Word]:
        """The words of an 8-bit gray image, with their confidence and pixel box."""
        from PIL import Image

        tesserocr = self._tesserocr
        level = tesserocr.RIL.WORD
        words: list[Word] = []
        with self._lock:
            self._api.SetImage(Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8)))
            self._api.Recognize()
            iterator = self._api.GetIterator()
            if iterator is None:
                return words
            for item in tesserocr.iterate_level(iterator, level):
                try:
                    text = (item.GetUTF8Text(level) or "").strip()
                except RuntimeError:  # an empty result raises instead of returning ""
                    continue
                if text:
                    x0, y0, x1, y1 = item.BoundingBox(level)
                    words.append(Word(text, float(item.Confidence(level)), (x0, y0, x1, y1)))
        return words


# Diagnostics hook (bench tools, tests): when a list, every band read appends (main word, words read, box).
TRACE: list[tuple[object, ...]] | None = None


def _quiet_leptonica(module_file: str) -> None:
    """Silence Leptonica's messages on stderr ("Error in pixScanForForeground" on a band with no text):
    they would land in the middle of the CLI's output. The wheel bundles its own libleptonica; best effort."""
    libs = sorted((Path(module_file).resolve().parents[1] / "tesserocr.libs").glob("liblept*.so*"))
    if not libs:
        return
    try:
        ctypes.CDLL(str(libs[0])).setMsgSeverity(LEPTONICA_SEVERITY_NONE)
    except (OSError, AttributeError):  # another build: its messages stay
        log.debug("could not silence %s", libs[0])


@dataclass
class _Slot:
    """The process's reader and whether creating it was tried (once: a missing Tesseract stays missing)."""

    state: str = "untried"
    reader: WordReader | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_SLOT = _Slot()


def tessdata_dir() -> str | None:
    """Where Tesseract's language data is: $TESSDATA_PREFIX, else the Debian locations."""
    candidates = [os.environ["TESSDATA_PREFIX"]] if os.environ.get("TESSDATA_PREFIX") else []
    candidates += list(_TESSDATA_DIRS)
    for directory in candidates:
        if (Path(directory) / "fra.traineddata").is_file():
            return directory
    return None


def reader() -> WordReader | None:
    """The process's reader, created on first use; None (logged once) when Tesseract cannot run here."""
    with _SLOT.lock:
        if _SLOT.state == "untried":
            _SLOT.state = "unavailable"
            tessdata = tessdata_dir()
            try:
                if tessdata is None:
                    raise RuntimeError("no fra.traineddata (Debian package tesseract-ocr-fra)")
                _SLOT.reader = WordReader(tessdata)
                _SLOT.state = "ready"
            except (ImportError, RuntimeError) as exc:
                log.warning("wordmark check disabled: Tesseract unavailable (%s)", exc)
        return _SLOT.reader


def _alnum(text: str) -> str:
    """Upper-case letters and digits, accents dropped: "Préfet" and "PREFET" are the same word here."""
    folded = unicodedata.normalize("NFKD", text.upper())
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c))


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / length of the longer, on upper-case letters and digits only."""
    a, b = _alnum(a), _alnum(b)
    if not a or not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def same_name(read: str, wanted: str) -> bool:
    """Whether a word read is the name wanted: fuzzily (a letter misread), or one containing the other."""
    a, b = _alnum(read), _alnum(wanted)
    if not b:
        return False  # no name wanted (unread on the reference): no word read is it
    return similarity(a, b) >= MIN_SIMILARITY or (len(a) >= 3 and (a in b or b in a))


def _stands_in(found: Word, expected: tuple[float, float, float, float]) -> bool:
    """Whether a word read on the page stands where and as the logo's main word would: same height and top
    (a paragraph behind a transparent logo does not), aligned left, right or centred, not a fragment."""
    ex0, ey0, ex1, ey1 = expected
    eh, ew = ey1 - ey0, ex1 - ex0
    x0, y0, x1, _ = found.box
    aligned = min(abs(x0 - ex0), abs(x1 - ex1), abs((x0 + x1 - ex0 - ex1) / 2)) <= 0.25 * ew
    return (
        len(_alnum(found.text)) >= 3
        and 0.6 * eh <= found.height <= 1.75 * eh
        and abs(y0 - ey0) <= 0.6 * eh
        and x1 - x0 >= 0.5 * ew
        and aligned
    )


def main_word(
    rgb: np.ndarray, alpha: np.ndarray, read: WordReader, *, min_confidence: float = MIN_REFERENCE_CONFIDENCE
) -> MainWord | None:
    """The tallest word read with confidence on a reference logo flattened on white, if any.

    Read three times: as drawn, with the emblem blanked out (a large dark emblem beside the name can make
    Tesseract take the whole logo for a picture), and with its whole box blanked (the figures inside a ring
    read as "BE", a word taller than the name); the surest reading is kept.
    """
    gray = _on_white(rgb, alpha)
    h, w = gray.shape
    height = max(1, round(h * REFERENCE_WIDTH / w))
    gray = cv2.resize(gray, (REFERENCE_WIDTH, height), interpolation=cv2.INTER_CUBIC)
    found = [
        _main_word_of(read.read(image), height, min_confidence)
        for image in (gray, _without_emblem(gray), _without_emblem(gray, whole_box=True))
    ]
    best = max((word for word in found if word is not None), key=lambda word: word.confidence, default=None)
    if best is None:
        return None
    x0, y0, x1, y1 = best.box
    y0, y1 = _own_line(gray, best.box)
    box = (x0 / REFERENCE_WIDTH, y0 / height, x1 / REFERENCE_WIDTH, y1 / height)
    return MainWord(best.text, box, _ink_colour(rgb, alpha, box))


def _own_line(gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """The rows of the word's own line of ink within Tesseract's box for it (pixels of `gray`).

    Tesseract's box for a name can run down over the tagline beneath it (15 of 300 bench references):
    the name then measured twice its height, was read at half the scale, and compared as a shape together
    with a tagline that a look-alike shares.
    """
    x0, y0, x1, y1 = box
    ink, _ = _ink(gray)
    lines = _ink_lines(ink[y0:y1, x0:x1], gray.shape[0])
    if not lines:
        return y0, y1
    top, bottom = max(lines, key=lambda line: line[1] - line[0])
    return y0 + top, y0 + bottom


def _ink_lines(ink: np.ndarray, logo_height: int) -> list[tuple[int, int]]:
    """Runs of inked rows (start, end), bridging gaps of up to 3 % of the logo's height (accents, dots)."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    gaps = np.flatnonzero(np.diff(rows) > max(2, round(0.03 * logo_height)))
    return [(int(a[0]), int(a[-1]) + 1) for a in np.split(rows, gaps + 1)]


def word_place(rgb: np.ndarray, alpha: np.ndarray) -> MainWord | None:
    """Where a reference's name stands when Tesseract reads none (italics, a misread letter): the tallest line
    of ink beside the emblem, when it stands out from the others. Its text is unknown (""), so it is only
    compared as a shape on the page, never read.
    """
    ink, _, _, stats = _ink_shapes(_on_white(rgb, alpha))
    h = ink.shape[0]
    # The emblem out, with whatever lies within its outline (the disc inside a ring).
    for x, y, w, hh, _ in stats[_emblems(stats, h)]:
        ink[y : y + hh, x : x + w] = False
    lines = _ink_lines(ink, h)
    if not lines:
        return None
    lines.sort(key=lambda line: line[1] - line[0], reverse=True)
    y0, y1 = lines[0]
    if y1 - y0 > 0.45 * h or (len(lines) > 1 and (lines[1][1] - lines[1][0]) * STANDOUT > y1 - y0):
        return None  # no line stands out as the name
    cols = np.flatnonzero(ink[y0:y1].any(axis=0))
    box = (float(cols[0] / ink.shape[1]), y0 / h, float((cols[-1] + 1) / ink.shape[1]), y1 / h)
    return MainWord("", box, _ink_colour(rgb, alpha, box))


def emblem_box(rgb: np.ndarray, alpha: np.ndarray) -> tuple[float, float, float, float] | None:
    """The box of a reference's emblem (its shapes taller than `EMBLEM_HEIGHT` of the logo), in fractions of
    the logo's width and height; None when no shape is that tall (a wordmark alone)."""
    ink, _, _, stats = _ink_shapes(_on_white(rgb, alpha))
    tall = stats[_emblems(stats, ink.shape[0])]
    if tall.size == 0:
        return None
    h, w = ink.shape
    x0, y0 = tall[:, cv2.CC_STAT_LEFT].min(), tall[:, cv2.CC_STAT_TOP].min()
    x1 = (tall[:, cv2.CC_STAT_LEFT] + tall[:, cv2.CC_STAT_WIDTH]).max()
    y1 = (tall[:, cv2.CC_STAT_TOP] + tall[:, cv2.CC_STAT_HEIGHT]).max()
    return (float(x0 / w), float(y0 / h), float(x1 / w), float(y1 / h))


INK_SPREAD = 30.0  # RGB levels: a word whose strokes spread more than this is not drawn in one colour


def _ink_colour(
    rgb: np.ndarray, alpha: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[float, float, float] | None:
    """The colour of the word's strokes on the reference: the opaque pixels in its box (None if several)."""
    h, w = alpha.shape
    x0, y0, x1, y1 = round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)
    opaque = alpha[y0:y1, x0:x1] > 0.9
    if opaque.sum() < 12:
        return None
    strokes = rgb[y0:y1, x0:x1][opaque].astype(np.float64)
    ink = np.median(strokes, axis=0)
    if float(np.percentile(np.linalg.norm(strokes - ink, axis=1), 80)) > INK_SPREAD:
        return None
    return (float(ink[0]), float(ink[1]), float(ink[2]))


def _main_word_of(read_words: list[Word], height: int, min_confidence: float) -> Word | None:
    # Words only: an emblem read as "(e)" or "+" has no letters, and is taller than any line of text.
    words = [w for w in read_words if len(_alnum(w.text)) >= 2 and w.height <= 0.6 * height]
    sure = [w for w in words if w.confidence >= min_confidence and len(_alnum(w.text)) >= 3]
    if not sure:
        return None
    best = max(sure, key=lambda word: word.height)
    if any(w is not best and w.height * STANDOUT > best.height for w in words):
        return None  # no word stands out (a line of equal words): the next word would be read with it
    return best


def _on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """A reference logo flattened on white, in gray (uint8)."""
    flat = rgb * alpha[:, :, None] + 255.0 * (1.0 - alpha[:, :, None])
    return np.asarray(cv2.cvtColor(np.clip(flat, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY))


INK_CONTRAST = 40  # gray levels from the logo's background: its ink
EMBLEM_HEIGHT = 0.55  # a shape taller than this share of the logo is its emblem, not a letter


def _ink(gray: np.ndarray) -> tuple[np.ndarray, int]:
    """A logo's ink (bool) and its background gray (the median of its top and bottom rows)."""
    background = int(np.median(np.concatenate([gray[:3].ravel(), gray[-3:].ravel()])))
    return np.abs(gray.astype(np.int16) - background) > INK_CONTRAST, background


def _ink_shapes(gray: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """A logo's ink (bool), its background gray, and its connected shapes (labels and cv2 stats)."""
    ink, background = _ink(gray)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    return ink, background, labels, stats


def _emblems(stats: np.ndarray, height: int) -> np.ndarray:
    """The labels of the shapes taller than `EMBLEM_HEIGHT` of the logo (the background, label 0, left out)."""
    tall = np.nonzero(stats[:, cv2.CC_STAT_HEIGHT] > EMBLEM_HEIGHT * height)[0]
    return tall[tall > 0]


def _without_emblem(gray: np.ndarray, *, whole_box: bool = False) -> np.ndarray:
    """The logo with every shape taller than half the logo painted over in the background's gray (with
    `whole_box`, its bounding box: whatever lies within its outline too, as the figures inside a ring)."""
    _, background, labels, stats = _ink_shapes(gray)
    out = gray.copy()
    emblems = _emblems(stats, gray.shape[0])
    if whole_box:
        for x, y, w, h, _ in stats[emblems]:
            out[y : y + h, x : x + w] = background
    else:
        out[np.isin(labels, emblems)] = background
    return out


@dataclass(frozen=True)
class Placement:
    """Where a logo lies on the page: centre and width (page pixels), aspect, rotation (degrees, as cv2)."""

    cx: float
    cy: float
    width: float
    aspect: float
    angle: float = 0.0


def read_on_page(
    page_gray: np.ndarray,
    logo: Placement,
    word: MainWord,
    read: WordReader,
    page_rgb: np.ndarray | None = None,
) -> bool | None:
    """Whether the page shows `word` where the logo placed at `logo` has it.

    True: read there (fuzzily). False: another word of about the same size stands there instead.
    None: nothing legible, or too small to read: no conclusion. When nothing is legible in gray and the
    page's colours are given, the band is read again as the distance to the word's own colour: a name as
    light as its background (dark magenta on purple) is a flat band in gray.
    """
    lh = logo.width * logo.aspect
    if (word.box[3] - word.box[1]) * lh < MIN_WORD_HEIGHT_PX:
        return None
    ink_gray = None if word.ink is None else float(np.dot(word.ink, (0.299, 0.587, 0.114)))
    verdict = _read_in(page_gray, logo, word, read, ink_gray)
    if verdict is None and page_rgb is not None and word.ink is not None:
        plane, shifted = _ink_distance(page_rgb, logo, word.ink)
        verdict = _read_in(plane, shifted, word, read, 0.0)  # the name is where the distance is nought
    return verdict


def _ink_distance(
    page_rgb: np.ndarray, logo: Placement, ink: tuple[float, float, float]
) -> tuple[np.ndarray, Placement]:
    """Around the logo, each pixel's distance to the ink's colour (the word dark, anything else light),
    with the placement moved into that window."""
    reach = logo.width  # the band lies within the logo, read with margins of a fraction of its width
    h, w = page_rgb.shape[:2]
    x0, y0 = max(0, int(logo.cx - reach)), max(0, int(logo.cy - reach))
    x1, y1 = min(w, int(logo.cx + reach) + 1), min(h, int(logo.cy + reach) + 1)
    window = page_rgb[y0:y1, x0:x1].astype(np.float32) - np.asarray(ink, np.float32)
    plane = np.sqrt((window * window).sum(axis=2))
    return plane, replace(logo, cx=logo.cx - x0, cy=logo.cy - y0)


def _read_in(
    page_plane: np.ndarray, logo: Placement, word: MainWord, read: WordReader, ink_level: float | None
) -> bool | None:
    """The verdict of reading the word's band in one plane of the page (gray, or distance to the ink), where
    the name's ink has `ink_level` (None when the name is not drawn in one colour)."""
    verdict, cut = _read_band(page_plane, logo, word, read, ink_level, left=LEFT, right=NARROW_RIGHT)
    if verdict is None and cut:
        # A longer name ran past the band's right edge, and a cut letter spoils the whole word's reading.
        verdict, cut = _read_band(page_plane, logo, word, read, ink_level, left=LEFT, right=WIDE_RIGHT)
    if verdict is None and cut is None:
        # Nothing read in place: lines of page text seen through the logo's gap beside the name make
        # Tesseract take the band for a picture. Read again from the name's own left edge; this reading
        # may only confirm the name (a word of that page text may now stand in the name's place).
        retry, _ = _read_band(page_plane, logo, word, read, ink_level, left=TIGHT_LEFT, right=NARROW_RIGHT)
        return True if retry else None
    return verdict


def _read_band(
    page_plane: np.ndarray,
    logo: Placement,
    word: MainWord,
    read: WordReader,
    ink_level: float | None,
    *,
    left: float,
    right: float,
) -> tuple[bool | None, bool | None]:
    """Read the band of the main word: the verdict, and whether a word read there runs off its right edge
    (None when no word was read in place at all)."""
    lw, lh = logo.width, logo.width * logo.aspect
    wx0, wy0, wx1, wy1 = word.box
    word_h, word_w = (wy1 - wy0) * lh, (wx1 - wx0) * lw
    scale = min(6.0, TARGET_WORD_HEIGHT / word_h)
    # The band of the word in the logo's own frame (rotation undone: Tesseract reads level lines best),
    # sampled at `scale`, with a narrow margin: a dark emblem or another logo in the band makes Tesseract
    # take the whole band for a picture and read nothing.
    u0, u1 = wx0 * lw - left * word_w, wx1 * lw + right * word_w
    v0, v1 = wy0 * lh - 0.35 * word_h, wy1 * lh + 0.35 * word_h
    band = _logo_band(page_plane, logo, (u0, v0, u1, v1), scale, cv2.INTER_CUBIC)
    size = (band.shape[1], band.shape[0])
    if ink_level is not None:
        band = _strokes_only(band, dark=ink_level < float(np.median(band)))
    # Stretched to full contrast: a wordmark in dark red on a red ground is faint in gray, not absent.
    low, high = np.percentile(band, (1, 99))
    if high - low < MIN_BAND_CONTRAST:
        return None, False  # a flat band: nothing written there (and Leptonica complains about empty images)
    band = np.clip((band - low) * (255.0 / max(float(high - low), 1.0)), 0, 255).astype(np.uint8)
    # A margin of the band's own background: Tesseract misses words that touch the image's edges.
    pad = BAND_MARGIN
    band = cv2.copyMakeBorder(band, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(np.median(band)))
    # Where the word should be, in the band's pixels.
    expected = (
        (wx0 * lw - u0) * scale + pad,
        (wy0 * lh - v0) * scale + pad,
        (wx1 * lw - u0) * scale + pad,
        (wy1 * lh - v0) * scale + pad,
    )
    ex0, ey0, ex1, ey1 = expected
    found_words = read.read(band)
    if TRACE is not None:
        TRACE.append((word.text, [(f.text, round(f.confidence), f.box) for f in found_words], expected))
    # Only words in the word's place: neighbouring text (a caption, a paragraph) says nothing about the logo.
    in_place = [
        f
        for f in found_words
        if ey0 <= (f.box[1] + f.box[3]) / 2 <= ey1 and f.box[0] < ex1 and f.box[2] > ex0 and _alnum(f.text)
    ]
    cut = any(f.box[2] >= size[0] + pad - 3 for f in in_place) if in_place else None
    wanted = _alnum(word.text)
    pieces = ""
    for found in in_place:
        if same_name(found.text, wanted):
            return True, cut
        pieces += _alnum(found.text)
    if len(pieces) >= 3 and similarity(pieces, wanted) >= MIN_SIMILARITY:
        return True, cut  # the word read in pieces
    sure = [f for f in in_place if f.confidence >= MIN_PAGE_CONFIDENCE and _stands_in(f, expected)]
    # Another word, read surely, with nothing unsure beside it: the page names someone else.
    return (False if sure and len(sure) == len(in_place) else None), cut


# The ground under a name is levelled with a square this share of the word's height on the band read: wider
# than any letter's stroke, narrower than a block of the page beside the name.
GROUND_KERNEL = 0.5


def _strokes_only(band: np.ndarray, *, dark: bool, word_height: float = TARGET_WORD_HEIGHT) -> np.ndarray:
    """The band as dark strokes on a level light ground: whatever is wider than a stroke (the page beyond a
    flattened logo's white box, a dark emblem's edge, a gradient) becomes ground.

    Tesseract reads a name beside a block of another level badly: seed 41's c1-032 showed a text look-alike's
    name "GST" in a white box, the dark page beyond the box's edge in the band, and it read "GST]" at
    confidence 14, so the other name was never seen (read at 74-92 once the ground is level).
    """
    k = 2 * round(GROUND_KERNEL * word_height / 2) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    if dark:  # the closing fills the strokes with the ground around them
        strokes = cv2.morphologyEx(band, cv2.MORPH_CLOSE, kernel) - band
    else:  # light strokes: the opening takes them away
        strokes = band - cv2.morphologyEx(band, cv2.MORPH_OPEN, kernel)
    return np.asarray(255.0 - strokes, np.float32)


WORD_SHAPE_HEIGHT = 24.0  # the main word is compared about this many pixels high
# Under this height on the working page (150 dpi), a JPEG's letters are too few pixels for their shapes to tell
# two words apart: genuine names 10-11 px high at JPEG quality 30 scored 0.27-0.43 (bench/RESULTS.md).
MIN_SHAPE_HEIGHT_PX = 12.0
SHAPE_MARGIN = 0.4  # search margin around the word's expected place, in word heights
_SHAPE_SCALES = (0.94, 1.0, 1.06)


def word_shape(
    page_gray: np.ndarray,
    logo: Placement,
    word: MainWord,
    reference_gray: np.ndarray,
    page_rgb: np.ndarray | None = None,
) -> float | None:
    """How much the page, where the logo puts its main word, looks like that word as drawn on the reference.

    For a name nothing could read (small, faint, on a photograph): another acronym in the same font and
    place correlates with the whole logo almost as well as the name, but its letters' shapes, compared
    alone, do not. The best correlation over small shifts and scales, in gray (either polarity: a light
    name on a dark ground) and, on a colour page, as the distance to the name's own colour; each as it is
    and on a level ground (`_strokes_only`, as read). Seed 67's c0-007, a name across the edge of a dark
    colour field, scored 0.37 against the step between white and dark, 0.63 on its strokes alone; but the
    level ground also makes strokes of the gaps between the letters of page text beside a name (c0-005: 0.61
    as it is, 0.40 levelled). None when the word is too small on the page to have a shape.
    """
    lh = logo.width * logo.aspect
    if (word.box[3] - word.box[1]) * lh < MIN_SHAPE_HEIGHT_PX:
        return None
    gray = _word_band(page_gray, logo, word)
    # dark letters on a lighter ground, as the reference's word is drawn: a light name is the negative of gray
    planes = [gray, 255.0 - gray]
    if page_rgb is not None and word.ink is not None:
        band = _word_band(page_rgb, logo, word) - np.asarray(word.ink, np.float32)
        planes.append(np.sqrt((band * band).sum(axis=2)))
    return max(
        _best_shape(view, logo, word, reference_gray)
        for plane in planes
        for view in (plane, _strokes_only(plane, dark=True, word_height=WORD_SHAPE_HEIGHT))
    )


def _shape_scale(logo: Placement, word: MainWord) -> float:
    return min(4.0, WORD_SHAPE_HEIGHT / ((word.box[3] - word.box[1]) * logo.width * logo.aspect))


def _word_band(page: np.ndarray, logo: Placement, word: MainWord) -> np.ndarray:
    """The page around the word's expected place (rotation undone, `_shape_scale`), gray or RGB."""
    lh = logo.width * logo.aspect
    wx0, wy0, wx1, wy1 = word.box
    margin = SHAPE_MARGIN * (wy1 - wy0) * lh
    frame = (wx0 * logo.width - margin, wy0 * lh - margin, wx1 * logo.width + margin, wy1 * lh + margin)
    return _logo_band(page, logo, frame, _shape_scale(logo, word), cv2.INTER_LINEAR)


def _logo_band(
    page: np.ndarray,
    logo: Placement,
    frame: tuple[float, float, float, float],
    scale: float,
    interpolation: int,
) -> np.ndarray:
    """The part `frame` (x0, y0, x1, y1 in the logo's own unrotated pixels) of the page where the logo lies,
    sampled at `scale` with the logo's rotation undone (Tesseract and correlations want level lines)."""
    u0, v0, u1, v1 = frame
    size = (max(8, round((u1 - u0) * scale)), max(8, round((v1 - v0) * scale)))
    rotation = cv2.getRotationMatrix2D((0.0, 0.0), logo.angle, 1.0)[:, :2]
    origin = np.array([logo.cx, logo.cy]) + rotation @ np.array(
        [u0 - logo.width / 2, v0 - logo.width * logo.aspect / 2]
    )
    band_to_page = np.hstack([rotation / scale, origin[:, None]]).astype(np.float64)
    return np.asarray(
        cv2.warpAffine(
            page.astype(np.float32, copy=False),  # the working page is float32 already: no copy per read
            band_to_page,
            size,
            flags=interpolation | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    )


def _best_shape(band: np.ndarray, logo: Placement, word: MainWord, reference_gray: np.ndarray) -> float:
    """The best correlation of the reference's word (with a tenth of its height of its own ground around
    it) anywhere in the band, at three scales."""
    lw, lh = logo.width, logo.width * logo.aspect
    wx0, wy0, wx1, wy1 = word.box
    scale = _shape_scale(logo, word)
    rh, rw = reference_gray.shape
    pad_v = 0.1 * (wy1 - wy0)
    pad_u = pad_v * lh / lw
    crop = reference_gray[
        max(0, round((wy0 - pad_v) * rh)) : min(rh, round((wy1 + pad_v) * rh)),
        max(0, round((wx0 - pad_u) * rw)) : min(rw, round((wx1 + pad_u) * rw)),
    ].astype(np.float32)
    best = -1.0
    for s in _SHAPE_SCALES:
        tw = max(4, round(((wx1 - wx0) + 2 * pad_u) * lw * scale * s))
        th = max(4, round(((wy1 - wy0) + 2 * pad_v) * lh * scale * s))
        if tw >= band.shape[1] or th >= band.shape[0]:
            continue
        templ = cv2.resize(crop, (tw, th), interpolation=cv2.INTER_AREA)
        if float(templ.std()) < 1.0:
            continue
        result = cv2.matchTemplate(band, templ, cv2.TM_CCOEFF_NORMED)
        result[~np.isfinite(result)] = 0.0
        _, high, _, _ = cv2.minMaxLoc(result)
        best = max(best, float(high))
    return best
