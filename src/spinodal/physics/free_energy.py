"""The free energy of Eq. 1 and its functional derivative, batched and differentiable (torch).

    F[φ] = ∫ ( κ/2 |∇φ|² + w(φ) + ρ ) dx,    w(φ) = A φ²(1 - φ)²,    A = 18/ε, κ = ε   (Eqs. 1-2)

With these constants the planar interface has energy √(2Aκ)/6 = 1 per unit length and
equipartition κ/2 |∇φ|² = w across it, so the mean interface energy density 2⟨w⟩ is the
interface length per unit area and the paper's mean free-energy density is
⟨f⟩ ≈ 2⟨w⟩ + ⟨ρ⟩ (Sec. 2.3). The elastic energy ρ is that of the equilibrium strain (Eqs. 3-6):
⟨ρ⟩ = ½ η² Σ_q tr B(q̂) |φ̂_q|² / (HW)², and ρ̂' = η² tr B(q̂) φ̂.

Fields are ``[..., H, W]``; a misfit ``eta`` broadcasts against the leading axes ``[...]``.
Energies are mean densities (energy per unit area) with shape ``[...]``. Autograd flows through
everything here: the surrogate's free-energy loss reuses these functions.
"""

from __future__ import annotations

import torch

from .spectral import SpectralGrid, rfft2

__all__ = [
    "double_well",
    "double_well_prime",
    "double_well_second",
    "parseval_weights",
    "energy_densities",
]


def double_well(phi, A: float):
    """w(φ) = A φ²(1 - φ)² (Eq. 2 with A = 18/ε); numpy or torch, elementwise."""
    return A * phi**2 * (1 - phi) ** 2


def double_well_prime(phi, A: float):
    """w'(φ) = 2A φ(1 - φ)(1 - 2φ), written as 4A u(u² - ¼) with u = φ - ½ (fewer operations)."""
    u = phi - 0.5
    return 4 * A * u * (u * u - 0.25)


def double_well_second(phi, A: float):
    """w''(φ) = 2A (1 - 6φ + 6φ²); negative inside the chemical spinodal (3 ∓ √3)/6."""
    return 2 * A * (1 - 6 * phi + 6 * phi**2)


def parseval_weights(grid: SpectralGrid) -> torch.Tensor:
    """Weights [H, W//2+1] such that mean(f g) = Σ weight · Re(f̂ ĝ*) over the rfft half-plane.

    Columns kx = 0 and (for even W) kx = W/2 appear once in the full spectrum, all others twice.
    """
    H, W = grid.shape
    weight = torch.full_like(grid.q2, 2.0 / (H * W) ** 2)
    weight[:, 0] /= 2
    if W % 2 == 0:
        weight[:, -1] /= 2
    return weight


def _eta_squared(eta, like: torch.Tensor) -> torch.Tensor:
    """η² as a tensor of ``like``'s real dtype and device, broadcastable to its leading axes."""
    eta = torch.as_tensor(eta, dtype=like.real.dtype, device=like.device)
    return eta**2


def energy_densities(
    phi: torch.Tensor, eta, grid: SpectralGrid, trB: torch.Tensor, *, A: float, kappa: float
) -> dict[str, torch.Tensor]:
    """Mean free-energy densities of fields ``phi`` [..., H, W] with misfit ``eta`` [...], on
    ``grid`` with tr B(q̂) ``trB`` [H, W//2+1] (:func:`spinodal.physics.elasticity.trace_B_grid`).

    Returns a dict of tensors [...]:
        ``paper_total``: the paper's ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩ (Sec. 2.3, the L_f loss and Fig. 5a), which
        leaves out the gradient term (for a sharp interface it equals it, so ⟨f⟩ counts the
        interface energy through 2⟨w⟩);
        ``interface``: 2⟨w⟩, the interface length per unit area (Fig. 4c, 5b);
        ``gradient``: ⟨κ/2 |∇φ|²⟩ with the spectral gradient;
        ``bulk``: ⟨w⟩;
        ``elastic``: ⟨ρ⟩ of the equilibrium strain (Fig. 5c);
        ``exact_total``: the exact mean density of Eq. 1, gradient + bulk + elastic, which the
        Cahn-Hilliard dynamics decreases.
    """
    phi_hat = rfft2(phi)
    power = parseval_weights(grid) * (phi_hat.real**2 + phi_hat.imag**2)
    gradient = 0.5 * kappa * (grid.q2 * power).sum(dim=(-2, -1))
    elastic = 0.5 * _eta_squared(eta, phi) * (trB * power).sum(dim=(-2, -1))
    bulk = double_well(phi, A).mean(dim=(-2, -1))
    return {
        "paper_total": 2 * bulk + elastic,
        "interface": 2 * bulk,
        "gradient": gradient,
        "bulk": bulk,
        "elastic": elastic,
        "exact_total": gradient + bulk + elastic,
    }
