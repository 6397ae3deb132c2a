"""Linear stability of the homogeneous state: growth rates and the spinodal line (Eqs. 8-9).

Linearizing Eq. 7 about a uniform state φ̄ gives, for a mode of wavevector q with direction n,

    ω(q) = -M q² ( w''(φ̄) + η² tr B(n) + κ q² ),

and the semi-implicit step of Eq. 8 multiplies the mode by

    g(q) = (1 - δt M q² w''(φ̄)) / (1 + δt M q² (κ q² + η² tr B(n)))

per step. The homogeneous state is unstable for long waves iff w''(φ̄) + η² min_n tr B(n) < 0
(Eq. 9), which defines the spinodal misfit η_s(φ̄) = sqrt(-w''(φ̄) / min_n tr B(n)).
Numpy, float64, elementwise over broadcastable inputs.
"""

from __future__ import annotations

import numpy as np

from .elasticity import min_trace_B, trace_B
from .equation import CahnHilliardElastic
from .free_energy import double_well_second

__all__ = ["growth_rate", "amplification_factor", "spinodal_misfit", "chemical_spinodal"]


def growth_rate(qx, qy, phi_mean, eta, *, A, kappa, mobility, C11, C12, C44) -> np.ndarray:
    """Continuous linear growth rate ω(q) (1 / time) of the mode q = (qx, qy) (1 / length)."""
    qx, qy = np.asarray(qx, float), np.asarray(qy, float)
    equation = CahnHilliardElastic(kappa, A, mobility)
    eta2 = np.asarray(eta, float) ** 2
    return equation.growth_rate(
        qx**2 + qy**2, trace_B(qx, qy, C11, C12, C44), eta2, np.asarray(phi_mean, float)
    )


def amplification_factor(
    qx, qy, phi_mean, eta, *, A, kappa, mobility, dt, C11, C12, C44
) -> np.ndarray:
    """Factor g(q) by which one step of Eq. 8 multiplies a small mode q about φ̄."""
    qx, qy = np.asarray(qx, float), np.asarray(qy, float)
    equation = CahnHilliardElastic(kappa, A, mobility)
    eta2 = np.asarray(eta, float) ** 2
    return equation.amplification_factor(
        qx**2 + qy**2, trace_B(qx, qy, C11, C12, C44), eta2, np.asarray(phi_mean, float), dt
    )


def chemical_spinodal() -> tuple[float, float]:
    """Compositions where w''(φ) = 0, the strain-free spinodal: (3 ∓ √3)/6 ≈ 0.211, 0.789 (the
    roots of 1 - 6φ + 6φ², whatever the well height A)."""
    return (3 - np.sqrt(3)) / 6, (3 + np.sqrt(3)) / 6


def spinodal_misfit(phi_mean, *, A, C11, C12, C44) -> np.ndarray:
    """η_s(φ̄) of Eq. 9: the misfit above which the homogeneous state φ̄ is stable.

    Returns NaN outside the chemical spinodal, where w''(φ̄) > 0 and no misfit destabilizes,
    and 0 on it.
    This is the long-wave (infinite-domain) line of Figs. 1a and 8a.
    """
    w2 = double_well_second(np.asarray(phi_mean, float), A)
    with np.errstate(invalid="ignore"):
        eta = np.sqrt(-w2 / min_trace_B(C11, C12, C44))
    return np.where(w2 <= 0, eta, np.nan)
