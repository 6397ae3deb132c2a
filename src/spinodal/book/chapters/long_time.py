"""What chapter 05 (long times and noise, Sec. 3.2, Figs. 5-6) shows: mean properties of NN and PF
ensembles and the PF noise that matches the NN error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from ... import paper
from ...paper import PaperValue
from ...physics.metrics import (
    ensemble_summary,
)
from ..plotting import plot_median_iqr
from ..reporting import (
    diverged_mask,
    divergence_sentence,
    divergence_times,
    format_number,
    median_divergence_time,
    summary_before_divergence,
)

__all__ = [
    "EnsembleDivergence",
    "MEAN_PROPERTIES",
    "NoiseMatch",
    "NoiseWindow",
    "capped_times",
    "describe_ensembles",
    "ensemble_divergence",
    "ensemble_label",
    "inside_band_until",
    "long_time_versus_paper_rows",
    "mean_properties_table",
    "noise_levels_table",
    "noise_match",
    "noise_window",
    "plot_ensemble_properties",
    "plot_mean_properties",
    "plot_noise_match",
]


def inside_band_until(nn, pf, times, diverged) -> tuple[float, str]:
    """How long the NN median of a property stays inside the PF inter-quartile range.

    Args:
        nn, pf: [S, T] values of NN and PF rollouts of the same sequences.
        times: [T] in τ; frame 0 is shared by construction and not tested.
        diverged: [S, T] NN divergence (:func:`diverged_mask`).

    Returns:
        (time, why): the last time up to which the NN median (over rollouts that have not
        diverged, while fewer than half have) lies inside the PF band without interruption,
        and why it stops: ``"leaves"`` (it leaves the band), ``"diverged"`` (half of the
        rollouts have diverged first) or ``"end"`` (it stays to the last frame).
    """
    times = np.asarray(times)
    nn_summary = summary_before_divergence(nn, diverged, kind="signed")
    pf_summary = ensemble_summary(pf)
    inside = (nn_summary.median >= pf_summary.q25) & (nn_summary.median <= pf_summary.q75)
    gone = np.isnan(nn_summary.median) & np.asarray(diverged, bool).any(axis=0)
    for k in range(1, len(times)):
        if gone[k]:
            return float(times[k - 1]), "diverged"
        if not inside[k]:
            return float(times[k - 1]), "leaves"
    return float(times[-1]), "end"


def mean_properties_table(
    evaluations: dict, symbols: dict[str, str], checkpoints
) -> tuple[str, dict[tuple[str, str], str]]:
    """How closely the NN ensembles follow the PF ones, property by property (Fig. 5).

    Args:
        evaluations: ``{label: evaluation}`` (e.g. ``{"0.6 %": ws.evaluation("ensemble")}``),
            each with ``frame`` [T], ``nn/contrast`` and ``nn/NAME``, ``pf/NAME`` [S, T].
        symbols: ``{NAME: symbol}`` of the properties, e.g. ``{"paper_total": "⟨f⟩"}``.
        checkpoints: frame indices (τ) at which the relative gap of the medians is quoted.

    Returns:
        (table, within): a Markdown table with, per label and property, the last time up to
        which the NN median stays inside the PF IQR (:func:`inside_band_until`) and
        |median NN / median PF − 1| at each checkpoint, or "diverged (k/S)" once half of the
        NN rollouts have diverged; and ``within[label, NAME]``, the first of those as text.
    """
    rows, within = [], {}
    for label, data in evaluations.items():
        gone = diverged_mask(data["nn/contrast"])
        for name, symbol in symbols.items():
            until, why = inside_band_until(
                data[f"nn/{name}"], data[f"pf/{name}"], data["frame"], gone
            )
            within[label, name] = f"{until:.0f}τ" + (
                " (then half have diverged)" if why == "diverged" else ""
            )
            nn = summary_before_divergence(data[f"nn/{name}"], gone, kind="signed")
            pf = ensemble_summary(data[f"pf/{name}"])
            cells = [
                f"diverged ({int(gone[:, t].sum())}/{len(gone)})"
                if np.isnan(nn.median[t]) and gone[:, t].any()
                else format_number(abs(nn.median[t] / pf.median[t] - 1) * 100) + " %"
                for t in checkpoints
            ]
            rows.append(
                f"| {label} | {symbol} | {within[label, name]} | " + " | ".join(cells) + " |"
            )
    header = [
        "| η | property | NN median inside PF IQR up to | "
        + " | ".join(f"error at {t}τ" for t in checkpoints)
        + " |",
        "|---|---|---|" + "---|" * len(checkpoints),
    ]
    return "\n".join(header + rows), within


class NoiseMatch(NamedTuple):
    """How the NN error compares with PF runs under noise (paper Sec. 3.2, Fig. 6a), over the
    frames before half of the NN rollouts have diverged.

    Attributes:
        best_index: index of the noise level closest to the NN median MAE.
        iqr_ratio: median over time (frame 0 left out) of the noisy runs' MAE inter-quartile
            range over the NN's.
        f_gap_nn: |median ⟨f⟩ of the NN / that of the PF − 1| at the last frame, in percent
            (NaN once half of the NN rollouts have diverged).
        f_gap_noisy: the same for the PF runs with the closest noise level.
        where: where the closest level lies in the range tried, in words.
    """

    best_index: int
    iqr_ratio: float
    f_gap_nn: float
    f_gap_noisy: float
    where: str

    @property
    def f_gap_nn_text(self) -> str:
        """``f_gap_nn`` as the book prints it: "1.23 %" or why there is no number."""
        if np.isfinite(self.f_gap_nn):
            return format_number(self.f_gap_nn) + " %"
        return "nothing (half of its rollouts have diverged)"


def noise_match(nn_mae, nn_total, pf_total, search: dict, diverged) -> NoiseMatch:
    """Statistics of the noise match of chapter 05 (see :class:`NoiseMatch`).

    Args:
        nn_mae, nn_total, pf_total: [S, T] MAE of the NN against the PF, and ⟨f⟩ of both.
        search: the result of :func:`spinodal.analysis.evaluation.noise_search` on the same
            sequences and frames (``noise_std`` [L], ``distance`` [L], ``mae`` and ``paper_total``
            [L, S, T]).
        diverged: [S, T] bool, True from each NN rollout's divergence on.
    """
    k = int(np.argmin(search["distance"]))
    nn = summary_before_divergence(nn_mae, diverged)
    noisy = ensemble_summary(search["mae"][k])
    iqr_ratio = float(np.nanmedian((noisy.q75 - noisy.q25)[1:] / (nn.q75 - nn.q25)[1:]))
    f_nn = summary_before_divergence(nn_total, diverged, kind="signed").median
    f_noisy = ensemble_summary(search["paper_total"][k]).median
    f_pf = ensemble_summary(pf_total).median
    n_levels = len(search["noise_std"])
    where = (
        "the best level is the largest one tried, so the NN error is larger than every noise "
        "level tried here"
        if k == n_levels - 1
        else "the best level is the smallest one tried, so the NN error is smaller than every "
        "noise level tried here"
        if k == 0
        else "the best level lies inside the range tried"
    )
    return NoiseMatch(
        best_index=k,
        iqr_ratio=iqr_ratio,
        f_gap_nn=float(np.abs(f_nn[-1] / f_pf[-1] - 1) * 100),
        f_gap_noisy=float(np.abs(f_noisy[-1] / f_pf[-1] - 1) * 100),
        where=where,
    )


def noise_levels_table(search: dict) -> str:
    """The noise levels tried by a noise search, their distance to the NN median MAE and the
    median MAE of each at the last frame, as Markdown."""
    rows = [
        f"| {level:.2g} | {distance:.3f} | {ensemble_summary(mae).median[-1]:.3g} |"
        for level, distance, mae in zip(
            search["noise_std"], search["distance"], search["mae"], strict=True
        )
    ]
    return (
        "| σ | distance to the NN median MAE (log10 RMS) | median MAE at the last frame |\n"
        "|---|---|---|\n" + "\n".join(rows)
    )


def ensemble_label(evaluation: Mapping) -> str:
    """The misfit of an ensemble (its sequences share it, ``evaluation["eta"]`` [S]) as the book
    labels it, in percent: ``"0.6 %"``."""
    return f"{float(evaluation['eta'][0]) * 100:.2g} %"


def capped_times(times, last) -> list:
    """``times`` (τ) capped at ``last``, sorted and without repeats: the columns of a table
    over rollouts of ``last`` τ (chapter 05's mean-properties table)."""
    return sorted({min(t, last) for t in times})


def describe_ensembles(evaluations: Mapping[str, Mapping]) -> str:
    """The ensembles of chapter 05 against the paper's (:data:`spinodal.paper.ENSEMBLES`, Sec.
    3.2): their count, length and size (from the first) and their misfits (Markdown).

    Args:
        evaluations: label → the evaluation of an ensemble
            (:meth:`spinodal.pipeline.workspace.Workspace.evaluation`; ``mae`` [S, T+1],
            ``frame`` [T+1], ``frames/pf`` [..., N, N], ``phi_mean``, ``eta`` [S]).
    """

    ev = next(iter(evaluations.values()))
    return (
        f"Each ensemble holds **{len(ev['mae'])}** sequences of **{int(ev['frame'][-1])}τ** on "
        f"**{ev['frames/pf'].shape[-1]}²** grids at ⟨φ⟩ = {ev['phi_mean'][0]:.2g}, η = "
        + " and ".join(ensemble_label(e) for e in evaluations.values())
        + f" (the paper's: {paper.ENSEMBLES.text})."
    )


class EnsembleDivergence(NamedTuple):
    """When the NN rollouts of each ensemble leave the physical range (chapter 05).

    Attributes:
        diverged: label → [S, T+1] (:func:`diverged_mask`).
        first: label → [S] τ of each rollout's first diverged frame (inf: never).
        blowup: label → the time half of the rollouts have diverged by ("68τ"), or "never
            (fewer than half diverge)".
        sentence: how many diverge, per ensemble, and (if any does) how the statistics treat
            them (no final period).
    """

    diverged: dict[str, np.ndarray]
    first: dict[str, np.ndarray]
    blowup: dict[str, str]
    sentence: str


def ensemble_divergence(evaluations: Mapping[str, Mapping], horizon) -> EnsembleDivergence:
    """:class:`EnsembleDivergence` of ensembles (label → evaluation with ``nn/contrast``
    [S, T+1] and ``frame`` [T+1]) over ``horizon`` τ."""
    diverged, first, blowup = {}, {}, {}
    for label, ev in evaluations.items():
        diverged[label] = diverged_mask(ev["nn/contrast"])
        first[label] = f = divergence_times(ev["nn/contrast"], ev["frame"])
        blowup[label] = (
            f"{median_divergence_time(f):.0f}τ"
            if 2 * np.isfinite(f).sum() >= len(f)
            else "never (fewer than half diverge)"
        )
    sentence = "; ".join(
        f"at η = {label}, " + divergence_sentence(f, horizon, what="NN rollouts")
        for label, f in first.items()
    )
    sentence = sentence[:1].upper() + sentence[1:]
    if any(np.isfinite(f).any() for f in first.values()):
        sentence += (
            ". The NN statistics below leave a rollout out from the time it diverges, and stop "
            "where half have"
        )
    return EnsembleDivergence(diverged, first, blowup, sentence)


class NoiseWindow(NamedTuple):
    """The sequences and frames of chapter 05's PF runs under noise, and the NN curve they are
    matched to (paper Sec. 3.2, Fig. 6a).

    Attributes:
        indices: [S] the ensemble sequences rerun with noise (the first S).
        n_frames: T, their frames after φ₀.
        times: [T+1] τ.
        diverged: [S, T+1] the NN divergence there (:func:`diverged_mask`).
        target: [T+1] the NN median MAE, a diverged rollout ranking above every error (NaN
            once half have diverged: frames the match leaves out).
        fit_frames: frames ≥ 1 where ``target`` is a number.
    """

    indices: np.ndarray
    n_frames: int
    times: np.ndarray
    diverged: np.ndarray
    target: np.ndarray
    fit_frames: int

    def take(self, values) -> np.ndarray:
        """``values`` [S_all, T_all+1] of the whole ensemble, cut to the window [S, T+1]."""
        return np.asarray(values)[self.indices, : self.n_frames + 1]


def noise_window(mae, diverged, times, n_sequences: int = 0, n_frames: int = 0) -> NoiseWindow:
    """:class:`NoiseWindow` of an ensemble's NN MAE ``mae`` [S, T+1] (frames one per τ at
    ``times``) with its divergence ``diverged`` [S, T+1]: the first ``n_sequences`` sequences
    and ``n_frames`` frames (0, or more than there are: all)."""
    mae, times = np.asarray(mae), np.asarray(times)
    last = int(times[-1])
    S = min(n_sequences or len(mae), len(mae))
    T = min(n_frames or last, last)
    indices = np.arange(S)
    gone = np.asarray(diverged, bool)[indices, : T + 1]
    target = summary_before_divergence(mae[indices, : T + 1], gone).median
    return NoiseWindow(indices, T, times[: T + 1], gone, target, int(np.isfinite(target[1:]).sum()))


def long_time_versus_paper_rows(
    evaluations: Mapping[str, Mapping],
    within: Mapping[tuple[str, str], str],
    divergence: EnsembleDivergence,
    search: Mapping,
    window: NoiseWindow,
    match: NoiseMatch,
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 05's "Paper vs this build" (for :func:`versus_paper_table`, Sec.
    3.2, Figs. 5-6, S6).

    Args:
        evaluations: label → evaluation of the two ensembles, the paper's main misfit first.
        within: (label, property) → how long the NN median stays inside the PF IQR
            (:func:`mean_properties_table`).
        divergence: :func:`ensemble_divergence` of the same ensembles.
        search, window, match: the noise search
            (:func:`spinodal.analysis.evaluation.noise_search`), its :class:`NoiseWindow` and
            :func:`noise_match`.
    """

    if len(evaluations) != 2:
        raise ValueError(f"two ensembles are compared, got {list(evaluations)}")
    high, low = evaluations
    ev = evaluations[high]
    levels = ", ".join(f"{x:.2g}" for x in search["noise_std"])
    return [
        (
            "ensembles",
            paper.ENSEMBLES,
            f"{len(ev['mae'])} × {int(ev['frame'][-1])}τ on {ev['frames/pf'].shape[-1]}²",
        ),
        (
            f"NN median ⟨f⟩ inside PF IQR (η = {high})",
            paper.FREE_ENERGY_INSIDE_IQR,
            f"up to {within[high, 'paper_total']}",
        ),
        (
            f"NN median ⟨f⟩ inside PF IQR (η = {low})",
            paper.FREE_ENERGY_INSIDE_IQR_LOW,
            f"up to {within[low, 'paper_total']}",
        ),
        (
            f"NN median I, $D_b$ inside PF IQR (η = {high})",
            paper.GEOMETRY_REPRODUCED,
            f"up to {within[high, 'isotropy']}, {within[high, 'fractal_dimension']}",
        ),
        (
            f"median time NN fields leave the physical range (η = {high}, {low})",
            paper.MEAN_PROPERTIES_BREAKDOWN,
            f"{divergence.blowup[high]}, {divergence.blowup[low]}",
        ),
        (
            "noise level matching the NN MAE",
            paper.NOISE_STD,
            f"σ = {float(search['best']):.2g} (of {levels}; {len(window.indices)} ensemble "
            f"sequences, {window.n_frames}τ)",
        ),
        ("IQR of noisy-PF MAE / IQR of NN MAE", paper.NOISE_IQR_RATIO, f"{match.iqr_ratio:.2g}"),
    ]


MEAN_PROPERTIES = {
    "paper_total": "⟨f⟩",
    "interface": "2⟨w⟩",
    "elastic": "⟨ρ⟩",
    "isotropy": "isotropy I",
    "fractal_dimension": "fractal dimension $D_b$",
}
"""The mean properties of Fig. 5 (keys of an evaluation's ``nn/NAME``, ``pf/NAME``) and their
axis labels."""


def plot_mean_properties(
    evaluation: dict, names=tuple(MEAN_PROPERTIES), *, axes=None, ncols: int = 3
):
    """Fig. 5: NN (red) and PF (blue) median and inter-quartile range of each mean property
    against time, one panel per name, from an evaluation dict
    (:meth:`spinodal.pipeline.workspace.Workspace.evaluation`), ``ncols`` panels a row.

    The NN statistics leave out rollouts that have diverged (the evaluation's ``nn/contrast``,
    :func:`spinodal.book.reporting.summary_before_divergence`): the NN curve stops where half of
    them have, and dotted lines mark the first divergence and (thicker) half. The value axis
    spans the PF band with a margin of its own height on each side."""

    if axes is None:
        nrows = -(-len(names) // ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(3.3 * ncols, 2.9 * nrows),
            squeeze=False,
            layout="constrained",
        )
        for ax in grid.ravel()[len(names) :]:
            ax.remove()
        axes = grid.ravel()[: len(names)]
    fig = axes[0].figure
    times = evaluation["frame"]
    diverged = diverged_mask(evaluation["nn/contrast"]) if "nn/contrast" in evaluation else None
    for ax, name in zip(axes, names, strict=True):
        plot_median_iqr(times, evaluation[f"pf/{name}"], ax=ax, color="tab:blue", label="PF")
        plot_median_iqr(
            times,
            evaluation[f"nn/{name}"],
            ax=ax,
            color="tab:red",
            label="NN",
            diverged=diverged,
            kind="signed",
        )
        band = ensemble_summary(evaluation[f"pf/{name}"])
        lo, hi = np.nanmin(band.q25), np.nanmax(band.q75)
        if np.isfinite(lo) and np.isfinite(hi):
            margin = max(hi - lo, 1e-3 * max(abs(hi), 1e-12))
            ax.set_ylim(lo - margin, hi + margin)
        ax.set_title(MEAN_PROPERTIES.get(name, name), fontsize="medium")
    axes[0].legend(fontsize="small")
    return fig


def plot_ensemble_properties(evaluation: dict, *, ncols: int = 3):
    """:func:`plot_mean_properties` of every property of one ensemble (Fig. 5, Fig. S6),
    titled with its ⟨φ⟩, its η and its number of sequences."""
    fig = plot_mean_properties(evaluation, ncols=ncols)
    fig.suptitle(
        f"⟨φ⟩ = {evaluation['phi_mean'][0]:.2g}, η = {evaluation['eta'][0] * 100:.2g} %: "
        f"NN (red) and PF (blue), {len(evaluation['mae'])} sequences"
    )
    return fig


def plot_noise_match(times, nn_mae, nn_total, pf_total, search: dict, diverged, axes=None):
    """The NN error in units of PF noise (Fig. 6): (a) the median MAE against the deterministic
    PF of the NN (with its band) and of PF runs with noise of each level (the closest one with
    its band), (b) ⟨f⟩ of the PF, the NN and the PF with the closest noise level.

    Args:
        times: [T] in τ.
        nn_mae, nn_total, pf_total: [S, T] MAE of the NN against PF, ⟨f⟩ of NN and PF.
        search: :func:`spinodal.analysis.evaluation.noise_search` result (``noise_std`` [L],
            ``distance`` [L], ``mae`` and ``paper_total`` [L, S, T]).
        diverged: [S, T] NN divergence (:func:`spinodal.book.reporting.diverged_mask`): the NN
            curves leave out diverged rollouts and end where half have.
    """

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    fig = axes[0].figure
    levels = search["noise_std"]
    best = int(np.argmin(search["distance"]))
    plot_median_iqr(
        times, nn_mae, ax=axes[0], color="tab:red", label="NN vs PF", log=True, diverged=diverged
    )
    for k, level in enumerate(levels):
        if k == best:
            plot_median_iqr(
                times,
                search["mae"][k],
                ax=axes[0],
                color="k",
                log=True,
                label=f"PF σ = {level:.2g} vs PF (best)",
            )
        else:
            axes[0].plot(
                times,
                ensemble_summary(search["mae"][k]).median,
                lw=1,
                ls="--",
                color=plt.cm.viridis(k / len(levels)),
                label=f"PF σ = {level:.2g}",
            )
    axes[0].set_ylabel("MAE")
    axes[0].set_title("(a) MAE against the deterministic PF")
    axes[0].legend(fontsize="x-small")
    plot_median_iqr(times, pf_total, ax=axes[1], color="tab:blue", label="PF")
    plot_median_iqr(
        times, nn_total, ax=axes[1], color="tab:red", label="NN", diverged=diverged, kind="signed"
    )
    plot_median_iqr(
        times,
        search["paper_total"][best],
        ax=axes[1],
        color="k",
        label=f"PF with noise σ = {float(levels[best]):.2g}",
    )
    band = ensemble_summary(pf_total)
    span = np.nanmax(band.q75) - np.nanmin(band.q25)
    axes[1].set_ylim(np.nanmin(band.q25) - span, np.nanmax(band.q75) + span)
    axes[1].set_ylabel("⟨f⟩")
    axes[1].set_title("(b) mean free-energy density")
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    return fig
