"""Draws demo drafts (A4 posters at 150 dpi) that carry the parties' logos, current or obsolete."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from comms_approval.domain.convention import Convention

A4_150DPI = (1240, 1754)
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = (
        ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
        if bold
        else ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
    )
    for directory in _FONT_DIRS:
        for name in names:
            if (directory / name).is_file():
                return ImageFont.truetype(str(directory / name), size)
    return ImageFont.load_default(size)


def _paste_logo(page: Image.Image, logo_path: Path, box: tuple[int, int, int, int]) -> None:
    with Image.open(logo_path) as opened:
        logo = opened.convert("RGBA")
    x0, y0, x1, y1 = box
    scale = min((x1 - x0) / logo.width, (y1 - y0) / logo.height)
    logo = logo.resize(
        (max(1, int(logo.width * scale)), max(1, int(logo.height * scale))), Image.Resampling.LANCZOS
    )
    # Composite on the page (never convert('RGB') directly: transparent areas would turn black).
    page.paste(logo, (x0 + ((x1 - x0) - logo.width) // 2, y0 + ((y1 - y0) - logo.height) // 2), logo)


def draw_poster(
    convention: Convention,
    target: Path,
    *,
    title: str,
    subtitle: str,
    accent: str = "#1f4e8c",
    obsolete_for: Sequence[str] = (),
    omit: Sequence[str] = (),
) -> Path:
    """A poster with a title block, body text and a band of partner logos at the bottom."""
    page = Image.new("RGB", A4_150DPI, "#fbf8f2")
    draw = ImageDraw.Draw(page)
    width, height = A4_150DPI
    draw.rectangle((0, 0, width, 520), fill=accent)
    draw.text((90, 150), title, font=_font(84, bold=True), fill="white")
    draw.text((90, 290), subtitle, font=_font(40), fill="#e8eef7")
    body = (
        "Chaque jour compte : l'assiduité scolaire se construit",
        "ensemble, avec les familles, l'école et les partenaires",
        "du territoire.",
        "",
        "Permanences d'écoute, ateliers parents, accompagnement",
        "personnalisé : renseignez-vous auprès de votre établissement.",
    )
    for index, line in enumerate(body):
        draw.text((90, 620 + index * 58), line, font=_font(34), fill="#222222")
    draw.rounded_rectangle((90, 1040, width - 90, 1240), radius=28, fill="#f0c75e")
    draw.text((130, 1105), "Du 5 au 9 octobre — entrée libre", font=_font(52, bold=True), fill="#3a2a00")
    band_top = height - 330
    draw.line((90, band_top - 30, width - 90, band_top - 30), fill="#cccccc", width=3)
    parties = [p for p in convention.parties if p.id not in omit]
    slot = (width - 180) // max(1, len(parties))
    for index, party in enumerate(parties):
        logos = party.obsolete_logos if party.id in obsolete_for and party.obsolete_logos else party.logos
        x0 = 90 + index * slot
        _paste_logo(page, logos[0], (x0 + 12, band_top, x0 + slot - 12, band_top + 230))
    target.parent.mkdir(parents=True, exist_ok=True)
    page.save(target, dpi=(150, 150))
    return target
