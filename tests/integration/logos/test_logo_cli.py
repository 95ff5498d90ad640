"""`comms-approval check-logos`: JSON lines per the contract, a French table, errors per file, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from comms_approval.cli.logos import resolve_convention
from comms_approval.cli.main import app
from comms_approval.domain.errors import ConventionFileError
from tests.integration.logos.drafts import ALL_CURRENT, DEMO, compose

runner = CliRunner()
Save = Callable[..., Path]


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drafts")
    good = folder / "complete.png"
    compose(ALL_CURRENT).save(good)
    partial = folder / "without-caf.jpg"
    compose([p for p in ALL_CURRENT if p[0] != "caf"]).save(partial, quality=90)
    broken = folder / "broken.png"
    broken.write_bytes(good.read_bytes()[:2000])
    return {"good": good, "partial": partial, "broken": broken}


class TestJsonLines:
    def test_one_json_object_per_file_and_a_failed_file_does_not_stop_the_others(
        self, drafts: dict[str, Path]
    ) -> None:
        files = [str(drafts["good"]), str(drafts["broken"]), str(drafts["partial"])]
        result = runner.invoke(app, ["check-logos", *files, "--convention", str(DEMO), "--json"])
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        assert len(lines) == 3
        assert lines[0]["compliant"] is True and lines[0]["file"] == files[0]
        assert set(lines[0]) == {"file", "pages", "compliant", "elapsed_ms", "parties"}
        assert [p["party"] for p in lines[0]["parties"]] == ["dsden", "prefet", "dtpjj", "departement", "caf"]
        assert lines[1] == {
            "file": files[1],
            "error": {
                "fr": "L’image est endommagée ou incomplète et ne peut pas être lue.",
                "en": "The image is corrupt or truncated and cannot be read.",
            },
        }
        assert {p["party"]: p["status"] for p in lines[2]["parties"]}["caf"] == "missing"
        assert result.exit_code == 1

    def test_a_compliant_file_alone_exits_zero(self, drafts: dict[str, Path]) -> None:
        result = runner.invoke(app, ["check-logos", str(drafts["good"]), "--convention", str(DEMO), "--json"])
        assert result.exit_code == 0
        assert json.loads(result.stdout)["compliant"] is True
        # the progress spinner is for terminals: nothing of it reaches a pipe
        assert result.stderr == ""


def test_on_a_terminal_the_bar_follows_the_pages_searched_and_is_erased_at_the_end() -> None:
    import io

    from rich.console import Console

    from comms_approval.cli.common import checking_bar

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    with checking_bar("Vérification des logos : brochure.pdf (1/1)", on=terminal) as tell:
        tell(3, 6)
    shown = screen.getvalue()
    assert "brochure.pdf" in shown and "50%" in shown
    # transient: the bar's last drawing is erased (cursor up, erase line), the table is printed on a clean line
    assert shown.endswith("\x1b[2K") or shown.rstrip("\r\n").endswith("\x1b[2K")


class TestTableAndOptions:
    def test_the_table_speaks_french_and_names_the_parties(self, drafts: dict[str, Path]) -> None:
        result = runner.invoke(
            app, ["check-logos", str(drafts["partial"]), "--convention", "demo-absenteisme-75"]
        )
        assert "non conforme" in result.stdout
        assert "Caf" in result.stdout and "absent" in result.stdout
        assert result.exit_code == 1

    def test_annotate_writes_one_image_per_page(self, drafts: dict[str, Path], tmp_path: Path) -> None:
        out = tmp_path / "annotated"
        result = runner.invoke(
            app, ["check-logos", str(drafts["good"]), "--convention", str(DEMO), "--annotate", str(out)]
        )
        assert result.exit_code == 0
        images = sorted(out.glob("*.png"))
        assert [p.name for p in images] == ["complete-page1.png"]
        assert Image.open(images[0]).height == 1754

    def test_an_unknown_convention_exits_with_the_configuration_code(self, drafts: dict[str, Path]) -> None:
        result = runner.invoke(
            app, ["check-logos", str(drafts["good"]), "--convention", "no-such-convention"]
        )
        assert result.exit_code == 4


class TestConventionResolution:
    def test_a_convention_is_found_by_file_name_or_by_declared_id(self, tmp_path: Path) -> None:
        (tmp_path / "other.toml").write_text("not toml [", encoding="utf-8")
        text = DEMO.read_text(encoding="utf-8").replace('"../assets/', f'"{DEMO.parent.parent}/assets/')
        (tmp_path / "renamed.toml").write_text(text, encoding="utf-8")
        assert resolve_convention("renamed", tmp_path).id == "demo-absenteisme-75"
        assert resolve_convention("demo-absenteisme-75", tmp_path).id == "demo-absenteisme-75"
        with pytest.raises(ConventionFileError):
            resolve_convention("missing-id", tmp_path)
