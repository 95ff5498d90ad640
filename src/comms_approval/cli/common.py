"""Shared CLI plumbing: one console, context building, and translation of product errors to exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer
from rich.console import Console

from comms_approval.bootstrap import AppContext, build_context
from comms_approval.domain.errors import (
    CommsApprovalError,
    ConfigurationError,
    ConventionFileError,
    DocumentError,
    NotFound,
)

if TYPE_CHECKING:
    from comms_approval.services.logo_check import Progress

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def checking_bar(description: str, *, on: Console = err_console) -> Iterator[Progress]:
    """A progress bar on a terminal's stderr, fed by the logo checker's (pages searched, at most) while a
    draft is checked (a brochure takes seconds a page); nothing in a pipe or a file."""
    if not on.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=on, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def tell(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tell


P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES: dict[type[CommsApprovalError], int] = {
    ConfigurationError: 3,
    ConventionFileError: 4,
    NotFound: 5,
    DocumentError: 6,
}


def exit_code_for(error: CommsApprovalError) -> int:
    for kind, code in EXIT_CODES.items():
        if isinstance(error, kind):
            return code
    return 1


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn product errors into one red line and a meaningful exit code (no traceback for users)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CommsApprovalError as error:
            err_console.print(f"[bold red]Erreur :[/] {error}")
            raise typer.Exit(exit_code_for(error)) from error

    return wrapper


def parse_instant(value: str | None, option: str = "--now") -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{option}: not an ISO-8601 instant: {value!r}") from exc
    if instant.tzinfo is None:
        raise typer.BadParameter(f"{option}: give a time zone offset, e.g. {value}+02:00")
    return instant


def context(now: datetime | None = None) -> AppContext:
    """Build the application context for one CLI command; a moved clock is itself audited."""
    try:
        ctx = build_context(now=now)
    except CommsApprovalError:
        raise
    except ValueError as exc:  # pydantic validation of settings
        raise ConfigurationError(str(exc)) from exc
    if ctx.clock_overridden:
        record_clock_override(ctx, "cli")
    return ctx


def record_clock_override(ctx: AppContext, by: str) -> None:
    from comms_approval.adapters.db.audit import AuditRefs
    from comms_approval.domain.events import ClockOverridden
    from comms_approval.services.records import record_event

    with ctx.uow() as uow:
        now = ctx.clock.now()
        record_event(
            uow.session,
            ctx.clock,
            ClockOverridden(occurred_at=now, now=now, overridden_by=by, environment=ctx.settings.env.value),
            AuditRefs(),
        )
        uow.commit()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
