"""Seeded generator of the logo benchmark: synthetic conventions, logos, A4 drafts (images and PDFs) and ground truth.

    python bench/logos/generate.py OUT_DIR --seed 7 --conventions 8 --pages 40

Everything is synthesised (no download): logos are emblems + wordmarks in DejaVu/Liberation fonts (drawn with
Pillow) or in the PDF standard fonts (drawn as vectors, rendered by pdfium); each party may have an obsolete
version; look-alike distractors are never declared. Drafts are A4 at 150 dpi with text blocks, colour fields,
gradients and synthetic photographs, logos 4-60 % of the page width, transparent or flattened on white, rotated
up to 5°, grayscale, JPEG q30-95, and PDFs with embedded image logos, vector logos or a flattened page image.
"""

from __future__ import annotations

import argparse
import colorsys
import io
import json
import math
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

PAGE_W, PAGE_H, DPI = 1240, 1754, 150
PT_W, PT_H = 595.276, 841.89  # A4 in PDF points
FONT_DIR = Path("/usr/share/fonts/truetype")
TTF = [
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSerif-Bold.ttf",
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSansCondensed-Bold.ttf",
    "liberation/LiberationSans-Bold.ttf",
    "liberation/LiberationSerif-Bold.ttf",
    "liberation/LiberationSansNarrow-Bold.ttf",
    "liberation/LiberationMono-Bold.ttf",
    "dejavu/DejaVuSerif-Italic.ttf",
]
STD_FONTS = ["Helvetica-Bold", "Times-Bold", "Helvetica", "Courier-Bold", "Times-BoldItalic"]
WORDS = [
    "conseil",
    "direction",
    "services",
    "jeunesse",
    "éducation",
    "famille",
    "region",
    "santé",
    "emploi",
    "culture",
    "sport",
    "territoire",
    "solidarité",
    "action",
    "sociale",
    "ville",
    "agence",
    "mission",
    "école",
    "prévention",
]


# ----------------------------------------------------------------------------------------------- logos
@dataclass
class Prim:
    kind: str  # rect | poly | ellipse | ring | text | grad
    pts: list[tuple[float, float]] = field(default_factory=list)
    fill: tuple[int, int, int] = (0, 0, 0)
    fill2: tuple[int, int, int] = (0, 0, 0)
    width: float = 0.0
    text: str = ""
    font: str = ""
    size: float = 0.0


@dataclass
class LogoSpec:
    name: str
    vector: bool
    prims: list[Prim]
    w: int = 900
    h: int = 300


def _rand_colour(rng: random.Random, *, dark: bool = False) -> tuple[int, int, int]:
    h = rng.random()
    s = rng.uniform(0.55, 1.0)
    v = rng.uniform(0.25, 0.55) if dark else rng.uniform(0.45, 0.95)
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _hue_shift(c: tuple[int, int, int], shift: float) -> tuple[int, int, int]:
    h, s, v = colorsys.rgb_to_hsv(*(x / 255 for x in c))
    r, g, b = colorsys.hsv_to_rgb((h + shift) % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _emblem(rng: random.Random, palette: list[tuple[int, int, int]], vector: bool) -> list[Prim]:
    prims: list[Prim] = []
    style = rng.choice(["facets", "rings", "bands", "tile", "star", "figures"])
    cx, cy, r = 130.0, 150.0, rng.uniform(90, 115)
    if style == "facets":
        n = rng.choice([5, 6, 8])
        pts = [
            (
                cx + r * math.cos(2 * math.pi * i / n - math.pi / 2),
                cy + r * math.sin(2 * math.pi * i / n - math.pi / 2),
            )
            for i in range(n)
        ]
        for i in range(0, n, 2):
            prims.append(
                Prim("poly", [(cx, cy), pts[i], pts[(i + 1) % n], pts[(i + 2) % n]], palette[i // 2 % 3])
            )
    elif style == "rings":
        prims.append(
            Prim("ring", [(cx - r, cy - r), (cx + r, cy + r)], palette[0], width=rng.uniform(14, 26))
        )
        prims.append(
            Prim("ellipse", [(cx - r * 0.45, cy - r * 0.45), (cx + r * 0.45, cy + r * 0.45)], palette[1])
        )
    elif style == "bands":
        x = cx - r
        for i in range(3):
            prims.append(
                Prim("rect", [(x + i * r * 2 / 3, cy - r), (x + (i + 1) * r * 2 / 3, cy + r)], palette[i])
            )
        prims.append(Prim("rect", [(cx - 12, cy - r * 0.6), (cx + 12, cy + r * 0.6)], (90, 90, 90)))
    elif style == "tile":
        if vector:
            prims.append(Prim("rect", [(cx - r, cy - r * 0.8), (cx + r, cy + r * 0.8)], palette[0]))
        else:
            prims.append(
                Prim("grad", [(cx - r, cy - r * 0.8), (cx + r, cy + r * 0.8)], palette[0], palette[1])
            )
        prims.append(
            Prim(
                "poly",
                [(cx - r * 0.7, cy), (cx, cy - r * 0.6), (cx + r * 0.7, cy), (cx, cy + r * 0.5)],
                (255, 255, 255),
            )
        )
    elif style == "star":
        pts = []
        for i in range(10):
            rr = r if i % 2 == 0 else r * 0.45
            a = math.pi * i / 5 - math.pi / 2
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        prims.append(Prim("ellipse", [(cx - r, cy - r), (cx + r, cy + r)], palette[1]))
        prims.append(Prim("poly", pts, palette[0]))
    else:
        prims.append(Prim("ring", [(cx - r, cy - r), (cx + r, cy + r)], palette[0], width=18))
        prims.append(Prim("ellipse", [(cx - 45, cy - 60), (cx - 5, cy - 20)], palette[0]))
        prims.append(Prim("rect", [(cx - 50, cy - 12), (cx, cy + 65)], palette[0]))
        prims.append(Prim("ellipse", [(cx + 10, cy - 40), (cx + 40, cy - 10)], palette[1]))
        prims.append(Prim("rect", [(cx + 8, cy), (cx + 44, cy + 65)], palette[1]))
    return prims


def _wordmark(
    rng: random.Random, ink: tuple[int, int, int], vector: bool, acronym: str, line: str
) -> list[Prim]:
    font = rng.choice(STD_FONTS if vector else TTF)
    size = rng.uniform(70, 95)
    prims = [Prim("text", [(265.0, 60.0 + size)], ink, text=acronym, font=font, size=size)]
    if line:
        small = rng.choice(STD_FONTS if vector else TTF)
        prims.append(
            Prim("text", [(268.0, 60.0 + size + 52)], ink, text=line, font=small, size=rng.uniform(24, 32))
        )
    return prims


def _acronym(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVZ") for _ in range(rng.randint(3, 5)))


def make_party_logos(rng: random.Random, pid: str) -> dict[str, Any]:
    """A party's current logo, maybe an obsolete version, and undeclared look-alikes."""
    vector = rng.random() < 0.35
    palette = [_rand_colour(rng) for _ in range(3)]
    ink = _rand_colour(rng, dark=True)
    acronym = _acronym(rng)
    line = " ".join(rng.sample(WORDS, 2)) if rng.random() < 0.7 else ""
    emblem = _emblem(rng, palette, vector)
    word = _wordmark(rng, ink, vector, acronym, line)
    current = LogoSpec(f"{pid}", vector, emblem + word)

    def recolour(prims: list[Prim], shift: float) -> list[Prim]:
        return [
            Prim(
                p.kind,
                p.pts,
                _hue_shift(p.fill, shift),
                _hue_shift(p.fill2, shift),
                p.width,
                p.text,
                p.font,
                p.size,
            )
            for p in prims
        ]

    obsolete = None
    obsolete_kind = None
    if rng.random() < 0.6:
        obsolete_kind = rng.choice(["colour", "text", "emblem"])
        if obsolete_kind == "colour":
            obsolete = LogoSpec(
                f"{pid}-old", vector, recolour(emblem, rng.uniform(0.3, 0.7)) + recolour(word, 0.5)
            )
        elif obsolete_kind == "text":
            old_line = " ".join(rng.sample(WORDS, 2))
            obsolete = LogoSpec(
                f"{pid}-old", vector, emblem + _wordmark(rng, ink, vector, _acronym(rng), old_line)
            )
        else:
            obsolete = LogoSpec(f"{pid}-old", vector, _emblem(rng, palette, vector) + word)
    lookalikes = [
        ("hue", LogoSpec(f"{pid}-lk-hue", vector, recolour(emblem + word, rng.uniform(0.2, 0.8)))),
        (
            "text",
            LogoSpec(f"{pid}-lk-text", vector, emblem + _wordmark(rng, ink, vector, _acronym(rng), line)),
        ),
        (
            "emblem",
            LogoSpec(
                f"{pid}-lk-emblem", vector, _emblem(rng, [_rand_colour(rng) for _ in range(3)], vector) + word
            ),
        ),
    ]
    return {
        "current": current,
        "obsolete": obsolete,
        "obsolete_kind": obsolete_kind,
        "lookalikes": lookalikes,
    }


def _font(name: str, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), max(1, round(size)))


def render_raster(spec: LogoSpec) -> Image.Image:
    ss = 2
    img = Image.new("RGBA", (spec.w * ss, spec.h * ss), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    for p in spec.prims:
        pts = [(x * ss, y * ss) for x, y in p.pts]
        if p.kind == "rect":
            d.rectangle((*pts[0], *pts[1]), fill=p.fill)
        elif p.kind == "poly":
            d.polygon(pts, fill=p.fill)
        elif p.kind == "ellipse":
            d.ellipse((*pts[0], *pts[1]), fill=p.fill)
        elif p.kind == "ring":
            d.ellipse((*pts[0], *pts[1]), outline=p.fill, width=round(p.width * ss))
        elif p.kind == "grad":
            (x0, y0), (x1, y1) = pts
            for y in range(int(y0), int(y1)):
                t = (y - y0) / max(1, y1 - y0)
                c = tuple(int(a + (b - a) * t) for a, b in zip(p.fill, p.fill2, strict=True))
                d.line((x0, y, x1, y), fill=c)
        elif p.kind == "text":
            d.text(pts[0], p.text, font=_font(p.font, p.size * ss), fill=p.fill, anchor="ls")
    img = img.resize((spec.w, spec.h), Image.Resampling.LANCZOS)
    return _crop(img)


def _crop(img: Image.Image, pad: int = 10) -> Image.Image:
    box = img.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    assert box is not None
    return img.crop(
        (
            max(0, box[0] - pad),
            max(0, box[1] - pad),
            min(img.width, box[2] + pad),
            min(img.height, box[3] + pad),
        )
    )


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def vector_ops(spec: LogoSpec, fonts: dict[str, str]) -> bytes:
    """PDF content operators drawing the logo in its own units, y down (caller sets the CTM)."""
    out: list[bytes] = []
    k = 0.5523
    for p in spec.prims:
        r, g, b = (c / 255 for c in p.fill)
        colour = f"{r:.3f} {g:.3f} {b:.3f}"
        if p.kind == "rect":
            (x0, y0), (x1, y1) = p.pts
            out.append(f"{colour} rg {x0:.2f} {y0:.2f} {x1 - x0:.2f} {y1 - y0:.2f} re f".encode())
        elif p.kind == "poly":
            path = " ".join(f"{x:.2f} {y:.2f} {'m' if i == 0 else 'l'}" for i, (x, y) in enumerate(p.pts))
            out.append(f"{colour} rg {path} h f".encode())
        elif p.kind in ("ellipse", "ring"):
            (x0, y0), (x1, y1) = p.pts
            if p.kind == "ring":
                hw = p.width / 2
                x0, y0, x1, y1 = x0 + hw, y0 + hw, x1 - hw, y1 - hw
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
            e = (
                f"{cx + rx:.2f} {cy:.2f} m "
                f"{cx + rx:.2f} {cy + k * ry:.2f} {cx + k * rx:.2f} {cy + ry:.2f} {cx:.2f} {cy + ry:.2f} c "
                f"{cx - k * rx:.2f} {cy + ry:.2f} {cx - rx:.2f} {cy + k * ry:.2f} {cx - rx:.2f} {cy:.2f} c "
                f"{cx - rx:.2f} {cy - k * ry:.2f} {cx - k * rx:.2f} {cy - ry:.2f} {cx:.2f} {cy - ry:.2f} c "
                f"{cx + k * rx:.2f} {cy - ry:.2f} {cx + rx:.2f} {cy - k * ry:.2f} {cx + rx:.2f} {cy:.2f} c h"
            )
            if p.kind == "ring":
                out.append(f"{colour} RG {p.width:.2f} w {e} S".encode())
            else:
                out.append(f"{colour} rg {e} f".encode())
        elif p.kind == "text":
            x, y = p.pts[0]
            out.append(
                f"BT {colour} rg /{fonts[p.font]} {p.size:.2f} Tf 1 0 0 -1 {x:.2f} {y:.2f} Tm ".encode()
                + _pdf_string(p.text)
                + b" Tj ET"
            )
    return b"\n".join(out)


class PdfWriter:
    """A minimal PDF writer: pages with JPEG/PNG-like images (with soft masks) and vector content."""

    def __init__(self) -> None:
        self.objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages
        self.pages: list[int] = []
        self.fonts: dict[str, str] = {}
        self.font_ids: dict[str, int] = {}

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, head: str, data: bytes) -> int:
        return self.add(f"<< {head} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")

    def font(self, name: str) -> str:
        if name not in self.fonts:
            self.fonts[name] = f"F{len(self.fonts) + 1}"
            self.font_ids[name] = self.add(
                f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>".encode()
            )
        return self.fonts[name]

    def image(self, img: Image.Image, *, jpeg: int | None = None) -> int:
        if img.mode == "RGBA" and jpeg is None:
            alpha = np.asarray(img.getchannel("A")).tobytes()
            smask = self.stream(
                f"/Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
                "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                zlib.compress(alpha),
            )
            rgb = np.asarray(img.convert("RGB")).tobytes()
            return self.stream(
                f"/Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
                f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask {smask} 0 R",
                zlib.compress(rgb),
            )
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=jpeg or 85)
        return self.stream(
            f"/Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
            "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
            buf.getvalue(),
        )

    def page(self, content: bytes, images: dict[str, int], size: tuple[float, float] = (PT_W, PT_H)) -> None:
        xobj = " ".join(f"/{k} {v} 0 R" for k, v in images.items())
        fonts = " ".join(f"/{alias} {self.font_ids[name]} 0 R" for name, alias in self.fonts.items())
        contents = self.stream("", content)
        self.pages.append(
            self.add(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]:.3f} {size[1]:.3f}] /Resources "
                f"<< /XObject << {xobj} >> /Font << {fonts} >> >> /Contents {contents} 0 R >>".encode()
            )
        )

    def bytes(self) -> bytes:
        self.objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
        kids = " ".join(f"{p} 0 R" for p in self.pages)
        self.objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(self.pages)} >>".encode()
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        for o in offsets:
            out += f"{o:010d} 00000 n \n".encode()
        out += (
            f"trailer\n<< /Size {len(self.objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)


def render_vector(spec: LogoSpec, width_px: int | None = None) -> Image.Image:
    writer = PdfWriter()
    fonts = {p.font: writer.font(p.font) for p in spec.prims if p.kind == "text"}
    ops = b"q 1 0 0 -1 0 %d cm\n" % spec.h + vector_ops(spec, fonts) + b"\nQ"
    writer.page(ops, {}, (spec.w, spec.h))
    doc = pdfium.PdfDocument(writer.bytes())
    img = (
        doc[0]
        .render(scale=(width_px or spec.w) / spec.w, fill_color=(255, 255, 255, 0))
        .to_pil()
        .convert("RGBA")
    )
    doc.close()
    return _crop(img)


def render_logo(spec: LogoSpec) -> Image.Image:
    return render_vector(spec) if spec.vector else render_raster(spec)


# ------------------------------------------------------------------------------------------- backgrounds
def _noise(rng: np.random.Generator, h: int, w: int, octaves: int = 5) -> np.ndarray:
    out = np.zeros((h, w), np.float32)
    amp = 1.0
    for o in range(octaves):
        cells = 3 * 2**o
        small = rng.standard_normal((cells * h // w + 2, cells + 2)).astype(np.float32)
        out += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        amp *= 0.6
    return (out - out.mean()) / (out.std() + 1e-6)


def photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A synthetic photograph: coloured multi-octave noise, blurred blobs and fine grain."""
    base = np.stack([_noise(rng, h, w) for _ in range(3)], -1)
    mix = rng.uniform(-1, 1, (3, 3)).astype(np.float32)
    img = 128 + 45 * base @ mix.T + rng.uniform(-40, 40, 3)
    for _ in range(int(rng.integers(6, 16))):
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(20, max(21, w // 5)))
        colour = rng.uniform(0, 255, 3).tolist()
        cv2.circle(img, (cx, cy), r, colour, -1)
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(2, 6)))
    img += rng.normal(0, rng.uniform(3, 12), img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def text_block(draw: ImageDraw.ImageDraw, rng: random.Random, box: tuple[int, int, int, int]) -> None:
    size = rng.randint(12, 26)
    font = _font(
        rng.choice(
            [
                "dejavu/DejaVuSans.ttf",
                "liberation/LiberationSerif-Regular.ttf",
                "liberation/LiberationSans-Regular.ttf",
            ]
        ),
        size,
    )
    ink = (rng.randint(0, 70),) * 3
    y = box[1]
    while y + size < box[3]:
        words, line = [], ""
        while True:
            word = rng.choice(WORDS)
            if draw.textlength(line + " " + word, font=font) > box[2] - box[0]:
                break
            line = (line + " " + word).strip()
            words.append(word)
        draw.text((box[0], y), line, font=font, fill=ink)
        y += int(size * 1.5)


def background(rng: random.Random, nrng: np.random.Generator, kind: str) -> Image.Image:
    if kind == "white":
        img = Image.new("RGB", (PAGE_W, PAGE_H), (255, 255, 255))
    elif kind == "colour":
        img = Image.new(
            "RGB",
            (PAGE_W, PAGE_H),
            _rand_colour(rng) if rng.random() < 0.5 else tuple(rng.randint(200, 250) for _ in range(3)),
        )
    elif kind == "gradient":
        a, b = np.array(_rand_colour(rng), np.float32), np.array(_rand_colour(rng), np.float32)
        t = np.linspace(0, 1, PAGE_H, dtype=np.float32)[:, None, None] * np.ones((1, PAGE_W, 1), np.float32)
        if rng.random() < 0.5:
            t = np.linspace(0, 1, PAGE_W, dtype=np.float32)[None, :, None] * np.ones(
                (PAGE_H, 1, 1), np.float32
            )
        img = Image.fromarray((a + (b - a) * t).astype(np.uint8))
    elif kind == "photo":
        img = Image.fromarray(photo(nrng, PAGE_H, PAGE_W))
    else:  # mixed: a layout with a photo band, a colour field and text
        img = Image.new("RGB", (PAGE_W, PAGE_H), (255, 255, 255))
        ph = rng.randint(400, 800)
        img.paste(Image.fromarray(photo(nrng, ph, PAGE_W)), (0, rng.randint(0, PAGE_H - ph)))
        draw = ImageDraw.Draw(img)
        y = rng.randint(0, PAGE_H - 200)
        draw.rectangle((0, y, PAGE_W, y + rng.randint(80, 200)), fill=_rand_colour(rng))
    if kind in ("white", "colour", "mixed") or rng.random() < 0.3:
        draw = ImageDraw.Draw(img)
        for _ in range(rng.randint(1, 4)):
            x0, y0 = rng.randint(60, 700), rng.randint(60, 1500)
            text_block(
                draw, rng, (x0, y0, min(PAGE_W - 60, x0 + rng.randint(300, 900)), min(PAGE_H - 60, y0 + 300))
            )
    return img


# ------------------------------------------------------------------------------------------------ pages
@dataclass
class Placement:
    party: str
    shown: str  # current | obsolete | lookalike:<kind>
    spec: LogoSpec
    image: Image.Image
    box_px: tuple[int, int, int, int]
    angle: float
    flattened: bool
    width: int  # the logo's own width in page pixels, before rotation (what the minimum width is about)


def _logo_size_frac(rng: random.Random) -> float:
    bucket = rng.random()
    if bucket < 0.12:
        return rng.uniform(0.035, 0.06)
    if bucket < 0.55:
        return rng.uniform(0.06, 0.15)
    if bucket < 0.85:
        return rng.uniform(0.15, 0.35)
    return rng.uniform(0.35, 0.6)


def _prepare(logo: Image.Image, width: int, angle: float, flattened: bool) -> Image.Image:
    h = max(4, round(logo.height * width / logo.width))
    img = logo.resize((width, h), Image.Resampling.LANCZOS)
    if flattened:
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    return img


def _overlaps(box: tuple[int, int, int, int], boxes: list[tuple[int, int, int, int]], gap: int = 12) -> bool:
    return any(
        not (box[2] + gap < b[0] or b[2] + gap < box[0] or box[3] + gap < b[1] or b[3] + gap < box[1])
        for b in boxes
    )


def plan_page(
    rng: random.Random,
    conv: dict[str, Any],
    logos: dict[str, Any],
    grayscale: bool,
    rotate: bool,
    flatten_p: float,
) -> list[Placement]:
    placements: list[Placement] = []
    boxes: list[tuple[int, int, int, int]] = []
    order = list(conv["parties"])
    rng.shuffle(order)
    for pid in order:
        info = logos[pid]
        roll = rng.random()
        if roll < 0.66:
            shown, spec = "current", info["current"]
        elif roll < 0.78:
            continue
        elif roll < 0.89 and info["obsolete"] is not None:
            shown, spec = "obsolete", info["obsolete"]
        else:
            kinds = [k for k in info["lookalikes"] if not (grayscale and k[0] == "hue")]
            kind, spec = rng.choice(kinds)
            shown = f"lookalike:{kind}"
        image = info["images"][spec.name]
        frac = _logo_size_frac(rng)
        angle = rng.uniform(-5, 5) if rotate else 0.0
        flattened = rng.random() < flatten_p
        for _ in range(60):
            width = max(30, round(frac * PAGE_W))
            prepared = _prepare(image, width, angle, flattened)
            if prepared.width < PAGE_W - 40 and prepared.height < PAGE_H - 40:
                x = rng.randint(20, PAGE_W - prepared.width - 20)
                y = rng.randint(20, PAGE_H - prepared.height - 20)
                box = (x, y, x + prepared.width, y + prepared.height)
                if not _overlaps(box, boxes):
                    boxes.append(box)
                    placements.append(Placement(pid, shown, spec, prepared, box, angle, flattened, width))
                    break
            frac *= 0.93
    return placements


def _tight_box(p: Placement) -> tuple[int, int, int, int]:
    """Ground-truth box: the visible logo (alpha) inside the placed image, in page pixels."""
    alpha = np.asarray(p.image.getchannel("A"))
    if p.flattened:
        rgb = np.asarray(p.image.convert("RGB")).astype(np.int16)
        alpha = np.where((alpha > 0) & (np.abs(rgb - 255).max(-1) > 12), 255, 0).astype(np.uint8)
    ys, xs = np.nonzero(alpha > 40)
    return (
        p.box_px[0] + int(xs.min()),
        p.box_px[1] + int(ys.min()),
        p.box_px[0] + int(xs.max()) + 1,
        p.box_px[1] + int(ys.max()) + 1,
    )


def expected_for(
    conv: dict[str, Any], logos: dict[str, Any], placements: list[Placement], grayscale: bool, min_mm: float
) -> dict[str, Any]:
    parties: dict[str, Any] = {}
    for pid in conv["parties"]:
        mine = [p for p in placements if p.party == pid]
        entry: dict[str, Any] = {
            "expected": "missing",
            "shown": None,
            "box": None,
            "width_frac": None,
            "flattened": None,
            "angle": None,
            "ambiguous": False,
        }
        if mine:
            p = mine[0]
            box = _tight_box(p)
            # The logo's own width, not its rotated bounding box's (4 % wider for a 2:1 logo at 5°): the
            # checker measures, and the convention's minimum is about, the logo itself.
            width_frac = p.width / PAGE_W
            width_mm = p.width / PAGE_W * 210.0
            entry.update(
                shown=p.shown,
                box=[box[0] / PAGE_W, box[1] / PAGE_H, box[2] / PAGE_W, box[3] / PAGE_H],
                width_frac=round(width_frac, 4),
                flattened=p.flattened,
                angle=round(p.angle, 2),
            )
            if p.shown == "current":
                entry["expected"] = "too_small" if width_mm < min_mm else "present"
                # Within 0.6 mm of the limit, either verdict is right (rounding of the logo's extent).
                entry["ambiguous"] = abs(width_mm - min_mm) < 0.6
                if grayscale and logos[pid]["obsolete_kind"] == "colour":
                    entry["ambiguous"] = (
                        True  # only colour tells the versions apart: uncertain is the honest answer
                    )
            elif p.shown == "obsolete":
                entry["expected"] = "obsolete"
            if p.shown in ("current", "obsolete") and logos[pid].get("indistinct_obsolete"):
                entry["ambiguous"] = True  # no picture tells these two versions apart: `uncertain` is right
        parties[pid] = entry
    return parties


def compose(bg: Image.Image, placements: list[Placement]) -> Image.Image:
    page = bg.convert("RGBA")
    for p in placements:
        page.alpha_composite(p.image, (p.box_px[0], p.box_px[1]))
    return page.convert("RGB")


def write_pdf(path: Path, bg: Image.Image, placements: list[Placement], mode: str, grayscale: bool) -> None:
    """mode: embedded (logos as image objects), vector (vector logos drawn, others embedded), flat (one image)."""
    writer = PdfWriter()
    sx, sy = PT_W / PAGE_W, PT_H / PAGE_H
    if mode == "flat":
        page = compose(bg, placements)
        if grayscale:
            page = page.convert("L").convert("RGB")
        img = writer.image(page, jpeg=80)
        writer.page(f"q {PT_W:.3f} 0 0 {PT_H:.3f} 0 0 cm /Im0 Do Q".encode(), {"Im0": img})
        path.write_bytes(writer.bytes())
        return
    images = {"Bg": writer.image(bg.convert("L").convert("RGB") if grayscale else bg, jpeg=85)}
    ops = [f"q {PT_W:.3f} 0 0 {PT_H:.3f} 0 0 cm /Bg Do Q".encode()]
    for i, p in enumerate(placements):
        x0, y0, x1, y1 = p.box_px
        if mode == "vector" and p.spec.vector and not p.flattened and not grayscale:
            # Map the logo's own units (cropped rendering) onto the placed box; rotation about the box centre.
            fonts = {pr.font: writer.font(pr.font) for pr in p.spec.prims if pr.kind == "text"}
            raw = render_vector(p.spec)  # for the crop offset and size in logo units
            crop_off = _crop_offset(p.spec)
            scale_px = (p.image.width if not p.angle else _unrotated_width(p)) / raw.width
            cx, cy = (x0 + x1) / 2 * sx, (y0 + y1) / 2 * sy
            a = math.radians(p.angle)
            s = scale_px * sx
            w_units, h_units = raw.width, raw.height
            ops.append(
                f"q 1 0 0 1 {cx:.3f} {PT_H - cy:.3f} cm {math.cos(a):.5f} {math.sin(a):.5f} {-math.sin(a):.5f} "
                f"{math.cos(a):.5f} 0 0 cm {s:.5f} 0 0 {-s:.5f} 0 0 cm 1 0 0 1 {-w_units / 2 - crop_off[0]:.3f} "
                f"{-h_units / 2 - crop_off[1]:.3f} cm 0 0 {p.spec.w} {p.spec.h} re W n".encode()
            )
            ops.append(vector_ops(p.spec, fonts))
            ops.append(b"Q")
        else:
            image = p.image.convert("LA").convert("RGBA") if grayscale else p.image
            name = f"L{i}"
            images[name] = writer.image(image)
            ops.append(
                f"q {(x1 - x0) * sx:.3f} 0 0 {(y1 - y0) * sy:.3f} {x0 * sx:.3f} {PT_H - y1 * sy:.3f} cm "
                f"/{name} Do Q".encode()
            )
    writer.page(b"\n".join(ops), images)
    path.write_bytes(writer.bytes())


def _crop_offset(spec: LogoSpec) -> tuple[float, float]:
    writer = PdfWriter()
    fonts = {p.font: writer.font(p.font) for p in spec.prims if p.kind == "text"}
    writer.page(b"q 1 0 0 -1 0 %d cm\n" % spec.h + vector_ops(spec, fonts) + b"\nQ", {}, (spec.w, spec.h))
    doc = pdfium.PdfDocument(writer.bytes())
    img = doc[0].render(scale=1.0, fill_color=(255, 255, 255, 0)).to_pil().convert("RGBA")
    doc.close()
    box = img.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    assert box is not None
    return float(max(0, box[0] - 10)), float(max(0, box[1] - 10))


def _unrotated_width(p: Placement) -> float:
    a = math.radians(abs(p.angle))
    w, h = p.image.width, p.image.height
    # Solve the expanded bounding box for the original width (w = W cos + H sin, h = W sin + H cos).
    det = math.cos(a) ** 2 - math.sin(a) ** 2
    return (w * math.cos(a) - h * math.sin(a)) / det


# Mean gray-level difference (0-255, on white, both stretched to the current one's size at 160 px wide) under
# which two versions are the same picture. A new emblem drawn for an obsolete version may come out in the same
# style and palette as the current one: 1.1 and 3.9 on seed 21, and 8.4 on seed 31 (the same star in the same
# purple, the text a little larger); every other pair of seeds 5, 7, 9, 17, 21 and 31 differs by 12.7 or more.
INDISTINCT = 10.0


def _difference(a: Image.Image, b: Image.Image, width: int = 160) -> float:
    """How far apart two logos look: their mean absolute difference on white, `b` stretched to `a`'s size.

    Stretched rather than cropped: two versions whose layouts differ by a few per cent of height would
    otherwise be compared row against shifted row, and the same picture would seem to differ.
    """
    size = (width, max(1, round(a.height * width / a.width)))

    def on_white(im: Image.Image) -> np.ndarray:
        im = im.convert("RGBA").resize(size, Image.LANCZOS)
        flat = Image.new("RGBA", im.size, (255, 255, 255, 255))
        flat.alpha_composite(im)
        return np.asarray(flat.convert("RGB"), np.float32)

    return float(np.abs(on_white(a) - on_white(b)).mean())


# ------------------------------------------------------------------------------------------------- main
def convention_toml(conv: dict[str, Any], logos_dir: Path, logos: dict[str, Any]) -> str:
    lines = [
        "[convention]",
        f'id = "{conv["id"]}"',
        f'title = "Benchmark convention {conv["id"]}"',
        'territory = "75"',
        "signed_on = 2025-09-01",
        "duration_years = 3",
        "",
    ]
    for pid in conv["parties"]:
        lines += [
            "[[parties]]",
            f'id = "{pid}"',
            f'name = "Party {pid}"',
            f'short_name = "{pid.upper()}"',
            f'approvers = ["{pid}@bench.example.org"]',
            f'logos = ["{logos_dir.name}/{pid}.png"]',
        ]
        if logos[pid]["obsolete"] is not None:
            lines.append(f'obsolete_logos = ["{logos_dir.name}/{pid}-old.png"]')
        lines.append("")
    return "\n".join(lines)


def generate(out: Path, seed: int, conventions: int, pages: int, min_mm: float = 10.0) -> dict[str, Any]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    docs: list[dict[str, Any]] = []
    for c in range(conventions):
        conv = {"id": f"bench-{seed}-{c}", "parties": [f"p{c}{chr(97 + i)}" for i in range(5)]}
        logos_dir = out / f"logos-{c}"
        logos_dir.mkdir(exist_ok=True)
        logos: dict[str, Any] = {}
        for pid in conv["parties"]:
            info = make_party_logos(rng, pid)
            specs = (
                [info["current"]]
                + ([info["obsolete"]] if info["obsolete"] else [])
                + [s for _, s in info["lookalikes"]]
            )
            info["images"] = {s.name: render_logo(s) for s in specs}
            info["images"][info["current"].name].save(logos_dir / f"{pid}.png")
            if info["obsolete"] is not None:
                info["images"][info["obsolete"].name].save(logos_dir / f"{pid}-old.png")
                info["indistinct_obsolete"] = (
                    _difference(info["images"][info["current"].name], info["images"][info["obsolete"].name])
                    < INDISTINCT
                )
            for _, s in info["lookalikes"]:
                info["images"][s.name].save(
                    logos_dir / f"{s.name}.png"
                )  # for inspection only; never declared
            logos[pid] = info
        conv_path = out / f"{conv['id']}.toml"
        conv_path.write_text(convention_toml(conv, logos_dir, logos), encoding="utf-8")
        for n in range(pages):
            bg_kind = rng.choices(["white", "colour", "gradient", "photo", "mixed"], [30, 20, 15, 20, 15])[0]
            grayscale = rng.random() < 0.15
            rotate = rng.random() < 0.4
            flatten_p = rng.choice([0.0, 0.5, 1.0])
            placements = plan_page(rng, conv, logos, grayscale, rotate, flatten_p)
            bg = background(rng, nrng, bg_kind)
            kind = rng.choices(
                ["png", "jpeg", "pdf-embedded", "pdf-vector", "pdf-flat"], [20, 50, 12, 12, 6]
            )[0]
            name = f"c{c}-{n:03d}"
            quality = None
            if kind.startswith("pdf"):
                path = out / f"{name}.pdf"
                write_pdf(path, bg, placements, kind[4:], grayscale)
            else:
                page = compose(bg, placements)
                if grayscale:
                    page = page.convert("L")
                if kind == "jpeg":
                    quality = rng.randint(30, 95)
                    path = out / f"{name}.jpg"
                    page.save(path, "JPEG", quality=quality, dpi=(DPI, DPI))
                else:
                    path = out / f"{name}.png"
                    page.save(path, "PNG", dpi=(DPI, DPI))
            docs.append(
                {
                    "file": path.name,
                    "convention": conv_path.name,
                    "kind": kind,
                    "background": bg_kind,
                    "grayscale": grayscale,
                    "jpeg_quality": quality,
                    "rotated": rotate,
                    "parties": expected_for(conv, logos, placements, grayscale, min_mm),
                }
            )
    truth = {"seed": seed, "conventions": conventions, "pages_per_convention": pages, "documents": docs}
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--conventions", type=int, default=8)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    truth = generate(args.out, args.seed, args.conventions, args.pages)
    print(f"{len(truth['documents'])} documents in {args.out}")


if __name__ == "__main__":
    main()
