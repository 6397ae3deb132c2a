"""Coherent elasticity of the cubic crystal (paper Eqs. 3-6): tr B(n) and the stiffness tensor."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from spinodal import PhaseFieldModel
from spinodal.physics.elasticity import cubic_stiffness, min_trace_B, trace_B

PAPER = dict(C11=3.0e4, C12=1.5e4, C44=3.0e4)  # Sec. 2.1: C11 = C44 = 2 C12 = 3e4, Z = 4

# Other cubic crystals: soft <10> (Z > 1), isotropic (Z = 1), soft <11> (Z < 1), negative C12.
CUBIC = [
    PAPER,
    dict(C11=2.0e4, C12=1.2e4, C44=1.0e4),
    dict(C11=3.0e4, C12=1.5e4, C44=3.0e3),
    dict(C11=1.0, C12=-0.4, C44=0.2),
]


def _angles(n: int = 361) -> np.ndarray:
    return np.linspace(-np.pi, np.pi, n)


def _trace_B_closed_form(theta, C11, C12, C44):
    """tr B written out by hand for a cubic crystal, independently of the einsum code.

    With a dilatational eigenstrain the stress of a unit dilatation is (C11 + C12) I, so
    tr B(n) = 2 (C11 + C12) - (C11 + C12)² n·Γ(n)⁻¹·n with the acoustic tensor
    Γ = [[C11 nx² + C44 ny², (C12 + C44) nx ny], [(C12 + C44) nx ny, C11 ny² + C44 nx²]].
    """
    nx, ny = np.cos(theta), np.sin(theta)
    g11 = C11 * nx**2 + C44 * ny**2
    g22 = C11 * ny**2 + C44 * nx**2
    g12 = (C12 + C44) * nx * ny
    n_inv_n = (g22 * nx**2 - 2 * g12 * nx * ny + g11 * ny**2) / (g11 * g22 - g12**2)
    s = C11 + C12
    return 2 * s - s**2 * n_inv_n


@pytest.mark.parametrize(
    "C11, C12",
    [(3.0e4, 1.5e4), (2.0e4, 0.5e4), (1.0, 0.3), (1.0, -0.5), (7.0, 6.5)],
)
def test_isotropic_trace_B_is_direction_independent_closed_form(C11, C12):
    """With C44 = (C11 - C12)/2 (Zener ratio 1) the crystal is isotropic, so tr B must not depend
    on the direction and must equal 2(C11 + C12) - (C11 + C12)²/C11 (the longitudinal modulus is
    C11). A wrong index contraction in Eq. 6 would break either property."""
    C44 = (C11 - C12) / 2
    assert PhaseFieldModel(C11=C11, C12=C12, C44=C44).zener_ratio == pytest.approx(1.0)
    theta = _angles()
    values = trace_B(np.cos(theta), np.sin(theta), C11, C12, C44)
    expected = 2 * (C11 + C12) - (C11 + C12) ** 2 / C11
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_paper_constants_soft_along_10_hard_along_11():
    """For the paper's constants (Z = 4) tr B is minimal along <10> with value 2.25e4 and maximal
    along <11> with value 3.6e5/7 ≈ 5.142857e4 (closed forms of Γ on the cube axes and the
    diagonals). This is what makes <10> stripes the elastically favoured pattern."""
    m = PhaseFieldModel()
    assert m.zener_ratio == pytest.approx(4.0)
    theta = np.linspace(0, 2 * np.pi, 7201)
    values = m.trace_B(np.cos(theta), np.sin(theta))
    for n in [(1, 0), (0, 1), (-1, 0), (0, -1)]:
        assert m.trace_B(*n) == pytest.approx(2.25e4, rel=1e-12)
    for n in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
        assert m.trace_B(*n) == pytest.approx(3.6e5 / 7, rel=1e-12)
    assert values.min() == pytest.approx(2.25e4, rel=1e-12)
    assert values.max() == pytest.approx(5.142857142857e4, rel=1e-10)
    assert theta[np.argmin(values)] % (np.pi / 2) == pytest.approx(0.0, abs=1e-12)
    assert theta[np.argmax(values)] % (np.pi / 2) == pytest.approx(np.pi / 4, abs=1e-12)
    assert min_trace_B(**PAPER) == pytest.approx(2.25e4, rel=1e-12)


@pytest.mark.parametrize("constants", CUBIC)
def test_trace_B_matches_hand_written_closed_form(constants):
    """tr B(θ) from the tensor code agrees with the hand-written 2 × 2 acoustic-tensor formula at
    every angle, for anisotropic crystals of both signs of anisotropy and a negative C12."""
    theta = _angles(1441)
    np.testing.assert_allclose(
        trace_B(np.cos(theta), np.sin(theta), **constants),
        _trace_B_closed_form(theta, **constants),
        rtol=1e-12,
    )


@pytest.mark.parametrize("constants", CUBIC)
def test_trace_B_is_the_relaxed_energy_of_a_plane_wave(constants):
    """Variational check of Eq. 6: for φ = δ cos(q·x) with a dilatational eigenstrain η δφ I,
    minimizing the mean elastic energy ¼ (E - ηδ I):C:(E - ηδ I) over the displacement amplitude
    (E = sym(q ⊗ U)) must give ¼ η² δ² tr B(q̂), i.e. the elastic energy ½ η² tr B ⟨δφ²⟩ used
    by the free energy. The minimum is found numerically (BFGS), without Ω or B."""
    C = cubic_stiffness(**constants) / constants["C11"]

    def energy(V, n):
        E = 0.5 * (np.outer(n, V) + np.outer(V, n)) - np.eye(2)
        return np.einsum("ij,ijkl,kl->", E, C, E)

    for theta in np.deg2rad([0.0, 17.0, 30.0, 45.0, 60.0, 90.0, 123.0, 200.0]):
        n = np.array([np.cos(theta), np.sin(theta)])
        result = minimize(energy, x0=np.zeros(2), args=(n,), method="BFGS", tol=1e-14)
        relaxed = result.fun * constants["C11"]
        assert trace_B(*n, **constants) == pytest.approx(relaxed, rel=1e-7)
        # relaxation lowers the energy below the clamped value I:C:I = 2 (C11 + C12)
        assert relaxed < 2 * (constants["C11"] + constants["C12"])


@pytest.mark.parametrize("constants", CUBIC)
def test_cubic_four_fold_symmetry(constants):
    """A cubic crystal in its cube axes has the D4 point group: tr B(θ) = tr B(θ + 90°)
    = tr B(-θ) = tr B(90° - θ) = tr B(θ + 180°). This is what lets all eight grid symmetries
    commute with the dynamics (tested in test_solver.py)."""
    theta = _angles(721)

    def tb(t):
        return trace_B(np.cos(t), np.sin(t), **constants)

    reference = tb(theta)
    for image in (theta + np.pi / 2, -theta, np.pi / 2 - theta, theta + np.pi):
        np.testing.assert_allclose(tb(image), reference, rtol=1e-12)
    # and it is genuinely anisotropic unless Z = 1
    z = 2 * constants["C44"] / (constants["C11"] - constants["C12"])
    if abs(z - 1) > 1e-6:
        assert np.ptp(reference) > 1e-3 * np.abs(reference).max()


def test_softest_direction_follows_the_zener_ratio():
    """For Z > 1 the elastically soft direction is <10>, for Z < 1 it is <11> (Sec. 2.1), and
    min_trace_B returns the minimum over all directions in both cases."""
    theta = np.linspace(0, np.pi / 2, 9001)
    for constants in CUBIC:
        z = 2 * constants["C44"] / (constants["C11"] - constants["C12"])
        values = trace_B(np.cos(theta), np.sin(theta), **constants)
        assert min_trace_B(**constants) == pytest.approx(values.min(), rel=1e-12)
        if z > 1:
            assert np.argmin(values) in (0, len(theta) - 1)
        elif z < 1:
            assert theta[np.argmin(values)] == pytest.approx(np.pi / 4)


def test_trace_B_depends_only_on_direction():
    """B(q) depends on q only through q̂ (Eq. 6 is homogeneous of degree 0): scaling or
    reversing q leaves tr B unchanged, and the q = 0 mode carries no elastic energy."""
    rng = np.random.default_rng(3)
    nx, ny = rng.standard_normal((2, 50))
    base = trace_B(nx, ny, **PAPER)
    for scale in (1e-6, 0.3, 7.0, 1e5, -1.0, -2.5):
        np.testing.assert_allclose(trace_B(scale * nx, scale * ny, **PAPER), base, rtol=1e-12)
    assert trace_B(0.0, 0.0, **PAPER) == 0.0
    grid = trace_B(np.zeros((3, 4)), np.zeros((3, 4)), **PAPER)
    assert grid.shape == (3, 4) and not grid.any()


@pytest.mark.parametrize("constants", CUBIC)
def test_stiffness_tensor_symmetries_and_stability(constants):
    """The 2D stiffness tensor has minor (C_ijkl = C_jikl = C_ijlk) and major (C_ijkl = C_klij)
    symmetries, the Voigt entries C11, C12, C44, cubic invariance under a 90° rotation and the
    x-mirror, and is positive definite on symmetric strains (a stable crystal)."""
    C = cubic_stiffness(**constants)
    assert C.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(C, C.transpose(1, 0, 2, 3))
    np.testing.assert_array_equal(C, C.transpose(0, 1, 3, 2))
    np.testing.assert_array_equal(C, C.transpose(2, 3, 0, 1))
    assert C[0, 0, 0, 0] == C[1, 1, 1, 1] == constants["C11"]
    assert C[0, 0, 1, 1] == C[1, 1, 0, 0] == constants["C12"]
    assert C[0, 1, 0, 1] == C[1, 0, 1, 0] == C[0, 1, 1, 0] == constants["C44"]
    for R in (np.array([[0.0, -1.0], [1.0, 0.0]]), np.diag([-1.0, 1.0])):
        rotated = np.einsum("ia,jb,kc,ld,abcd->ijkl", R, R, R, R, C)
        np.testing.assert_allclose(rotated, C, atol=1e-12 * abs(C).max())
    # Mandel form on (εxx, εyy, √2 εxy): eigenvalues C11 ± C12 and 2 C44, all positive.
    basis = [np.diag([1.0, 0.0]), np.diag([0.0, 1.0]), np.array([[0, 1], [1, 0]]) / np.sqrt(2)]
    mandel = np.array([[np.einsum("ij,ijkl,kl->", a, C, b) for b in basis] for a in basis])
    eig = np.linalg.eigvalsh(mandel)
    expected = sorted(
        [
            constants["C11"] + constants["C12"],
            constants["C11"] - constants["C12"],
            2 * constants["C44"],
        ]
    )
    np.testing.assert_allclose(eig, expected, rtol=1e-12)
    assert eig.min() > 0
