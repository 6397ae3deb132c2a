"""What chapter 02 (the datasets, Sec. 2.2) shows: how sequences are drawn, the splits beside the
paper's, the training file's statistics and its figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from ... import paper
from ...io.datasets import open_dataset
from ...paper import PaperValue
from ...physics.solver import PhaseFieldModel
from ...presets import Uniform, get_preset
from ..plotting import PHASE_CMAP, new_axes, plot_frames, plot_spinodal_line

__all__ = [
    "TrainingFileSummary",
    "dataset_versus_paper_rows",
    "plot_parameter_histograms",
    "plot_parameter_space",
    "plot_perlin_states",
    "plot_tiled",
    "sampling_table",
    "splits_table",
    "training_file_summary",
]


def sampling_table(spec, tau: float) -> str:
    """How each sequence of a split is drawn (Markdown, chapter 02): ⟨φ⟩, η, the amplitude,
    the initial state and the frames of the :class:`spinodal.presets.SplitSpec` ``spec``
    (uniform ⟨φ⟩ and η), beside what the paper says (Sec. 2.2); ``tau``: the time between
    frames (time units)."""

    rows = [
        (
            "mean composition ⟨φ⟩",
            f"U({spec.phi_mean.low:g}, {spec.phi_mean.high:g})",
            f"{paper.PHI_MEAN_RANGE.source}: {paper.PHI_MEAN_RANGE}, bracketing the strain-free "
            f"spinodal {paper.CHEMICAL_SPINODAL}",
        ),
        (
            "misfit η",
            f"U({spec.eta.low * 100:g} %, {spec.eta.high * 100:g} %)",
            paper.MISFIT_RANGE.cell,
        ),
        (
            "amplitude a",
            f"N(0, {spec.initial.amplitude_std:g}²)",
            f"{paper.AMPLITUDE_STD.source}: standard deviation {paper.AMPLITUDE_STD}",
        ),
        (
            "initial state φ₀",
            f"⟨φ⟩ + a p̃, Perlin cell {spec.initial.cell:g}, {spec.initial.octaves} octaves",
            "periodic Perlin noise [58]",
        ),
        (
            "frames",
            f"one every τ = 100 δt = {tau:g} time unit",
            f"{paper.STEPS_PER_FRAME.source}: {paper.STEPS_PER_FRAME}, {paper.TIME_STEP}",
        ),
    ]
    return "| quantity | drawn as | paper |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows
    )


def _drawn(distribution, scale: float) -> str:
    """A split's ⟨φ⟩ or η distribution as the tables print it: ``U(low, high)`` or its fixed
    values, times ``scale`` (100: η in percent)."""

    if isinstance(distribution, Uniform):
        return f"U({distribution.low * scale:g}, {distribution.high * scale:g})"
    return ", ".join(f"{v * scale:g}" for v in distribution.values)


def splits_table(preset, paths: Mapping[str, Path]) -> str:
    """Every split of a preset beside the paper preset's (Markdown, chapter 02; the paper's
    Secs. 2.2, 3.1-3.3): sequences × frames × size² read back from each file of ``paths``
    (split → HDF5 file), the paper's, how ⟨φ⟩ and η are drawn, and the file's size."""

    preset, paper_preset = get_preset(preset), get_preset("paper")
    lines = [
        "| split | sequences × frames × size² (this build, from the file) | paper | ⟨φ⟩ | η | "
        "file |",
        "|---|---|---|---|---|---|",
    ]
    for split, path in paths.items():
        spec, theirs = preset.split(split), paper_preset.split(split)
        with open_dataset(path) as ds:
            shape = f"{len(ds)} × {ds.n_frames + 1} × {ds.size}²"
        lines.append(
            f"| {split} | {shape} | {theirs.n_sequences} × {theirs.n_frames + 1} × "
            f"{theirs.size}² | {_drawn(spec.phi_mean, 1)} | {_drawn(spec.eta, 100)} % | "
            f"{Path(path).stat().st_size / 2**20:.1f} MiB |"
        )
    return "\n".join(lines)


class TrainingFileSummary(NamedTuple):
    """What chapter 02 quotes of a training file (paper Sec. 2.2), from
    :func:`spinodal.io.datasets.dataset_statistics`.

    Attributes:
        n_sequences, n_validation: sequences in the file, and those marked for validation.
        percent_unstable: sequences inside the spinodal region of Eq. 9 (%).
        percent_separated_unstable, percent_separated_stable: of those inside, and of those
            outside, the sequences phase separated by the last frame (%; NaN if none).
        max_mean_deviation: largest |stored ⟨φ⟩ − spatial mean of frame 0|.
        amplitude_std, amplitude_abs_median: standard deviation and median |a| of the
            amplitudes a.
        percent_small_amplitude: sequences with |a| below the standard deviation they were
            drawn with (%).
    """

    n_sequences: int
    n_validation: int
    percent_unstable: float
    percent_separated_unstable: float
    percent_separated_stable: float
    max_mean_deviation: float
    amplitude_std: float
    amplitude_abs_median: float
    percent_small_amplitude: float


def training_file_summary(stats: Mapping, amplitude_std: float) -> TrainingFileSummary:
    """:class:`TrainingFileSummary` of a training file's ``stats``
    (:func:`spinodal.io.datasets.dataset_statistics`); ``amplitude_std``: the standard
    deviation its amplitudes were drawn with (the preset's, the paper's 0.1)."""
    unstable, separated = np.asarray(stats["unstable"]), np.asarray(stats["separated"])
    amplitude = np.asarray(stats["amplitude"])
    return TrainingFileSummary(
        n_sequences=len(stats["eta"]),
        n_validation=int(np.asarray(stats["validation"]).sum()),
        percent_unstable=float(100 * unstable.mean()),
        percent_separated_unstable=float(100 * separated[unstable].mean())
        if unstable.any()
        else np.nan,
        percent_separated_stable=float(100 * separated[~unstable].mean())
        if (~unstable).any()
        else np.nan,
        max_mean_deviation=float(np.abs(stats["measured_mean"] - stats["phi_mean"]).max()),
        amplitude_std=float(np.std(amplitude)),
        amplitude_abs_median=float(np.median(np.abs(amplitude))),
        percent_small_amplitude=float(100 * np.mean(np.abs(amplitude) < amplitude_std)),
    )


def dataset_versus_paper_rows(
    stats: Mapping, train_spec, test_spec
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 02's "Paper vs this build" (for :func:`versus_paper_table`): the
    training file's counts, length, domain and sampled ranges (its ``stats``,
    :func:`spinodal.io.datasets.dataset_statistics`) beside the paper's Sec. 2.2, with how
    ``train_spec`` draws them, and the test split ``test_spec`` beside the paper's Sec. 3.1."""

    summary = training_file_summary(stats, train_spec.initial.amplitude_std)
    S, n_val = summary.n_sequences, summary.n_validation
    return [
        (
            "training + validation sequences",
            f"{paper.DATASET_SEQUENCES} ({paper.TRAIN_VALIDATION_RATIO})",
            f"{S} ({S - n_val} + {n_val})",
        ),
        ("snapshots per sequence", paper.SNAPSHOTS, f"{int(stats['n_frames']) + 1}"),
        ("domain", paper.DOMAIN_SIZE, f"{int(stats['size'])}²"),
        (
            "⟨φ⟩ range",
            paper.PHI_MEAN_RANGE,
            f"[{stats['phi_mean'].min():.3f}, {stats['phi_mean'].max():.3f}] (drawn "
            f"U({train_spec.phi_mean.low:g}, {train_spec.phi_mean.high:g}))",
        ),
        (
            "η range",
            paper.MISFIT_RANGE,
            f"[{stats['eta'].min() * 100:.3f}, {stats['eta'].max() * 100:.3f}] %",
        ),
        (
            "amplitude std",
            paper.AMPLITUDE_STD,
            f"{summary.amplitude_std:.3f} (drawn {train_spec.initial.amplitude_std:g})",
        ),
        ("sequences inside the spinodal", paper.NOT_QUOTED, f"{summary.percent_unstable:.0f} %"),
        (
            "test sequences × length",
            paper.TEST_SPLIT,
            f"{test_spec.n_sequences} × {test_spec.n_frames}τ",
        ),
    ]


def plot_tiled(field, reps: int = 2, ax=None, *, vmin=0.0, vmax=1.0):
    """A field [H, W] repeated ``reps`` × ``reps`` times with dashed seams: a periodic field
    shows no seam (Sec. 2.2, the Perlin initial states)."""
    field = np.asarray(field)
    fig, ax = new_axes(ax)
    H, W = field.shape
    ax.imshow(np.tile(field, (reps, reps)), cmap=PHASE_CMAP, vmin=vmin, vmax=vmax, origin="lower")
    for k in range(1, reps):
        ax.axhline(k * H - 0.5, color="k", lw=0.8, ls="--")
        ax.axvline(k * W - 0.5, color="k", lw=0.8, ls="--")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def plot_perlin_states(states, titles, *, tiled: int = 1, reps: int = 2, size: float = 2.4):
    """Example initial states [k, H, W] (Sec. 2.2) two a row, on the shared φ scale with its
    colour bar, and state ``tiled`` repeated ``reps`` × ``reps`` times in a column of its own on
    the right (:func:`plot_tiled`: a periodic field shows no seam). At most three panels a row.
    """
    states = np.asarray(states)
    if states.ndim != 3 or len(states) != len(titles):
        raise ValueError(
            f"states must be [k, H, W] with one title each, got shape {states.shape} "
            f"and {len(titles)} titles"
        )
    if not 0 <= tiled < len(states):
        raise ValueError(f"tiled must index one of the {len(states)} states, got {tiled}")
    rows = -(-len(states) // 2)
    fig = plt.figure(figsize=(3 * size + 0.9, rows * (size + 0.35)), layout="constrained")
    grid = fig.add_gridspec(rows, 3)
    axes = [fig.add_subplot(grid[k // 2, k % 2]) for k in range(len(states))]
    plot_frames(states, titles, axes=axes, colorbar=False)
    right = fig.add_subplot(grid[:, 2])
    plot_tiled(states[tiled], reps=reps, ax=right)
    right.set_title(f"{reps} × {reps} tiling of state {tiled + 1}", fontsize="medium")
    fig.colorbar(right.images[0], ax=[*axes, right], label="φ", shrink=0.8, pad=0.02)
    return fig


def plot_parameter_space(phi_mean, eta, validation, pf: PhaseFieldModel, ax=None):
    """The sequences of a split in the (⟨φ⟩, η) plane, training and validation marked, over
    the analytic spinodal line of Eq. 9 (``eta`` as fractions; shown in percent)."""
    fig, ax = new_axes(ax)
    plot_spinodal_line(pf, ax=ax)
    phi_mean, eta = np.asarray(phi_mean), np.asarray(eta) * 100
    validation = np.asarray(validation, bool)
    for chosen, label, marker, color in (
        (~validation, "training", "o", "tab:blue"),
        (validation, "validation", "^", "tab:red"),
    ):
        ax.scatter(
            phi_mean[chosen],
            eta[chosen],
            s=12,
            marker=marker,
            color=color,
            label=f"{label} ({int(chosen.sum())})",
        )
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    return fig


def plot_parameter_histograms(stats: dict, amplitude_std: float, axes=None, *, bins: int = 15):
    """Histograms of ⟨φ⟩, η (in percent) and the amplitude a of a split's sequences, training
    and validation stacked, with the normal distribution N(0, ``amplitude_std``²) that a is
    drawn from (Sec. 2.2), scaled to the counts.

    Args:
        stats: :func:`spinodal.io.datasets.dataset_statistics` of the split.
        amplitude_std: the standard deviation a is drawn with (the split's initial-state spec).
        bins: bins per histogram, spanning each quantity's range.
    """

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    axes = list(np.ravel(axes))
    fig = axes[0].figure
    validation = np.asarray(stats["validation"], bool)
    for ax, key, scale, label in (
        (axes[0], "phi_mean", 1, "⟨φ⟩"),
        (axes[1], "eta", 100, "η (%)"),
        (axes[2], "amplitude", 1, "amplitude a"),
    ):
        values = np.asarray(stats[key]) * scale
        edges = np.linspace(*np.percentile(values, [0, 100]), bins + 1)
        ax.hist(
            [values[~validation], values[validation]],
            bins=edges,
            stacked=True,
            color=["tab:blue", "tab:red"],
            label=["training", "validation"],
        )
        ax.set_xlabel(label)
    axes[0].set_ylabel("sequences")
    amplitude = np.asarray(stats["amplitude"])
    a = np.linspace(*axes[2].get_xlim(), 200)
    width = np.diff(np.linspace(*np.percentile(amplitude, [0, 100]), bins + 1))[0]
    n = len(amplitude)
    axes[2].plot(
        a,
        n * width * norm.pdf(a, scale=amplitude_std),
        "k-",
        label=f"N(0, {amplitude_std:g}²) × {n}",
    )
    axes[2].legend(fontsize="small")
    fig.tight_layout()
    return fig
