"""What chapter 10 (the inverse problem, beyond the paper) shows: misfits read from microstructures
by the solver and by the CRNN, their errors, costs and identifiability."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from ...analysis.inverse import misfit_errors
from ...paper import MISFIT_RANGE
from ...physics.metrics import (
    ensemble_summary,
)
from ...physics.solver import PhaseFieldModel
from ..plotting import plot_spinodal_line

__all__ = [
    "InverseSummary",
    "METHOD_COLOURS",
    "bound_sentence",
    "bound_summary",
    "inverse_summary",
    "inverse_table",
    "plot_identifiability_map",
    "plot_inverse_accuracy",
    "plot_misfit_profiles",
]


class InverseSummary(NamedTuple):
    """What chapter 10 says of its inferences across the observation regimes.

    Attributes:
        within_surrogate: median over the regimes of the surrogate's percentage of estimates
            within 2δη of the truth.
        surrogate_best, surrogate_worst: the regimes (their labels) with the smallest and the
            largest median surrogate error, with that error in percent of misfit.
        cost_solver, cost_surrogate: median over the regimes of the wall time per sequence (s).
        evals_solver, evals_surrogate: median over the regimes of the forward runs per sequence.
        run_ratio: the cost of one CRNN forward run over one of the solver (the cost ratio over
            the ratio of forward runs).
        cost_sentence: which forward model is faster per inference, and by how much.
        summary_cost: whether the CRNN makes the inference cheaper (for the Summary).
    """

    within_surrogate: float
    surrogate_best: str
    surrogate_worst: str
    cost_solver: float
    cost_surrogate: float
    evals_solver: float
    evals_surrogate: float
    run_ratio: float
    cost_sentence: str
    summary_cost: str


def inverse_summary(stats: Mapping, regimes: Mapping) -> InverseSummary:
    """:class:`InverseSummary` from :func:`spinodal.analysis.inverse.inference_statistics`
    (``stats[regime, method]``) over ``regimes`` (name → a
    :class:`spinodal.analysis.inverse.Regime`)."""
    names = list(regimes)

    def over(method: str, what: str) -> float:
        return float(np.median([getattr(stats[n, method], what) for n in names]))

    best = min(names, key=lambda n: stats[n, "surrogate"].median)
    worst = max(names, key=lambda n: stats[n, "surrogate"].median)
    solver_cost, surrogate_cost = over("solver", "cost"), over("surrogate", "cost")
    evals_solver, evals_surrogate = over("solver", "evaluations"), over("surrogate", "evaluations")
    ratio = surrogate_cost / solver_cost
    return InverseSummary(
        within_surrogate=over("surrogate", "within"),
        surrogate_best=f"{regimes[best].label} ({stats[best, 'surrogate'].median:.3g} %)",
        surrogate_worst=f"{regimes[worst].label} ({stats[worst, 'surrogate'].median:.3g} %)",
        cost_solver=solver_cost,
        cost_surrogate=surrogate_cost,
        evals_solver=evals_solver,
        evals_surrogate=evals_surrogate,
        run_ratio=float(ratio * evals_solver / evals_surrogate),
        cost_sentence=(
            f"the solver is {ratio:.2g} times faster than the surrogate per inference"
            if ratio > 1
            else f"the surrogate is {1 / ratio:.2g} times faster than the solver per inference"
        ),
        summary_cost=(
            "on this hardware the CRNN is not cheaper than the solver it replaces"
            if ratio > 1
            else "on this hardware the CRNN makes the inference cheaper than the solver"
        ),
    )


def inverse_table(stats: Mapping, regimes: Mapping) -> str:
    """Chapter 10's summary table (Markdown): per regime (its label) and forward model, the
    sequences, the median and inter-quartile range of |η̂ − η| (percent of misfit), the
    percentage within 2δη and the wall time per inference (s), from
    :func:`spinodal.analysis.inverse.inference_statistics`."""
    rows = [
        "| observed | forward model | sequences | median \\|η̂ − η\\| (%) | IQR (%) | "
        "within 2δη | s per inference |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, regime in regimes.items():
        for method in ("solver", "surrogate"):
            s = stats[name, method]
            rows.append(
                f"| {regime.label} | {method} | {s.n} | {s.median:.2g} | "
                f"{s.q25:.2g}–{s.q75:.2g} | {s.within:.0f} % | {s.cost:.3g} |"
            )
    return "\n".join(rows)


def bound_sentence(found) -> str:
    """What the identifiability map says where no decomposition was observed, from a
    :class:`spinodal.analysis.inverse.Identifiability`: the bound η ≳ η_s(⟨φ⟩) the data imply,
    how well η̂ still does there and whether the relaxation reads η (chapter 10)."""
    if not found.n_flat:
        return (
            "Every sequence decomposed by the last observed frame, so this run has no case where "
            "only a bound can be read."
        )
    if found.n_flat == 1:
        these = "this sequence"
        above = "lies" if found.n_flat_above else "does not lie"
        above += " above it"
        fit = (
            f"here with |η̂ − η| = {found.median_flat:.2g} % and δη = "
            f"{found.median_uncertainty_flat:.2g} %, "
            + ("on" if found.n_flat_at_bound else "not on")
            + " a bound of the search"
        )
    else:
        these = f"these {found.n_flat} sequences"
        above = f"lies above it in {found.n_flat_above} of them"
        fit = (
            f"here with a median |η̂ − η| of {found.median_flat:.2g} % and a median δη of "
            f"{found.median_uncertainty_flat:.2g} %, {found.n_flat_at_bound} of them on a bound "
            "of the search"
        )
    return (
        f"For {these} `infer_misfit` flags `separated = False` and reports the spinodal misfit "
        f"ηₛ(⟨φ⟩) as the bound the data imply (η ≳ ηₛ; the true η {above}), and it still "
        f"returns the minimum of the loss as η̂: {fit}. "
        + (
            "With the exact forward model and every frame, the relaxation of the fluctuations "
            "still pins η down about as well as a decomposition does (median error "
            f"{found.median_separated:.2g} % where the sequences decomposed). That signal fades "
            "with the fluctuations, and an approximate forward model or fewer frames may not "
            "resolve it; the bound does not depend on either."
            if found.relaxation_reads
            else "The relaxation carries too little of η to read it: the bound is what these "
            "data give."
        )
    )


def bound_summary(found) -> str:
    """The Summary's clause on sequences above the spinodal line, from a
    :class:`spinodal.analysis.inverse.Identifiability` (chapter 10)."""
    if found.relaxation_reads:
        return (
            "the exact model still reads η from the relaxation of the fluctuations, and the "
            "bound η ≳ ηₛ is what holds whatever the forward model"
        )
    return "the data mostly bound η from below"


#: Colours of the two forward models of chapter 10.
METHOD_COLOURS = {"solver": "tab:blue", "surrogate": "tab:red"}


def plot_misfit_profiles(grid, profiles, estimates, eta_true: float, *, title: str, ax=None):
    """The loss L(η) of one observed sequence with each forward model (log scale) on a grid of
    misfits, the estimates η̂ (dashed) and the true η (black) (chapter 10's worked example).

    Args:
        grid: [m] misfits (fractions), shown in percent.
        profiles: method (``"solver"``, ``"surrogate"``) → L [m]
            (:func:`spinodal.analysis.inverse.cached_profiles`).
        estimates: method → η̂ in percent.
        eta_true: the true misfit in percent.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    fig = ax.figure
    grid = np.asarray(grid)
    for method, colour in METHOD_COLOURS.items():
        ax.semilogy(grid * 100, profiles[method], "o-", color=colour, ms=4, label=method)
        ax.axvline(estimates[method], color=colour, ls="--", lw=1)
    ax.axvline(eta_true, color="k", lw=1.5, label="true η")
    ax.set(xlabel="η (%)", ylabel="L(η): mean squared residual", title=title)
    ax.legend(fontsize="small")
    return fig


def plot_inverse_accuracy(results, regimes, axes=None):
    """Chapter 10's accuracy on the test split: (a) η̂ against the true η of every sequence,
    one marker per observation regime, open for the solver and filled for the CRNN; (b) the
    errors |η̂ − η| per regime (dots, log scale floored at 10⁻⁶ %) with their median and
    inter-quartile range, per forward model.

    Args:
        results: (regime, method) → a result table of
            :func:`spinodal.analysis.inverse.infer_dataset` (``eta``, ``eta_true`` [S]).
        regimes: the regimes' names in order (e.g. the keys of
            :attr:`spinodal.analysis.inverse.InverseStudy.regimes`), at most seven.
    """

    regimes = list(regimes)
    markers = dict(zip(regimes, ("o", "s", "^", "v", "D", "P", "X"), strict=False))
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    fig = axes[0].figure
    for method, colour in METHOD_COLOURS.items():
        for name in regimes:
            r = results[name, method]
            axes[0].scatter(
                np.asarray(r["eta_true"]) * 100,
                np.asarray(r["eta"]) * 100,
                marker=markers[name],
                s=22,
                facecolor="none" if method == "solver" else colour,
                edgecolor=colour,
                linewidth=0.8,
                label=f"{method}, {name}",
            )
    for offset, (method, colour) in zip((-0.15, 0.15), METHOD_COLOURS.items(), strict=True):
        for i, name in enumerate(regimes):
            e = np.maximum(misfit_errors(results[name, method]) * 100, 1e-6)  # log axis floor
            axes[1].scatter(np.full(len(e), i + offset), e, color=colour, s=10, alpha=0.6)
            summary = ensemble_summary(e)
            axes[1].errorbar(
                i + offset,
                summary.median,
                yerr=[[summary.median - summary.q25], [summary.q75 - summary.median]],
                color=colour,
                marker="_",
                ms=14,
                capsize=3,
                label=method if i == 0 else None,
            )
    top = 100 * MISFIT_RANGE.value[1]  # the paper's range of η, in percent
    axes[0].plot([0, top], [0, top], "k-", lw=0.8)
    axes[0].set(xlabel="true η (%)", ylabel="η̂ (%)", title="(a) estimate against truth")
    axes[0].legend(fontsize=6, ncol=2)
    axes[1].set_yscale("log")
    axes[1].set_xticks(np.arange(len(regimes)), regimes, rotation=20)
    axes[1].set(ylabel="|η̂ − η| (%)", title="(b) error per regime: median and IQR")
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_identifiability_map(result, pf: PhaseFieldModel, *, title: str, ax=None):
    """Chapter 10's identifiability map: |η̂ − η| (colour, log scale, floored at 10⁻⁶ %) of
    every inferred sequence at its (⟨φ⟩, η), circles where it decomposed by the last observed
    frame and squares where not, over the spinodal region of Eq. 9 for the data's solver
    constants ``pf`` (as in Figs. 1a and 8a).

    Args:
        result: a result table of :func:`spinodal.analysis.inverse.infer_dataset`
            (``eta``, ``eta_true``, ``phi_mean``, ``separated`` [S]).
    """

    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
    fig = ax.figure
    e = misfit_errors(result)
    separated = np.asarray(result["separated"], bool)
    plot_spinodal_line(pf, ax=ax)
    norm = LogNorm(vmin=max(float(e.min()) * 100, 1e-6), vmax=max(float(e.max()) * 100, 2e-6))
    points = None
    for decomposed, marker, label in (
        (True, "o", "decomposed by the last frame"),
        (False, "s", "no decomposition observed"),
    ):
        mask = separated == decomposed
        points = ax.scatter(
            np.asarray(result["phi_mean"])[mask],
            np.asarray(result["eta_true"])[mask] * 100,
            c=np.maximum(e[mask] * 100, 1e-6),
            cmap="viridis",
            norm=norm,
            marker=marker,
            s=40,
            edgecolor="k",
            linewidth=0.4,
            zorder=3,
            label=label,
        )
    fig.colorbar(points, ax=ax, label="|η̂ − η| (%)")
    ax.set_ylim(0, 1.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.25, 1), fontsize="small")
    ax.set_title(title)
    return fig
