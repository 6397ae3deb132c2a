"""Coherent elasticity of an elastically homogeneous cubic crystal (paper Eqs. 3-6).

With a purely dilatational eigenstrain ε*_ij = η (φ - ⟨φ⟩) δ_ij (Eq. 4) and mechanical
equilibrium at every instant, the Fourier transform of the stress is σ̂ = -η B(q̂) φ̂ (Eq. 5) with

    B_ij(q) = C_ijkl (δ_kl - Ω_km C_mnop δ_op q_n q_l),    Ω⁻¹_km = C_kmno q_m q_o      (Eq. 6).

B depends only on the direction n = q/|q|. The elastic chemical potential is ρ' = -η tr σ, so
in Fourier space ρ̂' = η² tr B(n) φ̂ and the mean elastic energy density of the equilibrium
strain is ⟨ρ⟩ = ½ ⟨(φ - ⟨φ⟩) ρ'⟩ (Khachaturyan's microelasticity). Everything here is 2D:
indices run over x, y; stiffnesses are in the arbitrary energy units of the double well.

Numpy, float64: these are fixed operators built once per grid and then cast.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from .spectral import wavevectors

__all__ = ["cubic_stiffness", "trace_B", "trace_B_grid", "min_trace_B"]


def cubic_stiffness(C11: float, C12: float, C44: float) -> np.ndarray:
    """The 2D stiffness tensor C_ijkl [2, 2, 2, 2] of a cubic crystal in its cube axes.

    Voigt: C_xxxx = C_yyyy = C11, C_xxyy = C_yyxx = C12, C_xyxy (and its minor-symmetric
    permutations) = C44.
    """
    C = np.zeros((2, 2, 2, 2))
    C[0, 0, 0, 0] = C[1, 1, 1, 1] = C11
    C[0, 0, 1, 1] = C[1, 1, 0, 0] = C12
    for i, j in ((0, 1), (1, 0)):
        for k, m in ((0, 1), (1, 0)):
            C[i, j, k, m] = C44
    return C


def trace_B(nx, ny, C11: float, C12: float, C44: float) -> np.ndarray:
    """tr B(n) of Eq. 6 for direction(s) n = (nx, ny), evaluated from the tensors.

    Args:
        nx, ny: components of the direction(s), any broadcastable shapes; they are normalized
            here. The zero vector gives 0: the q = 0 mode carries no elastic energy because the
            eigenstrain is measured from ⟨φ⟩ (Eq. 4).
        C11, C12, C44: cubic elastic constants (energy units of the double well).

    Returns:
        tr B with the broadcast shape of ``nx`` and ``ny`` (energy units), float64.
    """
    nx, ny = np.broadcast_arrays(np.asarray(nx, dtype=float), np.asarray(ny, dtype=float))
    norm = np.hypot(nx, ny)
    zero = norm == 0
    safe = np.where(zero, 1.0, norm)
    n = np.stack([nx / safe, ny / safe], axis=-1)  # [..., 2]
    C = cubic_stiffness(C11, C12, C44)
    delta = np.eye(2)
    sigma0 = np.einsum("ijkl,kl->ij", C, delta)  # stress of a unit dilatation
    acoustic = np.einsum("kmno,...m,...o->...kn", C, n, n)  # Ω⁻¹
    omega = np.linalg.inv(np.where(zero[..., None, None], np.eye(2), acoustic))
    # B_ij = C_ijkl δ_kl - C_ijkl Ω_km σ0_mn n_n n_l
    relaxed = np.einsum("ijkl,...km,mn,...n,...l->...ij", C, omega, sigma0, n, n)
    B = sigma0 - relaxed
    tr = np.trace(B, axis1=-2, axis2=-1)
    return np.where(zero, 0.0, tr)


def min_trace_B(C11: float, C12: float, C44: float, n_angles: int = 7201) -> float:
    """min over directions of tr B(n) (the elastically softest direction, Eq. 9).

    The angles sampled include 0 and 45° exactly, where the extrema of a cubic crystal lie.
    """
    theta = np.linspace(0.0, np.pi / 2, n_angles)
    return float(trace_B(np.cos(theta), np.sin(theta), C11, C12, C44).min())


@lru_cache(maxsize=64)
def trace_B_grid(
    H: int,
    W: int,
    dx: float,
    C11: float,
    C12: float,
    C44: float,
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    """tr B(q̂) [H, W//2+1] on the real-FFT wavevectors of an H × W grid of spacing ``dx``
    (0 at q = 0), built in float64 and cast to ``dtype`` on ``device``; cached."""
    qx, qy = wavevectors(H, W, dx)
    return torch.as_tensor(trace_B(qx, qy, C11, C12, C44), dtype=dtype, device=device)
