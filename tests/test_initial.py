"""Initial states (Sec. 2.2): periodic Perlin noise, the amplitude convention, determinism."""

import numpy as np
import pytest

from spinodal.physics.initial import (
    draw_sequence,
    example_states,
    fractal_perlin_noise,
    initial_state,
    perlin_noise,
    varying_mean,
    wrap_jumps,
)
from spinodal.presets import InitialState, get_preset


def _radial_spectrum_centroid(field: np.ndarray) -> float:
    """Power-weighted mean wavenumber |k| (cycles per domain) of a field."""
    power = np.abs(np.fft.fft2(field - field.mean())) ** 2
    k = np.fft.fftfreq(field.shape[0]) * field.shape[0]
    kk = np.hypot(k[:, None], k[None, :])
    return float((kk * power).sum() / power.sum())


def test_perlin_is_periodic_and_continuous():
    """Tiling the noise shows no seam: the jump across the periodic boundary is as small as
    the jumps between neighbours inside (a non-periodic noise would jump by O(0.3))."""
    field = perlin_noise((96, 96), (6, 6), np.random.default_rng(1))
    inner = np.abs(np.diff(field, axis=1)).max()
    seam = np.abs(field[:, 0] - field[:, -1]).max()
    assert seam <= 1.01 * inner
    inner_y = np.abs(np.diff(field, axis=0)).max()
    assert np.abs(field[0] - field[-1]).max() <= 1.01 * inner_y


def test_perlin_is_zero_on_lattice_points():
    """Gradient noise vanishes at the lattice points (a defining property of Perlin noise)."""
    field = perlin_noise((64, 64), (4, 4), np.random.default_rng(2))
    assert np.abs(field[::16, ::16]).max() < 1e-12


def test_perlin_is_much_smoother_than_white_noise():
    """Its spectral centroid sits at a few cycles per domain, far below white noise."""
    rng = np.random.default_rng(3)
    perlin = fractal_perlin_noise((128, 128), cell=16, octaves=2, rng=rng)
    white = rng.standard_normal((128, 128))
    assert _radial_spectrum_centroid(perlin) < 0.25 * _radial_spectrum_centroid(white)
    # and the lattice scale sets it: a 4x larger cell moves the centroid down
    coarse = fractal_perlin_noise((128, 128), cell=64, octaves=2, rng=rng)
    assert _radial_spectrum_centroid(coarse) < 0.5 * _radial_spectrum_centroid(perlin)


@pytest.mark.parametrize("amplitude", [0.1, -0.03])
def test_amplitude_is_the_peak_deviation_and_mean_is_exact(amplitude):
    phi0 = initial_state((64, 64), 0.37, amplitude, np.random.default_rng(4))
    assert abs(phi0.mean() - 0.37) < 1e-14
    assert np.isclose(np.abs(phi0 - 0.37).max(), abs(amplitude), rtol=1e-12)


def test_varying_mean_is_high_in_centre_low_at_edges_with_exact_mean():
    m = varying_mean((64, 64), 0.45, 0.3)
    assert abs(m.mean() - 0.45) < 1e-14
    assert np.isclose(m[32, 32] - m[0, 0], 0.3)
    assert m[32, 32] == m.max() and m[0, 32] == m.min()


def test_draw_sequence_is_deterministic_and_follows_the_split():
    spec = get_preset("paper").split("train")
    p1, phi1 = draw_sequence(spec, 17)
    p2, phi2 = draw_sequence(spec, 17)
    assert p1 == p2 and np.array_equal(phi1, phi2)
    p3, phi3 = draw_sequence(spec, 18)
    assert p3.seed != p1.seed and not np.allclose(phi1, phi3)
    # regenerable from the stored seed alone
    rng = np.random.default_rng(p1.seed)
    assert np.isclose(rng.uniform(0.2, 0.8), p1.phi_mean)


def test_paper_sampling_statistics():
    """⟨φ⟩ ~ U[0.2, 0.8], η ~ U[0, 1.2 %], a ~ N(0, 0.1²) over many draws (Sec. 2.2)."""
    spec = get_preset("paper").split("train")
    params = [draw_sequence(spec, i)[0] for i in range(0, 2000, 5)]
    phi = np.array([p.phi_mean for p in params])
    eta = np.array([p.eta for p in params])
    amp = np.array([p.amplitude for p in params])
    assert phi.min() >= 0.2 and phi.max() <= 0.8 and abs(phi.mean() - 0.5) < 0.03
    assert eta.min() >= 0 and eta.max() <= 0.012 and abs(eta.mean() - 0.006) < 0.0006
    assert abs(amp.std() - 0.1) < 0.015 and abs(amp.mean()) < 0.02


def test_draw_sequence_rejects_out_of_range_index():
    spec = get_preset("tiny").split("test")
    with pytest.raises(IndexError, match="out of range"):
        draw_sequence(spec, spec.n_sequences)


def test_example_states_share_their_gradients():
    config = InitialState()
    states = example_states((32, 32), [(0.5, 0.1), (0.3, -0.2)], 3, config)
    assert states.shape == (2, 32, 32)
    one = initial_state((32, 32), 0.5, 0.1, np.random.default_rng(3), config)
    assert np.array_equal(states[0], one)
    # same pattern: the second is an affine image of the first
    assert np.allclose(states[1] - 0.3, -2 * (states[0] - 0.5))


def test_wrap_jumps_see_a_seam_only_in_a_non_periodic_field():
    x = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    periodic = np.sin(x)[:, None] * np.ones(8)
    seam, inner = wrap_jumps(periodic)
    assert seam <= inner * (1 + 1e-12)
    ramp = np.linspace(0, 1, 64)[:, None] * np.ones(8)
    seam, inner = wrap_jumps(ramp)
    assert seam == pytest.approx(1.0) and inner == pytest.approx(1 / 63)
    with pytest.raises(ValueError, match="H >= 2"):
        wrap_jumps(np.zeros((1, 4)))
