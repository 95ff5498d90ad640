"""Set-up commands: `init` and `convention load`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comms_approval.adapters.db.migrate import current_revision
from comms_approval.cli.common import console, context, handle_errors
from comms_approval.cli.main import app
from comms_approval.services.conventions import load_convention_file

convention_app = typer.Typer(help="Convention files: load and inspect.", no_args_is_help=True)
app.add_typer(convention_app, name="convention")


@app.command("init")
@handle_errors
def init_command() -> None:
    """Create the data directory and bring the database schema to the latest version."""
    ctx = context()
    console.print(
        f"[green]✓[/] base de données prête ({ctx.engine.dialect.name}, "
        f"révision {current_revision(ctx.engine)}) — données : {ctx.settings.data_dir}"
    )


@convention_app.command("load")
@handle_errors
def convention_load(file: Annotated[Path, typer.Argument(help="Convention TOML file")]) -> None:
    """Validate a convention file and store it (unchanged files are left as they are)."""
    ctx = context()
    result = load_convention_file(ctx, file)
    conv = result.convention
    state = "chargée" if result.created else ("mise à jour" if result.changed else "inchangée")
    console.print(f"[green]✓[/] convention [bold]{conv.id}[/] {state} : {conv.title}")
    for party in conv.parties:
        console.print(f"  • {party.short_name:<12} {party.name}  ({len(party.approvers)} approbateur(s))")
