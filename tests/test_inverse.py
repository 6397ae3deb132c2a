"""Inferring the misfit from observed frames (spinodal.analysis.inverse): recovery on solver data,
the loss curvature against finite differences, the standard error against the textbook one for
white noise, batching, the surrogate path, the noise filter, the command line, bad input; and
chapter 10's study: its regimes, cached inferences and profiles, and their statistics."""

from __future__ import annotations

import csv

import h5py
import numpy as np
import pytest
from synthetic import RecordingWorkspace

from spinodal import PhaseFieldModel, rollout
from spinodal.analysis.inverse import (
    add_observation_noise,
    cached_inferences,
    cached_profiles,
    identifiability,
    infer_misfit,
    inference_statistics,
    inverse_study,
    misfit_errors,
    misfit_loss,
    profile_ratio,
    sequence_estimate,
    wiener_filter,
)
from spinodal.cli import main
from spinodal.io.datasets import read_frames, write_sequences
from spinodal.physics.initial import initial_state

pytestmark = pytest.mark.usefixtures("single_thread")

SIZE = 32
FRAMES = 8  # τ: 32² fields decompose visibly within a few τ at ⟨φ⟩ ≈ 0.5
TRUE_ETA = np.array([0.0037, 0.0081, 0.0056])  # off the coarse grid of every test below
PHI_MEAN = (0.5, 0.45, 0.55)
XATOL = 1e-5


@pytest.fixture(scope="module")
def sequences() -> np.ndarray:
    """Three solver sequences [3, FRAMES + 1, 32, 32], float32 like the datasets."""
    rng = np.random.default_rng(3)
    phi0 = np.stack([initial_state((SIZE, SIZE), m, 0.1, rng) for m in PHI_MEAN])
    return PhaseFieldModel().evolve(phi0, TRUE_ETA, FRAMES, dtype="float32")


@pytest.fixture(scope="module")
def estimate(sequences):
    return infer_misfit(sequences, np.arange(FRAMES + 1), xatol=XATOL)


def test_solver_recovers_eta_from_solver_data(estimate):
    # The data come from the same solver, so L(η) vanishes at the true η up to float32
    # round-off (batched FFTs of a different batch): the estimate is limited by the refinement
    # tolerance xatol, and |η̂ - η| < 2 xatol leaves room for the round-off's slope.
    np.testing.assert_array_less(np.abs(estimate.eta - TRUE_ETA), 2 * XATOL)
    # near the minimum L = L''/2 (η̂ - η)²: the residual is that of the misfit error alone
    np.testing.assert_array_less(estimate.loss, estimate.curvature / 2 * (2 * XATOL) ** 2)
    assert estimate.separated.all() and not estimate.at_bound.any()
    assert estimate.fitted.shape == (3, FRAMES + 1, SIZE, SIZE)
    assert estimate.scan_loss.shape == (3, len(estimate.scan_eta))
    assert (estimate.uncertainty < 1e-4).all()


def test_late_frames_without_phi0_recover_eta(sequences):
    # the dynamics are autonomous: starting from the frame at 3τ and matching 8τ is exact
    late = infer_misfit(sequences[:, [3, FRAMES]], [3, FRAMES], xatol=XATOL)
    np.testing.assert_array_less(np.abs(late.eta - TRUE_ETA), 2 * XATOL)
    np.testing.assert_array_equal(late.times, [3, FRAMES])


def test_batched_and_single_sequence_inference_agree(sequences, estimate):
    alone = infer_misfit(sequences[1], np.arange(FRAMES + 1), xatol=XATOL)
    assert alone.eta.shape == (1,)
    assert abs(alone.eta[0] - estimate.eta[1]) < 2 * XATOL


def test_loss_curvature_matches_finite_differences(sequences, estimate):
    # At a zero-residual minimum L'' = 2⟨J²⟩ exactly (Gauss-Newton); the central second
    # difference of the profile with step h differs from it by O(h²): 1 % with h = 3e-4.
    h = 3e-4
    for s in range(len(TRUE_ETA)):
        eta = estimate.eta[s]
        profile = misfit_loss(sequences[s], np.arange(FRAMES + 1), [eta - h, eta, eta + h])[0]
        second = (profile[0] - 2 * profile[1] + profile[2]) / h**2
        assert estimate.curvature[s] == pytest.approx(second, rel=0.03)


def test_standard_error_is_the_textbook_one_for_white_noise(sequences, estimate):
    # Noise on the observed frames after the initial one only: the residual at η̂ is white
    # noise of variance σ², and the sandwich estimator must give σ / sqrt(Σ J²).
    sigma = 0.02
    noisy = sequences.copy()
    noisy[:, 1:] = add_observation_noise(sequences[:, 1:], sigma, np.random.default_rng(1))
    result = infer_misfit(noisy, np.arange(FRAMES + 1), xatol=1e-8)  # (δη adds xatol/√3)
    n = FRAMES * SIZE * SIZE
    textbook = sigma / np.sqrt(result.curvature / 2 * n)
    np.testing.assert_allclose(result.uncertainty, textbook, rtol=0.35)  # one noise draw
    assert result.loss == pytest.approx(np.full(3, sigma**2), rel=0.1)
    np.testing.assert_array_less(np.abs(result.eta - TRUE_ETA), 4 * result.uncertainty)


def test_surrogate_loss_is_the_rollout_error(model, sequences):
    # the surrogate's forward model is exactly spinodal.rollout from the first observed frame
    times = [2, 4, FRAMES]
    etas = [0.002, 0.009]
    losses = misfit_loss(sequences[:2, times], times, etas, method="surrogate", net=model)
    for s in range(2):
        for j, eta in enumerate(etas):
            predicted = rollout(model, sequences[s, 2], eta, FRAMES - 2)[[2, FRAMES - 2]]
            expected = np.mean((predicted - sequences[s, [4, FRAMES]]) ** 2)
            assert losses[s, j] == pytest.approx(expected, rel=1e-5)


def test_surrogate_inference_runs_within_bounds(model, sequences):
    result = infer_misfit(
        sequences[:, [0, 4]], [0, 4], method="surrogate", net=model, n_scan=3, xatol=1e-3
    )
    assert result.method == "surrogate"
    assert ((result.eta >= 0) & (result.eta <= 0.012)).all()
    assert result.evaluations.min() >= 3 + 2  # the scan and the two sensitivity runs


def test_no_decomposition_is_flagged_with_the_spinodal_misfit():
    # ⟨φ⟩ = 0.5, η = 2 % is far above η_s(0.5) = 1.26 %: the fluctuations only relax
    model = PhaseFieldModel()
    phi0 = initial_state((SIZE, SIZE), 0.5, 0.05, np.random.default_rng(0))
    frames = model.evolve(phi0, 0.02, 4, dtype="float32")
    result = infer_misfit(frames, np.arange(5), eta_bounds=(0.0, 0.03), n_scan=5)
    assert not result.separated[0] and result.bound_only[0]
    assert result.eta_spinodal[0] == pytest.approx(float(model.spinodal_misfit(0.5)))


def test_wiener_filter_removes_noise_and_keeps_the_mean(sequences):
    clean = sequences[:, FRAMES].astype(np.float64)
    noisy = add_observation_noise(clean, 0.05, np.random.default_rng(2)).astype(np.float64)
    filtered = wiener_filter(noisy, 0.05)
    np.testing.assert_allclose(filtered.mean(axis=(-2, -1)), noisy.mean(axis=(-2, -1)), atol=1e-12)
    assert np.abs(filtered - clean).mean() < 0.6 * np.abs(noisy - clean).mean()
    np.testing.assert_array_equal(wiener_filter(noisy, 0.0), noisy)


def test_cli_infer_writes_csv_and_h5(sequences, tmp_path, capsys):
    data = write_sequences(tmp_path / "seq.h5", sequences, eta=TRUE_ETA)
    out = tmp_path / "results.csv"
    argv = ["infer", "--data", str(data), "--frames", "0", "4", str(FRAMES), "--out", str(out)]
    assert main(argv) == 0
    assert "sequence 1: eta = 0.81" in capsys.readouterr().out
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    np.testing.assert_allclose([float(r["eta"]) for r in rows], TRUE_ETA, atol=1e-4)
    out_h5 = tmp_path / "results.h5"
    argv = [*argv[:-1], str(out_h5), "--sequences", "2", "--noise", "0.02"]
    assert main(argv) == 0
    with h5py.File(out_h5, "r") as f:
        assert f["scan_loss"].shape == (1, 9) and f.attrs["noise"] == 0.02
        assert abs(f["eta"][0] - TRUE_ETA[2]) < 1e-3


def test_cli_surrogate_needs_a_model(sequences, tmp_path, caplog):
    data = write_sequences(tmp_path / "seq.h5", sequences, eta=TRUE_ETA)
    argv = ["infer", "--data", str(data), "--method", "surrogate", "--out", str(tmp_path / "r.csv")]
    assert main(argv) == 2
    assert "needs --model" in caplog.text


@pytest.mark.parametrize(
    ("frames", "times", "options", "message"),
    [
        ([np.zeros((32, 32)), np.zeros((16, 16))], [0, 1], {}, "different sizes"),
        (np.zeros((3, 32, 32)), [0, 5, 5], {}, "increase strictly"),
        (np.zeros((3, 32, 32)), [0, 5, 2], {}, "increase strictly"),
        (np.full((2, 32, 32), np.nan), [0, 1], {}, "NaN"),
        (np.zeros((2, 32, 32)), [0, 1], {"eta_bounds": (0.0, 0.06)}, r"\[0, 0.05\]|<= 0.05"),
        (np.zeros((2, 32, 32)), [0, 1], {"eta_bounds": (-0.001, 0.01)}, "0 <= low"),
        (np.zeros((2, 32, 32)), [0, 1], {"eta_bounds": (0.01, 0.005)}, "low < high"),
        (np.zeros((2, 32, 32)), [0, 1, 2], {}, "2 frames but 3 times"),
        (np.zeros((1, 32, 32)), [0], {}, "at least two"),
        (np.zeros((2, 32, 32)), [0, 0.5], {}, "whole multiples"),
        (np.zeros((2, 32, 32)), [0, 1], {"method": "surrogate"}, "needs the trained CRNN"),
        (np.zeros((2, 32, 32)), [0, 1], {"method": "adjoint"}, "'solver' or 'surrogate'"),
    ],
)
def test_bad_input_gives_one_line_errors(frames, times, options, message):
    with pytest.raises(ValueError, match=message) as error:
        infer_misfit(frames, times, **options)
    assert "\n" not in str(error.value)


# --- the book's study (chapter 10) -------------------------------------------------------------


def test_inverse_study_caps_the_horizon_and_counts_and_names_the_map_regime():
    study = inverse_study(4, 20, "tiny", horizon=50, late_start=10, noise_levels=[0.02, 0.05])
    assert (study.T, study.t_late, study.n_solver, study.n_surrogate) == (20, 10, 4, 1)
    assert list(study.regimes) == ["all", "ends", "late", "noise1", "noise2"]
    assert study.regimes["all"].frames == study.every_frame == list(range(21))
    assert study.regimes["ends"].frames == [0, 20] and study.regimes["late"].frames == [10, 20]
    assert study.regimes["late"].label == "10τ and 20τ, no φ0"
    assert [r.noise for r in study.regimes.values()] == [0.0, 0.0, 0.0, 0.02, 0.05]
    assert study.map_noise == 0.05 and study.map_regime == "noise2"
    assert study.sequences("noise2", "solver") == [0, 1, 2, 3]  # the map: every sequence
    assert study.sequences("noise1", "solver") == [0, 1, 2, 3]  # n_solver = n_test here
    assert study.sequences("noise2", "surrogate") == [0]
    # a short horizon moves the late start to its middle; the paper preset's counts, capped
    paper = inverse_study(
        500,
        500,
        "paper",
        horizon=12,
        late_start=10,
        noise_levels=[0.05, 0.02],
        surrogate_sequences=100,
    )
    assert (paper.T, paper.t_late, paper.n_solver, paper.n_surrogate) == (12, 6, 64, 64)
    assert paper.map_regime == "noise1" and paper.sequences("noise1", "solver") == list(range(500))
    assert paper.sequences("noise2", "solver") == list(range(64))
    with pytest.raises(ValueError, match="two σ"):
        inverse_study(4, 20, "tiny", horizon=50, late_start=10, noise_levels=[0.02])


def _table():
    """A result table of infer_dataset over four sequences, with round numbers."""
    return {
        "index": np.array([3, 5, 7, 9]),
        "eta_true": np.array([0.001, 0.004, 0.008, 0.011]),
        "eta": np.array([0.0012, 0.004, 0.0075, 0.013]),  # errors 0.02, 0, 0.05, 0.2 %
        "uncertainty": np.array([0.0002, 0.0001, 0.0001, 0.0005]),  # 2δη covers the first two
        "phi_mean": np.array([0.5, 0.45, 0.6, 0.3]),
        "separated": np.array([True, True, False, False]),
        "at_bound": np.array([False, False, False, True]),
        "eta_spinodal": np.array([0.01, 0.01, 0.005, np.nan]),  # NaN: outside the spinodal
        "seconds": np.asarray(2.0),
        "evaluations": np.array([10, 12, 14, 16]),
    }


def test_inference_statistics_per_key():
    table = _table()
    np.testing.assert_allclose(misfit_errors(table), [0.0002, 0, 0.0005, 0.002], atol=1e-15)
    stats = inference_statistics({("all", "solver"): table})[("all", "solver")]
    assert stats.n == 4
    assert stats.median == pytest.approx(0.035)  # of 0, 0.02, 0.05, 0.2 (%)
    assert (stats.q25, stats.q75) == (pytest.approx(0.015), pytest.approx(0.0875))
    assert stats.within == 50.0
    assert stats.cost == 0.5 and stats.evaluations == 13.0


def test_identifiability_counts_the_bound_and_splits_the_errors():
    found = identifiability(_table(), small_eta=0.005)
    assert (found.n, found.n_flat, found.n_above) == (4, 2, 2)  # NaN η_s counts as above
    assert (found.n_flat_above, found.n_flat_at_bound) == (2, 1)
    assert found.median_flat == pytest.approx(0.125) and found.median_separated == pytest.approx(
        0.01
    )
    assert found.median_uncertainty_flat == pytest.approx(0.03)
    assert not found.relaxation_reads  # 0.125 % against twice 0.01 %
    assert found.median_low == pytest.approx(0.01) and found.median_high == pytest.approx(0.125)
    assert found.small_eta_percent == pytest.approx(0.5)
    table = _table()
    table["eta"] = table["eta_true"] + np.array([0.001, 0.001, 0.0012, 0.0005])
    assert identifiability(table, 0.005).relaxation_reads  # 0.085 % ≤ 2 × 0.1 %
    table["separated"][:] = True
    every = identifiability(table, 0.005)
    assert every.n_flat == 0 and np.isnan(every.median_flat) and not every.relaxation_reads


def test_sequence_estimate_and_profile_ratio():
    estimate = sequence_estimate(_table(), 7)
    assert estimate.eta == pytest.approx(0.75) and estimate.uncertainty == pytest.approx(0.01)
    assert estimate.eta_true == pytest.approx(0.8) and estimate.phi_mean == 0.6
    with pytest.raises(ValueError, match="sequence 4 is not among"):
        sequence_estimate(_table(), 4)
    assert profile_ratio({"solver": [1e-3, 2e-4], "surrogate": [5e-3, 1e-2]}) == pytest.approx(25)
    assert np.isfinite(profile_ratio({"solver": [0.0], "surrogate": [1e-3]}))


def test_cached_inferences_cover_every_regime_and_method_once(sequences, model, tmp_path):
    data = write_sequences(tmp_path / "seq.h5", sequences, eta=TRUE_ETA)
    study = inverse_study(
        3,
        FRAMES,
        "custom",
        horizon=FRAMES,
        late_start=2,
        noise_levels=[0.01, 0.02],
        solver_sequences=2,
        surrogate_sequences=1,
    )
    ws = RecordingWorkspace()
    options = {
        "seed": 0,
        "n_scan": {"solver": 5, "surrogate": 3},
        "xatol": {"solver": 1e-4, "surrogate": 1e-3},
    }
    results = cached_inferences(ws, data, study, model, **options)
    assert list(results) == [(n, m) for m in ("solver", "surrogate") for n in study.regimes]
    keys = dict(ws.computed)
    assert len(keys) == 10
    assert keys["inverse-noise2-solver"]["sequences"] == [0, 1, 2]  # the map: all of them
    assert keys["inverse-noise1-solver"]["sequences"] == [0, 1]
    assert keys["inverse-late-surrogate"] == {
        "frames": [2, FRAMES],
        "sequences": [0],
        "noise": 0.0,
        "seed": 0,
        "n_scan": 3,
        "xatol": 1e-3,
        "model": "weights",
    }
    assert keys["inverse-all-solver"]["model"] == ""
    np.testing.assert_array_equal(results["noise2", "solver"]["index"], [0, 1, 2])
    assert float(results["noise1", "surrogate"]["noise"]) == 0.01
    assert str(results["all", "surrogate"]["method"]) == "surrogate"
    np.testing.assert_array_less(np.abs(results["all", "solver"]["eta"] - TRUE_ETA[:2]), 2e-4)
    again = cached_inferences(ws, data, study, model, **options)  # read back, not recomputed
    assert len(ws.computed) == 10 and again["ends", "solver"] is results["ends", "solver"]


def test_cached_profiles_span_the_paper_range_and_the_solver_is_lowest_near_eta(
    sequences, model, tmp_path
):
    data = write_sequences(tmp_path / "seq.h5", sequences, eta=TRUE_ETA)
    observed = read_frames(data, list(range(FRAMES + 1)), [1])
    ws = RecordingWorkspace()
    grid, profiles = cached_profiles(ws, observed, model, 5)
    np.testing.assert_allclose(grid, [0, 0.003, 0.006, 0.009, 0.012])
    assert int(np.argmin(profiles["solver"])) == 3  # true η = 0.81 %
    assert profiles["surrogate"].shape == (5,) and profiles["surrogate"].min() > 0
    assert ws.computed[0][1]["sequence"] == 1
    assert ws.computed[0][1]["frames"] == list(range(FRAMES + 1))
    with pytest.raises(ValueError, match="one sequence"):
        cached_profiles(ws, read_frames(data, [0, 1], [0, 1]), model, 5)
