"""Plotting helpers of the accuracy and long-time chapters (Secs. 3.1-3.2): offline animations,
median/IQR bands and NN-PF-error grids."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinodal.book.plotting import (  # noqa: E402
    animation_html,
    offline_jshtml,
    plot_mean_properties,
    plot_median_iqr,
    plot_nn_pf_error,
)

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


def test_mean_properties_panels_span_the_pf_band():
    rng = np.random.default_rng(0)
    times = np.arange(6)
    ev = {"frame": times}
    for name in ("total", "isotropy"):
        ev[f"pf/{name}"] = 1 + 0.1 * rng.random((4, 6))
        ev[f"nn/{name}"] = ev[f"pf/{name}"] * np.array([1, 1, 1, 10, np.inf, np.nan])
    fig = plot_mean_properties(ev, ("total", "isotropy"))
    assert len(fig.axes) == 2
    lo, hi = fig.axes[0].get_ylim()
    assert 0.7 < lo < 1.0 and 1.1 < hi < 1.4  # the diverging NN does not set the scale
    plt.close(fig)


def test_noise_search_keeps_every_run_and_finds_the_level(tiny_test_split):
    from spinodal.analysis import evaluation

    kwargs = {"n_frames": 3, "indices": [0, 1], "seed": 2}
    reference = evaluation.perturbed_ensemble(tiny_test_split, 1e-3, **kwargs)
    target = reference["mae"].copy()
    target[0, 2:] = np.inf  # a diverged rollout: ignored by the median's frames
    target = np.vstack([target, np.full((1, 4), np.nan)])  # NaN rows are ignored
    search = evaluation.noise_search(target, tiny_test_split, [1e-4, 1e-3, 1e-2], **kwargs)
    assert search["mae"].shape == search["total"].shape == (3, 2, 4)
    np.testing.assert_array_equal(search["mae"][1], reference["mae"])
    assert search["best"] == 1e-3 and search["distance"].argmin() == 1
    assert search["distance"][0] > 0 and search["distance"][2] > 0
    best, distances, curves = evaluation.match_noise_level(
        reference["mae"], tiny_test_split, [1e-4, 1e-3], **kwargs
    )
    assert best == 1e-3 and distances[1e-3] == 0.0 and len(curves[1e-4]) == 4
    with pytest.raises(ValueError, match="frames"):
        evaluation.noise_search(target[:, :2], tiny_test_split, [1e-3], **kwargs)
