"""Commands for the convention over time: terminate/renew/expire, the yearly report, name mentions, retention."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from comms_approval.cli.admin import convention_app
from comms_approval.cli.common import console, context, handle_errors, parse_instant
from comms_approval.cli.main import app
from comms_approval.domain.convention import Convention
from comms_approval.domain.french import format_date_fr


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{option}: date attendue au format AAAA-MM-JJ, reçu {value!r}") from exc


def _emit_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))  # noqa: T201 - machine output


NowOption = Annotated[str | None, typer.Option("--now", help="Move the clock (not in production)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]


@convention_app.command("terminate")
@handle_errors
def terminate_command(
    convention: Annotated[str, typer.Argument(help="Convention id or file")],
    party: Annotated[str, typer.Argument(help="Id of the party that asked to leave")],
    requested_on: Annotated[
        str, typer.Option("--requested-on", help="Date of the written request (YYYY-MM-DD)")
    ],
    by: Annotated[str, typer.Option("--by", help="Who records it (name or address of the officer)")],
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference of the registered letter")
    ] = None,
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Record a party's termination (Article 9): it stops being asked from the following 1 September."""
    from comms_approval.cli.workflow import resolve_convention
    from comms_approval.services.lifecycle import record_termination

    ctx = context(parse_instant(now))
    result = record_termination(
        ctx,
        resolve_convention(ctx, convention),
        party,
        _parse_date(requested_on, "--requested-on"),
        by,
        reference,
    )
    if as_json:
        _emit_json(result.as_dict())
        return
    console.print(
        f"[green]✓[/] Dénonciation de [bold]{party}[/] enregistrée (demande du "
        f"{format_date_fr(result.requested_on)}). Elle prend effet le "
        f"[bold]{format_date_fr(result.effective_on)}[/] : jusqu’à cette date, ce partenaire reste "
        "destinataire des nouvelles demandes ; les demandes déjà envoyées vont à leur terme."
    )


@convention_app.command("renew")
@handle_errors
def renew_command(
    convention: Annotated[str, typer.Argument(help="Convention id or file")],
    by: Annotated[str, typer.Option("--by", help="Who records the renewal")],
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Record one more period of the convention (Article 7)."""
    from comms_approval.cli.workflow import resolve_convention
    from comms_approval.services.lifecycle import record_renewal

    ctx = context(parse_instant(now))
    term = record_renewal(ctx, resolve_convention(ctx, convention), by)
    if as_json:
        _emit_json(term.as_dict())
        return
    console.print(
        f"[green]✓[/] Renouvellement n° {term.renewals} enregistré : la convention court jusqu’au "
        f"[bold]{format_date_fr(term.period_end)}[/]."
    )


@convention_app.command("expire")
@handle_errors
def expire_command(
    convention: Annotated[str, typer.Argument(help="Convention id or file")],
    by: Annotated[str, typer.Option("--by", help="Who records the end of the convention")],
    on: Annotated[
        str | None,
        typer.Option("--on", help="First day out of force (default: the day after the current period)"),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (e.g. tacit renewal refused)")] = None,
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Record the end of the convention: from that day no new draft can be submitted under it."""
    from comms_approval.cli.workflow import resolve_convention
    from comms_approval.services.lifecycle import record_expiry

    ctx = context(parse_instant(now))
    term = record_expiry(
        ctx,
        resolve_convention(ctx, convention),
        by,
        expired_on=_parse_date(on, "--on") if on else None,
        reason=reason,
    )
    if as_json:
        _emit_json(term.as_dict())
        return
    assert term.expired_on is not None  # record_expiry always sets it
    console.print(
        f"[green]✓[/] Fin de la convention enregistrée : elle ne s’applique plus à compter du "
        f"[bold]{format_date_fr(term.expired_on)}[/]. Les demandes déjà envoyées vont à leur terme."
    )


@convention_app.command("lifecycle")
@handle_errors
def lifecycle_command(
    convention: Annotated[str, typer.Argument(help="Convention id or file")],
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Show the convention's term and each party's standing (active, termination dates)."""
    from comms_approval.cli.workflow import resolve_convention
    from comms_approval.services.lifecycle import convention_term, party_lifecycles

    ctx = context(parse_instant(now))
    convention_id = resolve_convention(ctx, convention)
    term = convention_term(ctx, convention_id)
    parties = party_lifecycles(ctx, convention_id)
    if as_json:
        _emit_json(
            {
                **term.as_dict(),
                "parties": [
                    {
                        "party": p.party_id,
                        "active": p.active,
                        "termination_requested_on": p.requested_on.isoformat() if p.requested_on else None,
                        "termination_effective_on": p.effective_on.isoformat() if p.effective_on else None,
                        "reference": p.reference,
                    }
                    for p in parties
                ],
            }
        )
        return
    state = "[green]en vigueur[/]" if term.in_force else "[red]plus en vigueur[/]"
    console.print(
        f"Convention [bold]{convention_id}[/] — {state} ; signée le {format_date_fr(term.signed_on)}, "
        f"période en cours jusqu’au {format_date_fr(term.period_end)}"
        + (f", fin enregistrée au {format_date_fr(term.expired_on)}" if term.expired_on else "")
    )
    table = Table("Partenaire", "Situation", "Demande de retrait", "Effet", "Référence")
    for p in parties:
        table.add_row(
            p.short_name,
            "[green]actif[/]" if p.active else "[dim]retiré[/]",
            format_date_fr(p.requested_on) if p.requested_on else "—",
            format_date_fr(p.effective_on) if p.effective_on else "—",
            p.reference or "—",
        )
    console.print(table)


@app.command("report")
@handle_errors
def report_command(
    school_year: Annotated[str, typer.Option("--school-year", help="School year, e.g. 2026-2027")],
    convention: Annotated[
        str | None, typer.Option("--convention", help="Convention id or file (default: every convention)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the PDF and CSV files")] = Path("reports"),
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Yearly report for the CDEN section: a French PDF with charts, and CSV files."""
    from comms_approval.cli.workflow import resolve_convention
    from comms_approval.services.yearly_report import generate_reports, parse_school_year

    year = parse_school_year(school_year)
    ctx = context(parse_instant(now))
    produced = generate_reports(
        ctx, year, out, resolve_convention(ctx, convention) if convention is not None else None
    )
    if as_json:
        _emit_json(
            [
                {**files.report.as_dict(), "pdf": str(files.pdf), "csv": [str(p) for p in files.csv]}
                for files in produced
            ]
        )
        return
    if not produced:
        console.print("Aucune convention n’est chargée : rien à rapporter.")
        return
    for files in produced:
        summary = files.report.summary()
        console.print(f"[bold]{files.report.convention_id}[/] — année scolaire {files.report.label}")
        console.print(
            f"  {summary['communications']} communication(s), {summary['versions']} version(s) ; "
            f"accords exprès {summary['explicit_approvals']}, tacites {summary['silent_approvals']}, "
            f"objections {summary['objections']} ; relances {summary['reminders_sent']} ; "
            f"échecs du contrôle des logos {summary['logo_check_failures']}"
        )
        console.print(f"  PDF : {files.pdf}")
        for path in files.csv:
            console.print(f"  CSV : {path}")


def _convention_for_mentions(convention: str, now: str | None) -> Convention:
    path = Path(convention)
    if path.suffix == ".toml" or path.is_file():
        from comms_approval.adapters.convention_file import load_convention

        return load_convention(path)
    from comms_approval.services.conventions import get_convention

    ctx = context(parse_instant(now))
    with ctx.uow() as uow:
        return get_convention(uow.session, convention)


@app.command("mentions")
@handle_errors
def mentions_command(
    file: Annotated[Path, typer.Argument(help="Draft to read (PDF, PNG, JPEG, WebP)")],
    convention: Annotated[str, typer.Option("--convention", help="Convention id or file")],
    logos: Annotated[
        bool, typer.Option("--logos", help="Also run the logo check and flag named parties without logo")
    ] = False,
    no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Do not read images with Tesseract")] = False,
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Which parties the draft names (Article 8 covers any document naming a party), with where."""
    from comms_approval.adapters.documents import validate_document
    from comms_approval.services.mentions import mentions_for_document, merge_with_logo_report

    conv = _convention_for_mentions(convention, now)
    validate_document(file)
    report = mentions_for_document(file, conv, use_ocr=not no_ocr)
    merged = None
    if logos:
        from comms_approval.config import Settings
        from comms_approval.services.logo_check import default_logo_checker

        logo_report = default_logo_checker(Settings()).check(file, conv)
        merged = merge_with_logo_report(report, logo_report.as_dict(), conv)
    if as_json:
        _emit_json({"mentions": report.as_dict(), "with_logos": merged})
        return
    console.print(
        f"[bold]{report.file}[/] — {report.pages} page(s) ; texte lu : "
        + ", ".join({"text_layer": "couche texte", "ocr": "OCR", "none": "aucun"}[s] for s in report.sources)
    )
    if merged is not None:
        table = Table("Partenaire", "Logo", "Nommé", "Formes trouvées")
        for row in merged["rows"]:
            style = "bold red" if row["bold"] else ""
            table.add_row(
                f"[{style}]{row['short_name']}[/]" if style else row["short_name"],
                row["logo_status_fr"],
                "oui" if row["named"] else "non",
                ", ".join(row["forms"]) or "—",
            )
        console.print(table)
        for warning in merged["warnings_fr"]:
            console.print(f"[bold red]{warning}[/]")
    else:
        table = Table("Partenaire", "Nommé", "Formes trouvées", "Pages")
        for found in report.parties:
            table.add_row(
                conv.party(found.party).short_name,
                "[green]oui[/]" if found.named else "non",
                ", ".join(found.forms) or "—",
                ", ".join(str(p) for p in found.pages) or "—",
            )
        console.print(table)
    for note in report.notes_fr:
        console.print(f"[yellow]Remarque :[/] {note}")


@app.command("retention")
@handle_errors
def retention_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be erased, erase nothing")
    ] = False,
    as_json: JsonOption = False,
    now: NowOption = None,
) -> None:
    """Erase the documents, evidence payloads and technical records kept past their retention period."""
    from comms_approval.services.retention import CATEGORIES, apply_retention

    ctx = context(parse_instant(now))
    result = apply_retention(ctx, dry_run=dry_run)
    if as_json:
        _emit_json(result.as_dict())
        return
    labels = {"documents": "documents", "evidence": "éléments de preuve", "logs": "journaux techniques"}
    verb = "seraient effacés" if dry_run else "effacés"
    for category in CATEGORIES:
        console.print(f"  {labels[category]} {verb} : {result.total(category)}")
