"""Benchmarks that print ratios measured side by side in one run (never timed tests).

``spinodal bench solver``: the time of one solver step (Eq. 8) against one forward + inverse
real FFT of the same batch, interleaved, and the projected time to generate each split of the
``paper`` preset on this device.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .presets import get_preset
from .solver import PhaseFieldModel, Stepper

__all__ = ["SolverTiming", "bench_solver", "format_solver_report"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _interleaved_medians(
    functions: list[Callable[[], None]], device: torch.device, repeats: int, inner: int
) -> list[float]:
    """Median seconds per call of each function, measured in alternation (fair under drift)."""
    samples: list[list[float]] = [[] for _ in functions]
    for fn in functions:  # warm-up (plans, caches, allocator)
        for _ in range(3):
            fn()
    for _ in range(repeats):
        for fn, bucket in zip(functions, samples, strict=True):
            _sync(device)
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            _sync(device)
            bucket.append((time.perf_counter() - start) / inner)
    return [statistics.median(bucket) for bucket in samples]


@dataclass(frozen=True)
class SolverTiming:
    """One size: seconds per step and per FFT pair for a batch, and their ratio."""

    size: int
    batch: int
    step: float
    fft_pair: float

    @property
    def ratio(self) -> float:
        return self.step / self.fft_pair

    @property
    def step_per_field(self) -> float:
        return self.step / self.batch


def default_batch(size: int, device: torch.device) -> int:
    """A batch of about 16 fields of 128² (CPU) or 64 (GPU), fewer for larger domains."""
    fields_at_128 = 64 if device.type == "cuda" else 16
    return max(1, fields_at_128 * 128**2 // size**2)


def bench_solver(
    sizes=(128, 256, 512),
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    batch: int | None = None,
    repeats: int = 7,
    seconds_per_sample: float = 0.2,
) -> list[SolverTiming]:
    """Time a solver step against an rfft2 + irfft2 pair of the same batch, for each size."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model = PhaseFieldModel()
    results = []
    for size in sizes:
        B = batch or default_batch(size, device)
        generator = torch.Generator(device="cpu").manual_seed(0)
        phi0 = (0.5 + 0.1 * torch.randn(B, size, size, generator=generator)).to(device, dtype)
        stepper = Stepper(model, phi0, torch.full((B,), 0.006, dtype=dtype, device=device))
        spectrum = torch.fft.rfft2(phi0)
        back = torch.empty_like(phi0)

        def fft_pair(phi0=phi0, spectrum=spectrum, back=back, size=size):
            torch.fft.rfft2(phi0, out=spectrum)
            torch.fft.irfft2(spectrum, s=(size, size), out=back)

        _sync(device)
        start = time.perf_counter()
        stepper.step()
        _sync(device)
        inner = max(1, int(seconds_per_sample / max(time.perf_counter() - start, 1e-6)))
        step_s, pair_s = _interleaved_medians([stepper.step, fft_pair], device, repeats, inner)
        results.append(SolverTiming(size, B, step_s, pair_s))
    return results


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_solver_report(timings: list[SolverTiming], device: str) -> str:
    """The benchmark table and the projected ``paper``-preset generation times."""
    lines = [
        f"solver step vs FFT pair (rfft2 + irfft2), float32, device: {device}",
        f"{'size':>6} {'batch':>6} {'step ms':>10} {'fft pair ms':>12} {'ratio':>7} "
        f"{'µs/field/step':>14}",
    ]
    for t in timings:
        lines.append(
            f"{t.size:>6} {t.batch:>6} {t.step * 1e3:>10.3f} {t.fft_pair * 1e3:>12.3f} "
            f"{t.ratio:>7.2f} {t.step_per_field * 1e6:>14.1f}"
        )
    per_field = {t.size: t.step_per_field for t in timings}
    paper = get_preset("paper")
    lines.append("")
    lines.append("projected generation time of the paper preset on this device:")
    total = 0.0
    for spec in paper.splits:
        if spec.size not in per_field:
            lines.append(f"  {spec.name:<13} (size {spec.size} not benchmarked)")
            continue
        steps = spec.n_sequences * spec.n_frames * 100
        seconds = steps * per_field[spec.size]
        total += seconds
        lines.append(
            f"  {spec.name:<13} {spec.n_sequences:>5} × {spec.n_frames:>4} frames of "
            f"{spec.size}²: {_duration(seconds)}"
        )
    lines.append(f"  {'all':<13} {_duration(total)} (simulation only; writing adds a little)")
    return "\n".join(lines)
