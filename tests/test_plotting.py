"""The book's figures (spinodal.book.plotting): offline animations, median/IQR bands,
NN-PF-error grids, mean-property panels and the small helpers every chapter draws with."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinodal import PhaseFieldModel
from spinodal.book.plotting import (  # noqa: E402  # noqa: E402
    PHASE_DIAGRAM_CLASSES,
    animation_html,
    offline_jshtml,
    plot_cure_errors,
    plot_error_scatter,
    plot_mass_drift,
    plot_mean_properties,
    plot_median_iqr,
    plot_nn_pf_error,
    plot_parameter_space,
    plot_perlin_states,
    plot_phase_diagram,
    plot_tiled,
    plot_training_history,
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
    for name in ("paper_total", "isotropy"):
        ev[f"pf/{name}"] = 1 + 0.1 * rng.random((4, 6))
        ev[f"nn/{name}"] = ev[f"pf/{name}"] * np.array([1, 1, 1, 10, np.inf, np.nan])
    fig = plot_mean_properties(ev, ("paper_total", "isotropy"))
    assert len(fig.axes) == 2
    lo, hi = fig.axes[0].get_ylim()
    assert 0.7 < lo < 1.0 and 1.1 < hi < 1.4  # the diverging NN does not set the scale
    plt.close(fig)


def test_plots_draw(tmp_path):
    field = np.random.default_rng(2).random((8, 8))
    fig = plot_tiled(field, reps=3)
    assert fig.axes[0].images[0].get_array().shape == (24, 24)
    plt.close(fig)
    fig = plot_parameter_space([0.3, 0.5], [0.001, 0.004], [False, True], PhaseFieldModel())
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "training (1)" in labels and "validation (1)" in labels
    plt.close(fig)
    terms = {"loss": 1.0, "phi": 0.1, "grad": 0.01, "free_energy": 0.0}
    history = [
        {"epoch": e, "n_input": n, "train": terms, "validation": {**terms, "mae": [0.1]}}
        for e, n in ((1, 5), (2, 3), (3, 1))
    ]
    fig = plot_training_history(history)
    # L_f is zero throughout (an ablation): it is left out instead of breaking the log axis
    labels = fig.axes[1].get_legend_handles_labels()[1]
    assert not any("L_f" in label for label in labels)
    assert "curriculum ramp" in fig.axes[0].get_legend_handles_labels()[1]
    plt.close(fig)


def _history(n_epochs: int, ramp: int = 0) -> list[dict]:
    terms = {"loss": 1.0, "phi": 0.1, "grad": 0.01, "free_energy": 0.001}
    return [
        {"epoch": e, "n_input": 3 if e <= ramp else 1, "train": terms, "validation": terms}
        for e in range(1, n_epochs + 1)
    ]


@pytest.mark.parametrize("lengths", [(12, 9, 8, 8), (1, 1, 30)])
def test_training_stages_are_named_above_the_axes_not_over_the_curves(lengths):
    names = [f"{k}-stage{n}" for k, n in enumerate(lengths, start=1)]
    stages = [
        (name, _history(n, ramp=2 if k == 0 else 0))
        for k, (name, n) in enumerate(zip(names, lengths, strict=True))
    ]
    fig = plot_training_history(None, stages=stages)
    for ax in fig.axes[:2]:
        assert not [t for t in ax.texts if t.get_text().strip() in names]  # none over the data
        top = [child for child in ax.child_axes]
        labels = [t.get_text().strip() for t in top[0].get_xticklabels()]
        assert labels == names
        ticks = top[0].get_xticks()
        starts = np.cumsum([0, *lengths[:-1]]) + 1
        assert np.all((ticks >= starts - 0.5) & (ticks <= starts + np.array(lengths) - 0.5))
    if min(lengths) == 1:  # narrow stages: neighbouring names on two lines
        raw = [t.get_text() for t in fig.axes[0].child_axes[0].get_xticklabels()]
        assert any(r.endswith("\n") for r in raw) and not all(r.endswith("\n") for r in raw)
    plt.close(fig)


def test_perlin_states_are_at_most_three_a_row_with_a_colour_bar():
    states = _frames(4, size=16)
    fig = plot_perlin_states(states, [f"state {k}" for k in range(4)], tiled=1)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 5  # four states and the tiling
    rows = {}
    for ax in images:
        rows.setdefault(round(ax.get_position().y1, 2), []).append(ax)
    assert max(len(row) for row in rows.values()) <= 3
    assert any(ax.get_ylabel() == "φ" for ax in fig.axes if not ax.images)  # the colour bar
    tiled = next(ax for ax in images if ax.images[0].get_array().shape == (32, 32))
    assert np.array_equal(tiled.images[0].get_array(), np.tile(states[1], (2, 2)))
    plt.close(fig)
    with pytest.raises(ValueError, match="tiled"):
        plot_perlin_states(states, ["a"] * 4, tiled=4)


def test_error_scatter_puts_diverged_rollouts_apart():
    phi, eta = np.array([0.3, 0.5, 0.7]), np.array([0.002, 0.004, 0.011])
    fig = plot_error_scatter(phi, eta, [0.01, 1e9, 0.1], [False, True, False], PhaseFieldModel(), 7)
    ax = fig.axes[0]
    colored, crosses = ax.collections[-2], ax.collections[-1]
    assert len(colored.get_offsets()) == 2 and len(crosses.get_offsets()) == 1
    assert np.allclose(crosses.get_offsets()[0], [0.5, 0.4])
    assert "diverged by 7τ (1)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_phase_diagram_draws_each_class_with_its_count():
    from spinodal.analysis.evaluation import phase_diagram_from_results

    # contrasts at frame 0: both separated, both homogeneous, NN only, PF only, NN diverged
    results = {
        "nn/contrast": np.array([[0.9], [0.01], [0.5], [0.02], [3.0]]),
        "pf/contrast": np.array([[0.8], [0.02], [0.01], [0.6], [0.7]]),
        "phi_mean": np.array([0.2, 0.3, 0.4, 0.5, 0.6]),
        "eta": np.array([0.001, 0.002, 0.003, 0.004, 0.005]),
    }
    diagram = phase_diagram_from_results(results, frame=0, threshold=0.05)
    fig = plot_phase_diagram(diagram, PhaseFieldModel(), title="at 0τ")
    ax = fig.axes[0]
    points = ax.collections[-len(PHASE_DIAGRAM_CLASSES) :]
    for i, (offsets, (name, _label, _, _)) in enumerate(
        zip([c.get_offsets() for c in points], PHASE_DIAGRAM_CLASSES, strict=True)
    ):
        assert len(offsets) == diagram.counts[name] == 1, name
        assert np.allclose(offsets[0], [results["phi_mean"][i], results["eta"][i] * 100])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(f"{label} (1)" in legend for _, label, _, _ in PHASE_DIAGRAM_CLASSES)
    assert ax.get_title() == "at 0τ"
    plt.close(fig)


def test_mass_drift_bars_are_the_medians_over_the_reference():
    drift = {"mu": np.array([1e-7, 2e-7, 3e-7]), "direct": np.array([1e-3, 5e-3, 9e-3])}
    fig = plot_mass_drift(drift, 1e-8, title="drift")
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([2e-7, 5e-3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["mu", "direct"]
    assert ax.get_lines()[0].get_ydata()[0] == 1e-8 and ax.get_title() == "drift"
    plt.close(fig)


def _check(diverged_at, T=5, seed=0):
    rng = np.random.default_rng(seed)
    S = len(diverged_at)
    return {
        "times": np.arange(1, T + 1),
        "mae": rng.random((S, T)),
        "persistence": rng.random((S, T)),
        "diverged_at": np.array(diverged_at),
        "mass_drift": rng.random(S) * 1e-6,
    }


def test_cure_curves_end_where_the_first_rollout_diverges():
    checks = {"stable": _check([-1, -1, -1]), "blows up": _check([4, -1, 2], seed=1)}
    fig = plot_cure_errors(checks, title="3 sequences")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines["stable"].get_xdata()) == 5  # the whole horizon
    assert list(lines["blows up"].get_xdata()) == [1]  # up to the first divergence at 2τ
    assert np.allclose(
        lines["no-change forecast φ_t = φ₀"].get_ydata(),
        np.median(checks["blows up"]["persistence"], axis=0),
    )
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_xdata()[0] == 2
    plt.close(fig)
