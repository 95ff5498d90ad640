"""The shared-spectrum correlations give OpenCV's values, flat windows included."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from comms_approval.adapters.logos.spectral import MaskedSpectralImage, MaskedTemplate, SpectralImage


def _page(channels: int, seed: int = 3) -> np.ndarray:
    """Blurred noise with a blank band (flat windows) and a bright block, like edges and chroma of a page."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.random((180, 130, channels)).astype(np.float32) * 120, (0, 0), 1.5)
    image = image.reshape(180, 130, channels)
    image[60:90] = 0.0  # blank paper: edge maps are 0 there
    image[120:150, 20:70] += 80.0
    return image if channels > 1 else image[:, :, 0]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("th", "tw"), [(8, 16), (12, 32), (40, 90)])
def test_normalised_correlation_is_opencvs(channels: int, th: int, tw: int) -> None:
    image = _page(channels)
    templ = np.ascontiguousarray(image[100 : 100 + th, 10 : 10 + tw]) * 0.8 + 5.0
    expected = cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED)
    result, mean0 = SpectralImage(image).match(templ)
    assert result.shape == expected.shape
    assert np.abs(result - expected).max() < 1e-3  # flat windows too: 0 on both sides
    first = image if channels == 1 else np.ascontiguousarray(image[:, :, 0])
    box = cv2.boxFilter(first, -1, (tw, th), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    assert np.abs(mean0 - box[: result.shape[0], : result.shape[1]]).max() < 1e-3
    y, x = np.unravel_index(int(np.argmax(result)), result.shape)
    assert (y, x) == (100, 10)


def test_a_flat_template_correlates_as_opencv_says() -> None:
    image = _page(3)
    templ = np.full((10, 20, 3), 7.0, np.float32)
    result, _ = SpectralImage(image).match(templ)
    assert np.all(result == 1.0)
    assert np.all(cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED) == 1.0)


def test_masked_correlation_is_opencvs_where_the_window_varies() -> None:
    image = _page(1) + 40.0  # gray levels, never 0: the masked sums are differences of large numbers
    rng = np.random.default_rng(5)
    templ = np.ascontiguousarray(image[20:44, 30:78]).copy()
    mask = (rng.random(templ.shape) > 0.4).astype(np.float32)
    templ[mask == 0] = 255.0  # whatever lies outside the ink must not count
    expected = cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED, mask=mask)
    result, deviation = MaskedSpectralImage(image).match(templ, mask)
    varied = deviation >= 3.0
    assert varied.mean() > 0.5
    assert np.abs(result - expected)[varied].max() < 1e-3
    assert np.unravel_index(int(np.argmax(np.where(varied, result, -1))), result.shape) == (20, 30)
    # the deviation is the page's standard deviation under the ink, window by window
    for y, x in [(0, 0), (20, 30), (50, 40), (70, 10)]:
        window = image[y : y + templ.shape[0], x : x + templ.shape[1]][mask > 0]
        assert deviation[y, x] == pytest.approx(float(window.std()), abs=1e-3)
    # on blank paper (rows 60-90 are flat, +40) nothing is compared
    assert deviation[62, 5] == pytest.approx(0.0, abs=1e-3)
    assert result[62, 5] == 0.0


def test_a_prepared_masked_template_correlates_as_the_template_and_its_mask() -> None:
    # prepared once, matched with images of several transform sizes (the crops of many candidates)
    rng = np.random.default_rng(9)
    templ = cv2.GaussianBlur(rng.uniform(0, 255, (18, 30)).astype(np.float32), (0, 0), 1.0)
    mask = (rng.random(templ.shape) > 0.3).astype(np.float32)
    prepared = MaskedTemplate(templ, mask)
    for seed, shape in [(1, (60, 100)), (2, (50, 90)), (3, (60, 100)), (4, (70, 110))]:
        image = np.ascontiguousarray(_page(1, seed)[: shape[0], : shape[1]]) + 40.0
        spectral = MaskedSpectralImage(image)
        for expected, got in zip(spectral.match(templ, mask), spectral.match(prepared), strict=True):
            assert np.array_equal(expected, got)
    # only the last few transform sizes are kept
    assert len(prepared._spectra) == MaskedTemplate.SPECTRA_KEPT
