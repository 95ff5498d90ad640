"""What changed between two versions: per-page difference images, cached with the new version's derived files."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from comms_approval.adapters.db.tables import VersionRow
from comms_approval.adapters.documents import render_page_pngs
from comms_approval.bootstrap import AppContext

PAGE_WIDTH_PX = 900
MAX_PAGES = 20
THRESHOLD = 40  # grey levels; below this, anti-aliasing and rendering noise, not a change
HIGHLIGHT = (214, 0, 122)  # magenta: distinct from every logo-status colour


@dataclass(frozen=True)
class PageDiff:
    """One page of the comparison; `image` is None for a page that exists on one side only."""

    page: int
    changed_ratio: float
    image: Path | None
    added: bool = False
    removed: bool = False


def derived_dir(ctx: AppContext, sha256: str) -> Path:
    return ctx.settings.data_dir / "derived" / sha256


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(
        f"{path.name}.{threading.get_ident()}.part"
    )  # requests for a version's pages race
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a concurrent reader sees the whole image or none
    return path


def page_images(ctx: AppContext, version: VersionRow) -> list[Path]:
    """PNG renderings of the first pages of a version (rendered once, then read from the cache)."""
    folder = derived_dir(ctx, version.sha256)
    count = min(version.pages or 1, MAX_PAGES)
    paths = [folder / f"page{n}-w{PAGE_WIDTH_PX}.png" for n in range(1, count + 1)]
    if all(p.is_file() for p in paths):
        return paths
    rendered = render_page_pngs(
        ctx.settings.data_dir / version.stored_path, width_px=PAGE_WIDTH_PX, max_pages=MAX_PAGES
    )
    return [
        _write(folder / f"page{n}-w{PAGE_WIDTH_PX}.png", data) for n, data in enumerate(rendered, start=1)
    ]


def difference_png(before: Image.Image, after: Image.Image) -> tuple[bytes, float]:
    """The new page, faded, with changed areas in magenta; and the share of pixels that changed."""
    after_rgb = after.convert("RGB")
    before_rgb = before.convert("RGB").resize(after_rgb.size, Image.Resampling.BILINEAR)
    delta = ImageChops.difference(before_rgb, after_rgb).convert("L")
    mask = delta.point(lambda value: 255 if value > THRESHOLD else 0)
    histogram = mask.histogram()
    total = after_rgb.width * after_rgb.height
    ratio = histogram[255] / total if total else 0.0
    # Widen the changed areas a little so thin strokes stay visible on a reduced page.
    visible = mask.filter(ImageFilter.MaxFilter(5))
    faded = Image.blend(
        after_rgb.convert("L").convert("RGB"), Image.new("RGB", after_rgb.size, "white"), 0.55
    )
    overlay = Image.new("RGB", after_rgb.size, HIGHLIGHT)
    composed = Image.composite(overlay, faded, visible)
    buffer = io.BytesIO()
    composed.save(buffer, "PNG", optimize=True)
    return buffer.getvalue(), ratio


def version_differences(ctx: AppContext, previous: VersionRow, version: VersionRow) -> list[PageDiff]:
    """Page-by-page comparison of `version` with `previous` (cached under the new version's folder)."""
    before = page_images(ctx, previous)
    after = page_images(ctx, version)
    folder = derived_dir(ctx, version.sha256)
    diffs: list[PageDiff] = []
    for index in range(max(len(before), len(after))):
        number = index + 1
        if index >= len(before):
            diffs.append(PageDiff(number, 1.0, None, added=True))
            continue
        if index >= len(after):
            diffs.append(PageDiff(number, 1.0, None, removed=True))
            continue
        target = folder / f"diff-{previous.sha256[:16]}-page{number}.png"
        ratio_file = target.with_suffix(".ratio")
        if target.is_file() and ratio_file.is_file():
            diffs.append(PageDiff(number, float(ratio_file.read_text()), target))
            continue
        with Image.open(before[index]) as old, Image.open(after[index]) as new:
            data, ratio = difference_png(old, new)
        _write(target, data)
        _write(ratio_file, f"{ratio:.6f}".encode())
        diffs.append(PageDiff(number, ratio, target))
    return diffs
