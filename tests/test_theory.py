"""Linear stability (Eq. 9) against the theory's formulas and against the solver's dynamics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from spinodal import PhaseFieldModel

pytestmark = pytest.mark.usefixtures("single_thread")

LOWER, UPPER = (3 - np.sqrt(3)) / 6, (3 + np.sqrt(3)) / 6  # chemical spinodal, w'' = 0


def _w2(m, phi):
    return 2 * m.well_height * (1 - 6 * phi + 6 * phi**2)


def _grid_q(N, dx=1.0):
    q = 2 * np.pi * np.fft.fftfreq(N, d=dx)
    qx, qy = np.meshgrid(q, q)  # axis -1 is x
    return qx, qy


def _mode(N, k, phi_mean, amplitude):
    """φ̄ + a cos(q·x) for integer wavevector k = (kx, ky) on an N × N grid (dx = 1)."""
    y, x = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    return phi_mean + amplitude * np.cos(2 * np.pi * (k[0] * x + k[1] * y) / N)


def _coefficient(fields, k):
    """The complex Fourier coefficient of mode k = (kx, ky) of fields [..., N, N]."""
    N = fields.shape[-1]
    return np.fft.fft2(fields)[..., k[1] % N, k[0] % N]


# --- the spinodal line, Eq. 9 -----------------------------------------------------------------


def test_spinodal_misfit_values_and_domain():
    """η_s(φ̄) = sqrt(-w''(φ̄)/min tr B) is NaN outside the chemical spinodal (3 ∓ √3)/6, equals
    sqrt(A / 2.25e4) ≈ 1.2649e-2 at φ̄ = 0.5 (the top of the paper's phase diagram, Fig. 1a),
    is symmetric under φ̄ → 1 - φ̄, vanishes at the chemical spinodal and satisfies
    w''(φ̄) + η_s² min tr B = 0 (Eq. 9 with equality)."""
    m = PhaseFieldModel()
    assert float(m.spinodal_misfit(0.5)) == pytest.approx(np.sqrt(3.6 / 2.25e4), rel=1e-12)
    assert float(m.spinodal_misfit(0.5)) == pytest.approx(1.265e-2, abs=5e-6)
    outside = np.array([-0.5, 0.0, 0.1, LOWER - 1e-9, UPPER + 1e-9, 0.9, 1.0, 1.5])
    assert np.isnan(m.spinodal_misfit(outside)).all()
    inside = np.linspace(LOWER + 1e-6, UPPER - 1e-6, 101)
    eta_s = m.spinodal_misfit(inside)
    assert np.isfinite(eta_s).all() and (eta_s > 0).all()
    np.testing.assert_allclose(eta_s, m.spinodal_misfit(1 - inside), rtol=1e-9)
    np.testing.assert_allclose(_w2(m, inside) + eta_s**2 * 2.25e4, 0, atol=1e-9)
    assert np.argmax(eta_s) == 50  # maximal at φ̄ = 0.5
    assert float(m.spinodal_misfit(LOWER + 1e-10)) < 1e-5


@pytest.mark.parametrize("phi_mean", [0.5, 0.35, 0.25])
def test_growth_rate_changes_sign_at_spinodal_misfit(phi_mean):
    """Below η_s some long wave along the soft <10> direction grows (ω > 0); above η_s every
    mode of every direction decays (ω < 0): the growth-rate formula and Eq. 9 agree."""
    m = PhaseFieldModel()
    eta_s = float(m.spinodal_misfit(phi_mean))
    q = np.geomspace(1e-4, 3, 400)
    theta = np.linspace(0, 2 * np.pi, 181)
    Q, T = np.meshgrid(q, theta)
    qx, qy = Q * np.cos(T), Q * np.sin(T)
    below = m.growth_rate(qx, qy, phi_mean, 0.98 * eta_s)
    above = m.growth_rate(qx, qy, phi_mean, 1.02 * eta_s)
    assert below.max() > 0 and above.max() < 0
    best = np.unravel_index(np.argmax(below), below.shape)
    assert theta[best[0]] % (np.pi / 2) == pytest.approx(0.0, abs=1e-12)  # along <10>


def test_strain_free_fastest_mode_analytic():
    """At η = 0 (isotropic), ω(q) = -M q² (w'' + κ q²) peaks at q_m² = -w''/(2κ) with
    ω_max = M w''²/(4κ), the classical Cahn result."""
    m = PhaseFieldModel(mobility=2.0)
    for phi_mean in (0.5, 0.3):
        w2 = _w2(m, phi_mean)
        best = minimize_scalar(
            lambda q, p=phi_mean: -float(m.growth_rate(q, 0.0, p, 0.0)),
            bounds=(1e-3, 1.5),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert best.x**2 == pytest.approx(-w2 / (2 * m.kappa), rel=1e-6)
        assert -best.fun == pytest.approx(m.mobility * w2**2 / (4 * m.kappa), rel=1e-10)
        q = np.linspace(1e-3, 1.5, 101)
        np.testing.assert_allclose(
            m.growth_rate(0.0, q, phi_mean, 0.0), m.growth_rate(q, 0.0, phi_mean, 0.0), rtol=1e-12
        )


def test_discrete_factor_is_consistent_with_growth_rate():
    """The per-step factor g of Eq. 8 satisfies: g > 1 exactly where ω > 0, for any δt (the
    semi-implicit scheme does not move the stability boundary), and ln(g)/δt → ω with a first
    order error, ln g/δt - ω ≈ -δt (a² - b²)/2 where ω = a - b, a = -M q² w''."""
    rng = np.random.default_rng(0)
    qx, qy = rng.uniform(-1.5, 1.5, (2, 2000))
    phi_mean = rng.uniform(0.15, 0.85, 2000)
    eta = rng.uniform(0, 0.015, 2000)
    for dt in (1e-3, 0.01, 0.1, 1.0):
        m = PhaseFieldModel(dt=dt)
        g = m.amplification_factor(qx, qy, phi_mean, eta)
        omega = m.growth_rate(qx, qy, phi_mean, eta)
        assert (g > 0).all() or dt > 0.1
        decided = np.abs(omega) > 1e-12
        np.testing.assert_array_equal((g > 1)[decided], (omega > 0)[decided])
    m = PhaseFieldModel(dt=1e-4)
    q2 = qx**2 + qy**2
    a = -m.mobility * q2 * _w2(m, phi_mean)
    omega = m.growth_rate(qx, qy, phi_mean, eta)
    b = a - omega
    rate = np.log(m.amplification_factor(qx, qy, phi_mean, eta)) / m.dt
    # the next term of ln(1 + x) = x - x²/2 + x³/3 bounds the remainder
    remainder = rate - omega + m.dt * (a**2 - b**2) / 2
    assert (np.abs(remainder) <= m.dt**2 * (np.abs(a) ** 3 + np.abs(b) ** 3) / 2 + 1e-10).all()


# --- the solver's linear dynamics -------------------------------------------------------------

# (φ̄, η as a fraction of η_s(0.5), k): unstable oblique modes, and stable ones damped by
# elasticity (hard <11> direction), by the gradient term, and outside the chemical spinodal.
LINEAR_CASES = [
    (0.5, 0.5, (2, 1)),
    (0.4, 0.5, (1, -2)),
    (0.45, 1.2, (1, 1)),
    (0.4, 0.6, (3, 1)),
    (0.15, 0.4, (1, 2)),
]
ONE_STEP_CASES = LINEAR_CASES + [(0.5, 0.3, (5, -3)), (0.6, 0.3, (-1, 2)), (0.3, 0.2, (3, 2))]


def test_single_mode_grows_by_amplification_factor_each_step():
    """A single mode of amplitude 1e-6 about φ̄ (float64) is multiplied in one step by exactly
    g(q) of the discrete scheme (to 1e-8 relative: nonlinear corrections are O(amplitude²)),
    for unstable and stable modes, oblique directions and η > 0. Ties the solver (Eq. 8) to the
    theory module, including tr B of the mode's own direction."""
    m = PhaseFieldModel()
    N = 32
    eta_s = float(m.spinodal_misfit(0.5))
    phi0 = np.stack([_mode(N, k, p, 1e-6) for p, _, k in ONE_STEP_CASES])
    etas = np.array([f * eta_s for _, f, _ in ONE_STEP_CASES])
    frames = m.evolve(phi0, etas, 1, steps_per_frame=1, dtype="float64")
    signs = []
    for i, (p, _, k) in enumerate(ONE_STEP_CASES):
        ratio = _coefficient(frames[i, 1], k) / _coefficient(frames[i, 0], k)
        q = 2 * np.pi * np.array(k) / N
        g = float(m.amplification_factor(q[0], q[1], p, etas[i]))
        assert ratio.real == pytest.approx(g, rel=1e-8)
        assert abs(ratio.imag) < 1e-10
        signs.append(g > 1)
    assert signs == [True, True, False, False, False, False, True, False]


def test_single_mode_grows_at_linear_rate_over_many_steps():
    """Over 1000 steps (t = 10) the amplitude of a small mode follows g^n exactly and its
    exponential rate ln(A_n/A_0)/t is the continuous ω(q) up to the scheme's first-order error
    |ln g/δt - ω| ≈ δt |a² - b²|/2 (ω = a - b, a = -M q² w''); the tolerance is twice that."""
    m = PhaseFieldModel()
    N, n_steps = 32, 1000
    eta_s = float(m.spinodal_misfit(0.5))
    phi0 = np.stack([_mode(N, k, p, 1e-6) for p, _, k in LINEAR_CASES])
    etas = np.array([f * eta_s for _, f, _ in LINEAR_CASES])
    frames = m.evolve(phi0, etas, 10, steps_per_frame=100, dtype="float64")
    t = n_steps * m.dt
    for i, (p, _, k) in enumerate(LINEAR_CASES):
        amplitudes = np.abs(_coefficient(frames[i], k))
        assert amplitudes[-1] / amplitudes[0] * 1e-6 < 2e-4  # still linear
        q = 2 * np.pi * np.array(k) / N
        g = float(m.amplification_factor(q[0], q[1], p, etas[i]))
        omega = float(m.growth_rate(q[0], q[1], p, etas[i]))
        rate = np.log(amplitudes[-1] / amplitudes[0]) / t
        assert rate == pytest.approx(np.log(g) / m.dt, rel=1e-6)
        a = -m.mobility * (q @ q) * _w2(m, p)
        b = a - omega
        assert abs(rate - omega) <= m.dt * abs(a**2 - b**2) + 1e-12
        assert abs(rate - omega) <= 0.02 * abs(omega)


# --- the spinodal line in simulations -----------------------------------------------------------


@pytest.mark.parametrize("phi_mean", [0.5, 0.35])
def test_simulation_decomposes_only_below_spinodal_misfit(phi_mean):
    """Eq. 9 in the dynamics: from φ̄ plus a 1e-3 random perturbation, the state at
    η = 0.9 η_s(φ̄) decomposes (max - min grows from 2e-3 to > 0.3, with the dominant Fourier
    mode along the soft <10> axes) while at 1.1 η_s it stays homogeneous (the perturbation
    decays). The grid's growth rates predict both; the run lasts T = ln(1e4)/ω_max of the
    unstable case. δt = 0.05 keeps it short: the scheme's factor g exceeds 1 exactly where ω > 0
    (test_discrete_factor_is_consistent_with_growth_rate), so the threshold does not depend
    on δt."""
    m = PhaseFieldModel(dt=0.05)
    N = 32
    eta_s = float(m.spinodal_misfit(phi_mean))
    etas = np.array([0.9, 1.1]) * eta_s
    qx, qy = _grid_q(N)
    omega = [m.growth_rate(qx, qy, phi_mean, eta) for eta in etas]
    for o in omega:
        o[0, 0] = -np.inf  # the mean is conserved
    assert omega[0].max() > 0 > omega[1].max()
    T = np.log(1e4) / omega[0].max()
    n_frames = 10
    steps = int(np.ceil(T / m.dt / n_frames))

    rng = np.random.default_rng(7)
    perturbation = rng.uniform(-1e-3, 1e-3, (N, N))
    perturbation -= perturbation.mean()
    phi0 = np.stack([phi_mean + perturbation] * 2)
    frames = m.evolve(phi0, etas, n_frames, steps_per_frame=steps, dtype="float64")
    spread = frames.max(axis=(-2, -1)) - frames.min(axis=(-2, -1))
    initial = spread[0, 0]

    assert spread[0, -1] > 0.3  # decomposed
    power = np.abs(np.fft.fft2(frames[0, -1] - phi_mean)) ** 2
    ky, kx = np.unravel_index(np.argmax(power), power.shape)
    assert kx == 0 or ky == 0  # <10> modulation
    assert spread[1, -1] < 0.1 * initial  # homogeneous
    assert (np.diff(spread[1]) <= 0).all()
    assert np.exp(omega[1].max() * T) < 0.1  # as predicted


@pytest.mark.parametrize("phi_mean, eta", [(0.5, 0.006), (0.3, 0.0), (0.5, 0.0115)])
def test_solver_modes_grow_at_the_linear_theory_rate(phi_mean, eta):
    from spinodal.physics.validation import linear_growth_check, linear_growth_deviation

    r = linear_growth_check(PhaseFieldModel(), phi_mean, eta, size=32, steps=200)
    resolved = r["resolved"]
    assert resolved.sum() > 10
    # the scheme's exact factor g(q): agreement to round-off-limited precision
    np.testing.assert_allclose(r["measured"][resolved], r["discrete"][resolved], atol=1e-4)
    worst = np.abs(r["measured"] - r["discrete"])[resolved].max()
    assert linear_growth_deviation(r) == worst < 1e-4
    assert (float(r["phi_mean"]), float(r["eta"])) == (phi_mean, eta)
    # unstable modes exist inside the spinodal and the fastest matches the PDE's within 2 %
    assert r["measured"].max() > 0
    fastest = np.argmax(r["measured"])
    assert abs(r["measured"][fastest] / r["continuous"][fastest] - 1) < 0.02


def test_chemical_spinodal_is_where_the_double_well_curvature_vanishes():
    """w''(φ) = 2A (1 - 6φ + 6φ²) = 0 at (3 ∓ √3)/6 for every well height A; between the roots
    w'' < 0 (the homogeneous state is unstable without misfit), outside it is positive."""
    from spinodal.physics.free_energy import double_well_second
    from spinodal.physics.theory import chemical_spinodal

    low, high = chemical_spinodal()
    for A in (1.0, 3.6, 10.0):
        assert low == pytest.approx(0.21132486540518713, abs=1e-15)
        assert high == pytest.approx(1 - low, abs=1e-15)
        assert abs(double_well_second(low, A)) < 1e-12 and abs(double_well_second(high, A)) < 1e-12
        assert double_well_second(0.5, A) < 0 < double_well_second(0.1, A)
