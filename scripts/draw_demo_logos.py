"""Draws the demo convention's logos: original artwork made for this project, not real institutional marks.

Run once (`python scripts/draw_demo_logos.py`); the PNGs are committed under assets/logos/.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "assets" / "logos"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
W, H = 600, 300


def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    return image, ImageDraw.Draw(image)


def dsden() -> Image.Image:
    """Education authority: an open book under a rising sun, navy and gold."""
    image, d = canvas()
    d.pieslice((40, 40, 200, 200), 180, 360, fill=(242, 169, 0))
    for i in range(7):
        x = 50 + i * 22
        d.line((120, 120, x, 50 + abs(3 - i) * 12), fill=(255, 255, 255), width=3)
    d.polygon([(30, 130), (120, 150), (120, 250), (30, 228)], fill=(22, 52, 125))
    d.polygon([(210, 130), (120, 150), (120, 250), (210, 228)], fill=(44, 90, 190))
    d.text((235, 70), "DSDEN", font=font(BOLD, 92), fill=(22, 52, 125))
    d.text((240, 185), "Services départementaux", font=font(REGULAR, 24), fill=(22, 52, 125))
    d.text((240, 218), "de l'éducation nationale", font=font(REGULAR, 24), fill=(22, 52, 125))
    return image


def prefet() -> Image.Image:
    """State representative: a column between three vertical bands."""
    image, d = canvas()
    d.rectangle((30, 30, 80, 270), fill=(0, 35, 149))
    d.rectangle((80, 30, 130, 270), fill=(255, 255, 255), outline=(200, 200, 200))
    d.rectangle((130, 30, 180, 270), fill=(237, 41, 57))
    d.rectangle((92, 80, 118, 240), fill=(90, 90, 90))
    d.rectangle((84, 66, 126, 80), fill=(90, 90, 90))
    d.rectangle((84, 240, 126, 254), fill=(90, 90, 90))
    d.text((205, 60), "PRÉFET", font=font(SERIF, 84), fill=(20, 20, 20))
    d.text((210, 165), "du département", font=font(REGULAR, 30), fill=(20, 20, 20))
    d.line((210, 215, 560, 215), fill=(237, 41, 57), width=6)
    return image


def dtpjj() -> Image.Image:
    """Youth justice: a green ring holding two figures, one small, one tall."""
    image, d = canvas()
    d.ellipse((30, 40, 250, 260), outline=(0, 122, 80), width=22)
    d.ellipse((95, 85, 135, 125), fill=(0, 122, 80))
    d.rounded_rectangle((90, 130, 140, 215), radius=14, fill=(0, 122, 80))
    d.ellipse((152, 115, 182, 145), fill=(120, 190, 60))
    d.rounded_rectangle((148, 150, 186, 215), radius=12, fill=(120, 190, 60))
    d.text((280, 60), "DTPJJ", font=font(BOLD, 86), fill=(0, 90, 60))
    d.text((285, 170), "Protection judiciaire", font=font(REGULAR, 26), fill=(0, 90, 60))
    d.text((285, 204), "de la jeunesse", font=font(REGULAR, 26), fill=(0, 90, 60))
    return image


def departement(obsolete: bool) -> Image.Image:
    """Departmental council: a hexagon of three facets; the pre-2015 'conseil général' version is plum."""
    image, d = canvas()
    cx, cy, r = 130, 150, 110
    pts = [
        (cx + r * dx, cy + r * dy)
        for dx, dy in ((0, -1), (0.866, -0.5), (0.866, 0.5), (0, 1), (-0.866, 0.5), (-0.866, -0.5))
    ]
    colours = (
        ((230, 110, 20), (250, 160, 40), (190, 70, 10))
        if not obsolete
        else ((120, 40, 110), (160, 70, 150), (90, 25, 80))
    )
    d.polygon([(cx, cy), pts[5], pts[0], pts[1]], fill=colours[0])
    d.polygon([(cx, cy), pts[1], pts[2], pts[3]], fill=colours[1])
    d.polygon([(cx, cy), pts[3], pts[4], pts[5]], fill=colours[2])
    ink = (70, 40, 20) if not obsolete else (90, 25, 80)
    d.text((265, 70), "Conseil", font=font(BOLD, 64), fill=ink)
    d.text(
        (265, 150),
        "général" if obsolete else "départemental",
        font=font(BOLD, 38 if not obsolete else 60),
        fill=colours[0],
    )
    return image


def caf() -> Image.Image:
    """Family allowances: a teal rounded tile with a lowercase wordmark and a roof line."""
    image, d = canvas()
    d.rounded_rectangle((30, 40, 300, 260), radius=48, fill=(0, 140, 150))
    d.line((70, 112, 165, 58, 260, 112), fill=(255, 255, 255), width=14, joint="curve")
    d.text((68, 120), "caf", font=font(BOLD, 110), fill=(255, 255, 255))
    d.text((320, 95), "Allocations", font=font(REGULAR, 40), fill=(0, 110, 120))
    d.text((320, 150), "familiales", font=font(REGULAR, 40), fill=(0, 110, 120))
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    drawings = {
        "dsden.png": dsden(),
        "prefet.png": prefet(),
        "dtpjj.png": dtpjj(),
        "conseil-departemental.png": departement(obsolete=False),
        "conseil-general-2014.png": departement(obsolete=True),
        "caf.png": caf(),
    }
    for name, image in drawings.items():
        box = image.getbbox()
        assert box is not None
        pad = 12
        cropped = image.crop(
            (max(0, box[0] - pad), max(0, box[1] - pad), min(W, box[2] + pad), min(H, box[3] + pad))
        )
        cropped.save(OUT / name, optimize=True)
        print(f"{name}: {cropped.size}")  # noqa: T201 - script output


if __name__ == "__main__":
    main()
