"""The free energy of Eq. 1 and its functional derivative μ = δF/δφ (Eq. 7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel

pytestmark = pytest.mark.usefixtures("single_thread")


def _smooth_field(shape, seed=0, mean=0.45, amplitude=0.25, cutoff=0.8):
    """A random smooth periodic field (float64): white noise low-pass filtered in Fourier space."""
    rng = np.random.default_rng(seed)
    H, W = shape
    noise_hat = np.fft.fft2(rng.standard_normal(shape))
    qy = 2 * np.pi * np.fft.fftfreq(H)[:, None]
    qx = 2 * np.pi * np.fft.fftfreq(W)[None, :]
    field = np.fft.ifft2(noise_hat * np.exp(-((qx**2 + qy**2) / cutoff**2))).real
    field -= field.mean()
    return mean + amplitude * field / np.abs(field).max()


def _total(m, phi, eta, key):
    """The integrated energy H W dx² ⟨f⟩ of one field."""
    H, W = phi.shape[-2:]
    return float(m.free_energy(phi, eta)[key]) * H * W * m.dx**2


def _central_difference(m, phi, eta, key, pixel, h):
    """dE/dφ(pixel) by central differences, Richardson-extrapolated (h and h/2).

    The energies are polynomials of degree ≤ 4 in one pixel's value, so the extrapolated
    five-point stencil is exact up to round-off.
    """

    def central(step):
        up, down = phi.copy(), phi.copy()
        up[pixel] += step
        down[pixel] -= step
        return (_total(m, up, eta, key) - _total(m, down, eta, key)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


PIXELS = [(0, 0), (3, 17), (16, 16), (31, 5), (22, 31), (9, 28)]


@pytest.mark.parametrize("dx", [1.0, 0.7])
def test_elastic_potential_is_derivative_of_elastic_energy(dx):
    """ρ'(x) (the elastic part of μ: μ(η) - μ(0), since η enters only there) equals the
    derivative of the total elastic energy E = H W dx² ⟨ρ⟩ with respect to φ at pixel x divided
    by the cell area dx² (central differences, float64). E is quadratic in φ, so the central
    difference is exact up to round-off. Checks the factor ½ and the Parseval weights of ⟨ρ⟩,
    the sign of ρ' and the q = 2πk/(N dx) scaling."""
    m = PhaseFieldModel(dx=dx)
    phi = _smooth_field((32, 32), seed=1)
    eta = 0.011
    elastic_mu = m.chemical_potential(phi, eta) - m.chemical_potential(phi, 0.0)
    assert np.abs(elastic_mu).max() > 1.0  # a real elastic contribution is being tested
    for pixel in PIXELS:
        derivative = _central_difference(m, phi, eta, "elastic", pixel, h=1e-2) / dx**2
        assert derivative == pytest.approx(elastic_mu[pixel], rel=1e-8, abs=1e-9)


@pytest.mark.parametrize("dx", [1.0, 0.7])
@pytest.mark.parametrize("eta", [0.0, 0.008])
def test_chemical_potential_is_derivative_of_functional(dx, eta):
    """The full μ = -κ∇²φ + w'(φ) + ρ' equals dF/dφ(x) / dx² with F = H W dx² ⟨f⟩ the
    'functional' energy of Eq. 1 (gradient + bulk + elastic), by central differences in float64
    at several pixels: μ really is δF/δφ, which is what makes the Cahn-Hilliard flow
    energy-decreasing."""
    m = PhaseFieldModel(dx=dx)
    phi = _smooth_field((32, 32), seed=2, mean=0.4, amplitude=0.6)
    mu = m.chemical_potential(phi, eta)
    for pixel in PIXELS:
        derivative = _central_difference(m, phi, eta, "exact_total", pixel, h=1e-2) / dx**2
        assert derivative == pytest.approx(mu[pixel], rel=1e-8, abs=1e-9)


def test_chemical_potential_matches_autograd_of_mean_density():
    """Autograd of the mean 'functional' density (torch, float64) times H W equals μ at every
    pixel: the differentiable free energy used by the surrogate's loss and μ are consistent."""
    m = PhaseFieldModel()
    phi = torch.tensor(_smooth_field((24, 40), seed=3, amplitude=0.5), requires_grad=True)
    eta = 0.009
    m.free_energy(phi, eta)["exact_total"].backward()
    mu = m.chemical_potential(phi.detach(), eta)
    torch.testing.assert_close(phi.grad * phi.numel(), mu, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape", [(32, 32), (30, 33), (27, 16)])
def test_energies_match_full_spectrum_parseval(shape):
    """Gradient and elastic energies (computed on the real-FFT half plane with Parseval weights)
    equal sums over the full complex spectrum, ⟨κ/2|∇φ|²⟩ = κ/2 Σ q²|φ̂|²/(HW)² and
    ⟨ρ⟩ = η²/2 Σ trB |φ̂|²/(HW)², on even and odd grids (Nyquist column present or not)."""
    m = PhaseFieldModel()
    eta = 0.007
    phi = np.random.default_rng(4).uniform(0, 1, shape)
    H, W = shape
    phi_hat = np.fft.fft2(phi)
    qy = 2 * np.pi * np.fft.fftfreq(H, d=m.dx)[:, None] * np.ones((1, W))
    qx = 2 * np.pi * np.fft.fftfreq(W, d=m.dx)[None, :] * np.ones((H, 1))
    power = np.abs(phi_hat) ** 2 / (H * W) ** 2
    energies = m.free_energy(phi, eta)
    gradient = 0.5 * m.kappa * ((qx**2 + qy**2) * power).sum()
    elastic = 0.5 * eta**2 * (m.trace_B(qx, qy) * power).sum()
    assert float(energies["gradient"]) == pytest.approx(gradient, rel=1e-12)
    assert float(energies["elastic"]) == pytest.approx(elastic, rel=1e-12)
    w = m.well_height * phi**2 * (1 - phi) ** 2
    assert float(energies["bulk"]) == pytest.approx(w.mean(), rel=1e-12)
    # the bookkeeping of the returned densities (Sec. 2.3 and Eq. 1)
    assert energies["interface"] == pytest.approx(2 * energies["bulk"], rel=1e-14)
    assert energies["paper_total"] == pytest.approx(2 * energies["bulk"] + energies["elastic"])
    assert energies["exact_total"] == pytest.approx(
        energies["gradient"] + energies["bulk"] + energies["elastic"]
    )


def test_single_mode_energies_analytic():
    """For φ = φ̄ + a cos(q·x) with a non-axis wavevector on a non-square grid with dx ≠ 1,
    ⟨κ/2|∇φ|²⟩ = κ a² q²/4 and ⟨ρ⟩ = η² tr B(q̂) a²/4 exactly (the ½ of Eq. 3 and the cos²
    average). On a 40 × 48 grid q_x = 2π k_x/(W dx) and q_y = 2π k_y/(H dx), so mixing up
    axis -1 (x, W) and axis -2 (y, H) changes |q| and fails."""
    m = PhaseFieldModel(dx=0.5)
    H, W, a, eta = 40, 48, 0.1, 0.01
    k = np.array([3, -5])  # (kx, ky)
    q = 2 * np.pi * k / (np.array([W, H]) * m.dx)
    y, x = np.meshgrid(np.arange(H) * m.dx, np.arange(W) * m.dx, indexing="ij")
    phi = 0.4 + a * np.cos(q[0] * x + q[1] * y)
    energies = m.free_energy(phi, eta)
    assert float(energies["gradient"]) == pytest.approx(m.kappa * a**2 * (q @ q) / 4, rel=1e-12)
    assert float(energies["elastic"]) == pytest.approx(
        eta**2 * float(m.trace_B(*q)) * a**2 / 4, rel=1e-12
    )


@pytest.mark.parametrize(
    "direction, trB", [((1, 0), 2.25e4), ((0, 1), 2.25e4), ((1, 1), 3.6e5 / 7)]
)
def test_laminate_elastic_energy_is_profile_independent(direction, trB):
    """A laminate (φ varying only along n) has elastic energy ½ η² tr B(n) var(φ) whatever its
    profile (all its Fourier modes share the direction n): the coherent-elasticity result that
    favours <10> layers for the paper's constants."""
    N, eta = 64, 0.01
    m = PhaseFieldModel()
    y, x = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    s = direction[0] * x + direction[1] * y
    rng = np.random.default_rng(5)
    profile = rng.uniform(0, 1, N)
    phi = profile[s % N]
    expected = 0.5 * eta**2 * trB * phi.var()
    assert float(m.free_energy(phi, eta)["elastic"]) == pytest.approx(expected, rel=1e-12)


def test_planar_interface_has_unit_energy_and_equipartition():
    """With κ = ε = 5 and A = 18/ε the equilibrium planar interface φ = ½(1 + tanh(s x/2)),
    s = √(2A/κ), has energy √(2Aκ)/6 = 1 per unit length, split equally between gradient and
    double-well terms, so 2⟨w⟩ is the interface length per unit area (Sec. 2.3). A periodic
    stripe has two interfaces; it stays so after relaxing with the solver."""
    m = PhaseFieldModel()
    W = 128
    s = np.sqrt(2 * m.well_height / m.kappa)
    x = np.arange(W)
    profile = 0.5 * (np.tanh(s * (x - W / 4) / 2) - np.tanh(s * (x - 3 * W / 4) / 2))
    phi = np.tile(profile, (8, 1))
    relaxed = m.evolve(phi, 0.0, 5, dtype="float64")[-1]
    for state in (phi, relaxed):
        energies = m.free_energy(state, 0.0)
        length_per_area = 2.0 / W
        assert float(energies["exact_total"]) == pytest.approx(length_per_area, rel=2e-4)
        assert float(energies["interface"]) == pytest.approx(length_per_area, rel=2e-3)
        assert float(energies["gradient"]) == pytest.approx(float(energies["bulk"]), rel=2e-3)


def test_elastic_terms_ignore_the_mean_composition():
    """The eigenstrain is measured from ⟨φ⟩ (Eq. 4): adding a constant to φ changes neither the
    elastic energy nor ρ', and ρ' has zero mean; a uniform field has no elastic energy."""
    m = PhaseFieldModel()
    phi = _smooth_field((32, 32), seed=6)
    eta = 0.01
    elastic_mu = m.chemical_potential(phi, eta) - m.chemical_potential(phi, 0.0)
    shifted = phi + 0.137
    shifted_mu = m.chemical_potential(shifted, eta) - m.chemical_potential(shifted, 0.0)
    np.testing.assert_allclose(shifted_mu, elastic_mu, atol=1e-10)
    assert abs(elastic_mu.mean()) < 1e-10
    assert float(m.free_energy(shifted, eta)["elastic"]) == pytest.approx(
        float(m.free_energy(phi, eta)["elastic"]), rel=1e-12
    )
    assert float(m.free_energy(np.full((16, 16), 0.3), eta)["elastic"]) == pytest.approx(
        0, abs=1e-20
    )


def test_batched_misfits_and_kinds():
    """A batch with one misfit per field gives each field the energy it has alone; η enters only
    squared; numpy in gives numpy out and torch in gives torch out."""
    m = PhaseFieldModel()
    phis = np.stack([_smooth_field((16, 20), seed=s) for s in range(3)])
    etas = np.array([0.0, 0.004, -0.009])
    batch = m.free_energy(phis, etas)
    assert isinstance(batch["elastic"], np.ndarray) and batch["elastic"].shape == (3,)
    for i in range(3):
        single = m.free_energy(phis[i], abs(etas[i]))
        for key, value in single.items():
            assert batch[key][i] == pytest.approx(float(value), rel=1e-12, abs=1e-300)
    as_torch = m.free_energy(torch.from_numpy(phis), torch.from_numpy(etas))
    assert isinstance(as_torch["exact_total"], torch.Tensor)
    np.testing.assert_allclose(as_torch["exact_total"].numpy(), batch["exact_total"], rtol=1e-12)
    mu = m.chemical_potential(torch.from_numpy(phis), torch.from_numpy(etas))
    assert isinstance(mu, torch.Tensor) and mu.shape == phis.shape
