"""Name detection on real files: a PDF's text layer and OCR of an image, both generated here."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from comms_approval.adapters.convention_file import load_convention
from comms_approval.adapters.text_extraction import TesseractOcr, extract_text
from comms_approval.domain.convention import Convention
from comms_approval.services.mentions import MentionReport, mentions_for_document, merge_with_logo_report
from tests.conftest import DEMO_CONVENTION

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
POSTER_LINES = (
    "Semaine de l'assiduité scolaire",
    "avec le CONSEIL DÉPARTEMENTAL",
    "et la Direction territoriale de la protec-",
    "tion judiciaire de la jeunesse.",
    "Goûter offert à la cafétéria.",
)


@pytest.fixture(scope="module")
def convention() -> Convention:
    return load_convention(DEMO_CONVENTION)


def make_pdf(path: Path, lines: tuple[str, ...]) -> Path:
    """A one-page A4 PDF with a real text layer (matplotlib embeds TrueType text)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.1, 0.9, "\n".join(lines), fontsize=14, va="top")
        fig.savefig(path)
        plt.close(fig)
    return path


def make_image(path: Path, lines: tuple[str, ...]) -> Path:
    """A poster-like PNG with the text drawn in DejaVu Sans (no text layer: OCR needed)."""
    font = ImageFont.truetype(str(DEJAVU), 44)
    image = Image.new("RGB", (1400, 700), "white")
    ImageDraw.Draw(image).multiline_text((50, 50), "\n".join(lines), font=font, fill="black", spacing=16)
    image.save(path)
    return path


def named(report: MentionReport) -> set[str]:
    return set(report.named_parties())


class TestPdfTextLayer:
    def test_names_with_capitals_accents_and_hyphenation_are_found_in_a_pdf(
        self, tmp_path: Path, convention: Convention
    ) -> None:
        """The council in capitals, the DTPJJ hyphenated over two lines; the cafétéria is not the Caf."""
        report = mentions_for_document(
            make_pdf(tmp_path / "affiche.pdf", POSTER_LINES), convention, use_ocr=False
        )
        assert report.kind == "pdf"
        assert report.sources == ("text_layer",)
        assert named(report) == {"departement", "dtpjj"}
        dtpjj = next(p for p in report.parties if p.party == "dtpjj")
        assert dtpjj.pages == (1,)

    def test_a_pdf_page_without_text_is_left_unread_when_ocr_is_off(
        self, tmp_path: Path, convention: Convention
    ) -> None:
        """A scanned page has no text layer; without OCR the report says what it could not read."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(8.27, 11.69))
        path = tmp_path / "scan.pdf"
        fig.savefig(path)
        plt.close(fig)
        report = mentions_for_document(path, convention, use_ocr=False)
        assert named(report) == set()
        assert any("désactivée" in note for note in report.notes_fr)


class TestImageOcr:
    def test_names_are_found_in_an_image_by_ocr(self, tmp_path: Path, convention: Convention) -> None:
        """Tesseract (French data) reads the poster; the same parties come out, no false Caf."""
        report = mentions_for_document(make_image(tmp_path / "affiche.png", POSTER_LINES), convention)
        assert report.sources == ("ocr",)
        assert report.ocr_engine is not None and "fra" in report.ocr_engine
        assert named(report) == {"departement", "dtpjj"}

    def test_a_missing_tesseract_gives_a_clear_note_instead_of_a_crash(
        self, tmp_path: Path, convention: Convention
    ) -> None:
        """OCR is optional at runtime: the report says Tesseract is missing and how to install it."""
        image = make_image(tmp_path / "affiche.png", ("Caf",))
        report = mentions_for_document(image, convention, ocr=TesseractOcr(command="tesseract-not-installed"))
        assert named(report) == set()
        assert any("tesseract-ocr-fra" in note for note in report.notes_fr)
        extracted = extract_text(image, ocr=TesseractOcr(command="tesseract-not-installed"))
        assert extracted.pages[0].source == "none"


class TestBesideTheLogoReport:
    def test_a_named_party_whose_logo_is_missing_is_flagged_in_bold(
        self, tmp_path: Path, convention: Convention
    ) -> None:
        """The poster names the DTPJJ but its logo is missing: that row is bold, with a French warning."""
        mentions = mentions_for_document(
            make_pdf(tmp_path / "a.pdf", POSTER_LINES), convention, use_ocr=False
        )
        logo_report = {
            "file": "a.pdf",
            "parties": [
                {"party": p.id, "status": "missing" if p.id in ("dtpjj", "caf") else "present", "page": 1}
                for p in convention.parties
            ],
        }
        merged = merge_with_logo_report(mentions, logo_report, convention)
        assert merged["named_without_logo"] == ["dtpjj"]  # the Caf is missing too, but not named
        rows = {row["party"]: row for row in merged["rows"]}
        assert rows["dtpjj"]["bold"] is True
        assert rows["caf"]["bold"] is False
        assert rows["departement"]["named"] and not rows["departement"]["bold"]
        assert "DTPJJ" in merged["warnings_fr"][0]
        assert "article 8" in merged["warnings_fr"][0]

    def test_the_merge_also_accepts_the_stored_dict_form(self, convention: Convention) -> None:
        """The web keeps reports as JSON: the merge works from dicts, without the convention."""
        mentions = {"parties": [{"party": "caf", "named": True, "forms": ["Caf"], "pages": [1]}]}
        merged = merge_with_logo_report(mentions, {"parties": [{"party": "caf", "status": "obsolete"}]})
        assert merged["named_without_logo"] == ["caf"]
        assert merged["rows"][0]["short_name"] == "caf"
        assert "version obsolète" in merged["warnings_fr"][0]
