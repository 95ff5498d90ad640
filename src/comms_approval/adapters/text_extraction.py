"""Text of a draft: the PDF text layer through pypdfium2, and OCR of images (or scanned pages) by Tesseract.

Tesseract is optional at runtime: it is called as the `tesseract` program (Debian packages tesseract-ocr and
tesseract-ocr-fra); when it is missing, `OcrUnavailable` says so clearly and the text layer still works.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from comms_approval.adapters.documents import PDFIUM_LOCK, iter_pages, open_pdf, render_pdf_page, sniff_kind
from comms_approval.domain.errors import CommsApprovalError, DocumentError

OCR_DPI = 300.0  # Tesseract reads best around 300 dpi
OCR_MAX_PIXELS = 12_000_000  # an A4 page at 300 dpi is 8.7 MP
OCR_TIMEOUT_SECONDS = 120.0
MIN_TEXT_LAYER_CHARS = 20  # below this a PDF page is taken for a scan and read by OCR
MIN_OCR_WIDTH_PX = 2000  # small images are enlarged first: Tesseract misses letters under ~20 px high


class OcrUnavailable(CommsApprovalError):
    """Tesseract (or its French language data) is not installed, so images cannot be read."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en = message_en
        self.message_fr = message_fr
        super().__init__(message_en)


@dataclass(frozen=True)
class PageText:
    """The text of one page (1-based) and where it came from: the PDF text layer or OCR."""

    number: int
    text: str
    source: str  # "text_layer" | "ocr" | "none"


@dataclass(frozen=True)
class ExtractedText:
    """The text of a document, page by page, with what could not be read and why."""

    kind: str
    pages: tuple[PageText, ...]
    ocr_engine: str | None = None
    notes_en: tuple[str, ...] = field(default_factory=tuple)
    notes_fr: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


@dataclass(frozen=True)
class TesseractOcr:
    """The `tesseract` program: French language data by default, English as a fallback."""

    command: str = "tesseract"
    languages: tuple[str, ...] = ("fra",)
    timeout_seconds: float = OCR_TIMEOUT_SECONDS

    def executable(self) -> str:
        found = shutil.which(self.command)
        if found is None:
            raise OcrUnavailable(
                f"Tesseract OCR is not installed ({self.command!r} not found): text in images cannot be read. "
                "Install the Debian packages tesseract-ocr and tesseract-ocr-fra.",
                f"La reconnaissance de caractères Tesseract n’est pas installée (« {self.command} » introuvable) : "
                "le texte des images ne peut pas être lu. Installez les paquets Debian tesseract-ocr "
                "et tesseract-ocr-fra.",
            )
        return found

    def language_argument(self) -> str:
        available = _installed_languages(self.executable())
        wanted = [lang for lang in self.languages if lang in available]
        if not wanted:
            if "eng" in available:
                return "eng"
            raise OcrUnavailable(
                f"Tesseract has none of the languages {', '.join(self.languages)} installed.",
                f"Tesseract ne dispose d’aucune des langues {', '.join(self.languages)} "
                "(paquet tesseract-ocr-fra manquant).",
            )
        return "+".join(wanted)

    def describe(self) -> str:
        return f"tesseract {_tesseract_version(self.executable())} ({self.language_argument()})"

    def read(self, image: Image.Image) -> str:
        """OCR one image; the image goes through stdin as PNG, so no temporary file holds the draft."""
        executable = self.executable()
        languages = self.language_argument()
        if image.width < MIN_OCR_WIDTH_PX:
            factor = MIN_OCR_WIDTH_PX / image.width
            image = image.resize(
                (MIN_OCR_WIDTH_PX, max(1, round(image.height * factor))), Image.Resampling.LANCZOS
            )
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "PNG")
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [executable, "stdin", "stdout", "-l", languages, "--psm", "3"],
                input=buffer.getvalue(),
                capture_output=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(
                "Reading the text of the image took too long.",
                "La lecture du texte de l’image a pris trop de temps.",
            ) from exc
        if completed.returncode != 0:
            raise DocumentError("Tesseract could not read the image.", "Tesseract n’a pas pu lire l’image.")
        return completed.stdout.decode("utf-8", errors="replace")


@functools.lru_cache(maxsize=8)
def _installed_languages(executable: str) -> frozenset[str]:
    completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [executable, "--list-langs"], capture_output=True, timeout=30, check=False
    )
    lines = (completed.stdout or completed.stderr).decode("utf-8", errors="replace").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


@functools.lru_cache(maxsize=8)
def _tesseract_version(executable: str) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [executable, "--version"], capture_output=True, timeout=30, check=False
    )
    first = (completed.stdout or completed.stderr).decode("utf-8", errors="replace").splitlines()
    return first[0].removeprefix("tesseract ").strip() if first else "?"


def pdf_text_layer(path: Path) -> Iterator[PageText]:
    """The text layer of each PDF page, in reading order as pdfium gives it."""
    with open_pdf(Path(path)) as pdf:
        with PDFIUM_LOCK:
            count = len(pdf)
        for index in range(count):
            with PDFIUM_LOCK:  # one page at a time: never held across the yield
                page = pdf[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
            # pdfium ends lines with CRLF and writes a hyphen at a line end as U+FFFE (eating the line
            # break); giving both back their plain form keeps the text as the reader sees it.
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "-\n")
            yield PageText(index + 1, text, "text_layer")


def extract_text(path: Path, *, ocr: TesseractOcr | None = None, max_pages: int = 200) -> ExtractedText:
    """The text of a PDF (text layer, OCR for pages without one) or of an image (OCR).

    With `ocr=None` nothing is read by OCR; pages needing it are listed in the notes. A missing Tesseract
    is reported in the notes, not raised, so the text layer of a PDF is still used.
    """
    path = Path(path)
    with path.open("rb") as handle:
        kind = sniff_kind(handle.read(2048))
    if kind is None:
        raise DocumentError(
            "The file is not a PDF, PNG, JPEG or WebP document (or it is corrupt).",
            "Le fichier n’est pas un document PDF, PNG, JPEG ou WebP (ou il est endommagé).",
        )
    notes_en: list[str] = []
    notes_fr: list[str] = []
    engine: str | None = None
    pages: list[PageText] = []
    if kind == "pdf":
        layer = list(pdf_text_layer(path))
        if len(layer) > max_pages:
            raise DocumentError(
                f"The PDF has {len(layer)} pages; at most {max_pages} are read.",
                f"Le PDF compte {len(layer)} pages ; {max_pages} au plus sont lues.",
            )
        scanned = [p.number for p in layer if len(p.text.strip()) < MIN_TEXT_LAYER_CHARS]
        ocr_pages: dict[int, str] = {}
        if scanned:
            ocr_pages, engine = _ocr_pdf_pages(path, scanned, ocr, notes_en, notes_fr)
        for page in layer:
            if page.number in ocr_pages:
                pages.append(PageText(page.number, ocr_pages[page.number], "ocr"))
            else:
                pages.append(page)
    else:
        text: str | None = None
        if ocr is None:
            _note_no_ocr(notes_en, notes_fr)
        else:
            try:
                raster = next(iter_pages(path))
                text = ocr.read(Image.fromarray(raster.rgb))
                engine = ocr.describe()
            except OcrUnavailable as error:
                notes_en.append(error.message_en)
                notes_fr.append(error.message_fr)
        pages.append(PageText(1, text or "", "ocr" if text is not None else "none"))
    return ExtractedText(kind, tuple(pages), engine, tuple(notes_en), tuple(notes_fr))


def _note_no_ocr(notes_en: list[str], notes_fr: list[str]) -> None:
    notes_en.append("Text in images was not read (OCR disabled).")
    notes_fr.append("Le texte des images n’a pas été lu (reconnaissance de caractères désactivée).")


def _ocr_pdf_pages(
    path: Path,
    numbers: list[int],
    ocr: TesseractOcr | None,
    notes_en: list[str],
    notes_fr: list[str],
) -> tuple[dict[int, str], str | None]:
    if ocr is None:
        _note_no_ocr(notes_en, notes_fr)
        return {}, None
    found: dict[int, str] = {}
    try:
        engine = ocr.describe()
        with open_pdf(path) as pdf:
            for number in numbers:
                raster = render_pdf_page(pdf, number - 1, dpi=OCR_DPI, max_pixels=OCR_MAX_PIXELS)
                found[number] = ocr.read(Image.fromarray(raster.rgb))
    except OcrUnavailable as error:
        notes_en.append(error.message_en)
        notes_fr.append(error.message_fr)
        return found, None
    return found, engine
