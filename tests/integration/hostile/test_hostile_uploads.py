"""Hostile uploads through the submission service: each gets a clear error and leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comms_approval.adapters.db.tables import AuditEventRow, CommunicationRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.errors import DocumentError
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.submission import submit_draft
from tests.conftest import DEMO_CONVENTION
from tests.integration.concurrency.support import CONVENTION_ID, OFFICER, START, context_at
from tests.integration.hostile import files
from tests.support.workflow import FakeLogoChecker


@pytest.fixture
def demo_ctx(tmp_path: Path) -> AppContext:
    """SQLite is enough here: what is checked is the file handling, before and around the transaction."""
    ctx = context_at(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data", START, migrate=True)
    load_convention_file(ctx, DEMO_CONVENTION)
    return ctx


def snapshot(ctx: AppContext) -> tuple[set[Path], tuple[int, int, int]]:
    data = ctx.settings.data_dir
    on_disk = {
        p.relative_to(data) for p in data.rglob("*") if p.is_file() and p.suffix not in (".db", ".sqlite")
    }
    with ctx.uow() as uow:
        counts = tuple(
            int(uow.session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (CommunicationRow, VersionRow, AuditEventRow)
        )
    return on_disk, counts  # type: ignore[return-value]


def submit(
    ctx: AppContext, path: Path, *, name: str | None = None, declared_type: str | None = None
) -> object:
    return submit_draft(
        ctx,
        FakeLogoChecker(),
        convention_id=CONVENTION_ID,
        party_id="departement",
        title="Affiche",
        file=path,
        officer_email=OFFICER,
        original_filename=name,
        declared_type=declared_type,
    )


def assert_refused_cleanly(ctx: AppContext, path: Path, words: str, **kwargs: str | None) -> DocumentError:
    """The service raises a DocumentError in both languages; no file, row or audit event is left."""
    before = snapshot(ctx)
    started = time.monotonic()
    with pytest.raises(DocumentError) as refused:
        submit(ctx, path, **kwargs)  # type: ignore[arg-type]
    assert time.monotonic() - started < 3.0  # refused from headers and structure, not after a long decode
    assert words in refused.value.message_en.lower()
    assert refused.value.message_fr and refused.value.message_fr != refused.value.message_en
    assert snapshot(ctx) == before
    return refused.value


HOSTILE: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "a PNG decompression bomb": (files.png_bomb, "bomb.png", "too large"),
    "a JPEG whose header claims 65 000 x 65 000 pixels": (files.jpeg_bomb, "bomb.jpg", "too large"),
    "a PDF image stream bomb": (files.pdf_image_stream_bomb, "bomb.pdf", "too large"),
    "an encrypted PDF that opens without a password": (files.encrypted_pdf, "chiffre.pdf", "encrypted"),
    "a password-protected PDF": (
        lambda p: files.encrypted_pdf(p, user_password="secret"),
        "protege.pdf",
        "password",
    ),
    "a thousand-page PDF": (lambda p: files.blank_pdf(p, 1000), "mille.pdf", "1000 pages"),
    "a PNG/PDF polyglot": (files.png_pdf_polyglot, "polyglotte.png", "content is pdf"),
    "a truncated PNG": (
        lambda p: files.truncated(files.real_png(p.with_name("source.png")), p),
        "coupe.png",
        "truncated",
    ),
    "a truncated PDF": (
        lambda p: files.truncated(files.real_pdf(p.with_name("source.pdf")), p, 0.6),
        "coupe.pdf",
        "truncated",
    ),
    "random bytes named as a PDF": (
        lambda p: (p.write_bytes(b"\x00garbage" * 100), p)[1],
        "x.pdf",
        "not a pdf",
    ),
    "an empty file": (lambda p: (p.write_bytes(b""), p)[1], "vide.pdf", "empty"),
    "an executable renamed to .png": (
        lambda p: (p.write_bytes(b"MZ\x90\x00" + b"\x00" * 200), p)[1],
        "a.png",
        "not a pdf",
    ),
}


# Some are refused only after the file was stored by its hash (the preview fails): the submission then
# removes the stored copy and its derived images.
CASES = [pytest.param(case, id=case) for case in HOSTILE]


class TestHostileFiles:
    @pytest.mark.parametrize("case", CASES)
    def test_each_hostile_file_is_refused_with_a_clear_error_and_leaves_nothing_behind(
        self, case: str, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        make, name, words = HOSTILE[case]
        uploads = tmp_path / "uploads"
        uploads.mkdir()
        path = make(uploads / name)
        assert_refused_cleanly(demo_ctx, path, words, name=name)

    def test_content_that_does_not_match_its_name_or_declared_type_is_refused(
        self, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        png = files.real_png(tmp_path / "affiche.png")
        assert_refused_cleanly(demo_ctx, png, "declared as pdf", name="affiche.pdf")
        assert_refused_cleanly(
            demo_ctx, png, "declared as pdf", name="affiche.png", declared_type="application/pdf"
        )
        assert_refused_cleanly(demo_ctx, png, "not accepted", name="affiche.png", declared_type="text/html")
        assert_refused_cleanly(demo_ctx, png, "extension", name="affiche.svg")

    def test_a_pdf_content_stream_bomb_is_refused_before_it_costs_seconds_of_cpu(
        self, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        """9 KB inflating to 4 MB of drawing operators: pdfium spends seconds per render (minutes at 50 MB)."""
        path = files.pdf_content_stream_bomb(tmp_path / "operateurs.pdf", expanded_mb=4)
        assert_refused_cleanly(demo_ctx, path, "too large", name="operateurs.pdf")


class TestFuzzFindings:
    def test_a_pdf_whose_page_object_is_damaged_is_refused_as_corrupt(
        self, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        """Found by tests/fuzz: one zeroed byte in '/Type /Page' makes pdfium fail on the page size."""
        data = bytearray(files.real_pdf(tmp_path / "source.pdf", pages=1).read_bytes())
        data[139] = 0
        path = tmp_path / "abime.pdf"
        path.write_bytes(bytes(data))
        assert_refused_cleanly(demo_ctx, path, "corrupt", name="abime.pdf")


class TestFileNames:
    @pytest.mark.parametrize(
        "name",
        [
            "../../../../etc/cron.d/evil.png",
            "..\\..\\windows\\evil.png",
            "/tmp/absolute.png",
            "a\r\nb.png",
            "nul\x00.png",
        ],
    )
    def test_a_path_traversal_name_is_only_a_label_and_never_a_path(
        self, name: str, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        """The file is stored under its SHA-256 inside the data directory; the label is reduced to a base name."""
        source = files.real_png(tmp_path / "source.png")
        result = submit(demo_ctx, source, name=name)
        data = demo_ctx.settings.data_dir.resolve()
        stored = [p for p in data.rglob("*.png") if p.stem == result.sha256]  # type: ignore[attr-defined]
        assert len(stored) == 1 and stored[0].resolve().is_relative_to(data)
        assert not Path("/tmp/absolute.png").exists()
        with demo_ctx.uow() as uow:
            label = uow.session.execute(select(VersionRow.original_filename)).scalars().one()
        assert "/" not in label and "\\" not in label and "\r" not in label and "\n" not in label
        assert label.endswith(".png") and ".." not in label

    def test_a_traversal_name_on_a_hostile_file_still_leaves_nothing_anywhere(
        self, demo_ctx: AppContext, tmp_path: Path
    ) -> None:
        path = files.png_bomb(tmp_path / "x.png")
        assert_refused_cleanly(demo_ctx, path, "too large", name="../../../../tmp/bomb.png")
        assert not Path("/tmp/bomb.png").exists()
