"""The spectral solver of Eq. 8: conservation laws, energy decay, symmetries, errors, API."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import spinodal
from spinodal import PhaseFieldModel, SimulationDiverged

pytestmark = pytest.mark.usefixtures("single_thread")


def _random_state(shape, seed=0, mean=0.5, amplitude=0.05):
    """φ̄ plus uniform white noise of the given peak amplitude, exact mean (float64)."""
    noise = np.random.default_rng(seed).uniform(-amplitude, amplitude, shape)
    return mean + noise - noise.mean(axis=(-2, -1), keepdims=True)


# --- conservation and energy ----------------------------------------------------------------


@pytest.mark.parametrize("noise_std", [0.0, 0.01])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-6)])
def test_mass_is_conserved(dtype, tol, noise_std):
    """⟨φ⟩ of every field stays at its initial value to round-off over 3000 steps, in float32 and
    float64, with and without the mass-conserving noise (Sec. 3.2): Cahn-Hilliard dynamics is a
    conservation law and the scheme never touches the q = 0 coefficient."""
    m = PhaseFieldModel()
    phi0 = np.stack([_random_state((32, 32), s, mean) for s, mean in ((1, 0.5), (2, 0.3))])
    frames = m.evolve(phi0, [0.004, 0.008], 30, noise_std=noise_std, seed=3, dtype=dtype)
    means = frames.astype(np.float64).mean(axis=(-2, -1))
    initial = phi0.astype(dtype).astype(np.float64).mean(axis=(-2, -1))
    np.testing.assert_allclose(means, initial[:, None] * np.ones_like(means), rtol=0, atol=tol)
    assert np.ptp(frames[0, -1]) > 0.5  # it did decompose


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-6)])
def test_free_energy_never_increases(dtype, rtol):
    """Without noise the 'functional' free energy of Eq. 1 (gradient + bulk + elastic) is
    non-increasing from frame to frame (Cahn-Hilliard is a gradient flow of F; the scheme is
    dissipative at the paper's δt), with a round-off allowance for float32, and it decreases
    substantially during decomposition."""
    m = PhaseFieldModel()
    phi0 = np.stack([_random_state((64, 64), 4), _random_state((64, 64), 5, mean=0.4)])
    etas = np.array([0.0, 0.006])
    frames = m.evolve(phi0, etas, 30, dtype=dtype)
    energy = m.free_energy(frames.astype(np.float64), etas[:, None])["exact_total"]
    increase = np.diff(energy, axis=1)
    assert (increase <= rtol * np.abs(energy[:, 1:])).all(), increase.max()
    assert (energy[:, -1] < 0.9 * energy[:, 0]).all()


# --- symmetries ---------------------------------------------------------------------------------

D4 = {
    "identity": lambda a: a,
    "rot90": lambda a: np.rot90(a, 1, axes=(-2, -1)),
    "rot180": lambda a: np.rot90(a, 2, axes=(-2, -1)),
    "rot270": lambda a: np.rot90(a, 3, axes=(-2, -1)),
    "flip_x": lambda a: a[..., ::-1],
    "flip_y": lambda a: a[..., ::-1, :],
    "transpose": lambda a: np.swapaxes(a, -1, -2),
    "antitranspose": lambda a: np.rot90(np.swapaxes(a, -1, -2), 2, axes=(-2, -1)),
}


def test_dynamics_commute_with_the_square_symmetries():
    """The paper's constants are cubic (tr B has the D4 symmetry) and the grid is square, so each
    of the 8 rotations/reflections/transpositions g commutes with the dynamics:
    evolve(g φ0) = g evolve(φ0) (float64, 1000 steps at η > 0 into the nonlinear regime).
    Operators that are not D4-invariant (a one-sided stencil, a mishandled Nyquist column or
    real-FFT half plane, an anisotropy without cubic symmetry) break it."""
    m = PhaseFieldModel()
    phi0 = _random_state((32, 32), 6, mean=0.45, amplitude=0.1)
    batch = np.stack([np.ascontiguousarray(g(phi0)) for g in D4.values()])
    frames = m.evolve(batch, 0.006, 10, dtype="float64")
    assert np.ptp(frames[0, -1]) > 0.5
    for i, (name, g) in enumerate(D4.items()):
        np.testing.assert_allclose(frames[i], g(frames[0]), atol=1e-9, err_msg=name)


def test_dynamics_commute_with_translations_on_rectangular_grids():
    """Periodic boundaries: a circular shift of the initial state shifts the solution, also on a
    non-square grid with an odd side (where x and y wavenumbers differ)."""
    m = PhaseFieldModel()
    phi0 = _random_state((24, 33), 7, amplitude=0.1)
    shifted = np.roll(phi0, (5, -11), axis=(-2, -1))
    frames = m.evolve(np.stack([phi0, shifted]), 0.005, 5, dtype="float64")
    np.testing.assert_allclose(frames[1], np.roll(frames[0], (5, -11), axis=(-2, -1)), atol=1e-9)


def test_composition_inversion_symmetry():
    """w(φ) = w(1 - φ) and the elastic energy depends on (φ - ⟨φ⟩)² only, so evolving 1 - φ0
    gives 1 - φ(t) with the same η; η enters squared, so -η gives the same trajectory."""
    m = PhaseFieldModel()
    phi0 = _random_state((32, 32), 8, mean=0.4, amplitude=0.1)
    frames = m.evolve(np.stack([phi0, 1 - phi0, phi0]), [0.005, 0.005, -0.005], 10, dtype="float64")
    assert np.ptp(frames[0, -1]) > 0.5
    np.testing.assert_allclose(frames[1], 1 - frames[0], atol=1e-9)
    np.testing.assert_allclose(frames[2], frames[0], atol=1e-12)


def test_float32_tracks_float64():
    """float32 (the default for numpy input, used for the datasets) follows the float64
    trajectory to ~1e-4 over 10 frames (1000 steps) on 64², into the nonlinear regime."""
    m = PhaseFieldModel()
    phi0 = _random_state((64, 64), 9, amplitude=0.05)
    single = m.evolve(phi0, 0.004, 10)
    double = m.evolve(phi0, 0.004, 10, dtype="float64")
    assert single.dtype == np.float32 and double.dtype == np.float64
    assert np.ptp(double[-1]) > 0.5
    np.testing.assert_allclose(single, double, atol=2e-4)


def test_batch_fields_are_independent_and_frames_are_samples():
    """Each field of a batch evolves with its own η as if alone (to batched-FFT round-off), and
    sampling frames does not perturb the trajectory: 4 frames of 25 steps end where 1 frame of
    100 steps does, and frames() yields what evolve() returns."""
    m = PhaseFieldModel()
    phi0 = np.stack([_random_state((32, 32), s) for s in (10, 11, 12)])
    etas = np.array([0.0, 0.005, 0.011])
    batch = m.evolve(phi0, etas, 3, dtype="float64")
    for i in range(3):
        alone = m.evolve(phi0[i], etas[i], 3, dtype="float64")
        np.testing.assert_allclose(batch[i], alone, atol=1e-12)
    fine = m.evolve(phi0, etas, 4, steps_per_frame=25, dtype="float64")
    coarse = m.evolve(phi0, etas, 1, steps_per_frame=100, dtype="float64")
    np.testing.assert_array_equal(fine[:, -1], coarse[:, -1])
    streamed = np.stack([f.numpy() for f in m.frames(phi0, etas, 3, dtype="float64")], axis=1)
    np.testing.assert_array_equal(streamed, batch[:, 1:])
    # η changes the outcome (the per-field misfit is really applied)
    assert np.abs(batch[0, -1] - batch[1, -1]).max() > 1e-3


def test_long_default_run_stays_physical():
    """A long run in the paper's dataset setting (128², float32 numpy input, δt = 0.01, 100
    frames = 10,000 steps) at η = 0, the fastest-growing case, stays bounded near the two phases
    and energy-decreasing. Guards against slowly growing numerical modes: a step that multiplied
    the carried Fourier state by (1 + δt M A q²)/D > 1 let the round-off part breaking its
    Hermitian symmetry grow unseen until it overflowed at step ~6000 on this grid."""
    m = PhaseFieldModel()
    frames = m.evolve(_random_state((128, 128), 13), 0.0, 100)
    assert frames.dtype == np.float32
    assert -0.1 < frames[-1].min() and frames[-1].max() < 1.1
    energy = m.free_energy(frames[::10].astype(np.float64), 0.0)["exact_total"]
    assert (np.diff(energy) <= 1e-6 * energy[1:]).all()


# --- noise ----------------------------------------------------------------------------------------


def test_noise_is_reproducible_and_has_the_requested_size():
    """The same seed gives the same noisy trajectory, a different seed (or none) a different one;
    one noisy step from a uniform state adds zero-mean noise of per-pixel standard deviation
    noise_std (Sec. 3.2), and the deterministic run is unaffected by the seed."""
    m = PhaseFieldModel()
    phi0 = _random_state((32, 32), 14)
    a = m.evolve(phi0, 0.004, 3, noise_std=0.01, seed=1, dtype="float64")
    b = m.evolve(phi0, 0.004, 3, noise_std=0.01, seed=1, dtype="float64")
    c = m.evolve(phi0, 0.004, 3, noise_std=0.01, seed=2, dtype="float64")
    d = m.evolve(phi0, 0.004, 3, noise_std=0.01, dtype="float64")
    e = m.evolve(phi0, 0.004, 3, noise_std=0.01, dtype="float64")
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[:, -1] - c[:, -1]).max() > 1e-3
    assert np.abs(d[:, -1] - e[:, -1]).max() > 1e-3
    clean = m.evolve(phi0, 0.004, 3, seed=1, dtype="float64")
    np.testing.assert_array_equal(clean, m.evolve(phi0, 0.004, 3, seed=2, dtype="float64"))

    uniform = np.full((128, 128), 0.5)
    one = m.evolve(uniform, 0.0, 1, steps_per_frame=1, noise_std=0.02, seed=5, dtype="float64")
    kick = one[1] - 0.5
    assert abs(kick.mean()) < 1e-15
    assert kick.std() == pytest.approx(0.02, rel=0.03)


# --- divergence -----------------------------------------------------------------------------------


def test_too_large_time_step_raises_simulation_diverged():
    """At δt = 5 the explicit double-well term is unstable (|g| > 1 once phases separate, which
    needs δt ≳ 0.8 here): the solver raises SimulationDiverged naming the field that blew up,
    the first bad step (the same whatever the frame size), and δt. A uniform field in the same
    batch stays fine, so the index is meaningful. At δt = 0.5 the same state is stable."""
    phi0 = np.stack([np.full((32, 32), 0.5), _random_state((32, 32), 1)])
    steps = []
    for steps_per_frame in (50, 7):
        with pytest.raises(SimulationDiverged) as info:
            PhaseFieldModel(dt=5.0).evolve(phi0, 0.0, 20, steps_per_frame=steps_per_frame)
        error = info.value
        assert isinstance(error, FloatingPointError)
        assert error.field == 1
        assert 1 <= error.step <= 20 * steps_per_frame
        message = str(error)
        assert "field 1" in message and f"step {error.step}" in message and "dt = 5" in message
        steps.append(error.step)
    assert steps[0] == steps[1]
    assert spinodal.SimulationDiverged is SimulationDiverged
    stable = PhaseFieldModel(dt=0.5).evolve(phi0, 0.0, 20, steps_per_frame=50)
    assert np.isfinite(stable).all() and np.abs(stable - 0.5).max() < 1


# --- input checking and kinds ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_names_the_field(bad):
    """A NaN or inf in the initial state is rejected up front with a ValueError naming the bad
    field's index, not propagated into a trajectory."""
    phi0 = np.full((4, 16, 16), 0.5)
    phi0[2, 3, 7] = bad
    with pytest.raises(ValueError, match=r"non-finite.*\[2\]"):
        PhaseFieldModel().evolve(phi0, 0.0, 1)


@pytest.mark.parametrize(
    "shape", [(16,), (1, 2, 16, 16), (0, 16, 16), (3, 16), (16, 3), (2, 0, 16)]
)
def test_wrong_shapes_are_rejected(shape):
    """Inputs that are not [H, W] or [B, H, W] fields of at least 4 × 4 raise ValueError."""
    with pytest.raises(ValueError):
        PhaseFieldModel().evolve(np.full(shape, 0.5), 0.0, 1)


def test_bad_parameters_are_rejected():
    """Misfits of the wrong length or non-finite, negative/non-integer frame counts, bad noise
    and non-physical model constants raise ValueError naming the parameter."""
    m = PhaseFieldModel()
    phi0 = np.full((2, 16, 16), 0.5)
    with pytest.raises(ValueError, match="eta"):
        m.evolve(phi0, [0.0, 0.001, 0.002], 1)
    with pytest.raises(ValueError, match="eta"):
        m.evolve(phi0, [0.0, np.nan], 1)
    for n_frames in (-1, 1.5):
        with pytest.raises(ValueError, match="n_frames"):
            next(m.frames(phi0, 0.0, n_frames))
    with pytest.raises(ValueError, match="steps_per_frame"):
        m.evolve(phi0, 0.0, 1, steps_per_frame=0)
    with pytest.raises(ValueError, match="noise_std"):
        m.evolve(phi0, 0.0, 1, noise_std=-0.1)
    with pytest.raises(ValueError, match="dtype"):
        m.evolve(phi0, 0.0, 1, dtype="float16")
    for name, value in [("dt", 0.0), ("dt", -0.01), ("kappa", np.nan), ("mobility", np.inf)]:
        with pytest.raises(ValueError, match=name):
            PhaseFieldModel(**{name: value})
    with pytest.raises(ValueError, match="elastic"):
        PhaseFieldModel(C11=1.0e4, C12=2.0e4)


@pytest.mark.parametrize("n_frames", [-1, -3, 1.5])
def test_evolve_rejects_bad_frame_counts_with_value_error(n_frames):
    """evolve() promises ValueError for bad parameters: a negative or non-integer n_frames must
    raise ValueError naming n_frames (as frames() does), not a low-level error."""
    with pytest.raises(ValueError, match="n_frames"):
        PhaseFieldModel().evolve(np.full((16, 16), 0.5), 0.0, n_frames)


def test_output_kinds_shapes_and_first_frame():
    """numpy in gives numpy out (float32 by default, float64 on request), torch in gives torch
    out keeping the dtype; [H, W] gives [T+1, H, W] and [B, H, W] gives [B, T+1, H, W]; frame 0
    is the input; n_frames = 0 returns the input alone."""
    m = PhaseFieldModel()
    phi = _random_state((16, 20), 15)
    out = m.evolve(phi, 0.003, 2, steps_per_frame=10)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (3, 16, 20)
    np.testing.assert_array_equal(out[0], phi.astype(np.float32))
    out64 = m.evolve(phi, 0.003, 2, steps_per_frame=10, dtype="float64")
    assert out64.dtype == np.float64
    np.testing.assert_array_equal(out64[0], phi)
    batch = m.evolve(np.stack([phi, phi]), [0.0, 0.003], 2, steps_per_frame=10)
    assert batch.shape == (2, 3, 16, 20)
    for dtype in (torch.float32, torch.float64):
        t_out = m.evolve(torch.tensor(phi, dtype=dtype), 0.003, 2, steps_per_frame=10)
        assert isinstance(t_out, torch.Tensor) and t_out.dtype == dtype
        assert t_out.shape == (3, 16, 20)
    t_batch = m.evolve(torch.tensor(np.stack([phi] * 3)), 0.003, 1, steps_per_frame=10)
    assert isinstance(t_batch, torch.Tensor) and t_batch.shape == (3, 2, 16, 20)
    zero = m.evolve(phi, 0.003, 0)
    assert zero.shape == (1, 16, 20)
    frames = list(m.frames(phi, 0.003, 2, steps_per_frame=10))
    assert len(frames) == 2 and all(f.shape == (1, 16, 20) for f in frames)
    assert all(isinstance(f, torch.Tensor) for f in frames)


def test_coarse_constants_span_the_frame_interval_with_fewer_steps():
    pf = PhaseFieldModel()
    assert pf.coarse(1).dt == pytest.approx(1.0) and pf.coarse(4).dt == pytest.approx(0.25)
    assert pf.coarse(2, frame_steps=10).dt == pytest.approx(0.05)
    assert pf.coarse(1).kappa == pf.kappa and pf.coarse(1).C11 == pf.C11
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="steps_per_frame"):
            pf.coarse(bad)
    with pytest.raises(ValueError, match="frame_steps"):
        pf.coarse(1, frame_steps=0)
