"""Workflow commands: submit, status, sweep, decide, resend, override."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from textwrap import shorten
from typing import Annotated, Any

import typer
from rich.table import Table

from comms_approval.bootstrap import AppContext
from comms_approval.cli.common import checking_bar, console, context, handle_errors, parse_instant
from comms_approval.cli.main import app
from comms_approval.services.conventions import load_convention_file

STATUS_STYLE = {
    "approved": "green",
    "approved_with_remarks": "green",
    "deemed_approved": "cyan",
    "objected": "red",
    "awaiting": "yellow",
    "pending_delivery": "yellow",
    "undeliverable": "bold red",
    "withdrawn": "dim",
    "cleared": "bold green",
    "blocked": "bold red",
    "routing": "yellow",
    "rejected_by_check": "red",
    "superseded": "dim",
    "checking": "yellow",
}

STATUS_FR = {
    "approved": "approuvé",
    "approved_with_remarks": "approuvé avec remarques",
    "deemed_approved": "accord tacite",
    "objected": "objection",
    "awaiting": "en attente",
    "pending_delivery": "envoi en cours",
    "undeliverable": "non distribuable",
    "withdrawn": "retiré",
    "cleared": "validée",
    "blocked": "bloquée",
    "routing": "en circulation",
    "rejected_by_check": "refusée (logos)",
    "superseded": "remplacée",
    "checking": "vérification",
}


def styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{STATUS_FR.get(status, status)}[/]"


def resolve_convention(ctx: AppContext, convention: str) -> str:
    """Accept a convention id, or a file that is loaded (idempotently) first."""
    path = Path(convention)
    if path.suffix == ".toml" or path.is_file():
        return load_convention_file(ctx, path).convention.id
    return convention


@app.command("submit")
@handle_errors
def submit_command(
    file: Annotated[Path, typer.Argument(help="Draft to submit (PDF, PNG, JPEG, WebP)")],
    convention: Annotated[str, typer.Option("--convention", help="Convention id or file")],
    by: Annotated[str, typer.Option("--by", help="Submitting party id")],
    title: Annotated[str, typer.Option("--title", help="Title of the communication")],
    officer: Annotated[
        str | None, typer.Option("--officer", help="Officer e-mail (default: party's first)")
    ] = None,
    communication: Annotated[
        int | None, typer.Option("--communication", help="Submit a new version of it")
    ] = None,
    override: Annotated[
        list[str] | None,
        typer.Option("--override", help="PARTY=justification (logo present, detector missed it)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    now: Annotated[str | None, typer.Option("--now", help="Move the clock (not in production)")] = None,
) -> None:
    """Check the draft's logos and, if compliant, route it to every other active party."""
    from comms_approval.services.logo_check import default_logo_checker
    from comms_approval.services.mentions import document_mentions
    from comms_approval.services.submission import submit_draft

    ctx = context(parse_instant(now))
    overrides: dict[str, str] = {}
    for item in override or []:
        party, sep, justification = item.partition("=")
        if not sep:
            raise typer.BadParameter("--override expects PARTY=justification")
        overrides[party.strip()] = justification
    with checking_bar(f"Contrôle des logos : {file.name}") as tell:
        result = submit_draft(
            ctx,
            default_logo_checker(ctx.settings),
            convention_id=resolve_convention(ctx, convention),
            party_id=by,
            title=title,
            file=file,
            officer_email=officer,
            communication_id=communication,
            overrides=overrides,
            find_mentions=document_mentions,
            progress=tell,
        )
    if as_json:
        data = result.as_dict()
        data.pop("logo_check")
        print(json.dumps(data, ensure_ascii=False))  # noqa: T201 - machine output
        return
    console.print(
        f"Communication n° {result.communication_id}, version {result.version} — {styled(result.status)} "
        f"[dim]sha256 {result.sha256[:16]}…[/]"
    )
    for party, status in result.requests:
        console.print(f"  → {party}: {styled(status)}")
    if not result.requests:
        console.print(
            "  Aucune demande envoyée : corrigez les logos ou enregistrez une dérogation justifiée."
        )
    raise typer.Exit(0 if result.requests else 1)


def _status_table(data: list[dict[str, Any]]) -> None:
    if not data:
        console.print("Aucune communication.")
    for comm in data:
        table = Table(
            title=f"n° {comm['communication']} — {comm['title']} ({comm['submitted_by']})",
            title_justify="left",
        )
        for column in (
            "v",
            "version",
            "partenaire",
            "demande",
            "remis le",
            "échéance",
            "relances",
            "décision",
        ):
            table.add_column(column)
        for version in comm["versions"]:
            first = True
            for req in version["requests"] or [{}]:
                table.add_row(
                    str(version["version"]) if first else "",
                    styled(version["status"]) if first else "",
                    req.get("party", "—"),
                    styled(req["status"]) if req else "",
                    (req.get("delivered_at") or "—")[:16],
                    (req.get("deadline") or "—")[:16],
                    str(req.get("reminders_sent", "")),
                    shorten(req.get("decision_text") or "", 40, placeholder=" …"),
                )
                first = False
        console.print(table)


@app.command("status")
@handle_errors
def status_command(
    communication: Annotated[int | None, typer.Argument(help="Communication number")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show communications, versions and each party's request."""
    from comms_approval.services.conventions import list_conventions
    from comms_approval.services.status import status_report

    ctx = context()
    data = status_report(ctx, communication)
    if as_json:
        print(json.dumps(data if communication is None else data[0], ensure_ascii=False))  # noqa: T201
        return
    with ctx.uow() as uow:
        for row in list_conventions(uow.session):
            console.print(f"[bold]{row.id}[/] — {row.title} (territoire {row.territory}, {row.timezone})")
    _status_table(data)


@app.command("sweep")
@handle_errors
def sweep_command(
    now: Annotated[
        str | None, typer.Option("--now", help="Run as if it were this instant (not in production)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One sweep (deemed approvals, reminders, conclusions) then one delivery pass of the outbox."""
    from comms_approval.services.mailer import open_mailer
    from comms_approval.services.outbox import dispatch_outbox
    from comms_approval.services.sweep import run_sweep

    ctx = context(parse_instant(now))
    report = run_sweep(ctx)
    with open_mailer(ctx) as mailer:
        sent = asyncio.run(dispatch_outbox(ctx, mailer))
    if as_json:
        print(  # noqa: T201 - machine output
            json.dumps(
                {
                    "deemed": report.deemed,
                    "reminders": report.reminders,
                    "concluded": report.concluded,
                    "sent": sent.sent,
                    "retried": sent.retried,
                    "failed": sent.failed,
                }
            )
        )
        return
    console.print(
        f"Balayage à {ctx.clock.now().isoformat()} : {report.deemed} accord(s) tacite(s), {report.reminders} "
        f"relance(s), {report.concluded} conclusion(s) ; courriels : {sent.sent} envoyé(s), {sent.retried} à "
        f"réessayer, {sent.failed} en échec"
    )


@app.command("dispatch")
@handle_errors
def dispatch_command() -> None:
    """Send the queued mail now (the outbox), with retries for temporary failures."""
    from comms_approval.services.mailer import open_mailer
    from comms_approval.services.outbox import dispatch_outbox

    ctx = context()
    with open_mailer(ctx) as mailer:
        sent = asyncio.run(dispatch_outbox(ctx, mailer))
    console.print(f"courriels : {sent.sent} envoyé(s), {sent.retried} à réessayer, {sent.failed} en échec")


@app.command("decide")
@handle_errors
def decide_command(
    request: Annotated[int, typer.Argument(help="Request id (see status --json)")],
    approver: Annotated[str, typer.Option("--as", help="Approver e-mail on the party's roster")],
    decision: Annotated[str, typer.Option("--decision", help="approve | approve_with_remarks | object")],
    text: Annotated[str | None, typer.Option("--text", help="Remarks or reason of the objection")] = None,
    now: Annotated[str | None, typer.Option("--now")] = None,
) -> None:
    """Record a decision on behalf of an approver (admin path; partners use their e-mail link)."""
    from comms_approval.services.decisions import record_decision_for_request

    ctx = context(parse_instant(now))
    result = record_decision_for_request(
        ctx, request_id=request, approver=approver, decision=decision, text=text
    )
    console.print(
        f"Demande {result.request_id} : {styled(result.state)}"
        f"{' (déjà enregistrée)' if result.replay else ''} — version {styled(result.version_status)}"
    )


@app.command("resend")
@handle_errors
def resend_command(
    request: Annotated[int, typer.Argument(help="Undeliverable request id")],
    officer: Annotated[str, typer.Option("--officer", help="Officer of the submitting party")],
    to: Annotated[list[str] | None, typer.Option("--to", help="Corrected address (repeatable)")] = None,
) -> None:
    """Resend an undeliverable request, optionally to corrected addresses (a new clock starts at delivery)."""
    from comms_approval.services.delivery import resend_request

    ctx = context()
    row = resend_request(ctx, request_id=request, officer_email=officer, addresses=to)
    console.print(f"Demande {row.id} renvoyée à {', '.join(row.recipients)} — {styled(row.status)}")


@app.command("bounce")
@handle_errors
def bounce_command(
    request: Annotated[int, typer.Argument(help="Request id whose mail bounced")],
    detail: Annotated[
        str, typer.Option("--detail", help="The bounce's text, e.g. '550 5.1.1 mailbox unknown'")
    ],
) -> None:
    """Record a bounce received after the relay accepted a request: its clock stops, its silence never counts."""
    from comms_approval.services.delivery import record_bounce

    ctx = context()
    record_bounce(ctx, request_id=request, detail=detail)
    console.print(
        f"Demande {request} : non remise — son délai est arrêté et son silence ne vaudra pas accord ; "
        "le chargé de communication est averti et peut la renvoyer."
    )


@app.command("override")
@handle_errors
def override_command(
    version: Annotated[int, typer.Argument(help="Version id whose logo check failed")],
    party: Annotated[str, typer.Option("--party")],
    justification: Annotated[str, typer.Option("--justification")],
    officer: Annotated[str, typer.Option("--officer")],
) -> None:
    """Record that a party's logo is present although the detector missed it (audited, shown to partners)."""
    from comms_approval.services.submission import override_logo_check

    ctx = context()
    result = override_logo_check(
        ctx, version_id=version, party_id=party, justification=justification, officer_email=officer
    )
    console.print(f"Version {result.version} : {styled(result.status)}")
