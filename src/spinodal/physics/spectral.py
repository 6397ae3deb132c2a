"""Fourier-space operators on a periodic grid (real FFTs, spatial axes last).

Fields are ``[..., H, W]`` with axis -2 the y (row) direction and axis -1 the x direction; their
real-FFT coefficients (suffix ``_hat``) are ``[..., H, W // 2 + 1]``. Wavenumbers are the
continuous ones of the spectral method, q = 2π k / (N dx), in inverse grid units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

__all__ = ["SpectralGrid", "spectral_grid", "wavevectors", "rfft2", "irfft2"]


@dataclass(frozen=True)
class SpectralGrid:
    """The Fourier grid of an H × W periodic domain for real FFTs (no material in it: tr B of
    the elastic problem comes from :func:`spinodal.physics.elasticity.trace_B_grid`).

    Attributes:
        q2: |q|² [H, W//2+1] (1 / length²).
        shape: (H, W) of the real-space grid.
    """

    q2: torch.Tensor
    shape: tuple[int, int]


@lru_cache(maxsize=64)
def wavevectors(H: int, W: int, dx: float) -> tuple[np.ndarray, np.ndarray]:
    """(qx, qy) [H, W//2+1] float64 of the real-FFT half plane, q = 2π k / (N dx); read-only."""
    qy = 2 * np.pi * np.fft.fftfreq(H, d=dx)[:, None] * np.ones((1, W // 2 + 1))
    qx = 2 * np.pi * np.fft.rfftfreq(W, d=dx)[None, :] * np.ones((H, 1))
    qx.flags.writeable = qy.flags.writeable = False
    return qx, qy


@lru_cache(maxsize=64)
def spectral_grid(
    H: int, W: int, dx: float, device: torch.device, dtype: torch.dtype
) -> SpectralGrid:
    """The (cached) :class:`SpectralGrid` of an H × W grid of spacing ``dx``.

    Built in float64 with numpy, then cast to ``dtype`` on ``device``.
    """
    qx, qy = wavevectors(H, W, dx)
    q2 = torch.as_tensor(qx**2 + qy**2, dtype=dtype, device=device)
    return SpectralGrid(q2=q2, shape=(H, W))


def rfft2(field: torch.Tensor) -> torch.Tensor:
    """Real 2D FFT over the last two axes (unnormalized, numpy convention)."""
    return torch.fft.rfft2(field)


def irfft2(field_hat: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`rfft2` back to real fields of spatial ``shape``."""
    return torch.fft.irfft2(field_hat, s=shape)
