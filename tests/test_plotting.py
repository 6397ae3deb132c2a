"""The figures chapters share (spinodal.book.plotting): offline animations, median/IQR bands,
NN-PF-error grids and the small helpers every chapter draws with."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinodal.book.plotting import animation_html, offline_jshtml, plot_median_iqr, plot_nn_pf_error

FRAME = re.compile(r'frames\[(\d+)\] = "data:image/(?:jpeg|png);base64,')


def _frames(n_frames: int, size: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n_frames, size, size), dtype=np.float32)


def test_animation_is_offline_and_has_every_frame():
    nn, pf = _frames(5, seed=1), _frames(5, seed=2)
    html = animation_html(
        [nn, pf, np.abs(nn - pf)],
        ["NN", "PF", "|error|"],
        times=np.arange(5) * 10,
        cmaps=["RdBu_r", "RdBu_r", "magma"],
        limits=[(0, 1), (0, 1), (0, 1)],
        panel_size=1.0,
    )
    assert "http" not in html  # no remote font, script or stylesheet
    assert "font-awesome" not in html and "fa fa-" not in html
    assert len(set(FRAME.findall(html))) == 5
    assert "Play" in html  # the controls are still there, with text icons


def test_animation_subsamples_to_max_frames_keeping_the_ends():
    html = animation_html(_frames(25), max_frames=7, panel_size=1.0, frame_format="png")
    assert "data:image/png" in html
    indices = sorted(int(i) for i in FRAME.findall(html))
    assert indices == list(range(7))


def test_animation_rejects_mismatched_panels():
    with pytest.raises(ValueError, match="frames must be"):
        animation_html([_frames(4), _frames(5)])
    with pytest.raises(ValueError, match="one title"):
        animation_html([_frames(3), _frames(3)], ["only one"])


def test_offline_jshtml_strips_the_cdn_link():
    link = '<link rel="stylesheet"\nhref="https://cdn/font-awesome/4.4/x.css">'
    html = link + '\n<i class="fa fa-play"></i>'
    assert offline_jshtml(html).strip() == "▷"


def test_median_iqr_band_encloses_the_median():
    values = np.arange(12.0).reshape(4, 3)
    values[0, 0] = np.nan  # a diverged sequence is ignored, not propagated
    fig = plot_median_iqr(np.arange(3), values, label="x")
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [6.0, 5.5, 6.5])
    plt.close(fig)


def test_nn_pf_error_grid_has_three_rows():
    nn, pf = _frames(3, seed=3), _frames(3, seed=4)
    fig = plot_nn_pf_error(nn, pf, [0, 10, 20])
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 9
    error = images[6].images[0].get_array()
    np.testing.assert_allclose(error, np.abs(nn[0] - pf[0]), rtol=1e-6)
    plt.close(fig)


def test_nn_pf_animation_shows_the_error_on_the_range_of_phi(monkeypatch):
    from spinodal.book import plotting

    seen = {}

    def animation_html(frames, titles, **options):
        seen.update(frames=frames, titles=titles, **options)
        return "html"

    monkeypatch.setattr(plotting, "animation_html", animation_html)
    nn, pf = _frames(4, seed=1), _frames(4, seed=2)
    assert plotting.nn_pf_animation_html(nn, pf, np.arange(4), max_frames=9) == "html"
    np.testing.assert_array_equal(seen["frames"][2], np.abs(nn - pf))
    assert seen["titles"][2] == "|NN − PF| (≤ 1)" and seen["limits"][2] == (0, 1)
    assert seen["cmaps"][2] == plotting.ERROR_CMAP and seen["max_frames"] == 9


# --- chapter 03 ---------------------------------------------------------------------------------


# --- chapter 07 ---------------------------------------------------------------------------------


# --- chapter 01 ---------------------------------------------------------------------------------
