"""Reference logos (PNG with or without transparency, SVG with outlined text) prepared once for matching."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from comms_approval.adapters.logos.caches import Recent
from comms_approval.adapters.logos.spectral import MaskedTemplate
from comms_approval.domain.errors import DocumentError
from comms_approval.domain.logos import LogoVersion

MAX_REFERENCE_SIDE = 480  # larger references add time, not precision, at 150 dpi
MAX_REFERENCE_PIXELS = 40_000_000
CHROMA_WEIGHT = 3.0  # Lab a/b span ~±60 for logo inks, edges ~0-300: comparable weights in the correlation
_SVG_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?text[\s>/]")
MIN_INK_PIXELS = 12
MIN_INK_STD = 3.0  # gray levels: a window flatter than this under the logo's ink cannot be compared
# A logo's templates kept, of each kind, by width (`ReferenceLogo`): the proposal ladder's widths serve page
# after page, an alignment frames the logo ~72 then ~160 px wide. Every width ever used was kept before: ~18 MB
# a logo once its usual widths were seen, now ~10; the CPU the same (bench/RESULTS.md).
KEPT_WIDTHS = 40
# Turned templates kept (`ReferenceLogo.posed`): an alignment's coarse pose search uses 15 of each kind (3 angles
# x 5 scales), nearly the same ones for every candidate, the logo being framed ~72 px wide there.
POSED_KEPT = 96

PoseKind = Literal["ink", "flat", "edges"]


@dataclass(frozen=True)
class PosedTemplate:
    """A template turned for a pose search: the plane correlated, and for the ink its mask and its side of
    the masked correlation (None when its opaque pixels are too few or too flat to say anything)."""

    plane: np.ndarray
    mask: np.ndarray | None = None
    masked: MaskedTemplate | None = None

    @classmethod
    def of(cls, plane: np.ndarray, mask: np.ndarray | None = None) -> PosedTemplate:
        if mask is not None and ink_usable(plane, mask > 0):
            return cls(plane, mask, MaskedTemplate(plane, mask))
        return cls(plane, mask)


def ink_usable(templ: np.ndarray, on: np.ndarray) -> bool:
    """Whether the template's opaque pixels are enough, and varied enough, for a correlation to mean something."""
    return int(on.sum()) >= MIN_INK_PIXELS and float(templ[on].std()) >= MIN_INK_STD


@dataclass
class ReferenceLogo:
    """One declared logo file of a party, as float arrays ready for correlation and colour comparison."""

    party: str
    version: LogoVersion
    path: Path
    rgb: np.ndarray  # H x W x 3 float32, 0..255
    alpha: np.ndarray  # H x W float32, 0..1
    gray: np.ndarray  # H x W float32, 0..255
    lab: np.ndarray  # H x W x 3 float32 (L 0..100)
    has_colour: bool
    # templates by width (`KEPT_WIDTHS`) and turned ones (`POSED_KEPT`), the most recently used kept
    _templates: Recent[int, np.ndarray] = field(default_factory=lambda: Recent(KEPT_WIDTHS), repr=False)
    _edges: Recent[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Recent(KEPT_WIDTHS), repr=False
    )
    _features: Recent[int, np.ndarray] = field(default_factory=lambda: Recent(KEPT_WIDTHS), repr=False)
    _ink: Recent[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Recent(KEPT_WIDTHS), repr=False
    )
    _planes: Recent[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Recent(KEPT_WIDTHS), repr=False
    )
    _posed: Recent[tuple[PoseKind, int, float], PosedTemplate] = field(
        default_factory=lambda: Recent(POSED_KEPT), repr=False
    )

    @property
    def name(self) -> str:
        return f"{self.party}:{self.version.value}:{self.path.name}"

    @property
    def width(self) -> int:
        return int(self.gray.shape[1])

    @property
    def height(self) -> int:
        return int(self.gray.shape[0])

    @property
    def aspect(self) -> float:
        return self.height / self.width

    def template_height(self, width: int) -> int:
        """The height of this logo's templates `width` px wide (every kind)."""
        return max(3, round(width * self.aspect))

    def template(self, width: int) -> np.ndarray:
        """Grayscale template `width` px wide whose transparent pixels hold the logo's mean gray.

        With TM_CCOEFF_NORMED a pixel equal to the template mean adds nothing to the correlation, so the
        background behind a transparent logo (photo, colour field) cannot pull the score down by mismatch.
        """

        def build() -> np.ndarray:
            opaque = self.alpha > 0.5
            mean = float(self.gray[opaque].mean()) if opaque.any() else 128.0
            filled = self.gray * self.alpha + mean * (1.0 - self.alpha)
            return np.asarray(
                cv2.resize(filled, (width, self.template_height(width)), interpolation=cv2.INTER_AREA)
            )

        return self._templates.get(width, build)

    def edges(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Edge-strength template `width` px wide and the mask of where the logo can have edges.

        The boundary of a transparent logo shows against any background, light or dark: take the stronger
        of the edges of the logo composed on white and on black. Edges ignore the background's colour.
        """

        def build() -> tuple[np.ndarray, np.ndarray]:
            size = (width, self.template_height(width))
            on_white = cv2.resize(self.gray, size, interpolation=cv2.INTER_AREA)
            alpha = cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA)
            on_black = on_white - 255.0 * (1.0 - alpha)
            near = cv2.dilate((alpha > 0.3).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            return np.maximum(edge_strength(on_white), edge_strength(on_black)), near.astype(np.float32)

        return self._edges.get(width, build)

    def features(self, width: int, *, colour: bool) -> np.ndarray:
        """Search features `width` px wide: edge strength, plus the logo's chroma (Lab a, b) when `colour`.

        Chroma is premultiplied by alpha: where the logo is transparent it is neutral, like body text, so
        black text and colour fields (constant, removed by the correlation's mean) do not look like it.
        """
        if not colour:
            return self.edges(width)[0]

        def build() -> np.ndarray:
            edges = self.edges(width)[0]
            ab = cv2.resize(
                self.lab[:, :, 1:] * self.alpha[:, :, None],
                (width, edges.shape[0]),
                interpolation=cv2.INTER_AREA,
            )
            return np.dstack([edges, CHROMA_WEIGHT * ab]).astype(np.float32)

        return self._features.get(width, build)

    def ink(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Gray template `width` px wide and the mask of its surely opaque pixels (the logo's own ink).

        Transparent pixels hold the ink's mean gray, so that rotating the template does not drag white or
        black into the ink's border pixels.
        """

        def build() -> tuple[np.ndarray, np.ndarray]:
            size = (width, self.template_height(width))
            return (
                cv2.resize(self.template(width), size, interpolation=cv2.INTER_AREA),
                (cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA) > 0.9).astype(np.float32),
            )

        return self._ink.get(width, build)

    def planes(self, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The logo `width` px wide as gray, alpha and RGB planes (for the aligned comparison)."""

        def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            size = (width, self.template_height(width))
            return (
                cv2.resize(self.gray, size, interpolation=cv2.INTER_AREA),
                cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA),
                cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA),
            )

        return self._planes.get(width, build)

    def posed(self, kind: PoseKind, width: int, angle: float, *, keep: bool = True) -> PosedTemplate:
        """The `kind` template `width` px wide turned by `angle` degrees (counter-clockwise) about its centre:
        edges (`edges`), the logo on white (`planes`) or its ink (`ink`, with its opaque pixels' mask); kept
        with the logo unless not `keep`.

        Edges are zero beyond the logo; the planes and the ink are extended by their border (their transparent
        pixels hold the ink's mean gray), so that turning them drags no white or black into the logo.
        """

        def build() -> PosedTemplate:
            if kind == "ink":
                plane, mask = self.ink(width)
            else:
                plane, mask = (self.planes(width)[0] if kind == "flat" else self.edges(width)[0]), None
            if angle != 0:
                th, tw = plane.shape[:2]
                rot = cv2.getRotationMatrix2D((tw / 2.0, th / 2.0), angle, 1.0)
                border = cv2.BORDER_CONSTANT if kind == "edges" else cv2.BORDER_REPLICATE
                plane = cv2.warpAffine(
                    plane, rot, (tw, th), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0.0
                )
                if mask is not None:
                    mask = cv2.warpAffine(mask, rot, (tw, th), flags=cv2.INTER_NEAREST, borderValue=0.0)
            return PosedTemplate.of(plane, mask)

        return self._posed.get((kind, width, angle), build) if keep else build()


EDGE_NORMALISATION = 24.0


def gradient_magnitude(gray: np.ndarray) -> np.ndarray:
    """The 3 x 3 Sobel gradient's magnitude, as is (float32).

    Computed with NumPy's exactly rounded element-wise operations, not `cv2.magnitude`: that one rounds
    differently when both inputs happen to sit on 64-byte boundaries, so the same page gave evidence 1e-7
    apart depending on what the process had allocated before (a fit at a threshold could flip).
    """
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    magnitude: np.ndarray = np.sqrt(gx * gx + gy * gy)
    return magnitude


def edge_strength(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude, lightly blurred, with its contrast compressed.

    How strong a logo's edge is depends on the background it sits on (dark text on a dark page, a light
    tile on a light page): a saturating curve makes weak and strong edges count about alike, so the
    correlation compares where edges are rather than how contrasted they happen to be.
    """
    magnitude = cv2.GaussianBlur(gradient_magnitude(gray), (0, 0), 1.0)
    return magnitude / (magnitude + EDGE_NORMALISATION) * 100.0


def _rgba_from_png(path: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            with Image.open(path, formats=["PNG"]) as image:
                if image.size[0] * image.size[1] > MAX_REFERENCE_PIXELS:
                    raise _bad(path, "image too large", "image trop grande")
                image.load()
                if image.mode.startswith("I;16") or image.mode == "I":
                    arr = np.asarray(image, dtype=np.float64)
                    gray = np.clip(arr * 255.0 / max(255.0, float(arr.max())), 0, 255).astype(np.uint8)
                    rgba = np.asarray(Image.fromarray(gray).convert("RGBA"), dtype=np.uint8)
                else:
                    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
            raise _bad(path, "not a readable PNG", "PNG illisible") from exc
    return rgba


def _rgba_from_svg(path: Path, width_px: int = MAX_REFERENCE_SIDE * 2) -> np.ndarray:
    import resvg_py  # imported here: only conventions with SVG logos pay for loading the renderer

    data = path.read_bytes()
    if _SVG_TEXT.search(data):
        # A <text> element renders as nothing when its font is missing on the server: require outlines.
        raise _bad(
            path,
            "the SVG contains live text; convert the text to outlines (paths) and upload it again",
            "le SVG contient du texte non vectorisé ; convertissez le texte en tracés puis déposez-le à nouveau",
        )
    try:
        png = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), width=width_px, skip_system_fonts=True)
        with Image.open(io.BytesIO(bytes(png)), formats=["PNG"]) as image:
            return np.asarray(image.convert("RGBA"), dtype=np.uint8)
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise _bad(path, "not a renderable SVG", "SVG impossible à afficher") from exc


def _bad(path: Path, en: str, fr: str) -> DocumentError:
    return DocumentError(f"Reference logo {path.name}: {en}.", f"Logo de référence {path.name} : {fr}.")


def _alpha_for_opaque(rgb: np.ndarray) -> np.ndarray:
    """A logo saved without transparency: the uniform margin connected to the border becomes transparent."""
    h, w = rgb.shape[:2]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int16)
    background = np.median(border, axis=0)
    near = np.abs(rgb.astype(np.int16) - background).max(axis=2) <= 24
    mask = np.zeros((h + 2, w + 2), np.uint8)
    flood = near.astype(np.uint8)
    seeds = [(x, y) for x in range(0, w, max(1, w // 16)) for y in (0, h - 1)]
    seeds += [(x, y) for y in range(0, h, max(1, h // 16)) for x in (0, w - 1)]
    for x, y in seeds:
        if flood[y, x] == 1 and mask[y + 1, x + 1] == 0:
            cv2.floodFill(flood, mask, (x, y), 2, flags=4 | cv2.FLOODFILL_MASK_ONLY | (255 << 8))
    outside = mask[1:-1, 1:-1] > 0
    alpha = np.where(outside, 0.0, 1.0).astype(np.float32)
    return cv2.GaussianBlur(alpha, (3, 3), 0)


def load_reference(path: Path, party: str, version: LogoVersion) -> ReferenceLogo:
    """Read a PNG or SVG logo, trim its transparent margin, cap its size and precompute its colour planes."""
    path = Path(path)
    rgba = _rgba_from_svg(path) if path.suffix.lower() == ".svg" else _rgba_from_png(path)
    rgb8 = rgba[:, :, :3]
    alpha = rgba[:, :, 3].astype(np.float32) / 255.0
    if float(alpha.min()) > 0.98:
        alpha = _alpha_for_opaque(rgb8)
    ys, xs = np.nonzero(alpha > 0.1)
    if len(xs) == 0:
        raise _bad(
            path, "the image is empty or fully transparent", "l’image est vide ou entièrement transparente"
        )
    pad = 2
    y0, y1 = max(0, int(ys.min()) - pad), min(alpha.shape[0], int(ys.max()) + 1 + pad)
    x0, x1 = max(0, int(xs.min()) - pad), min(alpha.shape[1], int(xs.max()) + 1 + pad)
    rgb = rgb8[y0:y1, x0:x1].astype(np.float32)
    alpha = alpha[y0:y1, x0:x1]
    scale = MAX_REFERENCE_SIDE / max(rgb.shape[:2])
    if scale < 1:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.float32)
        alpha = np.asarray(cv2.resize(alpha, size, interpolation=cv2.INTER_AREA), np.float32)
    # Colour of semi-transparent edge pixels is meaningless; compose on white like a page would.
    composed = rgb * alpha[:, :, None] + 255.0 * (1.0 - alpha[:, :, None])
    gray = cv2.cvtColor(composed, cv2.COLOR_RGB2GRAY)
    lab = cv2.cvtColor(composed / 255.0, cv2.COLOR_RGB2Lab)
    opaque = alpha > 0.5
    chroma = np.hypot(lab[:, :, 1], lab[:, :, 2])
    has_colour = bool(opaque.any() and float(np.percentile(chroma[opaque], 90)) > 12.0)
    return ReferenceLogo(
        party,
        version,
        path,
        composed.astype(np.float32),
        alpha.astype(np.float32),
        gray.astype(np.float32),
        lab.astype(np.float32),
        has_colour,
    )
