"""Drafts composed from the demo convention's logos: A4 pages and PDFs with embedded logo images."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[3]
LOGOS = REPO / "assets" / "logos"
DEMO = REPO / "conventions" / "demo.toml"
PAGE = (1240, 1754)  # A4 at 150 dpi
Placement = tuple[str, float, tuple[int, int]]  # logo file stem, width as a page fraction, top-left


def logo(stem: str) -> Image.Image:
    return Image.open(LOGOS / f"{stem}.png").convert("RGBA")


def compose(placements: Sequence[Placement], *, text: bool = True) -> Image.Image:
    """An A4 page at 150 dpi with a text block and the given logos pasted with their transparency."""
    page = Image.new("RGB", PAGE, "white")
    if text:
        draw = ImageDraw.Draw(page)
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 22)
        for line in range(12):
            draw.text(
                (100, 300 + 34 * line),
                "Semaine de prévention de l’absentéisme scolaire",
                font=font,
                fill=(40, 40, 40),
            )
    for stem, fraction, (x, y) in placements:
        image = logo(stem)
        width = round(fraction * PAGE[0])
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        page.paste(image, (x, y), image)
    return page


ALL_CURRENT: list[Placement] = [
    ("dsden", 0.2, (60, 1450)),
    ("prefet", 0.18, (330, 1450)),
    ("dtpjj", 0.18, (590, 1450)),
    ("conseil-departemental", 0.2, (840, 1450)),
    ("caf", 0.16, (100, 1620)),
]


def embedded_logo_pdf(placements: Sequence[Placement]) -> bytes:
    """A PDF page whose logos are image objects with soft masks (the fast path), on a white page."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"",
        b"",
    ]
    ops, names = [], []
    sx, sy = 595.276 / PAGE[0], 841.89 / PAGE[1]
    for index, (stem, fraction, (x, y)) in enumerate(placements):
        image = logo(stem)
        width = round(fraction * PAGE[0])
        height = round(image.height * width / image.width)
        image = image.resize((width, height), Image.Resampling.LANCZOS)
        alpha = zlib.compress(np.asarray(image.getchannel("A")).tobytes())
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
            f"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {len(alpha)} >>\nstream\n".encode()
            + alpha
            + b"\nendstream"
        )
        rgb = zlib.compress(np.asarray(image.convert("RGB")).tobytes())
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
            f"/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask {len(objects)} 0 R "
            f"/Length {len(rgb)} >>\nstream\n".encode()
            + rgb
            + b"\nendstream"
        )
        names.append(f"/L{index} {len(objects)} 0 R")
        ops.append(
            f"q {width * sx:.2f} 0 0 {height * sy:.2f} {x * sx:.2f} {841.89 - (y + height) * sy:.2f} cm "
            f"/L{index} Do Q"
        )
    content = "\n".join(ops).encode()
    objects[3] = f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
    objects[2] = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] /Resources << /XObject << "
        f"{' '.join(names)} >> >> /Contents 4 0 R >>"
    ).encode()
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
