"""What chapter 09 (ablations and cures, Supplementary) shows: the ablation recipe, its variants'
errors and ranking, mass drift, and the cures of the long-rollout instability."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from ... import paper as published
from ...paper import ABLATION_CONCLUSIONS, PaperValue
from ...physics.metrics import (
    ensemble_summary,
)
from ...presets import TrainConfig, get_preset
from ...surrogate.checkpoint import training_stages
from ..plotting import plot_median_iqr
from ..reporting import (
    format_number,
)

__all__ = [
    "AblationRanking",
    "AblationRecipe",
    "DriftSummary",
    "ablation_ranking",
    "ablation_recipe",
    "ablation_table",
    "ablation_versus_paper_rows",
    "cures_table",
    "drift_summary",
    "horizon_note",
    "plot_ablation_errors",
    "plot_cure_errors",
    "plot_mass_drift",
    "training_minutes",
    "twins_sentence",
]


def _train_sequences(spec) -> int:
    """Training sequences of a split (the rest validate, Sec. 2.3's 4:1)."""
    return spec.n_sequences - round(spec.validation_fraction * spec.n_sequences)


class AblationRecipe(NamedTuple):
    """How the ablation models of a preset are trained (Supporting Information, Sec. 2.3).

    Attributes:
        table: Markdown: the recipe of the ablation models beside the preset's main recipe and
            the paper's, a warning or note on how far it is from the paper's, and what each
            variant changes.
        reduced: whether the ablation recipe is shorter than the preset's main recipe.
    """

    table: str
    reduced: bool


def ablation_recipe(preset, variants: Iterable[str]) -> AblationRecipe:
    """:class:`AblationRecipe` of a :class:`spinodal.presets.Preset` (or its name) for the
    ablation ``variants`` shown; the paper's side from the ``paper`` preset and
    :mod:`spinodal.paper`."""

    preset, paper = get_preset(preset), get_preset("paper")
    ablation, final = preset.ablation("paper"), TrainConfig.from_preset(preset)
    train_spec, paper_spec = preset.split("train"), paper.split("train")

    def staged(key: str, default) -> object:  # the main recipe's value per stage
        if not preset.stages:
            return default
        return " + ".join(str(st.changes.get(key, default)) for st in preset.stages) + " (stages)"

    settings = [
        ("epochs", ablation.epochs, staged("epochs", final.epochs), published.EPOCHS.cell),
        (
            "curriculum epochs",
            ablation.curriculum_epochs,
            staged("curriculum_epochs", final.curriculum_epochs),
            published.CURRICULUM_EPOCHS.cell,
        ),
        (
            "batch size",
            ablation.batch_size,
            staged("batch_size", final.batch_size),
            f"{published.NOT_QUOTED} (the `paper` preset: {paper.training.batch_size})",
        ),
        (
            "frames per sequence",
            ablation.frames or train_spec.n_frames,
            staged("frames", train_spec.n_frames),
            paper_spec.n_frames,
        ),
        (
            "training sequences",
            ablation.max_sequences or _train_sequences(train_spec),
            _train_sequences(train_spec),
            _train_sequences(paper_spec),
        ),
    ]
    reduced = ablation != final
    lines = [
        "| setting | ablation models | the preset's main CRNN recipe | paper |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {value} | {own} | {theirs} |" for name, value, own, theirs in settings]
    warning = (
        f"> **Warning: CPU-budget ablations.** At the `{preset.name}` preset each variant is "
        "trained with the short recipe above, far shorter than the paper's (and than this "
        "build's main model), so that all five fit the book's time budget. Such models are "
        "barely trained: the comparison below shows the mechanics of each variant (above all, "
        "conservation), not the accuracy differences the paper reports. Run the chapter at the "
        "`paper` preset for those."
        if reduced
        else "> The ablation models are trained with the preset's full recipe, as in the paper."
    )
    variants = set(variants)
    lines += ["", warning, "", "| variant | what changes |", "|---|---|"]
    lines += [f"| `{v.name}` | {v.description} |" for v in preset.ablations if v.name in variants]
    return AblationRecipe("\n".join(lines), reduced)


def horizon_note(n_frames: int, length: int) -> str:
    """How much of a split of ``length`` τ an evaluation over ``n_frames`` τ covers, in words
    (a clause, e.g. "over its full length of 20 frames")."""
    if n_frames == length:
        return f"over its full length of {n_frames} frames"
    return (
        f"over the first {n_frames} of its {length} frames (a shorter horizon, to fit the time "
        "budget)"
    )


class DriftSummary(NamedTuple):
    """Mass drift max_t |⟨φ_t⟩ − ⟨φ_0⟩| of the ablation variants (chapter 09): the median
    over the rollouts of the ``direct`` output, which does not conserve ⟨φ⟩, and the largest
    of any rollout of the conserving outputs (NaN where no such variant was run)."""

    direct: float
    conserving: float


def drift_summary(drift: Mapping[str, np.ndarray]) -> DriftSummary:
    """:class:`DriftSummary` of the drifts [S] per variant name."""
    conserving = [v for v in drift if v != "direct"]
    return DriftSummary(
        float(np.median(drift["direct"])) if "direct" in drift else np.nan,
        max(float(np.max(drift[v])) for v in conserving) if conserving else np.nan,
    )


def _medians(evaluations: Mapping[str, dict], name: str = "mae") -> dict[str, np.ndarray]:
    return {v: ensemble_summary(ev[name]).median for v, ev in evaluations.items()}


def ablation_table(
    evaluations: Mapping[str, dict],
    drift: Mapping[str, np.ndarray],
    cards: Mapping[str, dict],
    times: Sequence[int],
    horizon: int,
) -> str:
    """Chapter 09's summary table (Markdown): per variant the median MAE at ``times`` (τ), the
    median relative interface-length error and the median mass drift at ``horizon`` τ and the
    best validation loss of its training; then what the paper concludes of each variant
    (:data:`spinodal.paper.ABLATION_CONCLUSIONS`; Sec. 2.3, Figs. S1-S3).

    Args:
        evaluations: variant → its test evaluation (``mae``, ``interface_error`` [S, T+1]).
        drift: variant → mass drift [S] of its rollouts.
        cards: variant → its checkpoint card.
    """

    median_at, interface_at = _medians(evaluations), _medians(evaluations, "interface_error")
    header = (
        ["variant"]
        + [f"MAE@{t}τ" for t in times]
        + [
            f"interface error@{horizon}τ",
            f"mass drift ({horizon}τ)",
            "best val. loss (own weights)",
        ]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for v in evaluations:
        cells = (
            [f"`{v}`"]
            + [f"{median_at[v][t]:.4f}" for t in times]
            + [
                f"{100 * interface_at[v][horizon]:.1f} %",
                format_number(np.median(drift[v]), 2),
                f"{cards[v]['validation']['loss']:.3g}",
            ]
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| variant | the paper says |", "|---|---|"]
    lines += [f"| `{v}` | {ABLATION_CONCLUSIONS[v]} |" for v in evaluations]
    return "\n".join(lines)


class AblationRanking(NamedTuple):
    """The variants ranked by their median MAE at the horizon, smallest first (a variant
    whose median is not a number ranks last); ``paper_rank``: the place of the ``paper``
    variant, counted from 1 (0: not run)."""

    order: list[str]
    paper_rank: int

    @property
    def best(self) -> str:
        return self.order[0]

    @property
    def text(self) -> str:
        """``"paper < flux < direct"``."""
        return " < ".join(self.order)


def ablation_ranking(evaluations: Mapping[str, dict], horizon: int) -> AblationRanking:
    """:class:`AblationRanking` of the variants' test evaluations (``mae`` [S, T+1]) at
    ``horizon`` τ (chapter 09)."""
    median_at = _medians(evaluations)
    order = sorted(evaluations, key=lambda v: np.nan_to_num(median_at[v][horizon], nan=np.inf))
    return AblationRanking(order, order.index("paper") + 1 if "paper" in order else 0)


def twins_sentence(
    evaluations: Mapping[str, dict],
    histories: Mapping[str, Sequence[dict]],
    cards: Mapping[str, dict],
) -> str:
    """Why the ``paper`` and ``no_grad`` variants can print the same numbers (Markdown, "" if
    either was not run): the share of the gradient term λ_∇ L_∇ (Eq. 11) in the ``paper``
    variant's training loss at its last epoch, and the largest relative gap between their
    median MAE curves (frame 0 left out); below 1 % the sentence says why that is no bug."""
    if not {"paper", "no_grad"} <= set(evaluations):
        return ""
    median_at = _medians(evaluations)
    a, b = median_at["paper"][1:], median_at["no_grad"][1:]
    gap = float(np.nanmax(np.abs(a - b) / np.abs(b)))
    last = histories["paper"][-1]["train"]
    share = cards["paper"]["recipe"]["weights"]["grad"] * last["grad"] / last["loss"]
    n = len(histories["paper"])
    return (
        "The `paper` and `no_grad` variants differ only by the gradient term of Eq. 11 "
        f"(λ∇ L∇), which makes {100 * share:.2g} % of the `paper` variant's training loss "
        f"in its last epoch: after {n} epoch{'s' * (n > 1)} from the same "
        "initial weights and batches the two networks are nearly the same, and their "
        f"median MAE curves differ by at most {format_number(100 * gap, 2)} %"
        + (
            " (the table's rounding hides it). This is not a bug (their weights and "
            f"validation losses, {cards['paper']['validation']['loss']:.4g} and "
            f"{cards['no_grad']['validation']['loss']:.4g}, differ); it is the "
            "reduced recipe: the gradient term matters once the network makes domains "
            "with sharp interfaces, which barely trained networks do not."
            if gap < 0.01
            else "."
        )
    )


def training_minutes(model_dirs: Mapping[str, str | Path]) -> dict[str, float]:
    """Wall time (min) of every training stage that made each checkpoint folder
    (:func:`spinodal.surrogate.checkpoint.training_stages`), label by label."""

    return {
        label: sum(st["minutes"] for st in training_stages(path))
        for label, path in model_dirs.items()
    }


def ablation_versus_paper_rows(
    evaluations: Mapping[str, dict], drift: Mapping[str, np.ndarray], horizon: int, reduced: bool
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 09's "Paper vs this build" (for :func:`versus_paper_table`): the
    median MAE at ``horizon`` τ of the loss-term and output-layer variants, the mass drift of
    the ``direct`` output, and whether the ablation recipe was ``reduced``; "(not run)" where a
    variant a row needs is missing."""

    median_at, run = _medians(evaluations), set(evaluations)
    T = horizon

    def mae(v: str) -> str:
        return f"{median_at[v][T]:.4f}"

    return [
        (
            "effect of L_∇, L_f",
            published.ABLATION_LOSS_TERMS,
            f"MAE@{T}τ: paper {mae('paper')}, no_grad {mae('no_grad')}, "
            f"no_free_energy {mae('no_free_energy')}"
            if {"paper", "no_grad", "no_free_energy"} <= run
            else "(not run)",
        ),
        (
            "μ vs flux output",
            published.ABLATION_OUTPUT_MU_VS_FLUX,
            f"MAE@{T}τ: μ {mae('paper')}, flux {mae('flux')}"
            if {"paper", "flux"} <= run
            else "(not run)",
        ),
        (
            "direct output",
            published.ABLATION_DIRECT_OUTPUT,
            f"mass drift {format_number(np.median(drift['direct']), 2)} vs "
            f"{format_number(np.median(drift['paper']), 2)} (μ)"
            if {"paper", "direct"} <= run
            else "(not run)",
        ),
        (
            "ablation training recipe",
            published.ABLATION_RECIPE,
            "reduced (see the warning)" if reduced else "the full recipe",
        ),
    ]


def cures_table(checks: dict, gains: dict, minutes: dict, times) -> str:
    """The Markdown table of the long-rollout cures, one row per network.

    Args:
        checks: label → the arrays of
            :meth:`spinodal.analysis.stability.RolloutCheck.as_arrays` (``mae`` [S, T] at
            τ = 1..T, ``diverged_at`` [S], -1: never, ``mass_drift`` [S]).
        gains: label → the grid-scale gains per τ
            (:meth:`spinodal.analysis.stability.ModeGain.grid_scale`).
        minutes: label → the CPU minutes of training that made the network.
        times: τ of the median-MAE columns; a median past the divergence of half the rollouts
            reads "diverged (k/S)".
    """
    times = list(times)
    lines = [
        "| network | rollouts that leave the physical range (first) | "
        + " | ".join(f"median MAE@{t}τ" for t in times)
        + " | grid-scale gain per τ (median / max) | mass drift (max) | training |",
        "|" + "---|" * (len(times) + 5),
    ]
    for label, check in checks.items():
        first, median = check["diverged_at"], ensemble_summary(check["mae"]).median  # [S], [T]
        blown = first >= 0
        n_blown = int(blown.sum())
        cells = []
        for t in times:
            gone = int((blown & (first <= t)).sum())
            cells.append(
                f"diverged ({gone}/{len(first)})"
                if 2 * gone >= len(first)
                else f"{median[t - 1]:.3f}"
            )
        first_tau = f" (from {int(first[blown].min())}τ)" if n_blown else ""
        gain = gains[label]
        lines.append(
            f"| {label} | {n_blown}/{len(first)}{first_tau} | "
            + " | ".join(cells)
            + f" | {np.median(gain):.2f} / {gain.max():.2f} | "
            f"{format_number(check['mass_drift'].max(), 2)} | {minutes[label]:.1f} min |"
        )
    return "\n".join(lines)


def plot_mass_drift(drift: dict, reference: float, *, title: str | None = None, ax=None):
    """The median mass drift max_t |⟨φ_t⟩ − ⟨φ₀⟩| of each network's rollouts (one bar per
    key of ``drift``: [S] drifts, :func:`spinodal.physics.metrics.mass_drift`) against the
    ``reference`` drift of the phase-field data (dashed), on a log scale."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.4))
    fig = ax.figure
    ax.bar(
        list(drift),
        [float(np.median(d)) for d in drift.values()],
        color=[f"C{i}" for i in range(len(drift))],
    )
    ax.axhline(reference, color="k", ls="--", lw=1, label="phase-field data")
    ax.set(yscale="log", ylabel="median max_t |⟨φ_t⟩ − ⟨φ₀⟩|")
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_cure_errors(checks: dict, *, title: str | None = None, ax=None, coarse=None):
    """The median MAE of each network's free rollouts (``checks``: label → the arrays of
    :meth:`spinodal.analysis.stability.RolloutCheck.as_arrays`, with ``times`` [T], ``mae`` and
    ``persistence`` [S, T] and ``diverged_at`` [S], -1: never), each curve ending at a dotted
    line where the first of its rollouts leaves the physical range, and the no-change forecast
    φ_t = φ₀ of the last network's check (dashed), on a log scale. ``coarse`` [S, T+1]: the
    MAE of the solver at δt = τ on the same sequences from frame 0 (dash-dotted; None: not
    drawn)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4.5))
    fig = ax.figure
    colours = _curve_colours(len(checks))
    for (label, check), colour in zip(checks.items(), colours, strict=True):
        first = np.asarray(check["diverged_at"])
        median = ensemble_summary(check["mae"]).median
        blown = first >= 0
        stop = int(first[blown].min()) if blown.any() else len(median) + 1
        ax.plot(check["times"][: stop - 1], median[: stop - 1], color=colour, label=label)
        if blown.any():
            ax.axvline(stop, color=colour, ls=":", lw=1)
    last = list(checks.values())[-1]
    ax.plot(
        last["times"],
        ensemble_summary(last["persistence"]).median,
        color="0.5",
        ls="--",
        label="no-change forecast φ_t = φ₀",
    )
    if coarse is not None:
        times = np.asarray(last["times"])
        median = ensemble_summary(coarse).median
        ax.plot(times, median[times], color="0.3", ls="-.", label="phase field at δt = τ")
    ax.set(xlabel="t (τ)", ylabel="median MAE ⟨|φ_NN − φ_PF|⟩", yscale="log")
    if title is not None:
        ax.set_title(title)
    # below the axes: the page's figures are saved with a tight bounding box, which keeps it
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(0.0, -0.14))
    return fig


def _curve_colours(n: int) -> list:
    """``n`` distinct colours for network curves, none of them grey (grey is for yardsticks)."""
    palette = [f"C{i}" for i in range(10) if i != 7]
    palette += [plt.cm.tab20(i) for i in range(1, 20, 2) if i != 15]
    return [palette[i % len(palette)] for i in range(n)]


def plot_ablation_errors(evaluations: dict, training_frames: int, axes=None):
    """The test errors of the ablation variants (chapter 09; the paper's Figs. S1-S3 in
    kind): median and IQR over the sequences of the MAE (left) and of the relative
    interface-length error (right) from the first predicted frame on, one colour per variant
    (``evaluations``: variant → its evaluation with ``mae`` and ``interface_error`` [S, T+1]),
    and a dotted line at the length of the training sequences, ``training_frames`` τ. Log
    scale."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    fig = axes[0].figure
    for i, (variant, ev) in enumerate(evaluations.items()):
        frame = np.arange(np.shape(ev["mae"])[1])
        plot_median_iqr(frame[1:], ev["mae"][:, 1:], ax=axes[0], label=variant, color=f"C{i}")
        plot_median_iqr(
            frame[1:], ev["interface_error"][:, 1:], ax=axes[1], label=variant, color=f"C{i}"
        )
    axes[0].set(ylabel="MAE ⟨|φ_NN − φ_PF|⟩", yscale="log", title="pixel error")
    axes[1].set(ylabel="|L_NN − L_PF| / L_PF", yscale="log", title="interface-length error")
    for ax in axes:
        ax.axvline(training_frames, color="0.5", ls=":", lw=1)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
