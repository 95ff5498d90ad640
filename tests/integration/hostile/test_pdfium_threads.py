"""PDFium from several threads at once: the web process validates uploads, renders previews and visual
differences while the logo checker renders a long PDF in the background. PDFium is not thread-safe (its
font and glyph caches are process-global), so every call goes through `documents.PDFIUM_LOCK`; without it,
a few threads rendering text crash the whole process within seconds."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from comms_approval.adapters import documents, text_extraction
from tests.unit.logos.pdfs import build_pdf

REPO = Path(__file__).resolve().parents[3]
THREADS = 5
ROUNDS = 2
FONTS = ("Helvetica", "Times-Roman", "Courier-Bold", "Helvetica-Oblique", "Times-BoldItalic")


def text_pdf(path: Path, *, pages: int, seed: int) -> Path:
    """Pages of text in the standard fonts (drawn from PDFium's shared font and glyph caches, at many sizes
    and angles), a vector drawing and a soft-masked image object (for `embedded_images`)."""
    rng = np.random.default_rng(seed)
    first_extra = 3 + 2 * pages
    fonts = [
        f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>".encode()
        for name in FONTS
    ]
    alpha = np.zeros((48, 64), np.uint8)
    alpha[8:40, 8:56] = 255
    rgb = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    mask_data, rgb_data = zlib.compress(alpha.tobytes()), zlib.compress(rgb.tobytes())
    mask_id = first_extra + len(fonts)
    mask = (
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(mask_data)
        + mask_data
        + b"\nendstream"
    )
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Filter /FlateDecode /SMask %d 0 R /Length %d >>\nstream\n"
        % (mask_id, len(rgb_data))
        + rgb_data
        + b"\nendstream"
    )
    font_resources = " ".join(f"/F{i} {first_extra + i} 0 R" for i in range(len(fonts)))
    contents = []
    for page in range(pages):
        ops = [b"0.2 0.3 0.6 rg 40 700 515 100 re f 0 0 0 RG 2 w 40 40 m 555 560 l S"]
        for line in range(30):
            size = 6 + (line * 7 + page * 3 + seed) % 23
            angle = ((line + page) % 5 - 2) * 0.08
            cos, sin = np.cos(angle), np.sin(angle)
            ops.append(
                b"BT /F%d %d Tf %.3f %.3f %.3f %.3f 40 %d Tm (Page %d ligne %d \\351t\\351 pr\\351vention %d) Tj ET"
                % (line % len(fonts), size, cos, sin, -sin, cos, 680 - 21 * line, page + 1, line, seed)
            )
        ops.append(b"q 160 0 0 120 380 60 cm /Im0 Do Q")
        contents.append(b"\n".join(ops))
    path.write_bytes(
        build_pdf(
            contents,
            extra_objects=(*fonts, mask, image),
            resources=f"/Font << {font_resources} >> /XObject << /Im0 {mask_id + 1} 0 R >>",
        )
    )
    return path


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def fingerprint(path: Path) -> dict[str, object]:
    """What every PDFium entry point of the product makes of one PDF, as short hashes (small renders: the
    point is many calls into PDFium at once, not big bitmaps)."""
    info = documents.validate_document(path, max_pages=50)
    rasters = [
        _digest(r.rgb.tobytes(), str(r.rgb.shape).encode()) for r in documents.iter_pages(path, dpi=72)
    ]
    with documents.open_pdf(path) as pdf:
        images = [
            _digest(*(image.rgba.tobytes() for image in documents.embedded_images(pdf, index)))
            for index in range(info.pages)
        ]
    return {
        "pages": info.pages,
        "count": documents.page_count(path),
        "rasters": rasters,
        "preview": _digest(documents.render_preview_png(path, page=2, width_px=100)),
        "pngs": _digest(*documents.render_page_pngs(path, width_px=100, max_pages=2)),
        "text": _digest(*(page.text.encode() for page in text_extraction.pdf_text_layer(path))),
        "images": images,
    }


def hammer(folder: str, threads: int = THREADS, rounds: int = ROUNDS) -> None:
    """Run in a subprocess: fingerprint every PDF on one thread, then on `threads` threads at once, each
    starting on another PDF; print the differences and failures as JSON (a crash shows in the exit code)."""
    pdfs = sorted(Path(folder).glob("*.pdf"))
    expected = {p.name: fingerprint(p) for p in pdfs}
    problems: list[str] = []
    start = threading.Barrier(threads)

    def work(offset: int) -> None:
        try:
            start.wait()
            for round_ in range(rounds):
                for step in range(len(pdfs)):
                    pdf = pdfs[(offset + step + round_) % len(pdfs)]
                    found = fingerprint(pdf)
                    if found != expected[pdf.name]:
                        problems.append(
                            f"thread {offset}: {pdf.name} differs: {found} != {expected[pdf.name]}"
                        )
        except Exception as exc:
            problems.append(f"thread {offset}: {exc!r}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"pdfs": len(pdfs), "problems": problems[:5]}))


def lock_free_for_another_thread() -> bool:
    """Whether another thread (an upload) can take PDFIUM_LOCK within a few seconds."""
    taken: list[bool] = []

    def upload() -> None:
        if documents.PDFIUM_LOCK.acquire(timeout=5):
            documents.PDFIUM_LOCK.release()
            taken.append(True)

    other = threading.Thread(target=upload)
    other.start()
    other.join()
    return taken == [True]


class TestPdfiumFromSeveralThreads:
    def test_threads_rendering_validating_and_reading_pdfs_at_once_get_what_one_thread_gets(
        self, tmp_path: Path
    ) -> None:
        """Uploads, previews, diffs and the logo checker call PDFium at the same time: a race in PDFium is a
        segfault that takes the web process down, so the work runs in a subprocess and its exit code counts."""
        for n in range(THREADS):
            text_pdf(tmp_path / f"draft{n}.pdf", pages=3 + n % 3, seed=n)
        code = f"from tests.integration.hostile.test_pdfium_threads import hammer; hammer({str(tmp_path)!r})"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, (
            f"exit code {done.returncode} (negative: killed by signal)\n{done.stderr[-2000:]}"
        )
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary == {"pdfs": THREADS, "problems": []}

    def test_a_paused_page_iterator_does_not_hold_pdfium_from_other_threads(self, tmp_path: Path) -> None:
        """The logo checker takes seconds per page between renders of a long PDF: the lock is taken per page,
        never across a yield, or every upload would wait for the whole check."""
        path = text_pdf(tmp_path / "long.pdf", pages=3, seed=7)
        iterators: tuple[Iterator[object], ...] = (
            documents.iter_pages(path),  # generators: nothing runs before the first next()
            text_extraction.pdf_text_layer(path),
        )
        for pages in iterators:
            next(pages)  # paused between two pages, the document open
            assert lock_free_for_another_thread()
            rest = list(pages)
            assert len(rest) == 2
