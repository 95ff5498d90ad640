"""The `demo` command: the whole Article 8 story in well under a minute, on embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comms_approval.cli.common import console, handle_errors
from comms_approval.cli.main import app


@app.command("demo")
@handle_errors
def demo_command(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where the demo keeps its database and mail (reset each run)"),
    ] = None,
) -> None:
    """Play a complete story: logo check, routing, decisions, reminders, silence = approval, audit, objection."""
    from comms_approval.config import Settings
    from comms_approval.demo.story import run_demo

    target = data_dir or (Settings().data_dir / "demo")
    outcome = run_demo(console, target)
    if not outcome.audit_ok or outcome.first_status != "cleared":
        raise typer.Exit(1)
