"""Hand-written PDFs for the document tests: minimal, encrypted, page-less, and a decompression bomb."""

from __future__ import annotations

import zlib

import numpy as np


def build_pdf(
    pages: list[bytes], *, extra_objects: tuple[bytes, ...] = (), encrypt: bool = False, resources: str = ""
) -> bytes:
    """A minimal PDF: one content stream per page; objects after the pages may be referenced by resources."""
    objects: list[bytes] = [b"", b""]
    page_ids = []
    first_extra = 3 + 2 * len(pages)
    for content in pages:
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
        contents_id = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << {resources} >> "
            f"/Contents {contents_id} 0 R >>".encode()
        )
        page_ids.append(len(objects))
    assert len(objects) + 1 == first_extra
    objects.extend(extra_objects)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    trailer_extra = ""
    if encrypt:
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 "
            b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>"
        )
        trailer_extra = (
            f" /Encrypt {len(objects)} 0 R /ID [<00112233445566778899aabbccddeeff> "
            "<00112233445566778899aabbccddeeff>]"
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def huge_image_pdf() -> bytes:
    """One page drawing a 100 000 x 100 000 gray image whose few compressed bytes inflate to 10 GB."""
    data = zlib.compress(b"\x00" * 100_000)
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length "
        + str(len(data)).encode()
        + b" >>\nstream\n"
        + data
        + b"\nendstream"
    )
    return build_pdf(
        [b"q 500 0 0 500 40 40 cm /Im0 Do Q"], extra_objects=(image,), resources="/XObject << /Im0 5 0 R >>"
    )


def masked_image_pdf(alpha: np.ndarray, *matrices: str) -> bytes:
    """One page drawing a red image whose soft mask is `alpha` (uint8), placed by each of the `cm` operands."""
    height, width = alpha.shape
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = 200
    mask_data, rgb_data = zlib.compress(alpha.tobytes()), zlib.compress(rgb.tobytes())
    mask_id = 3 + 2  # the first object after the single page's content and page objects
    mask = (
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(mask_data)} >>\nstream\n".encode()
        + mask_data
        + b"\nendstream"
    )
    image = (
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
        f"/BitsPerComponent 8 /Filter /FlateDecode /SMask {mask_id} 0 R /Length {len(rgb_data)} >>\n"
        "stream\n".encode()
        + rgb_data
        + b"\nendstream"
    )
    return build_pdf(
        [" ".join(f"q {matrix} cm /Im0 Do Q" for matrix in matrices).encode()],
        extra_objects=(mask, image),
        resources=f"/XObject << /Im0 {mask_id + 1} 0 R >>",
    )
