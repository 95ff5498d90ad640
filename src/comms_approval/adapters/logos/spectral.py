"""Normalised correlation of many templates with one image, the image transformed once.

`cv2.matchTemplate` transforms the image again for every template. The proposal ladder correlates every
party's logo at ~15 widths with the same few pyramid levels of one page: the image's spectrum, its window
sums and sums of squares are shared, and a multi-channel correlation needs one inverse transform, not one
per channel. Same values as `cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED)` to ~5e-4 (single
precision, on images centred on their means: see each class).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from comms_approval.adapters.logos.caches import Recent

FLAT_VARIANCE = 1e-4  # per pixel: a window whose values vary by less than 0.01 is flat
FLOAT32_RESOLUTION = 1e-6  # of a window's sum of squares: single-precision sums cancel below that


def _padded_dft(plane: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The single-precision DFT of `plane` zero-padded to `shape` (large enough that no correlation wraps
    around). Skipping the zero rows (`nonzeroRows`) is slower in single precision: not used."""
    padded = np.zeros(shape, np.float32)
    padded[: plane.shape[0], : plane.shape[1]] = plane
    spectrum: np.ndarray = cv2.dft(padded)
    return spectrum


class SpectralImage:
    """An image (H x W or H x W x C, float32) ready for TM_CCOEFF_NORMED with any template.

    Everything is single precision on the image centred on each channel's mean (a normalised correlation
    ignores offsets): window sums of squares then stay small enough that float32 keeps their differences.
    Against double precision on six drafts of seed 67 (720 ladder correlations at the quarter and half
    levels), results differed by 4.5e-4 at most where a window holds edges, no best peak moved, and a
    correlation took 21 % less time.
    """

    def __init__(self, image: np.ndarray) -> None:
        image = image if image.ndim == 3 else image[:, :, None]
        self.height, self.width, self.channels = image.shape
        self.shape = (cv2.getOptimalDFTSize(self.height), cv2.getOptimalDFTSize(self.width))
        self._means = image.reshape(-1, self.channels).mean(axis=0)
        self._centred = np.ascontiguousarray(image - self._means.astype(np.float32), np.float32)
        self._spectra = [_padded_dft(self._centred[:, :, c], self.shape) for c in range(self.channels)]
        # window sums of squares over all channels at once: one box filter per template size, not C
        self._squares = (self._centred * self._centred).sum(axis=2)
        self._ones = np.ones((1, self.channels), np.float32)

    def match(self, templ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The normalised correlation map, and the mean of channel 0 under each window.

        The sum over channels and the flat-window rules are OpenCV's: the correlation over all channels
        divided by the product of the template's and the window's norms; where the window's norm is ~0
        (a flat area) the result is 0, or ±1 within 12.5 % of it.
        """
        t = templ if templ.ndim == 3 else templ[:, :, None]
        th, tw = t.shape[:2]
        rh, rw = self.height - th + 1, self.width - tw + 1
        centred = t.astype(np.float64) - t.reshape(-1, self.channels).mean(axis=0)
        templ_norm = float(np.sqrt((centred**2).sum()))
        product = cv2.mulSpectrums(self._spectra[0], _padded_dft(centred[:, :, 0], self.shape), 0, conjB=True)
        for c in range(1, self.channels):
            term = cv2.mulSpectrums(
                self._spectra[c], _padded_dft(centred[:, :, c], self.shape), 0, conjB=True
            )
            cv2.add(product, term, dst=product)
        corr = cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)[:rh, :rw]
        n = float(th * tw)
        window = (tw, th)
        sums = cv2.boxFilter(
            self._centred, cv2.CV_32F, window, anchor=(0, 0), normalize=False, borderType=cv2.BORDER_CONSTANT
        ).reshape(self.height, self.width, self.channels)[:rh, :rw]
        squares = cv2.boxFilter(
            self._squares, cv2.CV_32F, window, anchor=(0, 0), normalize=False, borderType=cv2.BORDER_CONSTANT
        )[:rh, :rw]
        squared_sums = cv2.transform(cv2.multiply(sums, sums), self._ones).reshape(rh, rw)
        variance = cv2.scaleAdd(squared_sums, -1.0 / n, squares)
        # The sums leave a residue where the window is flat: below a hundredth of a level it is flat, and
        # below single precision's resolution of the window's sum of squares too.
        variance[variance < FLAT_VARIANCE * n + FLOAT32_RESOLUTION * squares] = 0.0
        mean0 = sums[:, :, 0] * np.float32(1.0 / n) + np.float32(self._means[0])
        if templ_norm < 1e-12:
            return np.ones((rh, rw), np.float32), mean0
        limit = np.multiply(cv2.sqrt(variance), np.float32(templ_norm))
        result: np.ndarray = cv2.divide(np.ascontiguousarray(corr), limit)
        # a flat window (0 / 0: NaN) or a ratio beyond 1.125 is 0, as matchTemplate has it
        result[~(np.abs(result) < 1.125)] = 0.0
        np.clip(result, -1.0, 1.0, out=result)
        return result, mean0


class MaskedSpectralImage:
    """A gray image ready for masked normalised correlations with 0/1 masks (the logo's ink only).

    `cv2.matchTemplate(image, templ, TM_CCOEFF_NORMED, mask=mask)` costs four plain correlations, each
    transforming the image again. Here the image and its squares are transformed once. The windows' sums of
    squares are differences of large numbers: on raw levels (0-255) single precision loses them, so the image
    is centred on its mean first, and then single precision is enough: against double precision, the
    correlations of 12 drafts' ink proposals (seed 67, 360 maps) differed by 3.4e-4 at most where the page
    is not flat, no peak crossed the 0.8 a proposal needs, and the transforms took 38 % less time. Used for
    a page level (the ink proposals, ~15 widths of each logo) and for the small crop an alignment searches
    (15 poses of one logo): 0.14 ms a pose there against OpenCV's 0.17.
    """

    def __init__(self, image: np.ndarray) -> None:
        self.height, self.width = image.shape
        self.shape = (cv2.getOptimalDFTSize(self.height), cv2.getOptimalDFTSize(self.width))
        pixels = image.astype(np.float32)
        pixels -= float(pixels.mean())  # a correlation ignores the offset; the squares' precision needs it
        self._spectrum = self._transform(pixels)
        self._squares = self._transform(pixels * pixels)

    def _transform(self, plane: np.ndarray) -> np.ndarray:
        return _padded_dft(plane, self.shape)

    def _correlate(self, spectrum: np.ndarray, templ_spectrum: np.ndarray, rh: int, rw: int) -> np.ndarray:
        product = cv2.mulSpectrums(spectrum, templ_spectrum, 0, conjB=True)
        out: np.ndarray = cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)[:rh, :rw]
        return out

    def match(
        self, templ: np.ndarray | MaskedTemplate, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The masked correlation map and the standard deviation of the image under the mask, per window.

        Where that deviation is ~0 the correlation means nothing (0 here; OpenCV returns anything there):
        callers rule such windows out on the deviation. `templ` is a template with its `mask`, or a
        `MaskedTemplate` prepared once for many images.
        """
        if isinstance(templ, MaskedTemplate):
            prepared = templ
        elif mask is None:
            raise TypeError("a template is matched with its mask, or prepared as a MaskedTemplate")
        else:
            prepared = MaskedTemplate(templ, mask)
        th, tw = prepared.height, prepared.width
        rh, rw = self.height - th + 1, self.width - tw + 1
        count = prepared.count
        if count == 0 or rh < 1 or rw < 1:
            empty = np.zeros((max(rh, 0), max(rw, 0)), np.float32)
            return empty, empty.copy()
        centred_spectrum, mask_spectrum = prepared.spectra(self.shape)
        numerator = self._correlate(self._spectrum, centred_spectrum, rh, rw)
        sums = self._correlate(self._spectrum, mask_spectrum, rh, rw)
        # in place, these maps being the page's size: the sums of squares under the mask become count x the
        # variance, then the window's norm about its mean, then the correlation's denominator
        spread = self._correlate(self._squares, mask_spectrum, rh, rw)
        np.multiply(sums, sums, out=sums)
        spread -= sums * (1.0 / count)
        spread[spread < FLAT_VARIANCE * count] = 0.0  # transform residue where the page is flat
        np.sqrt(spread, out=spread)
        deviation = spread * (1.0 / math.sqrt(count))
        spread *= prepared.norm
        ncc = np.divide(numerator, spread, out=np.zeros_like(numerator), where=spread > 0)
        np.clip(ncc, -1.0, 1.0, out=ncc)
        return ncc, deviation


class MaskedTemplate:
    """A template's side of `MaskedSpectralImage.match`, computed once for every image it is matched with.

    An alignment matches the same few rotated templates of a logo (3 angles x 5 scales) with the crop of every
    candidate: their centring, norm and transforms (by transform size, the last few kept) are computed once.
    """

    SPECTRA_KEPT = 2

    def __init__(self, templ: np.ndarray, mask: np.ndarray) -> None:
        self.height, self.width = templ.shape
        self.on = mask > 0
        self.count = int(self.on.sum())
        self.centred = (
            np.where(self.on, templ.astype(np.float64) - float(templ[self.on].mean()), 0.0)
            if self.count
            else np.zeros(templ.shape)
        )
        self.norm = float(np.sqrt((self.centred * self.centred).sum()))
        self._spectra: Recent[tuple[int, int], tuple[np.ndarray, np.ndarray]] = Recent(self.SPECTRA_KEPT)

    def spectra(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The transforms of the centred template and of its mask, zero-padded to `shape`."""
        return self._spectra.get(
            shape, lambda: (_padded_dft(self.centred, shape), _padded_dft(self.on.astype(np.float32), shape))
        )
