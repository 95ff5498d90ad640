"""Auditor commands: `audit verify` and `audit export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from comms_approval.cli.common import console, context, err_console, handle_errors
from comms_approval.cli.main import app
from comms_approval.services.audit import export_trail, verify_trail

audit_app = typer.Typer(help="Audit trail: verify the hash chain, export it.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _parse_anchor(anchor: str | None) -> tuple[int, str] | None:
    if anchor is None:
        return None
    seq, _, digest = anchor.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter("--anchor expects SEQ:SHA256 as printed in a conclusion e-mail")
    return int(seq), digest


@audit_app.command("verify")
@handle_errors
def verify_command(
    anchor: Annotated[
        str | None, typer.Option(help="SEQ:HASH held outside the database (e-mail, checkpoint)")
    ] = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A signed checkpoint file written by `audit checkpoint`")
    ] = None,
) -> None:
    """Recompute the whole chain; exit 1 naming the first bad sequence number."""
    from comms_approval.services.checkpoints import verify_with_checkpoint

    ctx = context()
    if checkpoint is not None and anchor is not None:
        raise typer.BadParameter("give --anchor or --checkpoint, not both")
    result = (
        verify_with_checkpoint(ctx, checkpoint)
        if checkpoint is not None
        else verify_trail(ctx, expected_head=_parse_anchor(anchor))
    )
    if result.ok:
        console.print(
            f"[bold green]✓ piste d'audit intacte[/] : {result.events_checked} événement(s), "
            f"tête n° {result.head_seq} [dim]{result.head_hash}[/]"
        )
        if result.payloads_erased:
            console.print(
                f"  ({result.payloads_erased} contenu(s) purgé(s) selon la politique de conservation)"
            )
        return
    err_console.print(
        f"[bold red]✗ piste d'audit altérée[/] au n° {result.first_bad_seq} : {result.problem} "
        f"(intacte jusqu'au n° {result.head_seq})"
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
@handle_errors
def checkpoint_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File the auditor keeps outside the database")
    ],
) -> None:
    """Write a signed (HMAC) checkpoint of the chain's head: it later exposes a truncated tail."""
    from comms_approval.services.checkpoints import create_checkpoint

    point = create_checkpoint(context(), output)
    console.print(
        f"[green]✓[/] point de contrôle signé écrit dans {output} : événement n° {point.seq}, {point.hash}"
    )


@audit_app.command("export")
@handle_errors
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Export every event with its hashes, for archiving or offline verification."""
    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format must be jsonl or csv")
    ctx = context()
    if output is None:
        export_trail(ctx, sys.stdout, fmt)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        count = export_trail(ctx, handle, fmt)
    err_console.print(f"{count} événement(s) exporté(s) vers {output}")
