"""Initial states: periodic Perlin noise around a mean composition (paper Sec. 2.2, Fig. 7c).

Perlin noise [Perlin 1985] is gradient noise: random unit gradients on a lattice, blended with
the quintic fade 6t⁵ - 15t⁴ + 10t³. Here the lattice wraps around the domain, so the noise is
exactly periodic (tileable) like the spectral solver, and its features are a cell wide — much
smoother than the pixel-scale numerical noise the surrogate must learn to ignore.

Amplitude convention. A state is φ₀ = ⟨φ⟩ + a p̃ with p̃ the Perlin field shifted to zero mean
and scaled to unit peak, max |p̃| = 1. So |a| is the largest deviation of φ₀ from its mean and
the mean is exactly ⟨φ⟩ (to float round-off). The paper draws the "extent of the fluctuations"
from a normal distribution of standard deviation 0.1; we draw a ~ N(0, 0.1²) (a negative a
flips the pattern). Everything is deterministic given a numpy Generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..presets import InitialState, SplitSpec

__all__ = [
    "perlin_noise",
    "fractal_perlin_noise",
    "initial_state",
    "example_states",
    "wrap_jumps",
    "varying_mean",
    "sequence_seed",
    "SequenceParameters",
    "draw_sequence",
]


def perlin_noise(shape: tuple[int, int], cells: tuple[int, int], rng: np.random.Generator):
    """One octave of periodic 2D Perlin noise.

    Args:
        shape: (H, W) grid points.
        cells: (cy, cx) lattice cells across the domain (each ≥ 1); the lattice wraps around.
        rng: source of the random gradient directions.

    Returns:
        float64 [H, W], values within about ±0.7, periodic in both directions.
    """
    (H, W), (cy, cx) = shape, cells
    if cy < 1 or cx < 1:
        raise ValueError(f"cells must be >= 1 in each direction, got {cells}")
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(cy, cx))
    gradients = np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # [cy, cx, (gy, gx)]
    y = np.arange(H) * (cy / H)
    x = np.arange(W) * (cx / W)
    iy, ix = np.floor(y).astype(int), np.floor(x).astype(int)
    fy, fx = (y - iy)[:, None], (x - ix)[None, :]

    def corner(dy: int, dx: int) -> np.ndarray:
        g = gradients[((iy + dy) % cy)[:, None], ((ix + dx) % cx)[None, :]]
        return g[..., 0] * (fy - dy) + g[..., 1] * (fx - dx)

    def fade(t):
        return t * t * t * (t * (t * 6 - 15) + 10)

    sy, sx = fade(fy), fade(fx)
    top = corner(0, 0) * (1 - sx) + corner(0, 1) * sx
    bottom = corner(1, 0) * (1 - sx) + corner(1, 1) * sx
    return top * (1 - sy) + bottom * sy


def fractal_perlin_noise(
    shape: tuple[int, int], cell: float, octaves: int, rng: np.random.Generator
) -> np.ndarray:
    """Sum of ``octaves`` periodic Perlin octaves, the k-th with cells of size cell / 2^k and
    weight 1 / 2^k (persistence ½). The number of cells is rounded so the field stays periodic.

    Args:
        shape: (H, W).
        cell: size of the coarsest lattice cell, in grid spacings.
        octaves: number of octaves ≥ 1.
        rng: random source.
    """
    if octaves < 1:
        raise ValueError(f"octaves must be >= 1, got {octaves}")
    if not cell > 0:
        raise ValueError(f"cell must be positive, got {cell}")
    total = np.zeros(shape)
    for k in range(octaves):
        cells = tuple(max(1, round(n * 2**k / cell)) for n in shape)
        total += perlin_noise(shape, cells, rng) / 2**k
    return total


def varying_mean(shape: tuple[int, int], phi_mean: float, contrast: float) -> np.ndarray:
    """Fig. 7c: a local mean composition higher in the centre and lower at the edges.

    m(x, y) = ⟨φ⟩ + contrast (b(x, y) - ¼), with the periodic bump
    b = ¼ (1 - cos 2πx/L_x)(1 - cos 2πy/L_y), 1 at the centre and 0 on the edges; the mean of m
    is exactly ⟨φ⟩ and centre minus edge equals ``contrast``.
    """
    H, W = shape
    by = 0.5 * (1 - np.cos(2 * np.pi * np.arange(H) / H))
    bx = 0.5 * (1 - np.cos(2 * np.pi * np.arange(W) / W))
    return phi_mean + contrast * (by[:, None] * bx[None, :] - 0.25)


def initial_state(
    shape: tuple[int, int],
    phi_mean: float,
    amplitude: float,
    rng: np.random.Generator,
    config: InitialState | None = None,
) -> np.ndarray:
    """One initial state φ₀ [H, W] (float64): ⟨φ⟩ + a p̃ (see the module docstring).

    With ``config.kind == "varying"`` the uniform mean is replaced by :func:`varying_mean`.
    """
    config = config or InitialState()
    noise = fractal_perlin_noise(shape, config.cell, config.octaves, rng)
    noise -= noise.mean()
    noise /= np.abs(noise).max()
    if config.kind == "varying":
        base = varying_mean(shape, phi_mean, config.contrast)
    else:
        base = np.full(shape, phi_mean)
    return base + amplitude * noise


def example_states(
    shape: tuple[int, int],
    examples,
    seed: int,
    config: InitialState | None = None,
) -> np.ndarray:
    """Initial states [k, H, W] (float64), one per ``(phi_mean, amplitude)`` of ``examples``,
    all drawn from a fresh ``numpy.random.default_rng(seed)``: the same random gradients, so
    the states differ only by their mean and amplitude (an illustration of :func:`initial_state`).
    """
    return np.stack(
        [
            initial_state(shape, phi_mean, a, np.random.default_rng(seed), config)
            for phi_mean, a in examples
        ]
    )


def wrap_jumps(fields) -> tuple[float, float]:
    """How periodic fields [..., H, W] are along their first spatial axis: the largest jump
    across the wrap (last row to first) and the largest between neighbouring rows inside. For a
    periodic field the first is no larger than the second."""
    fields = np.asarray(fields, dtype=float)
    if fields.ndim < 2 or fields.shape[-2] < 2:
        raise ValueError(f"fields must be [..., H, W] with H >= 2, got shape {fields.shape}")
    seam = float(np.abs(fields[..., 0, :] - fields[..., -1, :]).max())
    inner = float(np.abs(np.diff(fields, axis=-2)).max())
    return seam, inner


def sequence_seed(split_seed: int, index: int) -> int:
    """The seed of sequence ``index`` of a split: independent streams spawned from one root, so
    any sequence can be regenerated alone (``np.random.default_rng(seed)``)."""
    sequence = np.random.SeedSequence(split_seed, spawn_key=(index,))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class SequenceParameters:
    """The parameters of one sequence of a split (what a dataset stores per sequence)."""

    index: int
    seed: int
    phi_mean: float
    eta: float
    amplitude: float


def draw_sequence(spec: SplitSpec, index: int) -> tuple[SequenceParameters, np.ndarray]:
    """Parameters and initial state [N, N] (float64) of sequence ``index`` of split ``spec``.

    Deterministic: the same (spec, index) always gives the same result, whatever the batch,
    shard or machine; ⟨φ⟩ and η follow the split's distributions, a ~ N(0, amplitude_std²).
    """
    if not 0 <= index < spec.n_sequences:
        raise IndexError(
            f"sequence {index} out of range for split {spec.name!r} "
            f"with {spec.n_sequences} sequences"
        )
    seed = sequence_seed(spec.seed, index)
    rng = np.random.default_rng(seed)
    phi_mean = spec.phi_mean.draw(rng, index)
    eta = spec.eta.draw(rng, index)
    amplitude = float(rng.normal(0.0, spec.initial.amplitude_std))
    phi0 = initial_state((spec.size, spec.size), phi_mean, amplitude, rng, spec.initial)
    return SequenceParameters(index, seed, phi_mean, eta, amplitude), phi0
