"""The training objective of paper Eqs. 11-12.

    L = 1/(N T) Σ_i Σ_t ( L_φ + λ_∇ L_∇ + λ_f L_f ),
    L_φ = ⟨(φ - φ̃)²⟩,   L_∇ = ⟨(|∇φ|² - |∇φ̃|²)²⟩,   L_f = (⟨f(φ)⟩ - ⟨f(φ̃)⟩)²,

with ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩ the paper's mean free-energy density, computed per sample with its own η
by the solver's own physics (:func:`spinodal.physics.free_energy.energy_densities`, differentiable).
Gradients in L_∇ are periodic central differences (grid spacing 1). Everything is evaluated in
float32 (FFTs do not run in bfloat16), whatever precision the network ran in.
"""

from __future__ import annotations

import torch

from ..physics.free_energy import energy_densities
from ..physics.solver import PhaseFieldModel
from ..presets import LossWeights

__all__ = ["LossWeights", "gradient_squared", "mean_free_energy", "sequence_loss"]


def gradient_squared(phi: torch.Tensor) -> torch.Tensor:
    """|∇φ|² [..., H, W] with periodic central differences (grid spacing 1)."""
    gx = 0.5 * (torch.roll(phi, -1, -1) - torch.roll(phi, 1, -1))
    gy = 0.5 * (torch.roll(phi, -1, -2) - torch.roll(phi, 1, -2))
    return gx * gx + gy * gy


def mean_free_energy(phi: torch.Tensor, eta: torch.Tensor, pf: PhaseFieldModel) -> torch.Tensor:
    """The paper's ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩ of fields [B, T, H, W] with misfits [B] → [B, T]."""
    H, W = phi.shape[-2:]
    grid = pf.grid(H, W, phi.device, phi.dtype)
    trB = pf.trace_B_grid(H, W, phi.device, phi.dtype)
    energies = energy_densities(phi, eta[:, None], grid, trB, A=pf.well_height, kappa=pf.kappa)
    return energies["paper_total"]


def sequence_loss(
    predicted: torch.Tensor,
    true: torch.Tensor,
    eta: torch.Tensor,
    *,
    weights: LossWeights | None = None,
    pf: PhaseFieldModel | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Eq. 11 averaged over samples and predicted frames.

    Args:
        predicted, true: frames [B, T, H, W] (the predicted frames only).
        eta: misfits [B] (fractions).
        weights: term weights (default: the paper's).
        pf: the solver's constants for L_f (default: the paper's).

    Returns:
        (total, terms): the weighted scalar loss and the unweighted terms ``phi``, ``grad``,
        ``free_energy`` (each averaged; detached).
    """
    if predicted.shape != true.shape:
        raise ValueError(f"predicted {tuple(predicted.shape)} and true {tuple(true.shape)} differ")
    predicted, true = predicted.float(), true.float()
    weights = weights or LossWeights()
    terms = {
        "phi": ((predicted - true) ** 2).mean(),
        "grad": ((gradient_squared(predicted) - gradient_squared(true)) ** 2).mean(),
    }
    if weights.free_energy:
        pf = pf or PhaseFieldModel()
        f_pred = mean_free_energy(predicted, eta.float(), pf)
        f_true = mean_free_energy(true, eta.float(), pf)
        terms["free_energy"] = ((f_pred - f_true) ** 2).mean()
    else:
        terms["free_energy"] = predicted.new_zeros(())
    total = (
        weights.phi * terms["phi"]
        + weights.grad * terms["grad"]
        + weights.free_energy * terms["free_energy"]
    )
    return total, {k: v.detach() for k, v in terms.items()}
