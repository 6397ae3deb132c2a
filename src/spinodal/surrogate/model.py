"""The conditioned convolutional-recurrent surrogate (CRNN) of paper Sec. 2.3, Fig. 2.

At each step the network reads the field φ_t and the misfit η as a second, uniform channel,
updates two stacked convolutional GRU cells (24 channels, 5×5 kernels, circular padding, no
pooling: fully convolutional, so a model trained on 128² runs on 512² unchanged) and maps the
top hidden state through a small head to an output from which φ_{t+τ} is formed:

``mu``      (the paper's, Eq. 10) a scalar field μ̃, φ_{t+τ} = φ_t + ∇²μ̃;
``flux``    a current J = (J_x, J_y), φ_{t+τ} = φ_t - ∇·J;
``direct``  an increment Δ, φ_{t+τ} = φ_t + Δ (no constraint);
``solver``  (not in the paper) a correction μ̃ to one step of the solver's own scheme (Eq. 8)
            over the whole frame interval, δt = τ:

                φ̂_{t+τ} = (φ̂_t − q² F[τ M w'(φ_t) + μ̃]) / (1 + τ L(q; η)),

            with q² and L(q; η) = M (κ q⁴ + η² tr B(n) q²) the solver's spectral symbols for the
            paper's constants and each sample's η. With μ̃ = 0 this is the solver at δt = τ
            (chapter 04's coarse yardstick); the head's last convolution starts at zero, so a
            fresh network *is* that coarse solver and training learns what the coarse step
            misses (a hybrid in the manner of learned solver corrections, not a pure surrogate).

``mu``, ``flux`` and ``solver`` conserve the mean of φ exactly by construction: the periodic
5-point Laplacian, the periodic difference divergence and q² at q = 0 all sum (or are) zero.

Semi-implicit output (``implicit_damping`` β > 0; not in the paper, whose Eq. 10 is β = 0). The
explicit update φ* = φ_t + ∇²_h μ̃ is passed through the implicit filter of the solver's own
scheme (Eq. 8), with the 5-point Laplacian's symbol λ_h(q) = -(4 sin²(q_x/2) + 4 sin²(q_y/2)):

    φ̂_{t+τ} = φ̂* / (1 + β λ_h(q)²).

With β = Mκτ/dx⁴ (= 5 for the paper's constants) this is the κ∇⁴ term of Eq. 7 taken
implicitly over one τ: the network only has to learn the explicit part, and grid-scale modes,
which the physics annihilates within one τ, are damped by construction (by 1/321 at the
Nyquist corner) instead of being left to a learned, near-identity map that lets round-off grow.
The factor is 1 at q = 0, so the mean of φ is still conserved exactly. The authors' later code
(CRANE, ``semiimplicit_update``) goes the same way with learnable coefficients.

Following the authors' published code, each gate convolution of a cell is followed by tanh and
a 1×1 convolution, and the head is 1×1 conv, tanh, 1×1 conv, tanh, 3×3 conv.

Conditioning: the η channel holds η × ``eta_scale`` (default 100, i.e. η in percent, so the
paper's range [0, 1.2 %] maps to [0, 1.2], the scale of φ). The public API always takes η as a
fraction (0.006 = 0.6 %).
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn

from ..physics.solver import PhaseFieldModel
from ..presets import ModelConfig

__all__ = [
    "ModelConfig",
    "ConvGRUCell",
    "CRNN",
    "periodic_laplacian",
    "periodic_divergence",
    "laplacian_symbol",
    "implicit_filter",
]


def _circular_conv(in_ch: int, out_ch: int, kernel: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, padding_mode="circular", bias=bias)


class _Gate(nn.Sequential):
    """k×k circular convolution, tanh, 1×1 convolution (one gate of a cell)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int):
        super().__init__(
            _circular_conv(in_ch, out_ch, kernel), nn.Tanh(), nn.Conv2d(out_ch, out_ch, 1)
        )


class ConvGRUCell(nn.Module):
    """A convolutional GRU cell (the convGRU of Fig. 2) with circular padding.

    r = σ(G_r([x, h])), z = σ(G_z([x, h])), h̃ = tanh(G_h([x, r ⊙ h])), h' = (1 - z) ⊙ h + z ⊙ h̃,
    each G a gate (k×k conv, tanh, 1×1 conv). Shapes: x [B, C_in, H, W], h [B, C, H, W].
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int):
        super().__init__()
        self.hidden_channels = hidden_channels
        both = in_channels + hidden_channels
        self.reset = _Gate(both, hidden_channels, kernel_size)
        self.update = _Gate(both, hidden_channels, kernel_size)
        self.candidate = _Gate(both, hidden_channels, kernel_size)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([x, h], dim=1)
        r = torch.sigmoid(self.reset(xh))
        z = torch.sigmoid(self.update(xh))
        candidate = torch.tanh(self.candidate(torch.cat([x, r * h], dim=1)))
        return h + z * (candidate - h)


def periodic_laplacian(field: torch.Tensor) -> torch.Tensor:
    """5-point Laplacian with periodic wrap (grid spacing 1), [..., H, W]; sums to zero."""
    return (
        torch.roll(field, 1, -1)
        + torch.roll(field, -1, -1)
        + torch.roll(field, 1, -2)
        + torch.roll(field, -1, -2)
        - 4 * field
    )


def periodic_divergence(jx: torch.Tensor, jy: torch.Tensor) -> torch.Tensor:
    """Backward-difference divergence of a current with periodic wrap; sums to zero."""
    return (jx - torch.roll(jx, 1, -1)) + (jy - torch.roll(jy, 1, -2))


@functools.lru_cache(maxsize=32)
def laplacian_symbol(H: int, W: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """λ_h(q) = -(4 sin²(q_x/2) + 4 sin²(q_y/2)) [H, W//2+1]: the 5-point Laplacian's Fourier
    symbol on the real-FFT grid (grid spacing 1), 0 at q = 0 and -8 at the Nyquist corner."""
    qy = 2 * math.pi * torch.fft.fftfreq(H, device=device, dtype=torch.float64)[:, None]
    qx = 2 * math.pi * torch.fft.rfftfreq(W, device=device, dtype=torch.float64)[None, :]
    return (-4 * torch.sin(qx / 2) ** 2 - 4 * torch.sin(qy / 2) ** 2).to(dtype)


def implicit_filter(field: torch.Tensor, beta: float) -> torch.Tensor:
    """F⁻¹[F field / (1 + β λ_h²)] over the last two axes: the semi-implicit κ∇⁴ step of the
    output layer (see the module docstring). Leaves the mean of ``field`` unchanged exactly."""
    H, W = field.shape[-2:]
    damping = 1 + beta * laplacian_symbol(H, W, field.device, field.dtype) ** 2
    return torch.fft.irfft2(torch.fft.rfft2(field) / damping, s=(H, W))


@torch.compiler.disable  # cached NumPy work: computed outside a compiled graph
def _solver_symbols(
    pf: PhaseFieldModel, H: int, W: int, device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """|q|² and tr B(n) [H, W//2+1] of the solver's spectral grid (cached by the solver)."""
    return pf.grid(H, W, device, dtype).q2, pf.trace_B_grid(H, W, device, dtype)


class CRNN(nn.Module):
    """The conditioned CRNN. ``step`` serves teacher forcing and free rollout alike.

    Args:
        config: the architecture.
    """

    def __init__(self, config: ModelConfig | None = None):
        super().__init__()
        self.config = config = config or ModelConfig()
        #: The card (:mod:`spinodal.surrogate.checkpoint`) of a loaded model; empty otherwise.
        self.card: dict = {}
        C, k = config.hidden_channels, config.kernel_size
        self.cells = nn.ModuleList(
            ConvGRUCell(2 if i == 0 else C, C, k) for i in range(config.n_cells)
        )
        out_channels = {"mu": 1, "flux": 2, "direct": 1, "solver": 1}[config.output]
        # A uniform μ̃ or J changes nothing (∇² and ∇· annihilate constants): no final bias
        # there, else Adam would drive that unobservable parameter with round-off noise.
        self.head = nn.Sequential(
            nn.Conv2d(C, C, 1),
            nn.Tanh(),
            nn.Conv2d(C, C, 1),
            nn.Tanh(),
            _circular_conv(C, out_channels, 3, bias=config.output == "direct"),
        )
        if config.output == "solver":
            nn.init.zeros_(self.head[-1].weight)  # start as the solver at δt = τ
        # the ``solver`` output: the paper's constants, one step of δt = τ per frame
        self._physics = PhaseFieldModel().coarse(1)

    def initial_hidden(self, phi: torch.Tensor) -> list[torch.Tensor]:
        """Zero hidden states for fields ``phi`` [B, H, W]."""
        B, H, W = phi.shape
        shape = (B, self.config.hidden_channels, H, W)
        return [phi.new_zeros(shape) for _ in self.cells]

    def step(
        self, phi: torch.Tensor, hidden: list[torch.Tensor], eta: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One τ: (φ_t [B, H, W], hidden, η [B] as a fraction) → (φ_{t+τ} [B, H, W], hidden)."""
        condition = (eta * self.config.eta_scale).to(phi.dtype)[:, None, None].expand_as(phi)
        x = torch.stack([phi, condition], dim=1)
        new_hidden = []
        for cell, h in zip(self.cells, hidden, strict=True):
            x = cell(x, h)
            new_hidden.append(x)
        work = torch.promote_types(phi.dtype, torch.float32)  # bfloat16 autocast → float32
        out = self.head(x).to(work)
        base = phi.to(work)
        if self.config.output == "mu":
            nxt = base + periodic_laplacian(out[:, 0])
        elif self.config.output == "flux":
            nxt = base - periodic_divergence(out[:, 0], out[:, 1])
        elif self.config.output == "solver":
            nxt = self._solver_step(base, out[:, 0], eta)
        else:
            nxt = base + out[:, 0]
        if self.config.implicit_damping:
            nxt = implicit_filter(nxt, self.config.implicit_damping)
        return nxt.to(phi.dtype), new_hidden

    def _solver_step(self, phi: torch.Tensor, mu: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
        """One step of Eq. 8 with δt = τ from φ [B, H, W], with the network's
        μ̃ [B, H, W] added to the explicit chemical potential (the ``solver`` output)."""
        pf, equation = self._physics, self._physics.equation
        q2, trB = _solver_symbols(pf, *phi.shape[-2:], phi.device, phi.dtype)
        eta2 = (eta.to(phi.dtype) ** 2)[:, None, None]
        explicit = pf.dt * pf.mobility * equation.bulk_potential(phi) + mu
        numerator = torch.fft.rfft2(phi) - q2 * torch.fft.rfft2(explicit)
        denominator = 1 + pf.dt * equation.implicit_symbol(q2, trB, eta2)
        return torch.fft.irfft2(numerator / denominator, s=phi.shape[-2:])

    def forward(
        self,
        phi: torch.Tensor,
        eta: torch.Tensor,
        n_input: int = 1,
        n_frames: int | None = None,
        feedback_noise: torch.Tensor | None = None,
        grad_from: int = 0,
    ) -> torch.Tensor:
        """Predict a sequence with ``n_input`` true frames of warm-up (teacher forcing).

        Args:
            phi: true frames [B, T+1, H, W] (only the first ``n_input`` are read when
                ``n_frames`` is given; all are needed for teacher forcing otherwise).
            eta: misfits [B] (fractions).
            n_input: number of true frames fed in before the network runs on its own output
                (1: from φ_0 only; T: predicts only the last frame).
            n_frames: total frames to produce after frame 0 (default T).
            feedback_noise: perturbations [B, n_frames - n_input, H, W] added to the network's
                own output where it is fed back as the next input (training only, as in the
                authors' CRANE code; make them mean-free to keep the mass). The returned
                predictions are the unperturbed outputs.
            grad_from: the first ``grad_from`` predictions are computed without gradient, so
                that training learns only from the later ones, made from the network's own
                earlier outputs (the pushforward trick of Brandstetter, Worrall & Welling 2022;
                0: every prediction carries gradient).

        Returns:
            predictions of frames n_input, ..., n_frames: [B, n_frames + 1 - n_input, H, W].
        """
        total = phi.shape[1] - 1 if n_frames is None else n_frames
        if not 1 <= n_input <= total:
            raise ValueError(f"n_input must be in [1, {total}], got {n_input}")
        if phi.shape[1] < n_input:
            raise ValueError(f"need {n_input} input frames, got {phi.shape[1]}")
        hidden = self.initial_hidden(phi[:, 0])
        current = phi[:, 0]
        predictions = []
        if feedback_noise is not None and feedback_noise.shape[1] != total - n_input:
            raise ValueError(
                f"feedback_noise needs {total - n_input} frames, got {feedback_noise.shape[1]}"
            )
        for t in range(total):
            if t < n_input:
                current = phi[:, t]
            elif feedback_noise is not None:
                current = current + feedback_noise[:, t - n_input]
            with torch.set_grad_enabled(torch.is_grad_enabled() and t + 1 - n_input >= grad_from):
                current, hidden = self.step(current, hidden, eta)
            if t + 1 >= n_input:
                predictions.append(current)
        return torch.stack(predictions, dim=1)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
