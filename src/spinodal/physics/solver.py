"""The phase-field model of coherent spinodal decomposition and its spectral solver (Sec. 2.1).

:class:`PhaseFieldModel` holds the physical and numerical constants (paper defaults) and offers
the batched semi-implicit integrator of Eq. 8,

    φ̂_{t+δt} = ( φ̂_t - δt M q² ŵ'(φ_t) ) / ( 1 + δt M (κ q⁴ + η² tr B(q̂) q²) ),

the free-energy diagnostics of Eq. 1 and the linear-stability theory of Eq. 9.

One step costs one forward and one inverse real FFT of the batch (see :class:`Stepper`): the
solver carries φ and φ̂ together, so only the nonlinearity and the new φ are transformed. Mass
is conserved exactly because the q = 0 coefficient is never changed. Each field of a batch has
its own misfit η. A field's trajectory depends on its batch-mates only through the round-off of
batched FFTs (MKL's batched inverse FFT differs from the single one in the last bit): fix the
batch to reproduce bitwise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from . import theory
from .elasticity import trace_B, trace_B_grid
from .equation import CahnHilliardElastic
from .fields import FieldBatch, as_field_batch, as_parameter
from .free_energy import energy_densities
from .spectral import SpectralGrid, rfft2, spectral_grid

__all__ = [
    "PhaseFieldModel",
    "Stepper",
    "MassConservingNoise",
    "SimulationDiverged",
    "DIVERGENCE_BOUND",
]

DIVERGENCE_BOUND = 10.0
"""A field whose |φ - ⟨φ⟩| exceeds this anywhere (or is not finite) has diverged: physical
states stay within about 1 of their mean."""


class SimulationDiverged(FloatingPointError):
    """The integration blew up. Attributes name the field, the step and the parameters."""

    def __init__(self, message: str, *, field: int, step: int, eta: float, pf: PhaseFieldModel):
        super().__init__(message)
        self.field = field
        self.step = step
        self.eta = eta
        self.pf = pf


@dataclass(frozen=True)
class PhaseFieldModel:
    """Cahn-Hilliard dynamics with cubic coherent elasticity (Eqs. 1-8); paper defaults.

    Attributes:
        kappa: gradient-energy coefficient κ = ε (Eq. 1), energy × length²; paper: ε = 5.
        well_height: A in w(φ) = A φ²(1 - φ)² (Eq. 2), energy / area; paper: 18/ε = 3.6.
        mobility: M (Eq. 7), length² / (energy × time); paper: 1.
        dt: time step δt (Eq. 8); paper: 0.01, so τ = 100 steps is one time unit.
        dx: grid spacing, the unit of length; paper: 1.
        C11, C12, C44: cubic elastic constants (energy / area); paper: C11 = C44 = 2 C12 = 3e4,
            a Zener ratio 2 C44 / (C11 - C12) = 4 with ⟨10⟩ elastically soft.
    """

    kappa: float = 5.0
    well_height: float = 18.0 / 5.0
    mobility: float = 1.0
    dt: float = 0.01
    dx: float = 1.0
    C11: float = 3.0e4
    C12: float = 1.5e4
    C44: float = 3.0e4

    def __post_init__(self) -> None:
        for name in ("kappa", "well_height", "mobility", "dt", "dx"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if not (self.C44 > 0 and self.C11 > abs(self.C12)):
            raise ValueError(
                "elastic constants must be positive definite (C44 > 0, C11 > |C12|), got "
                f"C11={self.C11}, C12={self.C12}, C44={self.C44}"
            )

    # --- parameters -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, float]:
        """All constants, for files and cards."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> PhaseFieldModel:
        return cls(**{f.name: float(values[f.name]) for f in dataclasses.fields(cls)})

    def coarse(self, steps_per_frame: int, frame_steps: int = 100) -> PhaseFieldModel:
        """These constants with δt raised so that ``steps_per_frame`` steps span the frame
        interval τ = ``frame_steps`` × δt (the coarse-solver yardstick of the surrogate: with
        ``steps_per_frame = 1``, one step of δt = τ per frame).

        Raises:
            ValueError: ``steps_per_frame`` or ``frame_steps`` is not an integer >= 1.
        """
        for name, value in (("steps_per_frame", steps_per_frame), ("frame_steps", frame_steps)):
            if isinstance(value, bool) or not (isinstance(value, int | np.integer) and value >= 1):
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        return dataclasses.replace(self, dt=self.dt * int(frame_steps) / int(steps_per_frame))

    @property
    def zener_ratio(self) -> float:
        """Z = 2 C44 / (C11 - C12); 1 is elastically isotropic."""
        return 2 * self.C44 / (self.C11 - self.C12)

    @property
    def equation(self) -> CahnHilliardElastic:
        """Eq. 7 with these constants, split as Eq. 8 treats it."""
        return CahnHilliardElastic(self.kappa, self.well_height, self.mobility)

    def grid(self, H: int, W: int, device=None, dtype=torch.float32) -> SpectralGrid:
        """The Fourier grid of an H × W domain (cached)."""
        return spectral_grid(H, W, self.dx, torch.device(device or "cpu"), dtype)

    def trace_B_grid(self, H: int, W: int, device=None, dtype=torch.float32) -> torch.Tensor:
        """tr B(q̂) [H, W//2+1] on the grid's wavevectors (cached), energy / area."""
        return trace_B_grid(
            H, W, self.dx, self.C11, self.C12, self.C44, torch.device(device or "cpu"), dtype
        )

    # --- theory (Eq. 9) ---------------------------------------------------------------------

    def trace_B(self, nx, ny) -> np.ndarray:
        """tr B(n) of Eq. 6 for direction(s) n (normalized internally), energy / area."""
        return trace_B(nx, ny, self.C11, self.C12, self.C44)

    def spinodal_misfit(self, phi_mean) -> np.ndarray:
        """Eq. 9: the misfit η at which the homogeneous state ⟨φ⟩ turns stable (NaN outside
        the chemical spinodal)."""
        return theory.spinodal_misfit(
            phi_mean, A=self.well_height, C11=self.C11, C12=self.C12, C44=self.C44
        )

    def growth_rate(self, qx, qy, phi_mean, eta) -> np.ndarray:
        """Continuous linear growth rate ω(q) (1 / time) of mode q about the uniform ⟨φ⟩."""
        return theory.growth_rate(qx, qy, phi_mean, eta, **self._theory_constants())

    def amplification_factor(self, qx, qy, phi_mean, eta) -> np.ndarray:
        """Per-step factor of a small mode q under the discrete scheme of Eq. 8."""
        return theory.amplification_factor(
            qx, qy, phi_mean, eta, dt=self.dt, **self._theory_constants()
        )

    def _theory_constants(self) -> dict[str, float]:
        return dict(
            A=self.well_height,
            kappa=self.kappa,
            mobility=self.mobility,
            C11=self.C11,
            C12=self.C12,
            C44=self.C44,
        )

    # --- energies ---------------------------------------------------------------------------

    def free_energy(self, phi, eta) -> dict:
        """Mean free-energy densities per field (Eq. 1), same kind as ``phi`` (numpy or torch).

        Args:
            phi: fields [..., H, W].
            eta: misfit, a float or broadcastable to ``phi.shape[:-2]``.

        Returns:
            dict of arrays [...]: ``paper_total`` (the paper's ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩), ``interface``
            (2⟨w⟩), ``gradient`` (⟨κ/2 |∇φ|²⟩), ``bulk`` (⟨w⟩), ``elastic`` (⟨ρ⟩) and
            ``exact_total`` (the exact density of Eq. 1, gradient + bulk + elastic).
            Differentiable when ``phi`` is a torch tensor.
        """
        tensor, is_numpy = _as_tensor(phi)
        grid = self.grid(*tensor.shape[-2:], tensor.device, tensor.dtype)
        trB = self.trace_B_grid(*tensor.shape[-2:], tensor.device, tensor.dtype)
        out = energy_densities(tensor, eta, grid, trB, A=self.well_height, kappa=self.kappa)
        return {k: v.cpu().numpy() for k, v in out.items()} if is_numpy else out

    def chemical_potential(self, phi, eta):
        """μ = δF/δφ = -κ∇²φ + w'(φ) + ρ'(φ) (Eq. 7), [..., H, W], same kind as ``phi``."""
        tensor, is_numpy = _as_tensor(phi)
        H, W = tensor.shape[-2:]
        eta2 = torch.as_tensor(eta, dtype=tensor.dtype, device=tensor.device) ** 2
        mu = self.equation.chemical_potential(
            tensor,
            self.grid(H, W, tensor.device, tensor.dtype).q2,
            self.trace_B_grid(H, W, tensor.device, tensor.dtype),
            eta2[..., None, None],
        )
        return mu.cpu().numpy() if is_numpy else mu

    # --- dynamics ---------------------------------------------------------------------------

    def frames(
        self,
        phi0,
        eta,
        n_frames: int,
        *,
        steps_per_frame: int = 100,
        noise_std: float = 0.0,
        seed: int | None = None,
        dtype: str | torch.dtype | None = None,
        device: str | torch.device | None = None,
    ) -> Iterator[torch.Tensor]:
        """Integrate and yield frames 1..n_frames, each a torch tensor [B, H, W].

        The memory-bounded form of :meth:`evolve` (same arguments): nothing but the current
        state is kept, so it serves long runs and large domains.
        """
        batch = as_field_batch(phi0, name="phi0", dtype=dtype, device=device)
        yield from self._integrate(batch, eta, n_frames, steps_per_frame, noise_std, seed)

    def evolve(
        self,
        phi0,
        eta,
        n_frames: int,
        *,
        steps_per_frame: int = 100,
        noise_std: float = 0.0,
        seed: int | None = None,
        dtype: str | torch.dtype | None = None,
        device: str | torch.device | None = None,
    ):
        """Integrate Eq. 7 with the scheme of Eq. 8 and return every frame.

        Args:
            phi0: initial fields [H, W] or [B, H, W], numpy or torch.
            eta: misfit η as a fraction (0.006 = 0.6 %), a float or one per field [B].
            n_frames: number of frames to produce after the initial one.
            steps_per_frame: solver steps between frames (τ = 100 δt in the paper).
            noise_std: standard deviation of the Gaussian noise added to φ after every step,
                made exactly mass conserving by removing its mean (Sec. 3.2, Fig. 6).
            seed: seed of the noise (torch generator on the computing device); the noise is
                reproducible for the same seed, batch shape and device.
            dtype: ``"float32"`` (default for numpy input) or ``"float64"``; torch input keeps
                its float dtype unless this is given.
            device: where to compute (default: the input's device, CPU for numpy).

        Returns:
            frames [..., n_frames + 1, H, W] of the same kind as ``phi0`` (numpy or torch),
            frame 0 = phi0.

        Raises:
            ValueError: bad shapes, non-finite input, bad parameters.
            SimulationDiverged: the solution blew up; the message names field, step, parameters.
        """
        _check_n_frames(n_frames)
        batch = as_field_batch(phi0, name="phi0", dtype=dtype, device=device)
        x = batch.data
        out = torch.empty(
            (x.shape[0], n_frames + 1, *x.shape[-2:]),
            dtype=x.dtype,
            device="cpu" if batch.numpy else x.device,
        )
        out[:, 0] = x
        for t, phi in enumerate(
            self._integrate(batch, eta, n_frames, steps_per_frame, noise_std, seed), start=1
        ):
            out[:, t] = phi
        return batch.restore(out)

    def _integrate(
        self,
        batch: FieldBatch,
        eta,
        n_frames: int,
        steps_per_frame: int,
        noise_std: float,
        seed: int | None,
    ) -> Iterator[torch.Tensor]:
        phi = batch.data
        _check_n_frames(n_frames)
        if int(steps_per_frame) != steps_per_frame or steps_per_frame < 1:
            raise ValueError(f"steps_per_frame must be a positive integer, got {steps_per_frame!r}")
        if not (math.isfinite(noise_std) and noise_std >= 0):
            raise ValueError(f"noise_std must be a non-negative finite number, got {noise_std!r}")
        eta_b = as_parameter(eta, phi.shape[0], name="eta", like=phi)
        stepper = Stepper(self, phi, eta_b)
        noise = None if noise_std == 0 else MassConservingNoise(phi, noise_std, seed)
        for frame in range(int(n_frames)):
            start = (stepper.state(), noise.state() if noise else None)
            for _ in range(int(steps_per_frame)):
                stepper.step(noise)
            healthy = stepper.healthy()
            if not healthy.all():
                self._diagnose(stepper, noise, start, frame, steps_per_frame, eta_b)
            yield stepper.phi()

    def _diagnose(self, stepper, noise, start, frame, steps_per_frame, eta) -> None:
        """Replay the frame that failed step by step and raise naming the first bad step."""
        stepper.set_state(start[0])
        if noise is not None:
            noise.set_state(start[1])
        for replayed in range(1, steps_per_frame + 1):  # noqa: B007 (used after the loop)
            stepper.step(noise)
            healthy = stepper.healthy()
            if not healthy.all():
                break
        field = int(torch.nonzero(~healthy)[0])
        step_index = frame * steps_per_frame + replayed
        phi_mean = float(stepper.mean[field])
        worst = float((stepper.phi()[field] - phi_mean).abs().max())
        raise SimulationDiverged(
            f"phase-field solution diverged in field {field} at step {step_index} "
            f"(frame {frame + 1}, t = {step_index * self.dt:g}): max|φ - ⟨φ⟩| = {worst:.3g} "
            f"with η = {float(eta[field]):g}, ⟨φ⟩ = {phi_mean:g}, dt = {self.dt:g}, "
            f"kappa = {self.kappa:g}, well_height = {self.well_height:g}, "
            f"mobility = {self.mobility:g}, C11/C12/C44 = {self.C11:g}/{self.C12:g}/{self.C44:g}. "
            + (
                f"⟨φ⟩ = {phi_mean:g} lies outside [0, 1], where the explicit double-well term "
                "is unstable: use a mean composition in [0, 1]."
                if not 0.0 <= phi_mean <= 1.0
                else "A smaller dt usually cures this."
            ),
            field=field,
            step=step_index,
            eta=float(eta[field]),
            pf=self,
        )


class Stepper:
    """The semi-implicit step of Eq. 8 for a batch, in place, with preallocated buffers.

    The state is u = φ - ½ and its real FFT û; with w'(φ) = 4A (u³ - u/4) a step is exactly

        û ← û / D - (4A δt M q² / D) FFT(u³ - u/4),    D = 1 + δt M (κ q⁴ + η² tr B q²),

    i.e. two elementwise passes, one forward and one inverse real FFT and two fused complex
    updates. The q = 0 coefficient is multiplied by exactly 1 and updated by exactly 0: mass is
    conserved. û is multiplied by 1/D ≤ 1 only, so the round-off part of û that breaks the
    Hermitian symmetry of a real field's FFT (invisible in φ) decays instead of growing; every
    destabilizing term enters through the transform of a real field.

    Args:
        pf: the constants.
        phi0: initial fields [B, H, W] (its dtype and device are used).
        eta: misfits [B].
    """

    def __init__(self, pf: PhaseFieldModel, phi0: torch.Tensor, eta: torch.Tensor):
        B, H, W = phi0.shape
        equation = pf.equation
        q2 = pf.grid(H, W, phi0.device, phi0.dtype).q2
        trB = pf.trace_B_grid(H, W, phi0.device, phi0.dtype)
        implicit = equation.implicit_symbol(q2, trB, eta[:, None, None] ** 2)
        denominator = 1 + pf.dt * implicit
        # The explicit part δt N̂ = -δt M q² ŵ', with w'(½ + u) = c (u³ - u/4), c = 4A.
        explicit = equation.cubic_coefficient * (pf.dt * pf.mobility) * q2
        # Multipliers duplicated over (re, im) so the updates are contiguous real operations.
        self._keep = (1 / denominator)[..., None].expand(-1, -1, -1, 2).contiguous()
        self._cubic = (explicit / denominator)[..., None].expand(-1, -1, -1, 2).contiguous()
        self.shape = (H, W)
        self.mean = phi0.mean(dim=(-2, -1))
        self.u = (phi0 - 0.5).contiguous()
        self.u_hat = rfft2(self.u)
        self._cube = torch.empty_like(self.u)
        self._cube_hat = torch.empty_like(self.u_hat)

    def step(self, noise: MassConservingNoise | None = None) -> None:
        """Advance every field by one δt (and add the noise of one step, if given)."""
        torch.pow(self.u, 3, out=self._cube)
        self._cube.add_(self.u, alpha=-0.25)
        torch.fft.rfft2(self._cube, out=self._cube_hat)
        state = torch.view_as_real(self.u_hat)
        state.mul_(self._keep)
        state.addcmul_(torch.view_as_real(self._cube_hat), self._cubic, value=-1)
        if noise is not None:
            self.u_hat.add_(noise.sample_hat())
        torch.fft.irfft2(self.u_hat, s=self.shape, out=self.u)

    def phi(self) -> torch.Tensor:
        """A copy of the current fields φ [B, H, W]."""
        return self.u + 0.5

    def healthy(self) -> torch.Tensor:
        """Per field [B]: finite and within :data:`DIVERGENCE_BOUND` of its mean."""
        deviation = (self.u + (0.5 - self.mean)[:, None, None]).abs().amax(dim=(-2, -1))
        return deviation <= DIVERGENCE_BOUND  # False for NaN as well

    def state(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.u.clone(), self.u_hat.clone()

    def set_state(self, state: tuple[torch.Tensor, torch.Tensor]) -> None:
        self.u.copy_(state[0])
        self.u_hat.copy_(state[1])


class MassConservingNoise:
    """Gaussian white noise of standard deviation ``std`` per pixel and step, minus its mean
    (Sec. 3.2: "exact conservation of mass is enforced by subtracting the noise's mean value"),
    delivered as real-FFT coefficients with the q = 0 coefficient exactly zero.

    Drawn from a torch generator on the fields' device, seeded with ``seed`` (a fresh random
    seed if None): reproducible for the same seed, batch shape and device.
    """

    def __init__(self, like: torch.Tensor, std: float, seed: int | None):
        self.std = std
        self._shape, self._dtype, self._device = like.shape, like.dtype, like.device
        self._generator = torch.Generator(device=like.device)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        self._generator.manual_seed(int(seed))

    def sample_hat(self) -> torch.Tensor:
        noise = torch.randn(
            self._shape, generator=self._generator, dtype=self._dtype, device=self._device
        )
        noise_hat = rfft2(noise.mul_(self.std))
        noise_hat[..., 0, 0] = 0
        return noise_hat

    def state(self) -> torch.Tensor:
        return self._generator.get_state()

    def set_state(self, state: torch.Tensor) -> None:
        self._generator.set_state(state)


def _check_n_frames(n_frames) -> None:
    if isinstance(n_frames, bool) or not isinstance(n_frames, int | np.integer) or n_frames < 0:
        raise ValueError(f"n_frames must be a non-negative integer, got {n_frames!r}")


def _as_tensor(phi) -> tuple[torch.Tensor, bool]:
    """(fields [..., H, W] as a float tensor, whether the input was numpy); rejects a rank
    below 2 or a grid below 4 × 4 with a ValueError naming the shape."""
    if isinstance(phi, torch.Tensor):
        tensor, is_numpy = phi, False
    else:
        array = np.asarray(phi)
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float64)
        tensor, is_numpy = torch.from_numpy(np.ascontiguousarray(array)), True
    if tensor.ndim < 2 or min(tensor.shape[-2:]) < 4:
        raise ValueError(
            f"phi must have shape [..., H, W] with H, W >= 4, got {tuple(tensor.shape)}"
        )
    return tensor, is_numpy
