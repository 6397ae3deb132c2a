"""The Cahn-Hilliard equation with coherent elasticity (Eq. 7), split as the scheme of Eq. 8
treats it: one object that the stepper, the linear theory and the chemical potential share.

In Fourier space, for a mode q of direction n = q/|q|,

    ∂φ̂/∂t = -L(q) φ̂ + N̂(φ),    L(q) = M (κ q⁴ + η² tr B(n) q²),    N̂(φ) = -M q² ŵ'(φ),

with L the linear, stiff part (gradient energy and elasticity, treated implicitly) and N the
double-well nonlinearity (treated explicitly). The semi-implicit step of Eq. 8 is then

    φ̂_{t+δt} = (φ̂_t + δt N̂(φ_t)) / (1 + δt L(q)),

and the chemical potential is μ̂ = (κ q² + η² tr B(n)) φ̂ + ŵ'(φ). Units: q in 1 / length,
L in 1 / time. The symbols take numpy arrays (the theory, float64) and torch tensors (the
stepper and the losses) alike; η enters as η² only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .free_energy import double_well_prime, double_well_second
from .spectral import irfft2, rfft2

__all__ = ["CahnHilliardElastic"]


@dataclass(frozen=True)
class CahnHilliardElastic:
    """Eq. 7 with constants κ (``kappa``), A (``well_height``) and M (``mobility``); the
    elastic constants enter through tr B(n), computed by :mod:`spinodal.physics.elasticity`.

    Arguments named ``q2`` are |q|², ``trB`` is tr B(n) on the same wavevectors and ``eta2``
    is η², each broadcastable against the others.
    """

    kappa: float
    well_height: float
    mobility: float

    # --- the implicit (linear) part ---------------------------------------------------------

    def potential_symbol(self, q2, trB, eta2):
        """μ̂_lin / φ̂ = κ q² + η² tr B(n): the linear part of the chemical potential."""
        return self.kappa * q2 + eta2 * trB

    def implicit_symbol(self, q2, trB, eta2):
        """L(q) = M (κ q⁴ + η² tr B(n) q²) (1 / time): the decay rate treated implicitly."""
        return self.mobility * (self.kappa * q2**2 + eta2 * trB * q2)

    # --- the explicit (nonlinear) part ------------------------------------------------------

    def bulk_potential(self, phi):
        """w'(φ) = 2A φ(1 - φ)(1 - 2φ), the explicit part of μ."""
        return double_well_prime(phi, self.well_height)

    @property
    def cubic_coefficient(self) -> float:
        """c in w'(½ + u) = c (u³ - u/4), c = 4A: the form the stepper evaluates (state u)."""
        return 4 * self.well_height

    def linearized_explicit_symbol(self, q2, phi_mean):
        """-M q² w''(φ̄): the explicit part linearized about a uniform state φ̄ (1 / time)."""
        return -self.mobility * q2 * double_well_second(phi_mean, self.well_height)

    # --- what follows from the split --------------------------------------------------------

    def growth_rate(self, q2, trB, eta2, phi_mean):
        """ω(q) = -M q² (w''(φ̄) + η² tr B(n) + κ q²): the continuous linear growth rate."""
        return self.linearized_explicit_symbol(q2, phi_mean) - self.implicit_symbol(q2, trB, eta2)

    def amplification_factor(self, q2, trB, eta2, phi_mean, dt: float):
        """g(q) = (1 - δt M q² w''(φ̄)) / (1 + δt L(q)): one step of Eq. 8 on a small mode."""
        explicit = 1 + dt * self.linearized_explicit_symbol(q2, phi_mean)
        return explicit / (1 + dt * self.implicit_symbol(q2, trB, eta2))

    def chemical_potential(self, phi, q2, trB, eta2):
        """μ = δF/δφ = -κ∇²φ + w'(φ) + ρ'(φ) of torch fields [..., H, W] (spectral
        Laplacian); ``eta2`` broadcasts against [..., 1, 1]."""
        linear_hat = self.potential_symbol(q2, trB, eta2) * rfft2(phi)
        return irfft2(linear_hat, tuple(phi.shape[-2:])) + self.bulk_potential(phi)
