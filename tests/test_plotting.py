"""The book's figures (spinodal.book.plotting): offline animations, median/IQR bands,
NN-PF-error grids, mean-property panels and the small helpers every chapter draws with."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinodal import PhaseFieldModel
from spinodal.book.chapters.ablations import plot_cure_errors, plot_mass_drift
from spinodal.book.chapters.accuracy import plot_error_scatter
from spinodal.book.chapters.dataset import plot_parameter_space, plot_perlin_states, plot_tiled
from spinodal.book.chapters.long_time import plot_mean_properties
from spinodal.book.chapters.phase_diagram import PHASE_DIAGRAM_CLASSES, plot_phase_diagram
from spinodal.book.chapters.training import plot_training_history
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


def test_accuracy_errors_show_the_paper_lines_and_the_training_window():
    from spinodal.book.chapters.accuracy import plot_accuracy_errors
    from spinodal.book.plotting import times_up_to

    times = np.arange(6)
    mae = np.array([0.01, 0.03])[:, None] * times
    fig = plot_accuracy_errors(times, mae, mae / 10, np.zeros(mae.shape, bool), 4)
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), 0.02 * times)
    np.testing.assert_allclose(right.lines[0].get_ydata(), 0.2 * times)  # in percent
    flat = {ax: sorted(line.get_ydata()[0] for line in ax.lines[1:]) for ax in (left, right)}
    assert flat[left] == [0.025] and flat[right] == [2.0, 5.0]  # the paper's, Sec. 3.1
    window = left.patches[-1]
    assert (window.get_x(), window.get_x() + window.get_width()) == (0, 4)
    plt.close(fig)
    assert times_up_to((0, 10, 50, 100), 20) == [0, 10, 20]
    assert times_up_to((0, 5), 5) == [0, 5]


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


def _domain(gone_at_stored: int | None = None, S: int = 2, T: int = 5, stored=(0, 2, 4, 5)):
    """A domain rollout of S sequences on 4², T frames; the last sequence's NN diverges from
    the stored frame ``gone_at_stored`` (an index into ``stored``) on."""
    rng = np.random.default_rng(0)
    frame = np.arange(T + 1)
    result = {
        "eta": np.array([0.004, 0.008][:S]) if S > 1 else np.array([0.0]),
        "phi_mean": np.full(S, 0.45),
        "frame": frame,
        "stored_frame": np.array(stored),
        "mae": 0.01 * (1 + frame)[None, :] * np.ones((S, 1)),
        "interface_error": 0.02 * (1 + frame)[None, :] * np.ones((S, 1)),
        "nn/paper_total": np.ones((S, T + 1)),
        "pf/paper_total": np.ones((S, T + 1)),
        "nn": 0.3 + 0.3 * rng.random((S, len(stored), 4, 4)),
        "pf": 0.3 + 0.3 * rng.random((S, len(stored), 4, 4)),
    }
    if gone_at_stored is not None:
        result["nn"][-1, gone_at_stored:, :2] = 3.0  # max φ − min φ > 1.5
    return result


def test_domain_snapshots_are_titled_and_mark_the_divergence():
    from spinodal.book.chapters.domain import plot_large_domain, plot_varying_domain

    fig = plot_large_domain(_domain(gone_at_stored=2), 1, 2, train_size=2)
    assert fig._suptitle.get_text() == "⟨φ⟩ = 0.45, η = 0.8 %, 4² (trained on 2²)"
    titles = [ax.get_title() for ax in fig.axes if ax.images][:2]
    assert titles == ["t = 4 τ\n(diverged)", "t = 5 τ\n(diverged)"]  # frame 0 left out
    plt.close(fig)
    fig = plot_varying_domain(_domain(S=1, T=10, stored=(0, 5, 10)), 2)
    titles = [ax.get_title() for ax in fig.axes if ax.images][:3]
    assert titles == ["t = 0 τ", "t = 5 τ", "t = 10 τ"]  # frame 0 too
    assert fig._suptitle.get_text() == "varying initial composition, η = 0 %, 4²"
    plt.close(fig)


def test_domain_curves_end_where_a_rollout_is_found_diverged():
    from spinodal.book.chapters.domain import (
        plot_domain_energy,
        plot_domain_errors,
        plot_varying_curves,
    )

    result = _domain(gone_at_stored=1)  # the second sequence, found diverged at 2τ
    fig = plot_domain_errors(result)
    for ax in fig.axes:
        stable, cut, marker = ax.lines
        np.testing.assert_array_equal(stable.get_xdata(), np.arange(6))
        np.testing.assert_array_equal(cut.get_xdata(), [0, 1])
        assert list(marker.get_xdata()) == [2, 2] and marker.get_linestyle() == ":"
    plt.close(fig)
    fig = plot_domain_energy(result)
    pf_0, nn_0, pf_1, nn_1, marker = fig.axes[0].lines
    assert len(pf_1.get_xdata()) == 6 and list(nn_1.get_xdata()) == [0, 1]
    assert nn_1.get_linestyle() == "--" and nn_1.get_color() == pf_1.get_color()
    plt.close(fig)
    fig = plot_varying_curves(_domain(S=1, T=10, stored=(0, 5, 10)))
    assert "NN diverged" not in fig.axes[1].get_legend_handles_labels()[1]
    plt.close(fig)
    fig = plot_varying_curves(_domain(gone_at_stored=1, S=1, T=10, stored=(0, 5, 10)))
    assert "NN diverged" in fig.axes[1].get_legend_handles_labels()[1]
    assert fig.axes[0].lines[0].get_xdata()[-1] == 4  # the MAE ends before 5τ
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


def test_ensemble_properties_are_titled_with_the_ensemble():
    from spinodal.book.chapters.long_time import MEAN_PROPERTIES, plot_ensemble_properties

    rng = np.random.default_rng(0)
    ev = {"frame": np.arange(5), "phi_mean": np.full(3, 0.5), "eta": np.full(3, 0.006)}
    ev["mae"] = rng.random((3, 5))
    for name in MEAN_PROPERTIES:
        ev[f"pf/{name}"] = ev[f"nn/{name}"] = 1 + 0.1 * rng.random((3, 5))
    fig = plot_ensemble_properties(ev)
    assert fig._suptitle.get_text() == "⟨φ⟩ = 0.5, η = 0.6 %: NN (red) and PF (blue), 3 sequences"
    assert len(fig.axes) == len(MEAN_PROPERTIES)
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


def _inverse_table(eta_true, eta, separated=None):
    eta_true, eta = np.asarray(eta_true), np.asarray(eta)
    return {
        "eta_true": eta_true,
        "eta": eta,
        "phi_mean": np.linspace(0.3, 0.7, len(eta)),
        "separated": np.ones(len(eta), bool) if separated is None else np.asarray(separated),
    }


def test_misfit_profiles_mark_the_estimates_and_the_truth():
    from spinodal.book.chapters.inverse import plot_misfit_profiles

    grid = np.linspace(0, 0.012, 5)
    profiles = {"solver": np.array([4, 1, 1e-9, 1, 4.0]), "surrogate": np.array([5, 2, 1, 2, 5.0])}
    fig = plot_misfit_profiles(
        grid, profiles, {"solver": 0.6, "surrogate": 0.55}, 0.6, title="example"
    )
    ax = fig.axes[0]
    solver, solver_hat, surrogate, surrogate_hat, truth = ax.lines
    np.testing.assert_allclose(solver.get_xdata(), grid * 100)
    assert ax.get_yscale() == "log" and ax.get_title() == "example"
    assert solver_hat.get_xdata()[0] == 0.6 and surrogate_hat.get_xdata()[0] == 0.55
    assert truth.get_xdata()[0] == 0.6 and truth.get_color() == "k"
    plt.close(fig)


def test_inverse_accuracy_draws_the_median_error_per_regime_and_method():
    from spinodal.book.chapters.inverse import plot_inverse_accuracy

    truth = [0.002, 0.004, 0.008]
    results = {
        ("all", "solver"): _inverse_table(truth, [0.002, 0.0041, 0.0082]),
        ("all", "surrogate"): _inverse_table(truth[:1], [0.003]),
        ("late", "solver"): _inverse_table(truth, truth),  # exact: floored at 10⁻⁶ %
        ("late", "surrogate"): _inverse_table(truth[:1], [0.0025]),
    }
    fig = plot_inverse_accuracy(results, ["all", "late"])
    left, right = fig.axes
    assert [t.get_text() for t in right.get_xticklabels()] == ["all", "late"]
    medians = [container.lines[0].get_ydata()[0] for container in right.containers]
    np.testing.assert_allclose(medians, [0.01, 1e-6, 0.1, 0.05])  # solver first, in %
    assert len(left.collections) == 4  # one marker set per regime and method
    plt.close(fig)


def test_identifiability_map_separates_decomposed_and_flat_sequences():
    from spinodal.book.chapters.inverse import plot_identifiability_map

    table = _inverse_table([0.002, 0.004, 0.013], [0.002, 0.0045, 0.012], [True, True, False])
    fig = plot_identifiability_map(table, PhaseFieldModel(), title="map")
    ax = fig.axes[0]
    circles, squares = ax.collections[-2:]
    assert len(circles.get_offsets()) == 2 and len(squares.get_offsets()) == 1
    np.testing.assert_allclose(circles.get_array(), [1e-6, 0.05])  # the exact one floored
    np.testing.assert_allclose(squares.get_offsets()[0], [0.7, 1.3])
    assert len(fig.axes) == 2 and ax.get_title() == "map"  # with its colour bar
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


# --- chapter 03 ---------------------------------------------------------------------------------


def test_curriculum_numbers_the_epochs_across_stages_beside_the_paper_ramp():
    from spinodal.book.chapters.training import plot_curriculum
    from spinodal.presets import get_preset

    histories = [("s1", _history(4, ramp=2)), ("s2", _history(3))]
    stages = [{"frames": 10}, {"frames": 30}]
    fig = plot_curriculum(histories, stages)
    left, right = fig.axes[:2]
    first, second = left.get_lines()
    assert list(first.get_xdata()) == [1, 2, 3, 4] and list(first.get_ydata()) == [3, 3, 1, 1]
    assert list(second.get_xdata()) == [5, 6, 7]  # numbered on after the first stage
    labels = left.get_legend_handles_labels()[1]
    assert labels == ["s1 (4 epochs, 10 frames)", "s2 (3 epochs, 30 frames)"]
    paper = get_preset("paper")
    (schedule,) = right.get_lines()
    y = np.asarray(schedule.get_ydata())
    ramp = paper.training.curriculum_epochs
    assert len(y) == paper.training.epochs and y[0] == paper.split("train").n_frames
    assert (y[ramp:] == 1).all() and (y[:ramp] > 1).all() and (np.diff(y) <= 0).all()
    with pytest.raises(ValueError, match="2 histories for 1 stages"):
        plot_curriculum(histories, stages[:1])
    plt.close(fig)


def _validation_result(T=6, size=8, diverge_at=None):
    rng = np.random.default_rng(0)
    pf = 0.5 + 0.1 * rng.standard_normal((2, T + 1, size, size))
    nn = pf + 0.01
    if diverge_at is not None:
        nn[1, diverge_at:, 0, 0] = 5.0  # max φ − min φ beyond the physical range
    return {
        "index": np.array([3, 8]),
        "eta": np.array([0.001, 0.0075]),
        "phi_mean": np.array([0.4, 0.388]),
        "stored_frame": np.arange(T + 1),
        "nn": nn,
        "pf": pf,
        "mae": np.abs(nn - pf).mean(axis=(-2, -1)),
    }


def test_validation_example_is_titled_and_marks_divergence():
    from spinodal.book.chapters.training import plot_validation_example

    result = _validation_result(diverge_at=4)
    fig = plot_validation_example(result, 8, [0, 2, 4, 6])
    assert fig._suptitle.get_text() == "validation sequence 8: η = 0.75 %, ⟨φ⟩ = 0.388"
    titles = [ax.get_title() for ax in fig.axes if ax.get_title().startswith("t =")]
    assert titles == ["t = 0 τ", "t = 2 τ", "t = 4 τ\n(diverged)", "t = 6 τ\n(diverged)"]
    plt.close(fig)


def test_validation_mae_shows_the_trainer_the_yardstick_and_the_window():
    from spinodal.book.chapters.training import plot_validation_mae

    result = _validation_result()
    times = result["stored_frame"]
    persistence = np.tile(np.linspace(0, 0.2, len(times)), (2, 1))
    fig = plot_validation_mae(
        times, result["mae"], persistence, np.zeros((2, len(times)), bool), [0.01, 0.02], 3, 5
    )
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[0] == "rollouts (median, IQR), 2 validation sequences"
    assert "history.json, best epoch (mean of all 5)" in labels
    trainer = next(line for line in ax.get_lines() if line.get_label().startswith("history"))
    assert list(trainer.get_xdata()) == [1, 2]  # frame 1 is the first predicted one
    window = next(line for line in ax.get_lines() if line.get_label() == "training length")
    assert list(window.get_xdata()) == [3, 3]
    assert ax.get_yscale() == "log"
    plt.close(fig)


def test_error_spectra_put_a_single_mode_error_in_its_shell():
    from spinodal.analysis.stability import radial_spectrum
    from spinodal.book.chapters.training import plot_error_spectra

    size, T = 16, 12
    x = np.arange(size)
    pf = np.full((1, T + 1, size, size), 0.5)
    nn = pf + 1e-3 * np.cos(2 * np.pi * 4 * x / size)[None, None, None, :]  # |k| = 1/4
    fig = plot_error_spectra(nn, pf)
    left, right = fig.axes[:2]
    assert left.get_legend_handles_labels()[1] == ["10τ", f"{T}τ"]
    shells, power = radial_spectrum(nn[:, T] - pf[:, T])
    error = left.get_lines()[0]
    np.testing.assert_allclose(error.get_ydata(), power.mean(0))
    assert shells[np.argmax(error.get_ydata())] == pytest.approx(0.25, abs=0.04)
    assert right.get_title() == f"power spectra at {T}τ"
    plt.close(fig)
    short = plot_error_spectra(nn[:, :5], pf[:, :5])  # shorter than 10τ: the end only
    assert short.axes[0].get_legend_handles_labels()[1] == ["4τ"]
    plt.close(short)


def test_ablation_errors_draw_one_colour_per_variant_from_the_first_frame():
    from spinodal.book.chapters.ablations import plot_ablation_errors

    curve = np.outer(np.ones(3), np.arange(6) * 0.01)
    evals = {v: {"mae": curve * k, "interface_error": curve} for k, v in enumerate(("a", "b"), 1)}
    fig = plot_ablation_errors(evals, 4)
    left, right = fig.axes[:2]
    medians = [line for line in left.get_lines() if line.get_label() in evals]
    assert [m.get_label() for m in medians] == ["a", "b"]
    assert [m.get_color() for m in medians] == ["C0", "C1"]
    assert list(medians[1].get_xdata()) == [1, 2, 3, 4, 5]  # frame 0 has no error
    np.testing.assert_allclose(medians[1].get_ydata(), np.arange(1, 6) * 0.02)
    for ax in (left, right):
        assert ax.get_yscale() == "log"
        assert any(list(line.get_xdata()) == [4, 4] for line in ax.get_lines())
    plt.close(fig)


# --- chapter 07 ---------------------------------------------------------------------------------


def test_phase_diagram_cases_show_nn_above_pf_at_the_last_frame():
    from spinodal.book.chapters.phase_diagram import plot_phase_diagram_cases

    nn, pf = _frames(3).reshape(1, 3, 8, 8), 1 - _frames(3).reshape(1, 3, 8, 8)
    shown = {
        "nn": np.concatenate([nn, nn]),
        "pf": np.concatenate([pf, pf]),
        "phi_mean": [0.3, 0.5],
        "eta": [0.004, 0.01],
    }
    fig = plot_phase_diagram_cases(shown, [7, 12], 40, disagreements=False)
    images = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in images] == [
        "NN #7: ⟨φ⟩=0.30, η=0.40%",
        "NN #12: ⟨φ⟩=0.50, η=1.00%",
        "PF #7: ⟨φ⟩=0.30, η=0.40%",
        "PF #12: ⟨φ⟩=0.50, η=1.00%",
    ]
    np.testing.assert_array_equal(images[2].get_images()[0].get_array(), pf[0, -1])
    assert fig._suptitle.get_text() == "no disagreement: borderline cases at 40τ"
    plt.close(fig)


def test_amplitude_pair_rows_are_initial_pf_nn():
    from spinodal.book.chapters.phase_diagram import plot_amplitude_pair

    fields = _frames(2)
    pair = {"amplitude": np.array([0.1, 0.05]), "phi0": fields, "pf": fields * 0, "nn": fields + 0}
    fig = plot_amplitude_pair(pair, ["separated", "mixed"], ["separated", "separated"], 200)
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles == [
        "t = 0, a = 0.1",
        "PF 200τ: separated",
        "NN 200τ: separated",
        "t = 0, a = 0.05",
        "PF 200τ: mixed",
        "NN 200τ: separated",
    ]
    assert (fig.axes[4].get_images()[0].get_array() == 0).all()  # row 2, PF
    plt.close(fig)


# --- chapter 01 ---------------------------------------------------------------------------------


def test_morphologies_say_inside_or_outside_the_spinodal_line():
    from spinodal.book.chapters.model import plot_morphologies

    pf = PhaseFieldModel()
    cases = [(0.5, 0.0), (0.5, 0.02), (0.9, 0.0), (0.22, 0.004)]
    fig = plot_morphologies(_frames(4), cases, pf)
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles[:3] == [
        "⟨φ⟩ = 0.5, η = 0 %\ninside",
        "⟨φ⟩ = 0.5, η = 2 %\noutside",  # beyond the spinodal misfit at ⟨φ⟩ = 0.5
        "⟨φ⟩ = 0.9, η = 0 %\noutside",  # beyond the chemical spinodal
    ]
    inside = 0.004 < pf.spinodal_misfit(0.22)
    assert titles[3].endswith("inside" if inside else "outside")
    assert len(titles) == 4  # the two spare panels of the second row are removed
    with pytest.raises(ValueError, match="3 fields for 4 cases"):
        plot_morphologies(_frames(3), cases, pf)
    plt.close("all")
