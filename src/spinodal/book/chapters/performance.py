"""What chapter 08 (computational cost, Sec. 2.3) shows: CRNN against solver timings, their
operation counts and the speed-ups beside the paper's."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ... import paper
from ...analysis.bench import arithmetic_ratio
from ...paper import SPEEDUP_BY_SIZE, SPEEDUP_SAME_DEVICE, PaperValue
from ...surrogate.model import count_parameters
from ..reporting import format_number

__all__ = [
    "arithmetic_note",
    "coarse_solver_sentence",
    "plot_speedup",
    "speedup_sentence",
    "speedup_versus_paper_rows",
    "timing_tables_note",
]


def timing_tables_note(single, solver_timings) -> str:
    """Why chapter 08's two timing tables give different costs per solver step (Markdown).

    Args:
        single: :class:`spinodal.analysis.bench.ModelTiming` of one field (batch 1) per size.
        solver_timings: :class:`spinodal.analysis.bench.SolverTiming` per size (the sizes not
            in ``single`` are left out).
    """
    by_size = {t.size: t for t in single}
    pairs = [(by_size[s.size], s) for s in solver_timings if s.size in by_size]
    return (
        "**Why the two tables differ.** The speed-up table times one field: runs of k "
        "consecutive solver steps, scaled to the 100 steps of a τ. The table above times one "
        "step at a time, for a batch of fields, interleaved with FFT pairs of the same batch "
        '(its "step ms" is per batch). Per field and step: '
        + ", ".join(
            f"{a.tau / a.steps_per_frame * 1e3:.3g} ms (runs, one field) against "
            f"{b.step_per_field * 1e3:.3g} ms (single steps of {b.batch} fields, per field) "
            f"at {a.size}²"
            for a, b in pairs
        )
        + ": single calls pay Python and scheduling overheads that runs of steps and batches "
        "amortize."
    )


def arithmetic_note(single, n_parameters: int, same_device: PaperValue | str) -> str:
    """What the operation count says about a measured CPU speed-up, checked against it
    (Markdown): the CRNN's floating-point operations per frame over the solver's per τ
    (:func:`spinodal.analysis.bench.arithmetic_ratio`), beside the measured time ratio (the
    inverse of the speed-up) and their quotient, how many more operations per second the
    network runs than the solver on this hardware. Claims nothing the timings do not show.

    Args:
        single: :class:`spinodal.analysis.bench.ModelTiming` of one field (batch 1) per size.
        n_parameters: trainable parameters of the CRNN (its convolution weights).
        same_device: the paper's speed-up with both codes on the same kind of device.
    """

    if not single:
        raise ValueError("single must hold at least one timing")
    counted = [arithmetic_ratio(n_parameters, t.size, t.steps_per_frame) for t in single]
    measured = [t.frame / t.tau for t in single]
    rate = [c / m for c, m in zip(counted, measured, strict=True)]
    sizes = [f"{t.size}²" for t in single]

    def listed(values, fmt):
        return ", ".join(f"{v:{fmt}}× at {s}" for v, s in zip(values, sizes, strict=True))

    faster = all(r > 1 for r in rate)
    slower = all(r < 1 for r in rate)
    verdict = (
        "so per operation the network runs faster than the solver here, and the operation "
        "count overstates the network's cost"
        if faster
        else "so per operation the network runs slower than the solver here, and the operation "
        "count understates the network's cost"
        if slower
        else "so the operation count predicts the measured times only to within these factors"
    )
    return (
        f"**Why the CPU speed-up is below the paper's {same_device}.** One solver step is one "
        "FFT pair plus pointwise work (the elasticity is a precomputed factor in Fourier space), "
        "about 5 N² log₂ N² operations per FFT; one CRNN frame applies each of its "
        f"{n_parameters:,} convolution weights at every pixel. Counted so, a CRNN frame needs "
        f"{listed(counted, '.0f')} the operations of the solver's τ; measured above, it takes "
        f"{listed(measured, '.2g')} the solver's time (the inverse of the speed-up). The "
        f"network thus runs {listed(rate, '.2g')} the solver's operations per second, "
        f"{verdict}. The paper's {same_device} is for its own codes on its own hardware, "
        "which this build does not measure."
    )


_COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _device_type(device) -> str:
    """``"cpu"`` or ``"cuda"`` of a torch device or its name (``"cuda:1"``)."""
    return getattr(device, "type", None) or str(device).split(":")[0]


def speedup_sentence(single, net, device, solver_device) -> str:
    """What the measured speed-ups of chapter 08 mean beside the paper's (Markdown, Sec. 2.3):
    whether CRNN and solver ran on the same kind of device (the paper's
    :data:`~spinodal.paper.SPEEDUP_SAME_DEVICE` setting) or the paper's GPU-against-CPU one,
    whether these are CPU timings, and at which sizes the network is slower than the solver.

    Args:
        single: :class:`spinodal.analysis.bench.ModelTiming` of one field (batch 1) per size.
        net: the timed :class:`spinodal.surrogate.model.CRNN` (its size and architecture).
        device, solver_device: where the CRNN and the solver ran (torch devices or names).
    """

    same_kind = _device_type(device) == _device_type(solver_device)
    text = (
        "Here CRNN and solver run on the same kind of device, the paper's less favourable "
        f"setting, for which it reports only {paper.SPEEDUP_SAME_DEVICE}; its "
        f"{paper.SPEEDUP_RANGE} compares a GPU network with a CPU solver. "
        if same_kind
        else "Here, as in the paper, the CRNN runs on a GPU and the solver on the CPU. "
    )
    if _device_type(device) == "cpu":
        text += "**These are CPU timings: they are not the paper's GPU timings.** "
    slower = [t for t in single if t.speedup < 1]
    if slower:
        config = net.config
        cells = _COUNT_WORDS.get(config.n_cells, str(config.n_cells))
        k = config.kernel_size
        text += (
            f"The CRNN ({count_parameters(net):,} parameters in {cells} gated recurrent cells "
            f"of {k}×{k} convolutions) is slower per frame than {slower[0].steps_per_frame} "
            f"solver steps at {', '.join(f'{t.size}²' for t in slower)}: a semi-implicit FFT "
            "step is cheap."
        )
    return text


def coarse_solver_sentence(single) -> str:
    """The cost of chapter 04's coarse-solver yardstick (one solver step of δt = τ per frame)
    against a CRNN frame, from the same timings (Markdown; not in the paper).

    Args:
        single: :class:`spinodal.analysis.bench.ModelTiming` of one field (batch 1) per size.
    """
    if not single:
        return ""
    steps = ", ".join(f"{format_number(t.frame / t.solver_step, 2)} at {t.size}²" for t in single)
    return (
        "The solver run with one step of δt = τ per frame, the coarse yardstick of chapter 04, "
        "costs one solver step per frame; a CRNN frame costs as much as this many solver steps "
        f"on the devices timed above: {steps}."
    )


def speedup_versus_paper_rows(
    single, timings, same_kind: bool
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 08's "Paper vs this build" (for :func:`versus_paper_table`): the
    speed-up per size beside the paper's GPU-against-CPU one (:data:`spinodal.paper.SPEEDUP`,
    "—" at a size the paper did not time), the range of speed-ups when both codes ran on the
    same kind of device (``same_kind``), and the CRNN's frames per second of every timing.

    Args:
        single: :class:`spinodal.analysis.bench.ModelTiming` of one field per size.
        timings: every :class:`~spinodal.analysis.bench.ModelTiming` (batched ones too).
    """

    rows: list[tuple[str, PaperValue | str, str]] = [
        (
            f"speed-up at {t.size}²",
            f"{paper.SPEEDUP_BY_SIZE[t.size]:g}× (GPU CRNN vs CPU solver, {paper.SPEEDUP.source})"
            if t.size in paper.SPEEDUP_BY_SIZE
            else "—",
            f"{t.speedup:.2f}×",
        )
        for t in single
    ]
    rows.append(
        (
            "speed-up with both on the same kind of device",
            paper.SPEEDUP_SAME_DEVICE,
            f"{min(t.speedup for t in single):.2f}–{max(t.speedup for t in single):.2f}×"
            if same_kind
            else "not measured",
        )
    )
    rows += [
        (
            f"CRNN frames/s at {t.size}² (batch {t.batch})",
            paper.NOT_QUOTED,
            f"{t.frames_per_second:.2f}",
        )
        for t in timings
    ]
    return rows


def plot_speedup(timings, where: str, axes=None):
    """The speed-up of the CRNN over the solver per domain size beside the paper's (Sec. 2.3),
    and the cost of one field against the number of pixels.

    Args:
        timings: :class:`spinodal.analysis.bench.ModelTiming` of single fields (batch 1),
            smallest size first.
        where: the hardware of this build, e.g. ``"CRNN on CPU, solver on CPU"``.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    fig = axes[0].figure
    sizes = [t.size for t in timings]
    speedups = [t.speedup for t in timings]
    axes[0].plot(sizes, speedups, "o-", label=f"this build: {where}")
    axes[0].plot(
        list(SPEEDUP_BY_SIZE),
        list(SPEEDUP_BY_SIZE.values()),
        "s--",
        color="tab:orange",
        label="paper: CRNN on GPU, solver on CPU",
    )
    axes[0].axhspan(
        *SPEEDUP_SAME_DEVICE.value,
        color="tab:orange",
        alpha=0.25,
        label="paper: both on CPU or both on GPU",
    )
    axes[0].axhline(1, color="k", lw=0.8)
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="domain side N",
        title="speed-up per domain size",
        ylabel="speed-up (solver τ / CRNN frame)",
    )
    all_sizes = sorted({*SPEEDUP_BY_SIZE, *sizes})
    axes[0].set_xticks(all_sizes, [f"{n}²" for n in all_sizes])
    axes[0].tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    axes[0].set_ylim(0.5 * min(0.5, *speedups), 1000)
    axes[0].legend(fontsize="small", loc="upper left")
    pixels = np.array([t.size**2 for t in timings])
    axes[1].loglog(pixels, [t.frame * 1e3 for t in timings], "o-", label="CRNN, one frame")
    axes[1].loglog(pixels, [t.tau * 1e3 for t in timings], "s-", label="solver, one τ (100 steps)")
    axes[1].loglog(
        pixels, timings[0].frame * 1e3 * pixels / pixels[0], "k:", lw=1, label="linear in N²"
    )
    axes[1].set(
        xlabel="domain (log of the number of pixels N²)",
        ylabel="ms (one field)",
        title="cost against domain size",
    )
    axes[1].set_xticks(pixels, [f"{n}²" for n in sizes])
    axes[1].tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    return fig
