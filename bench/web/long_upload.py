"""How long an officer's upload of a long PDF holds the request: the whole check inside it, or accepted at once.

Builds the demo convention on a temporary SQLite database and a brochure of N pages (the demo poster, one page
of it showing every logo at the end, text pages before), then times, with the real OpenCV checker:
- `submit_draft`: what the upload request did before (check, then route) and still does for short drafts;
- `accept_draft`: what the request does now for a draft longer than `inline_check_max_pages`;
- `run_check`: the same check, run on the web process's check thread afterwards.

    .venv/bin/python bench/web/long_upload.py --pages 12 [--omit caf]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from comms_approval.bootstrap import build_context
from comms_approval.config import Settings
from comms_approval.demo.posters import draw_poster
from comms_approval.domain.convention import Convention
from comms_approval.services.conventions import get_convention, load_convention_file
from comms_approval.services.logo_check import default_logo_checker
from comms_approval.services.submission import accept_draft, run_check, submit_draft

REPO = Path(__file__).resolve().parents[2]
CONVENTION = REPO / "conventions" / "demo.toml"
OFFICER = "com@departement.example.org"


def brochure(folder: Path, convention: Convention, pages: int, omit: list[str]) -> Path:
    """Text pages, then the back cover with the partners' logos (where brochures put them)."""
    cover = draw_poster(
        convention, folder / "cover.png", title="Assiduité", subtitle="Brochure des partenaires", omit=omit
    )
    images = []
    for number in range(1, pages):
        page = Image.new("RGB", (1240, 1754), "#fbf8f2")
        draw = ImageDraw.Draw(page)
        for line in range(40):
            draw.text(
                (90, 120 + line * 38),
                f"Page {number} — ligne {line + 1} du texte de la brochure.",
                fill="#222",
            )
        images.append(page)
    with Image.open(cover) as back:
        images.append(back.convert("RGB"))
    path = folder / f"brochure-{pages}p.pdf"
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--omit", action="append", default=[], help="a party whose logo the cover leaves out")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(_env_file=None, data_dir=folder / "data")  # type: ignore[call-arg]
        ctx = build_context(settings)
        load_convention_file(ctx, CONVENTION)
        with ctx.uow(read_only=True) as uow:
            convention = get_convention(uow.session, "demo-absenteisme-75")
        checker = default_logo_checker(settings)
        document = brochure(folder, convention, args.pages, args.omit)
        common = {
            "convention_id": convention.id,
            "party_id": "departement",
            "title": "Brochure",
            "file": document,
            "officer_email": OFFICER,
        }
        checker.check(document, convention)  # warm the logos' templates: both paths then start alike

        start = time.perf_counter()
        inline = submit_draft(ctx, checker, **common)  # type: ignore[arg-type]
        inline_s = time.perf_counter() - start

        start = time.perf_counter()
        accepted = accept_draft(ctx, communication_id=inline.communication_id, **common)  # type: ignore[arg-type]
        accept_s = time.perf_counter() - start
        start = time.perf_counter()
        outcome = run_check(ctx, checker, accepted.version_id)
        check_s = time.perf_counter() - start
        ctx.engine.dispose()

    missing = f", {', '.join(args.omit)} missing" if args.omit else ""
    table = Table(
        title=f"Upload of a {args.pages}-page PDF (the demo convention, 5 parties{missing}, real checker)"
    )
    table.add_column("what the request waits for")
    table.add_column("seconds", justify="right")
    table.add_column("outcome")
    table.add_row("before: submit_draft (check + route)", f"{inline_s:.2f}", inline.status)
    table.add_row("now: accept_draft (validate, store, preview)", f"{accept_s:.2f}", "checking")
    table.add_row("then, on a check thread: run_check", f"{check_s:.2f}", outcome.status if outcome else "-")
    console.print(table)
    console.print(f"request time ÷ {inline_s / accept_s:.0f}")
    figures = {
        "bench": "long_upload",
        "pages": args.pages,
        "omitted": args.omit,
        "submit_s": round(inline_s, 3),
        "accept_s": round(accept_s, 3),
        "run_check_s": round(check_s, 3),
        "status": outcome.status if outcome else None,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
