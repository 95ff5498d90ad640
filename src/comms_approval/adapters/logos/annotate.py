"""Annotated page images: each party's box and label, and the parties not found listed in a side margin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from comms_approval.domain.logos import LogoStatus, PartyLogoResult, status_label

GREEN = (22, 140, 60)
ORANGE = (235, 120, 0)
BLUE = (30, 90, 200)
RED = (200, 30, 30)
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_CANDIDATES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def colour_for(status: LogoStatus) -> tuple[int, int, int]:
    if status is LogoStatus.PRESENT:
        return GREEN
    if status is LogoStatus.UNCERTAIN:
        return BLUE
    if status is LogoStatus.MISSING:
        return RED
    return ORANGE


def annotate_page(
    rgb: np.ndarray,
    page: int,
    results: Sequence[PartyLogoResult],
    names: dict[str, str],
    *,
    margin_px: int | None = None,
) -> Image.Image:
    """The page with a box per party found on it and a right margin listing the parties not present."""
    image = Image.fromarray(rgb).convert("RGB")
    width, height = image.size
    margin = margin_px if margin_px is not None else max(220, width // 4)
    canvas = Image.new("RGB", (width + margin, height), (248, 248, 248))
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    stroke = max(2, width // 400)
    label_font = _font(max(12, width // 70))
    for result in results:
        if result.page != page or result.box is None:
            continue
        colour = colour_for(result.status)
        x0, y0, x1, y1 = (
            result.box[0] * width,
            result.box[1] * height,
            result.box[2] * width,
            result.box[3] * height,
        )
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=stroke)
        label = f"{names.get(result.party, result.party)} : {status_label(result.status)}"
        tw = draw.textlength(label, font=label_font)
        th = label_font.size + 4 if isinstance(label_font, ImageFont.FreeTypeFont) else 14
        ly = y0 - th - 2 if y0 - th - 2 > 0 else y1 + 2
        draw.rectangle((x0, ly, x0 + tw + 8, ly + th), fill=colour)
        draw.text((x0 + 4, ly + 1), label, font=label_font, fill=(255, 255, 255))
    # the side margin: every party not present, whatever the page
    title_font = _font(max(13, width // 60))
    text_font = _font(max(11, width // 80))
    x = width + 12
    y = 16
    draw.line((width, 0, width, height), fill=(200, 200, 200), width=2)
    draw.text((x, y), f"Page {page}", font=title_font, fill=(40, 40, 40))
    y += int(title_font.size * 1.8) if isinstance(title_font, ImageFont.FreeTypeFont) else 24
    absent = [r for r in results if r.status is not LogoStatus.PRESENT]
    heading = "Logos manquants ou à revoir :" if absent else "Tous les logos sont présents."
    draw.text((x, y), heading, font=text_font, fill=(40, 40, 40))
    step = int(text_font.size * 1.6) if isinstance(text_font, ImageFont.FreeTypeFont) else 18
    y += step
    for result in absent:
        where = f" (p. {result.page})" if result.page is not None else ""
        line = f"• {names.get(result.party, result.party)} : {status_label(result.status)}{where}"
        for part in _wrap(draw, line, text_font, margin - 24):
            draw.text((x, y), part, font=text_font, fill=colour_for(result.status))
            y += step
    return canvas


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float
) -> list[str]:
    """Split a margin line on spaces so that it fits the margin (continuation lines are indented)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current.strip() and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = f"   {word}"
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def save_annotations(
    pages: Iterable[tuple[int, np.ndarray]],
    results: Sequence[PartyLogoResult],
    names: dict[str, str],
    out_dir: Path,
    stem: str,
) -> list[Path]:
    """Each page annotated and written as `<stem>-page<N>.png`, one page at a time (a long document's pages are
    rendered as they are annotated, not held together)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, rgb in pages:
        path = out_dir / f"{stem}-page{number}.png"
        annotate_page(rgb, number, results, names).save(path, "PNG", optimize=True)
        paths.append(path)
    return paths
