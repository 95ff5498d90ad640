"""Entry point of the `comms-approval` command: assembles the command groups."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="comms-approval",
    help="Article 8 approval engine: logo checks, routing, silence = approval, audit trail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Article 8 approval engine: logo checks, routing, silence = approval, audit trail."""


def _register() -> None:
    """Each command module adds its commands to `app`; imported here so start-up stays explicit."""
    from comms_approval.cli import (  # noqa: F401
        admin,
        audit,
        deadline,
        demo,
        lifecycle,
        logos,
        serve,
        workflow,
    )

    # Further command modules register themselves below (one import per module).


_register()


def main() -> None:  # pragma: no cover - console-script shim
    app()
