"""What chapter 04 (accuracy on the test split, Sec. 3.1, Fig. 4) shows: errors against the no-
change forecast, inside and outside the spinodal region, an example rollout."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from ... import paper
from ...paper import (
    INTERFACE_ERROR_AT_500,
    INTERFACE_ERROR_WITHIN_TRAINING,
    MAE_WITHIN_TRAINING,
    PaperValue,
)
from ...physics.metrics import (
    PHYSICAL_RANGE,
    ensemble_summary,
)
from ...physics.solver import PhaseFieldModel
from ..plotting import plot_median_iqr, plot_spinodal_line
from ..reporting import (
    divergence_times,
    field_range,
    median_or_diverged,
    summary_before_divergence,
)

__all__ = [
    "AccuracyNumbers",
    "ExampleRollout",
    "RegionErrors",
    "accuracy_numbers",
    "accuracy_versus_paper_rows",
    "describe_test_split",
    "example_rollout",
    "fate_sentence",
    "format_percent",
    "plot_accuracy_errors",
    "plot_error_scatter",
    "quartile_or_diverged",
    "region_errors",
    "yardstick_sentence",
]


class RegionErrors(NamedTuple):
    """The error inside and outside the spinodal region at one time (chapter 04, Fig. 4b's
    scatter): the medians as printed, a sentence that depends on divergence, and how many
    sequences lie inside."""

    inside: str
    outside: str
    sentence: str
    n_inside: int = 0  # sequences inside the spinodal region


def region_errors(errors, diverged, times, inside, t) -> RegionErrors:
    """Median error at time ``t`` inside and outside the spinodal region, respecting divergence.

    Args:
        errors: [S, T] e.g. the MAE per sequence and frame.
        diverged: [S, T] bool, True from each rollout's divergence on.
        times: [T] times of the frames (τ); ``t`` must be one of them.
        inside: [S] bool, the sequences inside the spinodal region.
        t: the time compared (τ).

    Returns:
        The two medians (:func:`median_or_diverged`, or "n/a (no sequence)") and what they say:
        where the network errs if both are numbers, else why they do not say it.
    """
    errors, diverged = np.asarray(errors), np.asarray(diverged, dtype=bool)
    inside = np.asarray(inside, dtype=bool)
    k = int(np.flatnonzero(np.asarray(times) == t)[0])
    groups = {"inside": inside, "outside": ~inside}
    medians, numeric, gone = {}, {}, {}
    for name, group in groups.items():
        medians[name] = (
            median_or_diverged(errors[group], k, diverged[group], times)
            if group.any()
            else "n/a (no sequence)"
        )
        gone[name] = int(diverged[group, k].sum())
        if group.any():
            value = summary_before_divergence(errors[group], diverged[group]).median[k]
            if np.isfinite(value):
                numeric[name] = float(value)
    if gone["outside"] and "outside" not in numeric:
        sentence = (
            f"{gone['inside']} rollouts inside and {gone['outside']} outside the spinodal region "
            f"have left the physical range by {t}τ: the error there measures the instability of "
            "the rollout, not the physics of the region, and says nothing about where the "
            "network errs."
        )
    elif len(numeric) == 2 and numeric["inside"] > 2 * numeric["outside"]:
        sentence = (
            "The error is made where domains form, coarsen, split and merge: topological events "
            'amplify small differences (the paper\'s "bifurcations"), while outside the spinodal '
            "region the field relaxes to a homogeneous state that is easy to predict."
        )
    elif len(numeric) == 2:
        sentence = "The error is not much smaller outside the spinodal region than inside it here."
    else:
        sentence = (
            "Half or more of the rollouts of a region have diverged: the comparison is not made."
        )
    n_gone = int(diverged[:, k].sum())
    if n_gone:
        sentence += (
            f" ({n_gone} of {len(errors)} rollouts have diverged by {t}τ and are drawn as red "
            "crosses, ranked above every error.)"
        )
    return RegionErrors(medians["inside"], medians["outside"], sentence, int(inside.sum()))


def format_percent(fraction) -> str:
    """A fraction as a percentage the way the book quotes the paper: ``0.02`` → ``"2 %"``."""
    return f"{100 * float(fraction):g} %"


def quartile_or_diverged(value, suffix: str = "") -> str:
    """An upper quartile of :func:`summary_before_divergence` as printed: ``"0.123 %"``
    (three significant digits and ``suffix``), or, where it is NaN because a quarter or more
    of the rollouts have diverged, ``"diverged (a quarter or more of the rollouts)"``."""
    value = float(value)
    if np.isfinite(value):
        return f"{value:.3g}{suffix}"
    return "diverged (a quarter or more of the rollouts)"


def fate_sentence(diverged_at) -> str:
    """What became of one rollout (chapter 04's example, Fig. 4a): it stays in the physical
    range, or it leaves it at ``diverged_at`` τ (its :func:`divergence_times`; inf: never)."""
    diverged_at = float(diverged_at)
    if not np.isfinite(diverged_at):
        return "It stays in the physical range to the end."
    return (
        f"**It leaves the physical range at {diverged_at:.0f}τ** (columns titled "
        '"diverged"): from then on the fields show the blow-up, not the physics.'
    )


class ExampleRollout(NamedTuple):
    """What chapter 04 quotes of its example sequence (paper Fig. 4a).

    Attributes:
        eta_percent: its misfit η in percent.
        phi_mean: its mean composition ⟨φ⟩.
        nn_min, nn_max: the range of the NN field at the last frame.
        diverged_at: τ of the rollout's first diverged frame (inf: never).
        fate: :func:`fate_sentence`.
    """

    eta_percent: float
    phi_mean: float
    nn_min: float
    nn_max: float
    diverged_at: float
    fate: str


def example_rollout(nn, eta: float, phi_mean: float, contrasts, times) -> ExampleRollout:
    """:class:`ExampleRollout` of one NN rollout ``nn`` [T, H, W] of a sequence of misfit
    ``eta`` (fraction) and mean ``phi_mean``, with its stored contrasts max φ − min φ
    [T] at ``times`` [T] (τ) for the divergence (:func:`divergence_times`)."""
    diverged_at = float(divergence_times(contrasts, times))
    low, high = field_range(np.asarray(nn)[-1])
    return ExampleRollout(
        float(eta) * 100, float(phi_mean), low, high, diverged_at, fate_sentence(diverged_at)
    )


def describe_test_split(n_sequences: int, last: int, size: int, train_frames: int) -> str:
    """The test split against the paper's (Sec. 3.1) and against the training length: its
    ``n_sequences`` sequences of ``last`` τ on ``size``² grids are ``last / train_frames``
    times the windows the CRNN was trained on (Markdown)."""

    return (
        f"The test split holds **{n_sequences}** sequences of **{last}τ** on **{size}²** "
        f"grids ({last / train_frames:.3g} times the {train_frames}τ windows this CRNN was "
        f"trained on); the paper's holds {paper.TEST_SPLIT} ({paper.TEST_SPLIT.source}), five "
        "times its training sequences."
    )


class AccuracyNumbers(NamedTuple):
    """The numbers chapter 04 quotes of the test rollouts (paper Sec. 3.1, Fig. 4b,c), as
    printed: medians and upper quartiles over the sequences, or why there is none
    (:func:`median_or_diverged`, :func:`quartile_or_diverged`). Times in τ; interface-length
    errors in percent."""

    t_early: int
    t_mid: int
    last: int
    mae_early: str
    mae_mid: str
    mae_last: str
    mae_last_q75: str
    interface_mid: str
    interface_last: str
    interface_last_q75: str
    mae_sentence: str


def accuracy_numbers(
    mae, interface_error, diverged, times, train_frames: int, *, early: int, mid: int
) -> AccuracyNumbers:
    """:class:`AccuracyNumbers` of test rollouts, and when their median MAE first exceeds the
    paper's :data:`spinodal.paper.MAE_WITHIN_TRAINING` (Sec. 3.1, Fig. 4b).

    Args:
        mae, interface_error: [S, T+1] per sequence and frame (one frame per τ from 0); the
            interface-length error as a fraction.
        diverged: [S, T+1] (:func:`diverged_mask`).
        times: [T+1] in τ.
        train_frames: τ of the CRNN's training sequences.
        early, mid: τ of the first two quoted medians, each capped at the last frame.
    """

    times = np.asarray(times)
    last = int(times[-1])
    t_early, t_mid = min(early, last), min(mid, last)
    percent = np.asarray(interface_error, dtype=np.float64) * 100
    mae_summary = summary_before_divergence(mae, diverged)
    threshold = paper.MAE_WITHIN_TRAINING.value
    above = np.flatnonzero(~(mae_summary.median <= threshold))  # NaN: half have diverged
    if not len(above):
        sentence = (
            f"The median MAE stays at or below the paper's {threshold:g} over the whole {last}τ."
        )
    else:
        k = above[0]
        sentence = (
            f"The median MAE first exceeds the paper's {threshold:g} at t = {times[k]}τ "
            f"({times[k] / train_frames:.2g} times the training windows)"
            + (
                " (half of the rollouts have diverged by then)."
                if np.isnan(mae_summary.median[k])
                else "."
            )
        )
    return AccuracyNumbers(
        t_early=t_early,
        t_mid=t_mid,
        last=last,
        mae_early=median_or_diverged(mae, t_early, diverged, times),
        mae_mid=median_or_diverged(mae, t_mid, diverged, times),
        mae_last=median_or_diverged(mae, last, diverged, times),
        mae_last_q75=quartile_or_diverged(mae_summary.q75[last]),
        interface_mid=median_or_diverged(percent, t_mid, diverged, times, suffix=" %"),
        interface_last=median_or_diverged(percent, last, diverged, times, suffix=" %"),
        interface_last_q75=quartile_or_diverged(
            summary_before_divergence(percent, diverged).q75[last], " %"
        ),
        mae_sentence=sentence,
    )


def accuracy_versus_paper_rows(
    numbers: AccuracyNumbers, n_sequences: int, size: int, first_divergence
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 04's "Paper vs this build" (for :func:`versus_paper_table`): the
    test split, the quoted medians beside the paper's (Sec. 3.1, Fig. 4b,c) and how many
    rollouts leave the physical range (``first_divergence`` [S], :func:`divergence_times`)."""

    first_divergence = np.asarray(first_divergence, dtype=np.float64)
    n_diverged = int(np.isfinite(first_divergence).sum())
    last = numbers.last
    return [
        ("test split", paper.TEST_SPLIT, f"{n_sequences} × {last}τ on {size}²"),
        (
            f"median MAE at {numbers.t_early}τ",
            f"(below {paper.MAE_WITHIN_TRAINING.value:g})",
            numbers.mae_early,
        ),
        (f"median MAE at {numbers.t_mid}τ", paper.MAE_WITHIN_TRAINING, numbers.mae_mid),
        ("median MAE at the last frame", paper.MAE_AT_500, f"{numbers.mae_last} at {last}τ"),
        (
            f"interface-length error at {numbers.t_mid}τ (median)",
            paper.INTERFACE_ERROR_WITHIN_TRAINING,
            numbers.interface_mid,
        ),
        (
            "interface-length error at the last frame",
            paper.INTERFACE_ERROR_AT_500,
            f"{numbers.interface_last} (upper quartile {numbers.interface_last_q75}) at {last}τ",
        ),
        (
            "rollouts leaving the physical range "
            f"(max φ − min φ > {PHYSICAL_RANGE:g} or not finite)",
            "(none reported)",
            f"{n_diverged} of {n_sequences}"
            + (f", the first at {first_divergence.min():.0f}τ" if n_diverged else ""),
        ),
    ]


_YARDSTICK_STYLES = ("--", "-.", (0, (1, 1)))


def yardstick_sentence(mae, diverged, times, yardsticks, at) -> str:
    """Markdown comparing the NN's median MAE at the times ``at`` (τ) with each yardstick's.

    Args:
        mae: [S, T] the NN's MAE per test sequence; ``diverged`` [S, T] its divergence mask.
        times: [T] in τ.
        yardsticks: label → [S, T] MAE of another forecast of the same sequences.
        at: times (τ) to quote; those beyond the last frame are dropped.
    """
    times = np.asarray(times)
    shown = [int(t) for t in at if t <= times[-1]] or [int(times[-1])]
    index = [int(np.searchsorted(times, t)) for t in shown]
    nn_median = summary_before_divergence(mae, diverged).median  # NaN once half diverged
    nn_text = [median_or_diverged(mae, k, diverged, times) for k in index]
    parts = []
    for label, values in yardsticks.items():
        median = ensemble_summary(values).median
        quoted = ", ".join(
            f"{median[k]:.3g} against the NN's {text} at {t}τ"
            + _ratio(nn_median[k] / median[k] if median[k] > 0 else np.nan)
            for t, k, text in zip(shown, index, nn_text, strict=True)
        )
        parts.append(f"**{label}**: median MAE {quoted}")
    return "; ".join(parts) + "."


def _ratio(ratio: float) -> str:
    """ " (the NN's error is k× this)" or " (k× this)" for a finite ratio, else ""."""
    if not np.isfinite(ratio):
        return ""
    return f" (the NN's error is {ratio:.2g}× this)" if ratio >= 1 else f" ({ratio:.2g}× this)"


def plot_accuracy_errors(
    times, mae, interface_error, diverged, train_frames: int, axes=None, yardsticks=None
):
    """Fig. 4b,c: median and inter-quartile range over the test rollouts of (b) the MAE and
    (c) the relative error of the interface length 2⟨w⟩ (in percent), against time (τ), on log
    scales; diverged rollouts are kept out (:func:`plot_median_iqr`). Black lines: the paper's
    numbers (:data:`spinodal.paper.MAE_WITHIN_TRAINING`, dotted: within the training window,
    dashed: at 500τ); grey band: the ``train_frames`` τ this CRNN was trained on.

    Args:
        times: [T] in τ.
        mae, interface_error: [S, T] per test sequence (the interface error as a fraction).
        diverged: [S, T] (:func:`spinodal.book.reporting.diverged_mask`).
        yardsticks: label → [S, T] MAE of forecasts the NN must beat (e.g. no change, the
            solver at δt = τ), drawn in (b) as median lines (none by default).
    """

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    fig = axes[0].figure
    plot_median_iqr(
        times, mae, ax=axes[0], label="NN vs PF", color="tab:red", log=True, diverged=diverged
    )
    for (label, values), style in zip((yardsticks or {}).items(), _YARDSTICK_STYLES, strict=False):
        median = ensemble_summary(values).median
        axes[0].plot(times[1:], median[1:], color="0.35", lw=1.2, ls=style, label=label)
    axes[0].axhline(
        MAE_WITHIN_TRAINING.value, color="k", ls=":", lw=1, label=f"paper: {MAE_WITHIN_TRAINING}"
    )
    axes[0].set_ylabel("MAE ⟨|φ_NN − φ_PF|⟩")
    axes[0].set_title("(b) mean absolute error")
    axes[0].legend(fontsize="small")
    plot_median_iqr(
        times,
        np.asarray(interface_error) * 100,
        ax=axes[1],
        color="tab:red",
        log=True,
        diverged=diverged,
    )
    for value, style in ((INTERFACE_ERROR_WITHIN_TRAINING, ":"), (INTERFACE_ERROR_AT_500, "--")):
        axes[1].axhline(100 * value.value, color="k", ls=style, lw=1, label=f"paper: {value}")
    axes[1].set_ylabel("relative error of 2⟨w⟩ (%)")
    axes[1].set_title("(c) interface length")
    axes[1].legend(fontsize="small")
    for ax in axes:
        ax.axvspan(0, train_frames, color="0.9", zorder=0)
    fig.tight_layout()
    return fig


def plot_error_scatter(phi_mean, eta, errors, diverged, pf: PhaseFieldModel, t, ax=None):
    """The error of every sequence at its (⟨φ⟩, η) (colour, log scale, floored at 10⁻⁵) over the
    spinodal region of Eq. 9; a rollout that has diverged by time ``t`` (τ) is a red cross.

    Args:
        phi_mean, eta: [S] parameters of the sequences (η a fraction).
        errors: [S] the error at ``t`` (e.g. the MAE).
        diverged: [S] bool, the rollouts that have left the physical range by ``t``.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4.2))
    fig = ax.figure
    phi_mean, eta = np.asarray(phi_mean), np.asarray(eta)
    gone = np.asarray(diverged, dtype=bool)
    values = np.clip(np.asarray(errors, dtype=float), 1e-5, None)
    ok = ~gone
    plot_spinodal_line(pf, ax=ax)
    norm = (
        LogNorm(vmin=values[ok].min(), vmax=max(values[ok].max(), 2 * values[ok].min()))
        if ok.any()
        else LogNorm(1e-3, 1)
    )
    points = ax.scatter(
        phi_mean[ok],
        eta[ok] * 100,
        c=values[ok],
        cmap="viridis",
        norm=norm,
        edgecolor="k",
        linewidth=0.3,
        zorder=3,
    )
    ax.scatter(
        phi_mean[gone],
        eta[gone] * 100,
        marker="x",
        color="tab:red",
        zorder=3,
        label=f"diverged by {t}τ ({int(gone.sum())})",
    )
    fig.colorbar(points, ax=ax, label=f"MAE at {t}τ")
    ax.set_ylim(0, 1.3)
    ax.set_title(f"test sequences, MAE at {t}τ")
    ax.legend(loc="upper right", fontsize="small")
    return fig
