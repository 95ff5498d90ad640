"""The `serve` command: the web app in the foreground, the periodic flows and the local mail sink beside it."""

from __future__ import annotations

import asyncio
import enum
import importlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Annotated, Any

import typer

from comms_approval.bootstrap import REPO_ROOT, AppContext
from comms_approval.cli.common import console, context, err_console, handle_errors
from comms_approval.cli.main import app

logger = logging.getLogger("comms_approval.serve")

JOIN_TIMEOUT = 4.0  # a flow run in progress gets this long to finish; its claims are leased anyway
HEALTH_TIMEOUT = 3.0


class Schedule(enum.StrEnum):
    """Who runs the periodic sweep and outbox."""

    AUTO = "auto"  # Prefect when its API answers, otherwise the in-process scheduler
    PREFECT = "prefect"  # serve the deployments from this process (needs a Prefect API)
    LOCAL = "local"  # a thread calling the flows every N seconds
    OFF = "off"  # web only (another host runs the workers)


# -- the web app ---------------------------------------------------------------------------------------


def web_app(ctx: AppContext) -> Any:
    """The product's FastAPI app, or a small placeholder while the web package does not exist."""
    try:
        module = importlib.import_module("comms_approval.web.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("comms_approval.web", "comms_approval.web.app"):
            raise
        return placeholder_app()
    return module.create_app(ctx)


def placeholder_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    placeholder = FastAPI(title="comms-approval", docs_url=None, redoc_url=None, openapi_url=None)

    @placeholder.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @placeholder.get("/", include_in_schema=False)
    def index() -> PlainTextResponse:
        return PlainTextResponse("comms-approval : l'interface web n'est pas encore installée.")

    return placeholder


# -- the flows -----------------------------------------------------------------------------------------


def import_flows(name: str) -> ModuleType:
    """Import a module of the `flows/` folder, which lives beside `src/` rather than inside the package."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != "flows":
            raise
    sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module(name)


def prefect_api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


def prefect_api_answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=HEALTH_TIMEOUT).status_code == 200
    except httpx.HTTPError:
        return False


def choose_schedule(requested: Schedule) -> Schedule:
    if requested is not Schedule.AUTO:
        return requested
    url = prefect_api_url()
    if url and prefect_api_answers(url):
        return Schedule.PREFECT
    return Schedule.LOCAL


@dataclass
class PeriodicJob:
    name: str
    every: float
    run: Callable[[], object]
    next_at: float = 0.0


class LocalScheduler:
    """Prefect's local mode has no scheduler: this thread calls the same flows every N seconds."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="comms-approval-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        start = time.monotonic()
        for job in self.jobs:
            job.next_at = start  # first pass at start-up: deliver what waited while we were down
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set():
                    return
                if time.monotonic() >= job.next_at:
                    job.next_at = time.monotonic() + job.every
                    try:
                        job.run()
                    except Exception:
                        # One failed run must not end the loop; the next tick retries from the database.
                        logger.exception("periodic flow %s failed", job.name)
            self._stop.wait(max(0.0, min(job.next_at for job in self.jobs) - time.monotonic()))


class PrefectServer:
    """Serves the deployments from this process (Prefect's Runner) in a thread with its own event loop."""

    def __init__(self, deployments: list[Any]) -> None:
        from prefect.runner import Runner

        self.runner = Runner(name="comms-approval-serve")
        self.deployments = deployments
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="comms-approval-prefect-runner", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            try:
                for deployment in self.deployments:
                    # add_deployment dispatches on the context: a coroutine here, inside the loop.
                    await self.runner.add_deployment(deployment)  # type: ignore[misc]
            finally:
                self._ready.set()
            await self.runner.start()

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by the main thread, which owns the console
            self.error = exc
            self._ready.set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def stop(self, timeout: float = JOIN_TIMEOUT) -> None:
        loop = self._loop
        if loop is not None and self._thread.is_alive() and self.runner.started:
            future = asyncio.run_coroutine_threadsafe(self.runner.astop(), loop)
            try:
                future.result(timeout)
            except Exception:
                logger.warning("the Prefect runner did not stop cleanly", exc_info=True)
        self._thread.join(timeout)


# -- the local mail sink -------------------------------------------------------------------------------


@dataclass
class MailWatcher:
    """Lists the mails the local sink keeps, as they arrive."""

    directory: Path
    poll_seconds: float = 1.0
    seen: set[Path] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        from comms_approval.adapters.mail.sink import list_sink_messages

        self.directory.mkdir(parents=True, exist_ok=True)
        self.seen = {message.path for message in list_sink_messages(self.directory)}
        self._thread = threading.Thread(target=self._loop, name="comms-approval-mail-watcher", daemon=True)
        self._thread.start()

    def poll(self) -> None:
        from comms_approval.adapters.mail.sink import list_sink_messages

        for message in list_sink_messages(self.directory):
            if message.path not in self.seen:
                self.seen.add(message.path)
                console.print(f"  ✉ [bold]{message.to}[/] — {message.subject} [dim]({message.path.name})[/]")

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.poll()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)
        self.poll()


# -- the command ---------------------------------------------------------------------------------------


def start_schedule(
    mode: Schedule, sweep_every: float, dispatch_every: float
) -> LocalScheduler | PrefectServer | None:
    from datetime import timedelta

    if mode is Schedule.OFF:
        console.print(
            "Balayage et envoi des courriels : [yellow]désactivés ici[/] (assurés par des workers Prefect)."
        )
        return None
    deployments_module = import_flows("flows.deployments")
    if mode is Schedule.PREFECT:
        # The runner starts each flow run in a subprocess: it must find the flows/ folder too.
        import os

        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        server = PrefectServer(
            deployments_module.build_deployments(
                sweep_every=timedelta(seconds=sweep_every), dispatch_every=timedelta(seconds=dispatch_every)
            )
        )
        server.start()
        server.wait_ready(60)
        if server.error is not None:
            raise server.error
        console.print(
            f"Déploiements Prefect servis depuis ce processus ({prefect_api_url()}) : balayage toutes les "
            f"{sweep_every:g} s (une exécution à la fois), courriels toutes les {dispatch_every:g} s."
        )
        return server
    sweep = import_flows("flows.deadline_sweep").deadline_sweep
    dispatch = import_flows("flows.dispatch_outbox").dispatch_outbox
    scheduler = LocalScheduler(
        [
            PeriodicJob("deadline-sweep", sweep_every, sweep),
            PeriodicJob("dispatch-outbox", dispatch_every, dispatch),
        ]
    )
    scheduler.start()
    console.print(
        f"Planificateur local (Prefect sans serveur) : balayage toutes les {sweep_every:g} s, "
        f"courriels toutes les {dispatch_every:g} s."
    )
    return scheduler


@app.command("serve")
@handle_errors
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8000,
    schedule: Annotated[
        Schedule, typer.Option("--schedule", help="Who runs the periodic flows", case_sensitive=False)
    ] = Schedule.AUTO,
    sweep_every: Annotated[
        float,
        typer.Option(
            "--sweep-every", envvar="COMMS_APPROVAL_SWEEP_INTERVAL_SECONDS", help="Seconds between sweeps"
        ),
    ] = 300.0,
    dispatch_every: Annotated[
        float,
        typer.Option(
            "--dispatch-every",
            envvar="COMMS_APPROVAL_DISPATCH_INTERVAL_SECONDS",
            help="Seconds between mail passes",
        ),
    ] = 60.0,
) -> None:
    """Run the web app, the periodic sweep and mail delivery, until SIGTERM or Ctrl-C."""
    import uvicorn

    if sweep_every <= 0 or dispatch_every <= 0:
        raise typer.BadParameter("intervals must be positive")
    ctx = context()
    stopping = threading.Event()
    servers: list[uvicorn.Server] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Installed before uvicorn's own handlers: uvicorn re-raises the signal into this one when it is done,
        # so the default SIGTERM action (kill the process) never skips the clean shutdown below.
        stopping.set()
        for server in servers:
            server.should_exit = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    watcher: MailWatcher | None = None
    background: LocalScheduler | PrefectServer | None = None
    try:
        if not ctx.settings.smtp_host:
            watcher = MailWatcher(ctx.settings.outbox_sink_dir)
            watcher.start()
            console.print(
                f"Aucun relais SMTP configuré : les courriels sont conservés dans [bold]{watcher.directory}[/] "
                f"({len(watcher.seen)} déjà présent(s)) ; les nouveaux sont listés ci-dessous."
            )
        mode = choose_schedule(schedule)
        if mode is not Schedule.OFF:
            # Prefect configures logging when imported: do it before uvicorn configures its own loggers.
            import_flows("flows.deployments")
        # The app is built before any flow runs, so the two never import the same modules at once.
        servers.append(uvicorn.Server(uvicorn.Config(web_app(ctx), host=host, port=port, log_level="info")))
        background = start_schedule(mode, sweep_every, dispatch_every)
        console.print(f"Application web : [bold]http://{host}:{port}/[/] — arrêt par Ctrl-C ou SIGTERM.")
        if not stopping.is_set():
            servers[0].run()
    finally:
        console.print("Arrêt en cours…")
        if background is not None:
            background.stop()
        if watcher is not None:
            watcher.stop()
        ctx.engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping.is_set() or servers[0].started:
        console.print("Arrêt terminé.")
    else:
        err_console.print(f"[bold red]Erreur :[/] le serveur web n'a pas pu démarrer sur {host}:{port}.")
        raise typer.Exit(1)
