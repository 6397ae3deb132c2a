"""The semi-implicit output filter and the stability diagnostics of the learned map."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel
from spinodal.analysis.stability import (
    GRID_SCALE_WAVELENGTH,
    grid_scale_fraction,
    mode_gain,
    radial_spectrum,
    trajectory_gain,
)
from spinodal.physics.metrics import divergence_frame, has_diverged, is_phase_separated
from spinodal.presets import ModelConfig
from spinodal.surrogate.model import CRNN, implicit_filter, laplacian_symbol

pytestmark = pytest.mark.usefixtures("single_thread")


def _silent_net(beta: float) -> CRNN:
    """A CRNN whose head outputs μ̃ = 0: the step is the implicit filter alone."""
    torch.manual_seed(0)
    net = CRNN(ModelConfig(hidden_channels=4, kernel_size=3, implicit_damping=beta)).eval()
    with torch.no_grad():
        net.head[-1].weight.zero_()
    return net


def test_laplacian_symbol_is_the_five_point_stencil():
    field = torch.randn(3, 12, 10, dtype=torch.float64)
    stencil = (
        torch.roll(field, 1, -1)
        + torch.roll(field, -1, -1)
        + torch.roll(field, 1, -2)
        + torch.roll(field, -1, -2)
        - 4 * field
    )
    spectral = torch.fft.irfft2(
        torch.fft.rfft2(field) * laplacian_symbol(12, 10, dtype=torch.float64), s=(12, 10)
    )
    torch.testing.assert_close(spectral, stencil)
    symbol = laplacian_symbol(8, 8, dtype=torch.float64)
    assert symbol[0, 0] == 0 and symbol.min() == pytest.approx(-8)


def test_implicit_filter_damps_each_mode_by_its_factor_and_keeps_the_mean():
    N, beta = 16, 5.0
    x = torch.arange(N, dtype=torch.float64)
    for k in (1, 4, 8):
        mode = 0.3 + 0.01 * torch.cos(2 * math.pi * k * x / N)[None, :].expand(N, N)
        out = implicit_filter(mode, beta)
        lam = -4 * math.sin(math.pi * k / N) ** 2
        expected = 0.3 + (mode - 0.3) / (1 + beta * lam**2)
        torch.testing.assert_close(out, expected)
    field = torch.rand(4, N, N, dtype=torch.float64)
    torch.testing.assert_close(
        implicit_filter(field, beta).mean((-2, -1)), field.mean((-2, -1)), rtol=0, atol=1e-15
    )


def test_the_filtered_network_conserves_mass_and_beta_zero_is_the_papers_output():
    torch.manual_seed(1)
    plain = CRNN(ModelConfig(hidden_channels=4, kernel_size=3)).double()
    filtered = CRNN(dataclasses.replace(plain.config, implicit_damping=5.0)).double()
    filtered.load_state_dict(plain.state_dict())
    phi = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    eta = torch.tensor([0.002, 0.009], dtype=torch.float64)
    out = filtered(phi, eta, n_frames=6)
    torch.testing.assert_close(
        out.mean((-2, -1)), phi[:, :1].mean((-2, -1)).expand(2, 6), rtol=0, atol=1e-13
    )
    assert not torch.allclose(out, plain(phi, eta, n_frames=6))
    with pytest.raises(ValueError, match="implicit_damping"):
        ModelConfig(implicit_damping=-1.0)
    assert ModelConfig.from_dict({"output": "mu"}).implicit_damping == 0.0  # older cards


def test_feedback_noise_perturbs_only_what_is_fed_back():
    torch.manual_seed(2)
    net = CRNN(ModelConfig(hidden_channels=4, kernel_size=3)).double()
    phi = torch.rand(2, 5, 16, 16, dtype=torch.float64)
    eta = torch.full((2,), 0.006, dtype=torch.float64)
    clean = net(phi, eta, n_input=2, n_frames=4)
    zero = net(phi, eta, n_input=2, n_frames=4, feedback_noise=torch.zeros(2, 2, 16, 16).double())
    torch.testing.assert_close(zero, clean)
    noisy = net(phi, eta, n_input=2, n_frames=4, feedback_noise=torch.rand(2, 2, 16, 16).double())
    torch.testing.assert_close(noisy[:, 0], clean[:, 0])  # the first prediction sees true input
    assert not torch.allclose(noisy[:, 1], clean[:, 1])
    with pytest.raises(ValueError, match="feedback_noise needs 2 frames"):
        net(phi, eta, n_input=2, n_frames=4, feedback_noise=torch.zeros(2, 3, 16, 16).double())


def test_mode_gain_of_a_silent_network_is_the_filter_factor():
    """With μ̃ = 0 each step multiplies mode k by 1/(1 + β λ_h(k)²): the measured per-τ gain
    must be exactly that (and 1 without the filter)."""
    for beta in (0.0, 5.0):
        gain = mode_gain(_silent_net(beta).double(), [0.5], [0.006], size=16, n_frames=3)
        k = 16 / gain.wavelength
        expected = 1 / (1 + beta * (4 * np.sin(np.pi * k / 16) ** 2) ** 2)
        np.testing.assert_allclose(gain.network[0], expected, rtol=1e-4)
    assert gain.grid_scale().shape == (1, int(np.sum(gain.wavelength <= GRID_SCALE_WAVELENGTH)))


def test_mode_gain_theory_is_the_solvers_discrete_factor():
    """The theory column is Eq. 8's factor over one τ: unstable band > 1, grid scale ~ 0."""
    pf = PhaseFieldModel()
    gain = mode_gain(_silent_net(0.0), [0.5], [0.0], size=64, n_frames=1)
    q = 2 * np.pi / gain.wavelength
    np.testing.assert_allclose(gain.theory[0], pf.amplification_factor(q, 0 * q, 0.5, 0.0) ** 100)
    assert gain.theory[0][gain.wavelength == 16] > 1  # inside the spinodal band at η = 0
    assert np.abs(gain.theory[0][gain.wavelength <= 4]).max() < 2e-8


def test_trajectory_gain_compares_network_and_solver():
    pf = PhaseFieldModel()
    rng = np.random.default_rng(0)
    frames = pf.evolve(0.5 + 0.05 * rng.standard_normal((2, 16, 16)), 0.004, 3, steps_per_frame=20)
    silent = trajectory_gain(_silent_net(0.0), frames, 0.004, start=2, n_frames=2)
    np.testing.assert_allclose(silent["network"], 1.0, rtol=1e-4)  # nothing damps it
    assert (silent["solver"] < 0.5).all()  # the physics damps grid-scale perturbations
    filtered = trajectory_gain(_silent_net(5.0), frames, 0.004, start=2, n_frames=2)
    assert (filtered["network"] < 0.1).all()


def test_spectra_of_a_single_mode():
    N = 32
    x = np.arange(N)
    for k in (2, 8, 12):
        phi = 0.5 + 0.1 * np.cos(2 * np.pi * k * x / N)[None, :].repeat(N, 0)
        shells, power = radial_spectrum(phi)
        assert shells[np.argmax(power)] == pytest.approx(k / N)
        expected = 1.0 if k / N >= 1 / GRID_SCALE_WAVELENGTH else 0.0
        assert grid_scale_fraction(phi) == pytest.approx(expected, abs=1e-12)
    assert np.isnan(grid_scale_fraction(np.full((8, 8), 0.3)))


def test_one_divergence_criterion():
    frames = np.full((3, 4, 8, 8), 0.5)
    frames[:, :, 0, 0] = 0.0  # contrast 0.5: physical
    frames[1, 2:, 0, 0] = -1.2  # contrast 1.7 from frame 2 on
    frames[2, 3, 1, 1] = np.nan
    np.testing.assert_array_equal(divergence_frame(frames), [-1, 2, 3])
    np.testing.assert_array_equal(has_diverged(frames[:, 3]), [False, True, True])
    assert is_phase_separated(frames[0, 0]) and not is_phase_separated(frames[1, 3])
    with pytest.raises(ValueError, match="T, H, W"):
        divergence_frame(np.zeros((8, 8)))


def test_a_derived_checkpoint_keeps_the_weights_and_changes_the_output(tmp_path):
    from spinodal.surrogate.checkpoint import (
        derive_checkpoint,
        load_model,
        read_card,
        save_checkpoint,
    )

    torch.manual_seed(3)
    plain = CRNN(ModelConfig(hidden_channels=4, kernel_size=3))
    save_checkpoint(tmp_path / "plain", plain, {"preset": "tiny"})
    derive_checkpoint(tmp_path / "plain", tmp_path / "filtered", implicit_damping=5.0)
    filtered = load_model(tmp_path / "filtered")
    assert filtered.config.implicit_damping == 5.0
    assert all(
        torch.equal(a, b)
        for a, b in zip(plain.state_dict().values(), filtered.state_dict().values(), strict=True)
    )
    card = read_card(tmp_path / "filtered")
    assert card["preset"] == "tiny" and card["derived_from"]["changes"] == {"implicit_damping": 5.0}
    with pytest.raises(ValueError, match="alter the weights"):
        derive_checkpoint(tmp_path / "plain", tmp_path / "wide", hidden_channels=8)


def test_check_rollouts_watches_divergence_drift_and_error():
    from spinodal.analysis.stability import check_rollouts, fresh_initial_states

    class Doubler(CRNN):  # doubles every deviation from the mean per step: mass is kept
        def step(self, phi, hidden, eta):
            return 2 * phi - phi.mean(dim=(-2, -1), keepdim=True), hidden

    net = Doubler(ModelConfig(hidden_channels=2, kernel_size=3))
    phi0 = np.full((3, 8, 8), 0.5, np.float32)
    phi0[0, 0, 0], phi0[1, 0, 0] = 0.7, 0.52  # contrasts 0.2 and 0.02: out of range at 3τ, 7τ
    truth = np.repeat(phi0[:, None], 6, axis=1)  # a "truth" that never changes, to 5τ
    check = check_rollouts(net, phi0, 0.006, 8, truth=truth, times=(1, 5, 50))
    np.testing.assert_array_equal(check.diverged_at, [3, 7, -1])
    assert check.mass_drift.max() < 1e-6 and check.n_diverged == 2
    assert sorted(check.mae) == [1, 5]  # 50τ is beyond the truth
    np.testing.assert_allclose(check.persistence[5], 0.0)
    np.testing.assert_allclose(
        check.mae[1], np.abs(phi0 - phi0.mean((-2, -1), keepdims=True)).mean((-2, -1)), rtol=1e-5
    )
    fields, means, etas = fresh_initial_states(4, 16, seed=0)
    assert fields.shape == (4, 16, 16) and ((0.2 <= means) & (means <= 0.8)).all()
    np.testing.assert_allclose(fields.mean((-2, -1)), means, atol=1e-6)
    assert ((0 <= etas) & (etas <= 0.012)).all()


def test_the_cached_symbol_works_in_training_after_an_inference_rollout():
    """The filter's symbol is cached; one made under inference_mode must not break autograd."""
    laplacian_symbol.cache_clear()
    with torch.inference_mode():
        implicit_filter(torch.rand(2, 8, 8), 5.0)
    x = torch.rand(2, 8, 8, requires_grad=True)
    implicit_filter(x, 5.0).square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


# --- the probes of the book, cached in a workspace (chapters 03 and 09) --------------------------


@pytest.fixture
def staged_checkpoints(tmp_path):
    """A silent network without filter (stage s1) fine-tuned into one with β = 5 (s2)."""
    from spinodal.surrogate.checkpoint import save_checkpoint

    first = save_checkpoint(tmp_path / "s1", _silent_net(0.0), {"preset": "tiny", "stage": "s1"})
    second = save_checkpoint(
        tmp_path / "s2",
        _silent_net(5.0),
        {"preset": "tiny", "stage": "s2", "recipe": {"init_from": str(first)}},
    )
    return first, second


@pytest.fixture
def spied_workspace(tmp_path):
    """A tiny workspace in a temporary root whose ``cached`` records every (name, key)."""
    from spinodal.pipeline.workspace import Workspace

    ws = Workspace("tiny", root=tmp_path / "root", device="cpu")
    ws.calls = []
    cached = ws.cached

    def spy(name, compute, **key):
        ws.calls.append((name, key))
        return cached(name, compute, **key)

    ws.cached = spy
    return ws


def test_probed_model_dirs_add_the_last_stage_with_another_filter(staged_checkpoints, tmp_path):
    from spinodal.analysis.stability import probed_model_dirs
    from spinodal.surrogate.checkpoint import save_checkpoint

    first, second = staged_checkpoints
    assert probed_model_dirs(second) == {"this model (β = 5)": second, "stage s1 (β = 0)": first}
    same = save_checkpoint(
        tmp_path / "s3", _silent_net(0.0), {"stage": "s3", "recipe": {"init_from": str(first)}}
    )
    assert probed_model_dirs(same) == {"this model (β = 0)": same}


def test_cached_mode_gains_use_the_chapters_cache_key(
    staged_checkpoints, spied_workspace, monkeypatch
):
    from spinodal.analysis import stability

    first, second = staged_checkpoints
    ws = spied_workspace
    dirs = {"filtered": second, "plain": first}
    gains = stability.cached_mode_gains(ws, dirs, (0.4, 0.6), 0.006, size=8, n_frames=2)
    assert list(gains) == ["filtered", "plain"]
    assert ws.calls[0] == (
        "mode-gain",
        {
            "model": ws.model_identity(second),
            "phi_means": [0.4, 0.6],
            "eta": 0.006,
            "frames": 2,
            "size": 8,
        },
    )
    direct = mode_gain(_silent_net(5.0), [0.4, 0.6], [0.006] * 2, size=8, n_frames=2)
    np.testing.assert_allclose(gains["filtered"].network, direct.network, rtol=1e-6)
    assert gains["plain"].grid_scale().max() == pytest.approx(1.0, abs=1e-3)  # no filter
    assert gains["filtered"].grid_scale().max() < 0.5
    monkeypatch.setattr(stability, "mode_gain", None)  # a second call reads the cache
    again = stability.cached_mode_gains(ws, dirs, (0.4, 0.6), 0.006, size=8, n_frames=2)
    np.testing.assert_array_equal(again["plain"].network, gains["plain"].network)


def test_cached_trajectory_gains_start_early_enough_and_use_the_chapters_key(
    staged_checkpoints, spied_workspace
):
    from spinodal.analysis.stability import TRAJECTORY_GAIN_FRAMES, cached_trajectory_gains

    first, second = staged_checkpoints
    ws = spied_workspace
    pf = PhaseFieldModel()
    rng = np.random.default_rng(0)
    frames = pf.evolve(0.5 + 0.05 * rng.standard_normal((2, 8, 8)), 0.004, 7, steps_per_frame=5)
    start, gains = cached_trajectory_gains(ws, {"plain": first}, frames, [0.004] * 2, [3, 5], 20)
    assert start == 7 - TRAJECTORY_GAIN_FRAMES == 2
    assert ws.calls == [
        ("trajectory-gain", {"model": ws.model_identity(first), "indices": [3, 5], "start": 2})
    ]
    direct = trajectory_gain(_silent_net(0.0), frames, [0.004] * 2, start=2, n_frames=5)
    np.testing.assert_allclose(gains["plain"]["network"], direct["network"], rtol=1e-5)
    np.testing.assert_allclose(gains["plain"]["network"], 1.0, rtol=1e-4)  # nothing damps it


def test_cached_rollout_checks_and_mass_drifts(staged_checkpoints, spied_workspace):
    from spinodal.analysis.stability import cached_mass_drifts, cached_rollout_checks

    first, second = staged_checkpoints
    ws = spied_workspace
    rng = np.random.default_rng(1)
    truth = np.repeat((0.5 + 0.05 * rng.standard_normal((3, 1, 8, 8))).astype(np.float32), 4, 1)
    checks = cached_rollout_checks(ws, {"filtered": second}, truth, [0.006] * 3)
    assert ws.calls[-1] == ("rollout-check", {"model": ws.model_identity(second), "frames": 3})
    check = checks["filtered"]
    np.testing.assert_array_equal(check["times"], [1, 2, 3])  # the MAE at every τ
    np.testing.assert_array_equal(check["diverged_at"], [-1, -1, -1])
    assert (check["mae"][:, -1] > 0).all()  # the filter smooths the field: it moves
    drift = cached_mass_drifts(ws, {"filtered": second}, truth[:, 0], [0.006] * 3, 3)
    assert ws.calls[-1] == (
        "ablation-drift",
        {"model": ws.model_identity(second), "n_frames": 3, "sequences": 3},
    )
    assert drift["filtered"].shape == (3,) and drift["filtered"].max() < 1e-5  # Eq. 10 keeps ⟨φ⟩
