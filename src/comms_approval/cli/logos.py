"""`comms-approval check-logos`: the Article 8 logo check of drafts, as JSON lines or a table."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from comms_approval.adapters.convention_file import load_convention
from comms_approval.cli.common import checking_bar
from comms_approval.cli.main import app
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import CommsApprovalError, ConventionFileError, DocumentError
from comms_approval.domain.logos import LogoReport, LogoStatus, reason_text

_STATUS_FR = {
    LogoStatus.PRESENT: "[green]présent[/]",
    LogoStatus.MISSING: "[red]absent[/]",
    LogoStatus.OBSOLETE: "[dark_orange]version obsolète[/]",
    LogoStatus.TOO_SMALL: "[dark_orange]trop petit[/]",
    LogoStatus.UNCERTAIN: "[blue]à confirmer[/]",
}


def conventions_dir() -> Path:
    """The repository's conventions/ folder (the working directory's first, for installed copies)."""
    local = Path.cwd() / "conventions"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "conventions"


def resolve_convention(value: str, folder: Path | None = None) -> Convention:
    """A convention given as a file path, or as an id: conventions/<id>.toml or any file declaring that id."""
    path = Path(value)
    if path.suffix == ".toml" or path.is_file():
        return load_convention(path)
    folder = folder or conventions_dir()
    direct = folder / f"{value}.toml"
    if direct.is_file():
        return load_convention(direct)
    for candidate in sorted(folder.glob("*.toml")):
        try:
            head = tomllib.loads(candidate.read_text(encoding="utf-8")).get("convention", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue  # an unreadable neighbour must not hide the one asked for
        if isinstance(head, dict) and head.get("id") == value:
            return load_convention(candidate)
    raise ConventionFileError(value, "(convention)", f"no convention file or id {value!r} under {folder}")


def error_messages(error: CommsApprovalError) -> dict[str, str]:
    """French and English messages of a failed file, for the JSON error object."""
    if isinstance(error, DocumentError):
        return {"fr": error.message_fr, "en": error.message_en}
    return {"fr": str(error), "en": str(error)}


def _table(report: LogoReport, names: dict[str, str]) -> Table:
    verdict = "[green]conforme[/]" if report.compliant else "[red]non conforme[/]"
    table = Table(title=f"{report.file} — {report.pages} page(s) — {verdict} — {report.elapsed_ms:.0f} ms")
    for column in ("Partie", "Statut", "Score", "Page", "Largeur (mm)", "Observation"):
        table.add_column(column)
    for result in report.parties:
        table.add_row(
            names.get(result.party, result.party),
            _STATUS_FR[result.status],
            f"{result.score:.2f}",
            str(result.page) if result.page is not None else "—",
            f"{result.width_mm:.1f}" if result.width_mm is not None else "—",
            reason_text(result.reason) or "",
        )
    return table


@app.command("check-logos")
def check_logos(
    files: Annotated[list[Path], typer.Argument(help="Drafts to check (PDF, PNG, JPEG, WebP).")],
    convention: Annotated[str, typer.Option("--convention", "-c", help="Convention file, or its id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file and per line.")] = False,
    annotate: Annotated[
        Path | None, typer.Option("--annotate", help="Write annotated page images to this folder.")
    ] = None,
) -> None:
    """Check that every party's current logo appears on each draft (Article 8 of the convention)."""
    from comms_approval.config import Settings
    from comms_approval.services.logo_check import default_logo_checker

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    try:
        conv = resolve_convention(convention)
    except ConventionFileError as error:
        err.print(f"[bold red]Erreur :[/] {error}")
        raise typer.Exit(4) from error
    checker = default_logo_checker(Settings())
    names = {p.id: p.short_name for p in conv.parties}
    failed = False
    for number, file in enumerate(files, 1):
        try:
            with checking_bar(
                f"Vérification des logos : {file.name} ({number}/{len(files)})", on=err
            ) as tell:
                report = checker.check(file, conv, annotate_dir=annotate, progress=tell)
        except CommsApprovalError as error:
            # One bad file is reported and the others are still checked.
            failed = True
            messages = error_messages(error)
            if as_json:
                out.print(
                    json.dumps({"file": str(file), "error": messages}, ensure_ascii=False), markup=False
                )
            else:
                err.print(f"[bold red]{file} :[/] {messages['fr']}")
            continue
        failed = failed or not report.compliant
        if as_json:
            out.print(json.dumps(report.as_dict(), ensure_ascii=False), markup=False)
        else:
            out.print(_table(report, names))
            for path in report.annotated_pages:
                out.print(f"  image annotée : {path}")
    if failed:
        raise typer.Exit(1)
