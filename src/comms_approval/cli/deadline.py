"""The `deadline` command: "if the request is delivered then, when does silence become approval?"."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from comms_approval.cli.main import app
from comms_approval.clock import SystemClock
from comms_approval.domain.calendars import default_timezone, normalise_territory
from comms_approval.domain.convention import DEFAULT_SILENCE_DAYS, DeadlineRule
from comms_approval.domain.deadlines import Deadline, compute_deadline, zone
from comms_approval.domain.french import (
    explain_deadline_en,
    explain_deadline_fr,
    format_deadline_en,
    format_deadline_fr,
)

_USAGE_ERROR = 2


def _fail(message: str) -> typer.Exit:
    # Plain stderr text: the message must stay readable when piped, and exit 2 is the usage-error convention.
    typer.echo(f"Erreur : {message}", err=True)
    return typer.Exit(code=_USAGE_ERROR)


def _parse_delivered(text: str | None, timezone: str) -> datetime:
    if text is None:
        return SystemClock().now()
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"--delivered {text!r} n'est pas une date ISO 8601 (exemple : 2026-04-23T10:00:00+02:00)."
        ) from None
    if instant.tzinfo is None:
        # A time without offset is read as local time of the convention's zone, as an officer would mean it.
        instant = instant.replace(tzinfo=zone(timezone))
    return instant


def _render(deadline: Deadline, language: str) -> None:
    # soft_wrap keeps each explanation on one logical line, so piping or grepping the text works.
    console = Console(soft_wrap=True, highlight=False)
    if language == "en":
        heading, lines = f"Deadline: {format_deadline_en(deadline)}", explain_deadline_en(deadline)
    else:
        heading, lines = f"Échéance : {format_deadline_fr(deadline)}", explain_deadline_fr(deadline)
    console.print(f"[bold]{escape(heading)}[/bold]")
    for line in lines:
        console.print(f"  • {escape(line)}")


@app.command("deadline")
def deadline_command(
    *,
    delivered: Annotated[
        str | None,
        typer.Option(
            "--delivered",
            help="Instant the relay accepted the mail, ISO 8601 (e.g. 2026-04-23T10:00:00+02:00). "
            "Without an offset it is read in --timezone. Default: now.",
        ),
    ] = None,
    territory: Annotated[
        str, typer.Option("--territory", help="Département code: 75, 57, 2A, 971...")
    ] = "75",
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone. Default: the territory's legal time."),
    ] = None,
    rule: Annotated[str, typer.Option("--rule", help="cpc (default) or calendar.")] = DeadlineRule.CPC.value,
    days: Annotated[int, typer.Option("--days", help="Length of the silence period in days.")] = (
        DEFAULT_SILENCE_DAYS
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    language: Annotated[str, typer.Option("--lang", help="fr (default) or en.")] = "fr",
) -> None:
    """Compute when a partner's silence becomes approval, and explain why."""
    try:
        code = normalise_territory(territory)
        zone_name = timezone if timezone is not None else default_timezone(code)
        zone(zone_name)
    except ValueError as exc:
        raise _fail(_french_reason(exc, territory, timezone)) from None
    try:
        deadline_rule = DeadlineRule(rule.strip().lower())
    except ValueError:
        raise _fail(f"--rule {rule!r} est inconnue ; valeurs possibles : cpc, calendar.") from None
    if days < 1:
        raise _fail(f"--days doit être un nombre entier de jours au moins égal à 1 (reçu : {days}).")
    if language not in {"fr", "en"}:
        raise _fail(f"--lang {language!r} est inconnue ; valeurs possibles : fr, en.")
    instant = _parse_delivered(delivered, zone_name)
    result = compute_deadline(instant, days=days, rule=deadline_rule, territory=code, timezone=zone_name)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    _render(result, language)


def _french_reason(exc: ValueError, territory: str, timezone: str | None) -> str:
    if "territory" in str(exc):
        return (
            f"--territory {territory!r} n'est pas un code de département connu (exemples : 75, 57, 2A, 971)."
        )
    return f"--timezone {timezone!r} n'est pas un fuseau horaire IANA connu (exemple : Europe/Paris)."
