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

from .elasticity import trace_B

__all__ = ["SpectralGrid", "spectral_grid", "rfft2", "irfft2"]


@dataclass(frozen=True)
class SpectralGrid:
    """Wavevector fields of an H × W periodic grid for real FFTs.

    Attributes:
        qx, qy: wavevector components [H, W//2+1] (1 / length).
        q2: |q|² [H, W//2+1].
        trB: tr B(q/|q|) of Eq. 6 [H, W//2+1], 0 at q = 0 (energy units).
        shape: (H, W) of the real-space grid.
    """

    qx: torch.Tensor
    qy: torch.Tensor
    q2: torch.Tensor
    trB: torch.Tensor
    shape: tuple[int, int]


@lru_cache(maxsize=64)
def _grid_numpy(
    H: int, W: int, dx: float, C11: float, C12: float, C44: float
) -> tuple[np.ndarray, ...]:
    qy = 2 * np.pi * np.fft.fftfreq(H, d=dx)[:, None] * np.ones((1, W // 2 + 1))
    qx = 2 * np.pi * np.fft.rfftfreq(W, d=dx)[None, :] * np.ones((H, 1))
    trB = trace_B(qx, qy, C11, C12, C44)
    return qx, qy, qx**2 + qy**2, trB


@lru_cache(maxsize=64)
def spectral_grid(
    H: int,
    W: int,
    dx: float,
    C11: float,
    C12: float,
    C44: float,
    device: torch.device,
    dtype: torch.dtype,
) -> SpectralGrid:
    """The (cached) :class:`SpectralGrid` of an H × W grid of spacing ``dx``.

    Built in float64 with numpy, then cast to ``dtype`` on ``device``.
    """
    arrays = _grid_numpy(H, W, dx, C11, C12, C44)
    qx, qy, q2, trB = (torch.as_tensor(a, dtype=dtype, device=device) for a in arrays)
    return SpectralGrid(qx=qx, qy=qy, q2=q2, trB=trB, shape=(H, W))


def rfft2(field: torch.Tensor) -> torch.Tensor:
    """Real 2D FFT over the last two axes (unnormalized, numpy convention)."""
    return torch.fft.rfft2(field)


def irfft2(field_hat: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`rfft2` back to real fields of spatial ``shape``."""
    return torch.fft.irfft2(field_hat, s=shape)
