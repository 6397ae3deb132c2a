"""Library pieces of the dataset, training and ablation chapters (book/02, 03, 09)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinodal import PhaseFieldModel  # noqa: E402
from spinodal.book.plotting import (  # noqa: E402
    plot_parameter_space,
    plot_tiled,
    plot_training_history,
)
from spinodal.io.datasets import dataset_statistics, write_sequences  # noqa: E402
from spinodal.physics.metrics import mass_drift  # noqa: E402


def test_mass_drift_is_zero_for_conserving_and_exact_for_a_shift():
    rng = np.random.default_rng(0)
    frames = rng.random((3, 5, 8, 8))
    frames -= frames.mean(axis=(-2, -1), keepdims=True) - 0.4  # every frame has mean 0.4
    assert np.allclose(mass_drift(frames), 0.0, atol=1e-12)
    shifted = frames.copy()
    shifted[1, 3] += 0.02  # one frame of sequence 1 gains mass
    shifted[2, 1:] -= 0.005  # sequence 2 loses mass from frame 1 on
    drift = mass_drift(shifted)
    assert drift.shape == (3,)
    assert drift[0] == pytest.approx(0.0, abs=1e-12)
    assert drift[1] == pytest.approx(0.02)
    assert drift[2] == pytest.approx(0.005)


def test_mass_drift_propagates_nan_and_rejects_single_fields():
    frames = np.full((4, 6, 6), 0.5)
    frames[2, 0, 0] = np.nan
    assert np.isnan(mass_drift(frames))
    with pytest.raises(ValueError):
        mass_drift(np.zeros((6, 6)))


def test_dataset_statistics(tmp_path):
    """Sequence 1 (η = 2 %) lies above Eq. 9's spinodal line at ⟨φ⟩ = 0.5 (η_s = 1.26 %):
    stable; sequence 3 (⟨φ⟩ = 0.9) lies outside the chemical spinodal: stable too."""
    rng = np.random.default_rng(1)
    S, T, N = 4, 3, 16
    phi_mean = np.array([0.5, 0.5, 0.3, 0.9])
    eta = np.array([0.0, 0.02, 0.001, 0.0])  # 0.02 lies above the spinodal line at 0.5
    phi = phi_mean[:, None, None, None] + 0.002 * rng.standard_normal((S, T + 1, N, N))
    phi[0, -1] = np.where(np.arange(N) < N // 2, 0.0, 1.0)[None, :]  # sequence 0 separated
    path = write_sequences(
        tmp_path / "d.h5", phi, eta=eta, phi_mean=phi_mean, validation=[0, 1, 0, 1]
    )
    stats = dataset_statistics(path)
    assert stats["unstable"].tolist() == [True, False, True, False]
    assert stats["separated"].tolist() == [True, False, False, False]
    assert stats["final_contrast"][0] == pytest.approx(1.0)
    assert stats["validation"].tolist() == [False, True, False, True]
    assert np.allclose(stats["measured_mean"], phi[:, 0].mean(axis=(-2, -1)))
    assert int(stats["n_frames"]) == T and int(stats["size"]) == N


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
