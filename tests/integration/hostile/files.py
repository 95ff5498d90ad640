"""Hostile files built at test time: decompression bombs, truncated, encrypted, polyglot and huge documents."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(path: Path, side: int = 40_000) -> Path:
    """A 1.6-gigapixel PNG whose compressed pixels weigh a few hundred kilobytes (zeros compress ~1000:1)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" * (side + 1)
    compressor = zlib.compressobj(9)
    # Only the first rows are really compressed; the decoder would need the full 1.6 GB to finish anyway.
    idat = compressor.compress(row * 2000) + compressor.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return path


def jpeg_bomb(path: Path, side: int = 65_000) -> Path:
    """A tiny JPEG whose frame header (SOF0) claims 65 000 × 65 000 pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", side, side)
    path.write_bytes(bytes(data))
    return path


def _pdf(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """Assemble numbered objects into a PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pdf_image_stream_bomb(path: Path, side: int = 50_000) -> Path:
    """One page drawing an image XObject of 50 000 × 50 000 pixels (7.5 GB decoded) from a small Flate stream."""
    pixels = zlib.compress(b"\x00" * 3_000_000, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        _stream(b"", b"q 500 0 0 700 40 60 cm /Im0 Do Q"),
        _stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
            b"/Filter /FlateDecode" % (side, side),
            pixels,
        ),
    ]
    path.write_bytes(_pdf(objects))
    return path


def pdf_content_stream_bomb(path: Path, expanded_mb: int = 64) -> Path:
    """A page whose content stream inflates from ~64 KB to `expanded_mb` MB of drawing operators."""
    operators = b"0 0 m 1 1 l S\n" * (expanded_mb * 1024 * 1024 // 14)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(b"/Filter /FlateDecode", zlib.compress(operators, 9)),
    ]
    path.write_bytes(_pdf(objects))
    return path


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def encrypted_pdf(path: Path, *, user_password: str = "") -> Path:
    """A one-page PDF with the standard security handler (revision 2, RC4 40 bits), as old tools write it.

    With an empty user password it opens without asking (but is still encrypted); otherwise it needs it.
    """
    file_id = hashlib.md5(b"comms-approval-test").digest()
    permissions = -4
    user = (user_password.encode() + _PAD)[:32]
    owner_key = hashlib.md5((b"owner-secret" + _PAD)[:32]).digest()[:5]
    owner_entry = _rc4(owner_key, user)
    key = hashlib.md5(user + owner_entry + struct.pack("<i", permissions) + file_id).digest()[:5]
    user_entry = _rc4(key, _PAD)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner_entry.hex().encode(), user_entry.hex().encode(), permissions),
    ]
    extra = b"/Encrypt 4 0 R /ID [<%s> <%s>] " % (file_id.hex().encode(), file_id.hex().encode())
    path.write_bytes(_pdf(objects, trailer_extra=extra))
    return path


def blank_pdf(path: Path, pages: int) -> Path:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    pdf.save(path)
    pdf.close()
    return path


def png_pdf_polyglot(path: Path) -> Path:
    """A PNG whose first text chunk holds a whole PDF: image viewers and PDF readers both accept it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, "PNG")
    png = buffer.getvalue()
    pdf = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    text_chunk = _png_chunk(b"tEXt", b"Comment\x00" + pdf)
    ihdr_end = 8 + 25
    path.write_bytes(png[:ihdr_end] + text_chunk + png[ihdr_end:])
    return path


def truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def real_png(path: Path) -> Path:
    image = Image.new("RGB", (600, 850), "#f4efe6")
    image.save(path)
    return path


def real_pdf(path: Path, pages: int = 2) -> Path:
    """A small but real PDF with drawn content on each page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages)).encode()
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    for i in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (4 + 2 * i)
        )
        objects.append(_stream(b"", b"0.2 0.3 0.6 rg 40 600 515 200 re f 0 0 0 RG 2 w 40 40 m 555 560 l S"))
    path.write_bytes(_pdf(objects))
    return path
