"""Uploaded drafts are validated and decoded safely: every bad input gets a clear French/English error."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comms_approval.adapters.documents import (
    embedded_images,
    iter_pages,
    open_pdf,
    render_page_pngs,
    render_preview_png,
    sniff_kind,
    to_rgb_array,
    validate_document,
)
from comms_approval.domain.errors import DocumentError
from tests.unit.logos.pdfs import masked_image_pdf

Write = Callable[[str, bytes], Path]
Pdf = Callable[..., bytes]


def png_bytes(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def refused(path: Path, **kwargs: object) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        validate_document(path, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    assert error.message_fr and error.message_en and error.message_fr != error.message_en
    return error


class TestKinds:
    def test_the_kind_comes_from_the_content_not_the_name(self) -> None:
        assert sniff_kind(b"%PDF-1.7\n") == "pdf"
        assert sniff_kind(b"\x89PNG\r\n\x1a\n....") == "png"
        assert sniff_kind(b"\xff\xd8\xff\xe0") == "jpeg"
        assert sniff_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
        assert sniff_kind(b"GIF89a") is None

    def test_a_sound_png_is_described_with_its_physical_size(self, write: Write) -> None:
        path = write("a.png", png_bytes(Image.new("RGB", (1240, 1754), "white"), dpi=(150, 150)))
        info = validate_document(path, declared_name="affiche.png", declared_type="image/png")
        assert (info.kind, info.pages) == ("png", 1)
        assert round(info.page_sizes_mm[0][0]) == 210

    def test_a_webp_draft_is_accepted(self, write: Write) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (200, 280), "white").save(buffer, "WEBP")
        assert validate_document(write("a.webp", buffer.getvalue())).kind == "webp"


class TestBombs:
    def test_a_png_declaring_ten_billion_pixels_is_refused_before_decoding(self, write: Write) -> None:
        header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
        data = (
            b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        )
        error = refused(write("bomb.png", data + png_chunk(b"IEND", b"")))
        assert "trop grande" in error.message_fr

    def test_a_jpeg_declaring_a_huge_frame_is_refused_before_decoding(self, write: Write) -> None:
        data = bytearray(jpeg_bytes(Image.new("RGB", (16, 16), "white")))
        sof = data.find(b"\xff\xc0")
        data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
        error = refused(write("bomb.jpg", bytes(data)))
        assert "too large" in error.message_en

    def test_a_pdf_with_an_image_inflating_to_gigabytes_is_refused_before_decoding(
        self, write: Write, bomb_pdf: bytes
    ) -> None:
        path = write("bomb.pdf", bomb_pdf)
        with pytest.raises(DocumentError) as caught:
            list(iter_pages(path))
        assert "100000" in caught.value.message_en

    def test_a_pixel_limit_below_the_image_size_refuses_it(self, write: Write) -> None:
        path = write("a.png", png_bytes(Image.new("RGB", (100, 100))))
        refused(path, max_pixels=5_000)


class TestBrokenFiles:
    def test_a_truncated_png_is_refused(self, write: Write) -> None:
        noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (300, 300, 3), np.uint8))
        data = png_bytes(noise)
        path = write("cut.png", data[: len(data) // 2])
        with pytest.raises(DocumentError) as caught:
            list(iter_pages(path))
        assert "incomplète" in caught.value.message_fr

    def test_a_truncated_jpeg_is_refused(self, write: Write) -> None:
        noise = Image.fromarray(np.random.default_rng(2).integers(0, 255, (300, 300, 3), np.uint8))
        data = jpeg_bytes(noise)
        with pytest.raises(DocumentError):
            list(iter_pages(write("cut.jpg", data[: len(data) // 2])))

    def test_garbage_with_a_pdf_header_is_refused(self, write: Write) -> None:
        error = refused(write("x.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50))
        assert "endommagé" in error.message_fr

    def test_an_empty_file_is_refused(self, write: Write) -> None:
        assert "vide" in refused(write("empty.pdf", b"")).message_fr

    def test_an_unknown_format_is_refused(self, write: Write) -> None:
        refused(write("a.gif", b"GIF89a" + b"\0" * 100))


class TestMislabelled:
    def test_a_png_named_pdf_is_refused(self, write: Write) -> None:
        path = write("affiche.pdf", png_bytes(Image.new("RGB", (10, 10))))
        error = refused(path, declared_name="affiche.pdf")
        assert "PDF" in error.message_fr and "PNG" in error.message_fr

    def test_a_jpeg_declared_as_png_is_refused(self, write: Write) -> None:
        path = write("a.jpg", jpeg_bytes(Image.new("RGB", (10, 10))))
        refused(path, declared_type="image/png")

    def test_an_unaccepted_extension_is_refused(self, write: Write) -> None:
        refused(write("a.png", png_bytes(Image.new("RGB", (10, 10)))), declared_name="affiche.exe")


class TestPdfContainers:
    def test_an_encrypted_pdf_is_refused(self, write: Write, pdf: Pdf) -> None:
        error = refused(write("secret.pdf", pdf([b"0 0 m"], encrypt=True)))
        assert "mot de passe" in error.message_fr or "chiffré" in error.message_fr

    def test_a_pdf_without_pages_is_refused(self, write: Write, pdf: Pdf) -> None:
        assert "aucune page" in refused(write("zero.pdf", pdf([]))).message_fr

    def test_a_pdf_over_the_page_limit_is_refused(self, write: Write, pdf: Pdf) -> None:
        path = write("long.pdf", pdf([b"0 0 m"] * 5))
        assert "5 pages" in refused(path, max_pages=4).message_en
        assert validate_document(path, max_pages=5).pages == 5

    def test_chosen_pages_are_rendered_in_the_order_asked(self, write: Write, pdf: Pdf) -> None:
        path = write("three.pdf", pdf([b"0 0 m"] * 3))
        assert [page.number for page in iter_pages(path, numbers=[3, 1])] == [3, 1]
        assert [page.number for page in iter_pages(path)] == [1, 2, 3]
        image = write("one.png", png_bytes(Image.new("RGB", (4, 4))))
        assert [page.number for page in iter_pages(image, numbers=[1])] == [1]
        assert list(iter_pages(image, numbers=[2])) == []

    def test_pdf_page_sizes_come_from_the_page_box(self, write: Write, pdf: Pdf) -> None:
        info = validate_document(write("a4.pdf", pdf([b"0 0 m"])))
        assert round(info.page_sizes_mm[0][0]) == 210


class TestPixelFormats:
    def test_a_16_bit_png_is_scaled_to_8_bits(self, write: Write) -> None:
        values = np.array([[0, 32896, 65535]], np.uint16).repeat(4, axis=0)
        deep = Image.new("I;16", (3, 4))
        deep.frombytes(values.astype("<u2").tobytes())
        path = write("deep.png", png_bytes(deep))
        page = next(iter_pages(path))
        assert page.rgb.dtype == np.uint8
        assert page.rgb[0, :, 0].tolist() == [0, 128, 255]

    def test_a_palette_png_with_a_transparent_index_is_read_on_white(self, write: Write) -> None:
        image = Image.new("P", (4, 4), 0)
        image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
        image.putpixel((0, 0), 1)
        path = write("palette.png", png_bytes(image, transparency=0))
        rgb = next(iter_pages(path)).rgb
        assert rgb[0, 0].tolist() == [200, 30, 30]
        assert rgb[3, 3].tolist() == [255, 255, 255]

    def test_transparency_is_composited_on_white_not_black(self) -> None:
        rgba = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
        rgba.putpixel((1, 0), (0, 0, 255, 128))
        rgb = to_rgb_array(rgba)
        assert rgb[0, 0].tolist() == [255, 255, 255]
        assert rgb[0, 1].tolist()[2] == 255 and 120 < rgb[0, 1].tolist()[0] < 135

    def test_a_cmyk_jpeg_is_read_as_rgb(self, write: Write) -> None:
        buffer = io.BytesIO()
        Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(buffer, "JPEG", quality=95)
        rgb = next(iter_pages(write("cmyk.jpg", buffer.getvalue()))).rgb
        assert rgb.shape == (8, 8, 3)
        assert rgb[4, 4, 0] > 200 and rgb[4, 4, 1] < 60

    def test_exif_orientation_is_applied(self, write: Write) -> None:
        image = Image.new("RGB", (40, 20), "white")
        exif = image.getexif()
        exif[0x0112] = 6  # rotated 90° clockwise
        path = write("turned.jpg", jpeg_bytes(image, exif=exif))
        assert next(iter_pages(path)).rgb.shape[:2] == (40, 20)


class TestPreviews:
    def test_a_preview_is_a_small_png_of_the_requested_width(self, write: Write) -> None:
        path = write("a.png", png_bytes(Image.new("RGB", (1240, 1754), "white")))
        preview = Image.open(io.BytesIO(render_preview_png(path, width_px=300)))
        assert preview.format == "PNG" and preview.width == 300

    def test_page_previews_stop_at_the_page_cap(self, write: Write, pdf: Pdf) -> None:
        path = write("three.pdf", pdf([b"0 0 m"] * 3))
        previews = render_page_pngs(path, width_px=200, max_pages=2)
        assert len(previews) == 2
        assert Image.open(io.BytesIO(previews[0])).width == 200

    def test_a_preview_of_a_missing_page_is_an_error(self, write: Write, pdf: Pdf) -> None:
        path = write("one.pdf", pdf([b"0 0 m"]))
        with pytest.raises(DocumentError):
            render_preview_png(path, page=3)


class TestEmbeddedImages:
    """The PDF fast path reads image objects with their soft masks (a transparent logo stays transparent)."""

    @staticmethod
    def _alpha() -> np.ndarray:
        alpha = np.zeros((39, 103), np.uint8)
        alpha[10:30, 25:78] = 255  # an opaque middle in a transparent frame
        return alpha

    def test_images_covering_most_of_the_page_can_be_left_out_before_decoding(self, write: Write) -> None:
        # the logo check's fast path has no use for a full-page photograph (0.1 s to extract on A4)
        path = write("two.pdf", masked_image_pdf(self._alpha(), "103 0 0 39 10 20", "595 0 0 842 0 0"))
        with open_pdf(path) as pdf:
            assert len(embedded_images(pdf, 0)) == 2
            (small,) = embedded_images(pdf, 0, max_area=0.5)
        assert small.box[2] - small.box[0] == pytest.approx(103 / 595)

    @pytest.mark.parametrize(
        "matrix",
        [
            "103 0 0 39 10 20",  # drawn at its own size: pdfium renders it 103 x 39
            "96.24 0 0 36.44 10.77 100.3",  # pdfium renders it 104 x 39: the mask was dropped (a black box)
            "96.5 0 0 51.8 187.3 70.1",  # drawn taller than its aspect: rendered 104 x 56
        ],
    )
    def test_the_soft_mask_is_kept_wherever_the_image_is_drawn(self, write: Write, matrix: str) -> None:
        path = write("masked.pdf", masked_image_pdf(self._alpha(), matrix))
        with open_pdf(path) as pdf:
            (image,) = embedded_images(pdf, 0)
        assert image.rgba.shape == (39, 103, 4)
        alpha = image.rgba[:, :, 3]
        assert alpha[:5].max() < 30 and alpha[:, :15].max() < 30  # the frame stays transparent
        assert alpha[14:26, 30:73].min() > 225  # the middle stays opaque
