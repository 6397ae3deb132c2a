"""Benchmarks that print ratios measured side by side in one run (never timed tests).

``spinodal bench solver``: the time of one solver step (Eq. 8) against one forward + inverse
real FFT of the same batch, interleaved, and the projected time to generate each split of the
``paper`` preset on this device.

``spinodal bench model``: the time of one CRNN frame against one solver τ (100 steps) of the
same fields, interleaved: the paper's speed-up figure of merit (Sec. 2.3).

``spinodal bench train``: the CPU cost of a training step per sample-frame, forward and
backward, against the forward pass alone, for the ways of running it (float32, channels-last,
bfloat16 autocast, ``torch.compile``), interleaved, at 64² and 128² on 1 and 2 threads.
"""

from __future__ import annotations

import copy
import functools
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..devices import resolve_device
from ..paper import SPEEDUP, SPEEDUP_BY_SIZE, SPEEDUP_HARDWARE, SPEEDUP_SAME_DEVICE
from ..physics.solver import PhaseFieldModel, Stepper
from ..presets import ModelConfig, get_preset
from ..surrogate.inference import autocast, net_on
from ..surrogate.losses import sequence_loss
from ..surrogate.model import CRNN

__all__ = [
    "SolverTiming",
    "bench_solver",
    "format_solver_report",
    "ModelTiming",
    "bench_model",
    "format_model_report",
    "arithmetic_ratio",
    "TRAIN_VARIANTS",
    "TrainTiming",
    "bench_train",
    "format_train_report",
    "default_sizes",
    "cost_exponent",
    "median_step_ratio",
]


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
    device = resolve_device(device)
    pf = PhaseFieldModel()
    results = []
    for size in sizes:
        B = batch or default_batch(size, device)
        generator = torch.Generator(device="cpu").manual_seed(0)
        phi0 = (0.5 + 0.1 * torch.randn(B, size, size, generator=generator)).to(device, dtype)
        stepper = Stepper(pf, phi0, torch.full((B,), 0.006, dtype=dtype, device=device))
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


# --- the surrogate against the solver (paper Sec. 2.3) --------------------------------------


@dataclass(frozen=True)
class ModelTiming:
    """One size and batch: seconds per CRNN frame and per solver step, each for the batch.

    Attributes:
        size: side N of the N × N fields.
        batch: fields advanced together.
        frame: seconds of one CRNN step (one frame, τ later) of the batch.
        solver_step: seconds of one solver step (δt) of the batch.
        steps_per_frame: solver steps per frame (τ = 100 δt in the paper).
    """

    size: int
    batch: int
    frame: float
    solver_step: float
    steps_per_frame: int = 100

    @property
    def tau(self) -> float:
        """Seconds of the solver per frame (τ) of the batch."""
        return self.solver_step * self.steps_per_frame

    @property
    def speedup(self) -> float:
        """Solver τ over CRNN frame: the paper's figure of merit."""
        return self.tau / self.frame

    @property
    def frames_per_second(self) -> float:
        """Field-frames per second of the CRNN (batch / seconds per frame)."""
        return self.batch / self.frame


def bench_model(
    sizes=(128, 256, 512),
    *,
    net=None,
    device: str | torch.device | None = None,
    solver_device: str | torch.device | None = None,
    batch: int = 8,
    repeats: int = 5,
    seconds_per_sample: float = 0.2,
    steps_per_frame: int = 100,
    precision: str = "float32",
) -> list[ModelTiming]:
    """Time a CRNN frame against a solver τ of the same fields, interleaved; the solver in
    float32, the CRNN in ``precision`` (:data:`spinodal.surrogate.inference.PRECISIONS`).

    Each size is timed with one field; the smallest also with ``batch`` fields (0 or 1: not).
    The solver is timed over runs of k steps, k chosen so a run lasts about as long as a CRNN
    frame (at most ``steps_per_frame``), and scaled to τ = ``steps_per_frame`` steps: a τ is
    that many identical steps.

    Args:
        sizes: domain sides N.
        net: the CRNN to time (default: an untrained ``CRNN()``; the cost does not depend on
            the weights). It is copied to ``device`` if it lives elsewhere.
        device: where the CRNN runs (default: CUDA if available).
        solver_device: where the solver runs (default: ``device``; the paper's comparison is
            CRNN on a GPU against the solver on a CPU).
        repeats, seconds_per_sample: medians of ``repeats`` samples of about this duration.
    """

    device = resolve_device(device)
    arithmetic = autocast(device, precision)  # an unknown precision fails here
    solver_device = torch.device(solver_device) if solver_device is not None else device
    sync = device if device.type == "cuda" else solver_device
    net = net_on(net if net is not None else CRNN(), device)
    configs = [(size, 1) for size in sizes]
    if batch > 1 and sizes:
        configs.insert(1, (min(sizes), batch))
    results = []
    with torch.inference_mode():
        for size, B in configs:
            generator = torch.Generator(device="cpu").manual_seed(0)
            phi0 = 0.5 + 0.1 * torch.randn(B, size, size, generator=generator)
            eta = torch.full((B,), 0.006)
            phi, eta_nn = phi0.to(device), eta.to(device)
            _, hidden = net.step(phi, net.initial_hidden(phi), eta_nn)  # a realistic state
            stepper = Stepper(PhaseFieldModel(), phi0.to(solver_device), eta.to(solver_device))

            def frame(phi=phi, hidden=hidden, eta=eta_nn):
                with arithmetic:
                    net.step(phi, hidden, eta)

            frame_s, step_s = (_time_once(fn, sync) for fn in (frame, stepper.step))
            k = int(min(max(round(frame_s / max(step_s, 1e-9)), 1), steps_per_frame))

            def steps(stepper=stepper, k=k):
                for _ in range(k):
                    stepper.step()

            inner = max(1, int(seconds_per_sample / max(frame_s, 1e-6)))
            frame_s, run_s = _interleaved_medians([frame, steps], sync, repeats, inner)
            results.append(ModelTiming(size, B, frame_s, run_s / k, steps_per_frame))
    return results


def _time_once(fn: Callable[[], None], device: torch.device) -> float:
    """Seconds of one call after one warm-up call."""
    fn()
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def format_model_report(
    timings: list[ModelTiming], net_description: str, solver: str, precision: str = "float32"
) -> str:
    """The table of CRNN frame vs solver τ and the paper's numbers for comparison.

    Args:
        timings: from :func:`bench_model`.
        net_description: a description of the CRNN and its device; ``solver``: the solver's device.
        precision: the CRNN's arithmetic in ``timings`` (the solver's is float32).
    """
    tau_steps = timings[0].steps_per_frame if timings else 100
    lines = [
        f"CRNN frame vs phase-field τ ({tau_steps} solver steps), same fields; CRNN in "
        f"{precision}, solver in float32",
        f"CRNN:   {net_description}",
        f"solver: {solver}",
        f"{'size':>6} {'batch':>6} {'CRNN ms/frame':>14} {'CRNN frames/s':>14} "
        f"{'solver ms/τ':>12} {'speed-up':>9}",
    ]
    for t in timings:
        lines.append(
            f"{t.size:>6} {t.batch:>6} {t.frame * 1e3:>14.2f} {t.frames_per_second:>14.2f} "
            f"{t.tau * 1e3:>12.2f} {t.speedup:>8.2f}x"
        )
    lines += [
        "",
        "frames/s counts field-frames (batch / time per frame); speed-up = solver τ / CRNN frame.",
        f"paper ({SPEEDUP.source}): {SPEEDUP_HARDWARE}: about "
        + ", ".join(f"{factor:g}x at {size}²" for size, factor in SPEEDUP_BY_SIZE.items())
        + ";",
        f"only {SPEEDUP_SAME_DEVICE.value[0]:g}-{SPEEDUP_SAME_DEVICE.value[1]:g}x with both on "
        "the CPU or both on the GPU.",
    ]
    return "\n".join(lines)


def arithmetic_ratio(n_parameters: int, size: int, steps_per_frame: int = 100) -> float:
    """Floating-point operations of one CRNN frame over those of one solver τ, one N² field.

    The CRNN applies each of its convolution weights once per pixel (a multiply and an add:
    2 P N² operations); a solver step is dominated by one FFT pair, about 5 N² log₂ N²
    operations per FFT (pointwise work and the precomputed elasticity factor are neglected),
    and a τ is ``steps_per_frame`` steps.
    """
    pixels = size**2
    crnn = 2 * n_parameters * pixels
    solver = steps_per_frame * 2 * 5 * pixels * math.log2(pixels)
    return crnn / solver


TRAIN_VARIANTS = ("float32", "channels_last", "bfloat16", "compile", "pushforward")
"""Ways to run a training step that ``spinodal bench train`` compares (see :func:`bench_train`)."""


@dataclass(frozen=True)
class TrainTiming:
    """Seconds per sample-frame of a training step (forward, Eq. 11, backward) and of the
    forward pass alone, for one variant, size and thread count."""

    variant: str
    size: int
    threads: int
    train: float
    forward: float

    @property
    def ratio(self) -> float:
        """Training step over forward pass (the backward through time costs the rest)."""
        return self.train / self.forward


def bench_train(
    sizes=(64, 128),
    threads=(1, 2),
    variants=TRAIN_VARIANTS,
    *,
    batch: int = 4,
    frames: int = 10,
    repeats: int = 3,
    implicit_damping: float = 5.0,
) -> list[TrainTiming]:
    """Time a CPU training step of the CRNN per sample-frame, each variant against plain
    float32 eager, interleaved (A B A B), for each size and number of threads.

    Variants: ``float32`` (eager, the default), ``channels_last`` (NHWC weights and
    activations; not bitwise reproducible with 2+ threads on this CPU, which breaks the
    training's resume guarantee), ``bfloat16`` (autocast of the network, losses in float32) and
    ``compile`` (``torch.compile`` of :meth:`CRNN.step`; compiled once, before timing) and
    ``pushforward`` (the first half of the frames rolled out without gradient, the training
    recipe's ``pushforward_frames``: the same frames, a shorter backward pass).

    A step is a free rollout of ``frames`` frames from φ_0 for ``batch`` sequences, the loss
    of Eq. 11 and its backward pass, as in :func:`spinodal.surrogate.training.train`.
    """

    unknown = set(variants) - set(TRAIN_VARIANTS)
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; choose from {TRAIN_VARIANTS}")
    previous = torch.get_num_threads()
    results: list[TrainTiming] = []
    try:
        for size in sizes:
            generator = torch.Generator().manual_seed(0)
            phi = 0.5 + 0.1 * torch.randn(batch, frames + 1, size, size, generator=generator)
            eta = torch.full((batch,), 0.006)
            torch.manual_seed(0)
            base = CRNN(ModelConfig(implicit_damping=implicit_damping))
            nets = {name: copy.deepcopy(base) for name in variants}
            if "channels_last" in nets:
                nets["channels_last"].to(memory_format=torch.channels_last)
            if "compile" in nets:
                nets["compile"].step = torch.compile(nets["compile"].step)

            for count in threads:
                torch.set_num_threads(count)
                calls = [
                    functools.partial(
                        _train_step,
                        nets[n],
                        phi,
                        eta,
                        n == "bfloat16",
                        frames // 2 if n == "pushforward" else 0,
                    )
                    for n in variants
                ]
                calls += [functools.partial(_forward, nets[n], phi, eta) for n in variants]
                seconds = _interleaved_medians(calls, torch.device("cpu"), repeats, 1)
                per_sample_frame = [s / (batch * frames) for s in seconds]
                k = len(variants)
                for i, name in enumerate(variants):
                    results.append(
                        TrainTiming(name, size, count, per_sample_frame[i], per_sample_frame[k + i])
                    )
    finally:
        torch.set_num_threads(previous)
    return results


def _train_step(
    net, phi: torch.Tensor, eta: torch.Tensor, bfloat16: bool, grad_from: int = 0
) -> None:
    """Free rollout over the frames of ``phi`` [B, T+1, H, W], Eq. 11, backward (through the
    frames from ``grad_from`` on)."""

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
        predicted = net(phi[:, :1], eta, n_input=1, n_frames=phi.shape[1] - 1, grad_from=grad_from)
    loss, _ = sequence_loss(predicted, phi[:, 1:], eta)
    loss.backward()


def _forward(net, phi: torch.Tensor, eta: torch.Tensor) -> None:
    with torch.no_grad():
        net(phi[:, :1], eta, n_input=1, n_frames=phi.shape[1] - 1)


def format_train_report(timings: list[TrainTiming]) -> str:
    """Table of training cost per sample-frame, with each variant's speed-up over float32."""
    lines = [
        "CRNN training step per sample-frame (free rollout, Eq. 11, backward) on the CPU",
        f"{'size':>6} {'threads':>8} {'variant':>14} {'train ms':>9} {'forward ms':>11} "
        f"{'train/fwd':>10} {'vs float32':>11}",
    ]
    reference = {(t.size, t.threads): t.train for t in timings if t.variant == "float32"}
    for t in timings:
        speedup = reference.get((t.size, t.threads), float("nan")) / t.train
        lines.append(
            f"{t.size:>6} {t.threads:>8} {t.variant:>14} {t.train * 1e3:>9.2f} "
            f"{t.forward * 1e3:>11.2f} {t.ratio:>10.2f} {speedup:>10.2f}x"
        )
    lines += [
        "",
        "vs float32: the eager float32 step's time over the variant's, same size and threads.",
        "One training sample-frame at the small preset: 205 sequences x 50 frames an epoch.",
    ]
    return "\n".join(lines)


# --- what the book reads off the timings (chapter 08) -----------------------------------------


def default_sizes(preset) -> list[int]:
    """The domain sides chapter 08 times by default: the paper's 128², 256², 512² (Sec. 2.3,
    :data:`spinodal.paper.SPEEDUP_BY_SIZE`), or, for the ``tiny`` preset, its own test and
    large-domain sides (a plumbing check, seconds not minutes)."""
    preset = get_preset(preset)
    if preset.name == "tiny":
        return [preset.split("test").size, preset.split("large").size]
    return sorted(SPEEDUP_BY_SIZE)


def cost_exponent(timings: list[ModelTiming]) -> float:
    """The exponent p of a fit of the CRNN's time per frame to (N²)^p over ``timings`` (one per
    size, same batch): 1 is linear in the number of pixels, as the paper finds for its
    fully convolutional network (Sec. 2.3). A least-squares line in log-log."""
    if len({t.size for t in timings}) < 2:
        raise ValueError(f"a cost exponent needs two sizes or more, got {len(timings)} timing(s)")
    pixels = np.array([t.size**2 for t in timings])
    return float(np.polyfit(np.log(pixels), np.log([t.frame for t in timings]), 1)[0])


def median_step_ratio(timings: list[SolverTiming]) -> float:
    """The median over sizes of a solver step's cost in FFT pairs (:attr:`SolverTiming.ratio`)."""
    return float(np.median([t.ratio for t in timings]))
