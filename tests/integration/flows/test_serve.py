"""`comms-approval serve` as a real process: it answers HTTP, runs the periodic flows, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from comms_approval.bootstrap import build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.status import status_report
from comms_approval.services.submission import submit_draft
from tests.conftest import DEMO_CONVENTION
from tests.support.workflow import FakeLogoChecker, make_draft

COMMAND = Path(sys.executable).with_name("comms-approval")
STOP_WITHIN = 8.0  # seconds from SIGTERM to exit, scheduler join included


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    data_dir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, predicate: object, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return
            assert self.process.poll() is None, f"serve exited early:\n{self.output()}"
            time.sleep(0.2)
        raise AssertionError(f"{what} did not happen within {timeout} s:\n{self.output()}")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        return code, time.monotonic() - started


@pytest.fixture
def serve(prefect_api: str, tmp_path: Path) -> Iterator[object]:
    """Start `serve` with its data directory in tmp; the test chooses the schedule mode and intervals."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        data_dir = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMS_APPROVAL_")}
        env |= {
            "COMMS_APPROVAL_DATA_DIR": str(data_dir),
            "COMMS_APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "COMMS_APPROVAL_ENV": "test",
            "PREFECT_API_URL": prefect_api,
            "COLUMNS": "200",
        }
        port = free_port()
        log = tmp_path / "serve.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [str(COMMAND), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=tmp_path,  # not the repository: serve must find the flows on its own
            )
        served = Served(process, port, data_dir, log)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def queue_requests(tmp_path: Path) -> Settings:
    """Load the demo convention and submit a compliant draft, so the outbox holds four requests."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'serve.db'}",
    )
    ctx = build_context(settings, clock=ManualClock())
    load_convention_file(ctx, DEMO_CONVENTION)
    submit_draft(
        ctx,
        FakeLogoChecker(),
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=make_draft(tmp_path / "uploads"),
        officer_email="com@departement.example.org",
    )
    ctx.engine.dispose()
    return settings


class TestServe:
    def test_serve_answers_http_delivers_to_the_local_sink_and_stops_on_sigterm(
        self, serve: object, tmp_path: Path
    ) -> None:
        """No relay configured: queued requests land in the data directory and are listed; SIGTERM ends it."""
        settings = queue_requests(tmp_path)
        assert callable(serve)
        served: Served = serve("--schedule", "local", "--sweep-every", "30", "--dispatch-every", "1")
        served.wait_for(served.healthy, 60, "an HTTP answer on /healthz")
        sink = settings.outbox_sink_dir
        served.wait_for(lambda: len(list(sink.glob("*.eml"))) >= 4, 60, "four mails in the sink")
        served.wait_for(lambda: served.output().count("✉") >= 4, 10, "the new mails listed")
        code, elapsed = served.terminate()
        output = served.output()
        assert (code, elapsed < STOP_WITHIN) == (0, True), output
        assert str(sink) in output.replace("\n", "")
        assert "Arrêt terminé." in output
        ctx = build_context(settings, migrate=False)
        requests = status_report(ctx, 1)[0]["versions"][0]["requests"]
        ctx.engine.dispose()
        assert {r["status"] for r in requests} == {"awaiting"}

    def test_with_a_prefect_api_serve_registers_the_deployments_and_stops_on_sigterm(
        self, serve: object, prefect_api: str
    ) -> None:
        """Auto mode finds the Prefect API and serves the sweep (one at a time) and the outbox from this process."""
        from prefect.client.orchestration import get_client

        assert callable(serve)
        served: Served = serve("--sweep-every", "3600", "--dispatch-every", "3600")
        served.wait_for(served.healthy, 60, "an HTTP answer on /healthz")
        assert "Déploiements Prefect servis" in served.output()
        with get_client(sync_client=True) as client:
            sweep = client.read_deployment_by_name("deadline-sweep/deadline-sweep")
            outbox = client.read_deployment_by_name("dispatch-outbox/dispatch-outbox")
        assert sweep.global_concurrency_limit is not None
        assert sweep.concurrency_options is not None
        assert (sweep.global_concurrency_limit.limit, sweep.concurrency_options.collision_strategy.value) == (
            1,
            "CANCEL_NEW",
        )
        assert [s.schedule.interval.total_seconds() for s in sweep.schedules] == [3600]  # type: ignore[union-attr]
        assert [s.schedule.interval.total_seconds() for s in outbox.schedules] == [3600]  # type: ignore[union-attr]
        code, elapsed = served.terminate()
        assert (code, elapsed < STOP_WITHIN) == (0, True), served.output()


class TestServeParts:
    def test_the_placeholder_app_answers_health_checks_while_the_web_package_is_missing(self) -> None:
        """The proxy's and the image's health checks work before the web app is installed."""
        from fastapi.testclient import TestClient

        from comms_approval.cli.serve import placeholder_app

        with TestClient(placeholder_app()) as client:
            assert (client.get("/healthz").status_code, client.get("/healthz").text) == (200, "ok")

    def test_a_failing_periodic_run_does_not_stop_the_local_scheduler(self) -> None:
        """The database hiccup of one tick is retried at the next; the loop itself survives."""
        import threading

        from comms_approval.cli.serve import LocalScheduler, PeriodicJob

        calls: list[int] = []
        third_call = threading.Event()

        def flaky() -> None:
            calls.append(len(calls))
            if len(calls) >= 3:
                third_call.set()
            if len(calls) == 1:
                raise RuntimeError("database is locked")

        scheduler = LocalScheduler([PeriodicJob("flaky", 0.05, flaky)])
        scheduler.start()
        try:
            assert third_call.wait(5)
        finally:
            scheduler.stop()
        count = len(calls)
        time.sleep(0.2)
        assert len(calls) == count >= 3  # and nothing runs after stop()
