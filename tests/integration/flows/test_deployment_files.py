"""The files in deploy/ are consistent with the code: they parse, point at real flows and name every setting."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from comms_approval.config import Settings
from tests.conftest import REPO

DEPLOY = REPO / "deploy"


def load_yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestPrefectProject:
    def test_the_sweep_runs_on_an_interval_one_at_a_time_and_the_outbox_every_minute(self) -> None:
        """deploy/prefect.yaml passes Prefect's own model and states the schedule of Article 8's machinery."""
        from prefect.cli.deploy._models import PrefectYamlModel

        project = PrefectYamlModel.model_validate(load_yaml("prefect.yaml"))
        by_name = {d.name: d for d in project.deployments}
        sweep, outbox = by_name["deadline-sweep"], by_name["dispatch-outbox"]
        assert [s.interval.total_seconds() for s in sweep.schedules or []] == [300]  # type: ignore[union-attr]
        assert (sweep.concurrency_limit.limit, sweep.concurrency_limit.collision_strategy) == (
            1,
            "CANCEL_NEW",
        )  # type: ignore[union-attr]
        assert [s.interval.total_seconds() for s in outbox.schedules or []] == [60]  # type: ignore[union-attr]
        assert {d.work_pool.name for d in project.deployments} == {"comms-approval"}  # type: ignore[union-attr]

    def test_every_entrypoint_loads_as_a_prefect_flow(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The paths are relative to the repository root, as `prefect deploy` and the workers resolve them."""
        from prefect import Flow
        from prefect.flows import load_flow_from_entrypoint

        monkeypatch.chdir(REPO)
        entrypoints = [d["entrypoint"] for d in load_yaml("prefect.yaml")["deployments"]]
        flows = [load_flow_from_entrypoint(entrypoint) for entrypoint in entrypoints]
        assert all(isinstance(flow, Flow) for flow in flows)
        assert [flow.name for flow in flows] == [
            "deadline-sweep",
            "dispatch-outbox",
            "apply-retention",
            "check-drafts",
            "submit-draft",
        ]

    def test_the_code_deployments_match_the_project_file(self) -> None:
        """Deployments in code (used by `serve`) and in prefect.yaml name the same flows and limits."""
        from flows.deployments import build_deployments

        in_code = {d.name: d for d in build_deployments()}
        in_file = {d["name"]: d for d in load_yaml("prefect.yaml")["deployments"]}
        assert set(in_code) == set(in_file)
        assert {name: d.entrypoint for name, d in in_code.items()} == {
            name: d["entrypoint"] for name, d in in_file.items()
        }
        for name in ("deadline-sweep", "check-drafts"):
            assert in_code[name].concurrency_limit == in_file[name]["concurrency_limit"]["limit"]
            assert in_code[name].concurrency_options is not None
            assert (
                in_code[name].concurrency_options.collision_strategy.value
                == in_file[name]["concurrency_limit"]["collision_strategy"]
            )

    def test_prefect_deploy_registers_the_project_on_a_prefect_server(self, prefect_api: str) -> None:
        """`prefect deploy --all` accepts the file for real, against the test server."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import WorkPoolCreate

        with get_client(sync_client=True) as client:
            if not [p for p in client.read_work_pools() if p.name == "comms-approval"]:
                client.create_work_pool(WorkPoolCreate(name="comms-approval", type="process"))
        env = os.environ | {"PREFECT_API_URL": prefect_api, "PREFECT_CLI_PROMPT": "false"}
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("prefect")),
                "deploy",
                "--all",
                "--prefect-file",
                "deploy/prefect.yaml",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        with get_client(sync_client=True) as client:
            sweep = client.read_deployment_by_name("deadline-sweep/deadline-sweep")
        assert sweep.work_pool_name == "comms-approval"
        assert sweep.global_concurrency_limit is not None and sweep.global_concurrency_limit.limit == 1


class TestCompose:
    def test_compose_runs_postgres_prefect_on_postgres_workers_web_behind_a_proxy_and_a_mail_catcher(
        self,
    ) -> None:
        """The compose file parses and wires the roles the deployment notes describe."""
        compose = load_yaml("compose.yaml")
        services = compose["services"]
        assert {"postgres", "prefect-server", "setup", "worker", "web", "caddy", "mailcatcher"} <= set(
            services
        )
        prefect_db = services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
        assert prefect_db.startswith("postgresql+asyncpg://") and prefect_db.endswith(
            "@postgres:5432/prefect"
        )
        assert services["worker"]["command"][:3] == ["prefect", "worker", "start"]
        assert "replicas" in services["worker"]["deploy"]
        assert "--schedule" in services["web"]["command"] and "ports" not in services["web"]
        assert services["mailcatcher"]["profiles"] == ["mailcatcher"]
        assert services["worker"]["environment"]["COMMS_APPROVAL_DATABASE_URL"].startswith(
            "postgresql+psycopg://"
        )

    def test_every_file_the_compose_file_mounts_or_builds_exists(self) -> None:
        """Bind mounts and the Dockerfile are paths relative to deploy/; a typo would only show at start-up."""
        compose = load_yaml("compose.yaml")
        local = [
            volume.split(":")[0]
            for service in compose["services"].values()
            for volume in service.get("volumes", [])
            if volume.startswith(".")
        ]
        build = compose["x-app-image"]["build"]
        paths = [DEPLOY / p for p in local] + [(DEPLOY / build["context"] / build["dockerfile"]).resolve()]
        assert len(paths) >= 3
        assert [p for p in paths if not p.is_file()] == []

    def test_the_dockerfile_copies_what_the_product_reads_at_run_time(self) -> None:
        """templates/, assets/ and flows/ are read from the install folder, so the image must hold them."""
        dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
        copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE))
        assert {"src", "flows", "templates", "assets", "requirements.lock"} <= copied
        assert [name for name in copied if not (REPO / name).exists()] == []


class TestEnvironmentAndUnits:
    def test_the_env_example_names_every_setting(self) -> None:
        """A setting added to Settings without documenting it here fails this test."""
        example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
        missing = [name for name in Settings.model_fields if f"COMMS_APPROVAL_{name.upper()}=" not in example]
        assert missing == []

    def test_the_systemd_units_run_the_web_a_worker_and_the_prefect_server(self) -> None:
        """Each unit has a command, runs as the service user and reads the shared environment file."""
        commands = {}
        for path in sorted((DEPLOY / "systemd").glob("*.service")):
            unit = configparser.ConfigParser(strict=False, interpolation=None)
            unit.read(path, encoding="utf-8")
            assert unit["Service"]["User"] == "comms"
            assert unit["Service"]["EnvironmentFile"] == "/etc/comms-approval/env"
            commands[path.name] = unit["Service"]["ExecStart"]
        assert "comms-approval serve" in commands["comms-approval-web.service"]
        assert "worker start --pool comms-approval" in commands["comms-approval-worker@.service"]
        assert "prefect server start" in commands["comms-approval-prefect.service"]


class TestSweepStaleAlert:
    def test_the_alert_fires_when_no_sweep_completed_within_two_hours_and_is_created_once(
        self, prefect_api: str
    ) -> None:
        """The automation is proactive on completed deadline-sweep runs; running the script twice keeps one."""
        from prefect.blocks.notifications import CustomWebhookNotificationBlock
        from prefect.client.orchestration import get_client

        script = load_script(DEPLOY / "automations" / "sweep_stale.py")
        CustomWebhookNotificationBlock(name="ops", url="http://127.0.0.1:9/alert").save("ops", overwrite=True)
        first = script.create_or_update("custom-webhook/ops")
        second = script.create_or_update("custom-webhook/ops")
        with get_client(sync_client=True) as client:
            automations = client.read_automations_by_name(script.NAME)
        assert first == second and len(automations) == 1
        trigger = automations[0].trigger
        assert (trigger.posture.value, trigger.within.total_seconds(), trigger.expect) == (
            "Proactive",
            7200,
            {"prefect.flow-run.Completed"},
        )
        assert automations[0].actions[0].type == "send-notification"
