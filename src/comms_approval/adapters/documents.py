"""Safe loading of uploaded drafts (PDF, PNG, JPEG, WebP): validation, page rasters, embedded images, previews."""

from __future__ import annotations

import contextlib
import io
import re
import threading
import warnings
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from comms_approval.domain.errors import DocumentError
from comms_approval.domain.logos import page_width_mm

SUPPORTED_KINDS = ("pdf", "png", "jpeg", "webp")
DEFAULT_MAX_PIXELS = 60_000_000  # a 600 dpi A3 scan is ~70 MP; anything beyond is refused before decoding
RENDER_DPI = 150.0
MAX_RENDER_PIXELS = 4_500_000  # cap per rendered page (A4 at 150 dpi is 2.2 MP)
A4_MM = (210.0, 297.0)

PDFIUM_LOCK = threading.RLock()
"""Held around every call into PDFium, which is not thread-safe (its global font and glyph caches, FreeType):
the web process renders and validates PDFs from several threads at once (logo checks, uploads, previews,
visual differences), and two threads inside PDFium crash the process. It is held per call or per page, never
across a `yield` (a generator's caller may take minutes between pages), and no other lock is taken under it.
Reentrant, so a locked helper may call another."""

_MIME = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/pjpeg": "jpeg",
    "image/webp": "webp",
}
_SUFFIX = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".webp": "webp"}
_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def sniff_kind(head: bytes) -> str | None:
    """The document kind from its first bytes (magic numbers), or None when it is none we accept."""
    if b"%PDF-" in head[:1024]:  # PDF readers accept a little junk before the header, so do we
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class DocumentInfo:
    """What validation learnt about a document: kind, page count and physical page sizes in mm."""

    kind: str
    pages: int
    page_sizes_mm: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PageRaster:
    """One page as 8-bit RGB pixels with its physical width (for the minimum-legible-width rule)."""

    number: int  # 1-based
    rgb: np.ndarray  # H x W x 3, uint8
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class EmbeddedImage:
    """An image object drawn on a PDF page: its pixels (RGBA) and where it lands, in page fractions."""

    rgba: np.ndarray  # H x W x 4, uint8
    box: tuple[float, float, float, float]


def _err(en: str, fr: str) -> DocumentError:
    return DocumentError(en, fr)


def _declared_kind(declared_name: str | None, declared_type: str | None) -> tuple[str | None, str | None]:
    by_name = _SUFFIX.get(Path(declared_name).suffix.lower()) if declared_name else None
    if declared_name and by_name is None:
        raise _err(
            f"The file name {declared_name!r} does not have a supported extension (PDF, PNG, JPEG or WebP).",
            f"Le nom de fichier « {declared_name} » n’a pas une extension acceptée (PDF, PNG, JPEG ou WebP).",
        )
    by_type = None
    if declared_type:
        by_type = _MIME.get(declared_type.split(";")[0].strip().lower())
        if by_type is None:
            raise _err(
                f"The declared type {declared_type!r} is not accepted (PDF, PNG, JPEG or WebP).",
                f"Le type déclaré « {declared_type} » n’est pas accepté (PDF, PNG, JPEG ou WebP).",
            )
    return by_name, by_type


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(2048)
    except OSError as exc:
        raise _err(
            f"The file cannot be read: {exc.strerror}.", f"Le fichier ne peut pas être lu : {exc.strerror}."
        ) from exc


def validate_document(
    path: Path,
    *,
    declared_name: str | None = None,
    declared_type: str | None = None,
    max_pages: int = 200,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DocumentInfo:
    """Check that a file is a sound PDF or image of the kind it claims, without decoding anything dangerous.

    Raises DocumentError (English and French messages) for an empty, corrupt, truncated, mislabelled,
    encrypted or oversized document, zero pages or more than `max_pages` pages.
    """
    path = Path(path)
    head = _read_head(path)
    if not head:
        raise _err("The file is empty.", "Le fichier est vide.")
    kind = sniff_kind(head)
    if kind is None:
        raise _err(
            "The file is not a PDF, PNG, JPEG or WebP document (or it is corrupt).",
            "Le fichier n’est pas un document PDF, PNG, JPEG ou WebP (ou il est endommagé).",
        )
    by_name, by_type = _declared_kind(declared_name, declared_type)
    for declared in (by_name, by_type):
        if declared is not None and declared != kind:
            raise _err(
                f"The file is declared as {declared.upper()} but its content is {kind.upper()}.",
                f"Le fichier est présenté comme {declared.upper()} mais son contenu est {kind.upper()}.",
            )
    if kind == "pdf":
        with open_pdf(path) as pdf:
            with PDFIUM_LOCK:
                count = len(pdf)
            _check_page_count(count, max_pages)
            sizes = []
            with PDFIUM_LOCK:
                for index in range(count):
                    try:
                        width_pt, height_pt = pdf.get_page_size(index)
                    except pdfium.PdfiumError as exc:  # a damaged page object
                        raise _corrupt() from exc
                    sizes.append((width_pt * 25.4 / 72.0, height_pt * 25.4 / 72.0))
        _guard_content_streams(path)
        return DocumentInfo("pdf", count, tuple(sizes))
    with _open_image(path, kind, max_pixels) as image:
        width_mm, height_mm = _image_size_mm(image)
        return DocumentInfo(kind, 1, ((width_mm, height_mm),))


MAX_INFLATED_CONTENT_STREAM = 3 * 1024 * 1024  # drawing operators of a rich A4 poster stay well below 1 MB
_STREAM_KEYWORD = re.compile(rb">>\s*stream\r?\n")
# Streams that are not drawing operators: images (guarded by pixel count), embedded fonts (a CJK font may
# legitimately inflate to 10+ MB), object streams.
_NOT_DRAWING = (b"/Image", b"/Length1", b"/Type1C", b"/CIDFontType0C", b"/OpenType", b"/ObjStm")


def _guard_content_streams(path: Path) -> None:
    """Refuse a PDF whose compressed drawing operators inflate beyond a sane size, before pdfium renders them.

    A few KB of Flate data can expand to megabytes of operators that cost seconds of CPU per render (a
    decompression bomb of another kind). Image streams are left to the pixel-count guard, which knows their
    size from their header; encrypted or malformed streams are left to pdfium.
    """
    data = path.read_bytes()
    for match in _STREAM_KEYWORD.finditer(data):
        header = data[max(0, match.start() - 1500) : match.start()]
        header = header[header.rfind(b" obj") + 4 :] if b" obj" in header else header
        if b"/FlateDecode" not in header or any(marker in header for marker in _NOT_DRAWING):
            continue
        inflater = zlib.decompressobj()
        try:
            produced = len(inflater.decompress(data[match.end() :], MAX_INFLATED_CONTENT_STREAM + 1))
        except zlib.error:
            continue
        if produced > MAX_INFLATED_CONTENT_STREAM:
            raise _err(
                "The PDF contains a compressed drawing stream that is too large to be processed safely.",
                "Le PDF contient un flux de dessin compressé trop volumineux pour être traité sans risque.",
            )


def _check_page_count(count: int, max_pages: int) -> None:
    if count == 0:
        raise _err("The PDF has no pages.", "Le PDF ne contient aucune page.")
    if count > max_pages:
        raise _err(
            f"The PDF has {count} pages; at most {max_pages} are accepted.",
            f"Le PDF compte {count} pages ; {max_pages} au plus sont acceptées.",
        )


_NO_PAGES = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+0\b|/Count\s+0\b[^>]*?/Type\s*/Pages\b")


def _unopenable(path: Path) -> DocumentError:
    """Why pdfium refused a PDF. Its last-error code is process-global (stale after another failure), so
    the file itself is inspected: an /Encrypt entry, or a page tree that declares no page."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if b"/Encrypt" in data:
        return _err(
            "The PDF is protected by a password; please send an unprotected version.",
            "Le PDF est protégé par un mot de passe ; merci d’en transmettre une version non protégée.",
        )
    if _NO_PAGES.search(data):
        return _err("The PDF has no pages.", "Le PDF ne contient aucune page.")
    return _err(
        "The PDF is corrupt or truncated and cannot be opened.",
        "Le PDF est endommagé ou incomplet et ne peut pas être ouvert.",
    )


@contextlib.contextmanager
def open_pdf(path: Path) -> Iterator[pdfium.PdfDocument]:
    """The PDF opened by PDFium, closed on exit. Opening and closing take `PDFIUM_LOCK`; so must every use of the
    document in the block (the helpers of this module do)."""
    try:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise _unopenable(path) from exc
    try:
        with PDFIUM_LOCK:
            encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1
        if encrypted:
            # Even when it opens without a password, an encrypted file restricts what the partners may do with it.
            raise _err(
                "The PDF is encrypted; please send an unencrypted version.",
                "Le PDF est chiffré ; merci d’en transmettre une version non chiffrée.",
            )
        yield pdf
    finally:
        with PDFIUM_LOCK:
            pdf.close()


@contextlib.contextmanager
def _open_image(path: Path, kind: str, max_pixels: int) -> Iterator[Image.Image]:
    """Open an image lazily, refuse bombs from the header alone, and turn every decoder warning into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            image = Image.open(path, formats=[_PIL_FORMAT[kind]])
        except Image.DecompressionBombError as exc:
            raise _bomb() from exc
        except Image.DecompressionBombWarning as exc:
            raise _bomb() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
            raise _corrupt() from exc
        try:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise _corrupt()
            if width * height > max_pixels:
                raise _bomb(width, height)
            yield image
        finally:
            image.close()


def _bomb(width: int | None = None, height: int | None = None) -> DocumentError:
    size = f" ({width} × {height} pixels)" if width else ""
    return _err(
        f"The image is too large to be processed safely{size}; please send a smaller version.",
        f"L’image est trop grande pour être traitée sans risque{size} ; merci d’en transmettre une version réduite.",
    )


def _corrupt() -> DocumentError:
    return _err(
        "The image is corrupt or truncated and cannot be read.",
        "L’image est endommagée ou incomplète et ne peut pas être lue.",
    )


def _image_size_mm(image: Image.Image) -> tuple[float, float]:
    dpi = image.info.get("dpi")
    x_dpi: float | None = None
    if isinstance(dpi, tuple) and dpi and isinstance(dpi[0], int | float) and 50 <= float(dpi[0]) <= 2400:
        x_dpi = float(dpi[0])
    width_mm = page_width_mm(dpi=x_dpi, width_px=image.size[0])
    return width_mm, width_mm * image.size[1] / image.size[0]


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """8-bit RGB pixels of any Pillow image: 16-bit scaled down, palettes expanded, transparency on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        raw = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or raw.max() > 255 else 255.0
        gray = np.clip(raw * (255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode == "F":
        gray = np.clip(np.asarray(image, dtype=np.float64), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode in {"P", "PA"} or "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _decode_image(path: Path, kind: str, max_pixels: int) -> PageRaster:
    with _open_image(path, kind, max_pixels) as image, warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            image.load()
            oriented = ImageOps.exif_transpose(image)
            width_mm, height_mm = _image_size_mm(oriented)
            rgb = to_rgb_array(oriented)
        except (OSError, SyntaxError, ValueError, Warning, EOFError) as exc:
            raise _corrupt() from exc
    return PageRaster(1, rgb, width_mm, height_mm)


def iter_pages(
    path: Path,
    *,
    dpi: float = RENDER_DPI,
    max_pages: int = 200,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_render_pixels: int = MAX_RENDER_PIXELS,
    numbers: Sequence[int] | None = None,
) -> Iterator[PageRaster]:
    """Every page as RGB pixels (PDF pages rendered at `dpi`, capped at `max_render_pixels`), or only the pages
    `numbers` (1-based), in that order."""
    path = Path(path)
    kind = sniff_kind(_read_head(path))
    if kind is None:
        raise _err(
            "The file is not a PDF, PNG, JPEG or WebP document (or it is corrupt).",
            "Le fichier n’est pas un document PDF, PNG, JPEG ou WebP (ou il est endommagé).",
        )
    if kind != "pdf":
        if numbers is None or 1 in numbers:
            yield _decode_image(path, kind, max_pixels)
        return
    with open_pdf(path) as pdf:
        with PDFIUM_LOCK:
            count = len(pdf)
        _check_page_count(count, max_pages)
        for index in range(count) if numbers is None else [n - 1 for n in numbers if 1 <= n <= count]:
            # render_pdf_page holds PDFIUM_LOCK for this page only: never across the yield
            yield render_pdf_page(
                pdf, index, dpi=dpi, max_pixels=max_render_pixels, max_image_pixels=max_pixels
            )


def page_count(path: Path) -> int:
    """Number of pages (1 for an image); validates the PDF container on the way."""
    path = Path(path)
    if sniff_kind(_read_head(path)) != "pdf":
        return 1
    with open_pdf(path) as pdf, PDFIUM_LOCK:
        return len(pdf)


def _guard_page_images(page: pdfium.PdfPage, max_image_pixels: int) -> None:
    """Refuse a page whose image objects declare more pixels than allowed, before pdfium decodes them."""
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        try:
            width, height = obj.get_px_size()
        except pdfium.PdfiumError:
            continue
        if width * height > max_image_pixels:
            raise _err(
                f"The PDF contains an image of {width} × {height} pixels, too large to be processed safely.",
                f"Le PDF contient une image de {width} × {height} pixels, trop grande pour être traitée sans risque.",
            )


def render_pdf_page(
    pdf: pdfium.PdfDocument,
    index: int,
    *,
    dpi: float = RENDER_DPI,
    max_pixels: int = MAX_RENDER_PIXELS,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
) -> PageRaster:
    """One page (0-based `index`) rendered to RGB pixels of our own, under `PDFIUM_LOCK`."""
    with PDFIUM_LOCK:
        # the page is closed and the bitmap freed in the helper, so (on success) while the lock is held
        return _render_pdf_page(pdf, index, dpi=dpi, max_pixels=max_pixels, max_image_pixels=max_image_pixels)


def _render_pdf_page(
    pdf: pdfium.PdfDocument, index: int, *, dpi: float, max_pixels: int, max_image_pixels: int
) -> PageRaster:
    page = pdf[index]
    try:
        _guard_page_images(page, max_image_pixels)
        width_pt, height_pt = page.get_size()
        if width_pt <= 0 or height_pt <= 0:
            raise _err(
                f"Page {index + 1} of the PDF has no area.", f"La page {index + 1} du PDF n’a pas de surface."
            )
        scale = dpi / 72.0
        pixels = width_pt * height_pt * scale * scale
        if pixels > max_pixels:
            scale *= (max_pixels / pixels) ** 0.5
        try:
            bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255), may_draw_forms=True)
            rgb = np.ascontiguousarray(np.asarray(bitmap.to_pil().convert("RGB"), dtype=np.uint8))
        except pdfium.PdfiumError as exc:
            raise _err(
                f"Page {index + 1} of the PDF cannot be rendered.",
                f"La page {index + 1} du PDF ne peut pas être affichée.",
            ) from exc
        return PageRaster(index + 1, rgb, width_pt * 25.4 / 72.0, height_pt * 25.4 / 72.0)
    finally:
        page.close()


def embedded_images(
    pdf: pdfium.PdfDocument,
    index: int,
    *,
    min_side_px: int = 16,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    max_area: float = 1.0,
) -> list[EmbeddedImage]:
    """The image objects drawn on a page (with their soft masks), for the fast path of the logo check.

    Objects covering more than `max_area` of the page are left out before their pixels are decoded (a
    full-page photograph costs ~0.1 s to extract, and the caller has no use for it). Holds `PDFIUM_LOCK`.
    """
    with PDFIUM_LOCK:
        # the page is closed and the bitmaps freed in the helper, so (on success) while the lock is held
        return _embedded_images(
            pdf, index, min_side_px=min_side_px, max_image_pixels=max_image_pixels, max_area=max_area
        )


def _embedded_images(
    pdf: pdfium.PdfDocument, index: int, *, min_side_px: int, max_image_pixels: int, max_area: float
) -> list[EmbeddedImage]:
    page = pdf[index]
    found: list[EmbeddedImage] = []
    try:
        width_pt, height_pt = page.get_size()
        _guard_page_images(page, max_image_pixels)
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            try:
                px_w, px_h = obj.get_px_size()
                if min(px_w, px_h) < min_side_px:
                    continue
                left, bottom, right, top = obj.get_bounds()
                if (right - left) * (top - bottom) > max_area * width_pt * height_pt:
                    continue
                bitmap = obj.get_bitmap(render=False)
                image = bitmap.to_pil()
                rgba = _with_soft_mask(obj, image)
            except (pdfium.PdfiumError, OSError, ValueError):
                continue  # an undecodable image object is left to the rendering path
            box = (
                max(0.0, left / width_pt),
                max(0.0, 1.0 - top / height_pt),
                min(1.0, right / width_pt),
                min(1.0, 1.0 - bottom / height_pt),
            )
            if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                continue
            found.append(EmbeddedImage(rgba, box))
    finally:
        page.close()
    return found


def _with_soft_mask(obj: pdfium.PdfImage, image: Image.Image) -> np.ndarray:
    """The image with its alpha: pdfium's rendered bitmap carries the soft mask; the raw one does not.

    The rendered bitmap follows the object's placement on the page: often a pixel wider or taller than the
    image (rounding of its bounds), or stretched when the image is drawn at another aspect. For an image
    drawn upright, the rendered alpha is resized to the image's own pixels; dropping it instead made every
    transparent area black (a logo on a black box). A rotated or sheared image is left unmasked.
    """
    base = np.asarray(image.convert("RGB"), dtype=np.uint8)
    try:
        rendered = obj.get_bitmap(render=True).to_pil()
        matrix = obj.get_matrix()
    except pdfium.PdfiumError:
        rendered = None
    alpha = Image.new("L", image.size, 255)
    if rendered is not None and rendered.mode == "RGBA":
        if rendered.size == image.size:
            return np.asarray(rendered, dtype=np.uint8)
        if matrix.b == 0 and matrix.c == 0 and matrix.a > 0 and matrix.d > 0:
            alpha = rendered.getchannel("A").resize(image.size, Image.Resampling.BILINEAR)
    return np.concatenate([base, np.asarray(alpha, dtype=np.uint8)[:, :, None]], axis=2)


def _png(rgb: np.ndarray, width_px: int) -> bytes:
    image = Image.fromarray(rgb)
    if image.width > width_px:
        height = max(1, round(image.height * width_px / image.width))
        image = image.resize((width_px, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def render_preview_png(path: Path, *, page: int = 1, width_px: int = 480) -> bytes:
    """A small PNG of one page (1-based), for e-mails and web pages."""
    for raster in iter_pages(Path(path), dpi=max(36.0, min(150.0, width_px / 8.27 * 1.2))):
        if raster.number == page:
            return _png(raster.rgb, width_px)
    raise _err(f"The document has no page {page}.", f"Le document n’a pas de page {page}.")


def render_page_pngs(path: Path, *, width_px: int = 900, max_pages: int = 20) -> list[bytes]:
    """PNG previews of the first `max_pages` pages, for the review page."""
    previews: list[bytes] = []
    dpi = max(36.0, min(150.0, width_px / 8.27 * 1.2))
    for raster in iter_pages(Path(path), dpi=dpi, max_pages=10_000):
        if raster.number > max_pages:
            break
        previews.append(_png(raster.rgb, width_px))
    return previews
