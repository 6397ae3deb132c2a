"""What the book says about a model: statistics and sentences that respect divergence.

A rollout that has left the physical range (:func:`spinodal.physics.metrics.has_diverged`, the
project's one criterion) no longer measures the physics: its MAE, energies or interface length
measure the blow-up. Every number the book prints about a network therefore goes through this
module (what one chapter alone shows lives in
:mod:`spinodal.book.chapters`):

=====================================  ========================================================
:func:`diverged_mask`                  [..., T] bool, True from a sequence's first diverged
                                       frame on (from stored contrasts max φ − min φ)
:func:`divergence_times`               time at which each sequence first diverges (inf: never)
:func:`frames_divergence_times`        the same from stored fields (a few frames per sequence)
:func:`median_divergence_time`         when half of an ensemble has diverged (inf: never)
:func:`summary_before_divergence`      median and quartiles over sequences, NaN wherever the
                                       statistic would involve a diverged rollout
:func:`mask_diverged`                  values with NaN from each sequence's divergence on
:func:`value_or_diverged`              "0.0123" or "diverged at 68τ" for one sequence
:func:`median_or_diverged`             "0.0123" or "diverged (17/32 by 68τ)" for an ensemble
:func:`divergence_sentence`            how many rollouts leave the physical range, and when
:func:`standing`                       MAE at the end of the training window against the
                                       no-change forecast, and divergence: the model's standing
:func:`workspace_standing`             :func:`standing` of a workspace's CRNN on a split
:func:`describe_build`                 the preset and hardware that made a page
:func:`format_number`                  22,500 and 2.8 × 10⁻⁸ rather than 2.25e+04, 2.8e-08
:func:`versus_paper_table`             every chapter's closing table "Paper vs this build",
                                       the paper's side read from :mod:`spinodal.paper`
=====================================  ========================================================

Statistics over an ensemble treat a diverged rollout as larger than any number (for errors):
the median at a time is a number only while fewer than half of the rollouts have diverged, the
upper quartile while fewer than a quarter have, and so on. For signed quantities (energies) the
statistic is taken over the rollouts that have not diverged, and only while fewer than half
have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np

from ..analysis.evaluation import cached_yardsticks
from ..io.provenance import environment
from ..paper import PaperValue
from ..physics.metrics import (
    PHYSICAL_RANGE,
    Summary,
    ensemble_summary,
    exceeds_physical_range,
    has_diverged,
)
from ..presets import get_preset
from ..surrogate.checkpoint import read_card

__all__ = [
    "Standing",
    "describe_build",
    "diverged_mask",
    "divergence_sentence",
    "divergence_times",
    "format_number",
    "format_tau",
    "frames_divergence_times",
    "mask_diverged",
    "inside_spinodal",
    "field_range",
    "median_divergence_time",
    "median_or_diverged",
    "standing",
    "summary_before_divergence",
    "value_or_diverged",
    "versus_paper_table",
    "workspace_standing",
    "history_minutes",
    "n_diverged",
]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(x, digits: int = 3) -> str:
    """A number as a reader reads it: ``22,500``, ``0.0123``, ``2.8 × 10⁻⁸`` (never
    ``2.25e+04``); ``digits`` significant digits."""
    x = float(x)
    if not np.isfinite(x):
        return "not finite" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    if x == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(x))))
    if -3 <= exponent < digits:
        return f"{x:.{digits}g}"
    if digits <= exponent < 9:
        return f"{round(x, digits - 1 - exponent):,.0f}"
    mantissa = f"{x / 10**exponent:.{digits}g}"
    if mantissa in ("10", "-10"):
        mantissa, exponent = mantissa[:-1], exponent + 1
    return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def format_tau(t) -> str:
    """A time in τ as the book prints it: ``68τ`` (integers), ``12.5τ`` otherwise."""
    t = float(t)
    return f"{t:.0f}τ" if t == round(t) else f"{t:.3g}τ"


def diverged_mask(contrasts) -> np.ndarray:
    """[..., T] bool: True at and after the first frame whose contrast max φ − min φ leaves
    the physical range (:func:`spinodal.physics.metrics.exceeds_physical_range`; NaN counts)."""
    out = exceeds_physical_range(contrasts)
    if out.ndim == 0:
        return out
    return np.logical_or.accumulate(out, axis=-1)


def divergence_times(contrasts, times) -> np.ndarray:
    """Time (``times`` [T], in τ) of the first diverged frame of each sequence, from stored
    contrasts [..., T]; ``inf`` where a sequence never diverges. Float [...]."""
    mask = exceeds_physical_range(contrasts)
    times = np.asarray(times, dtype=np.float64)
    if mask.shape[-1] != len(times):
        raise ValueError(f"contrasts have {mask.shape[-1]} frames for {len(times)} times")
    return np.where(mask.any(axis=-1), times[np.argmax(mask, axis=-1)], np.inf)


def frames_divergence_times(frames, times) -> np.ndarray:
    """:func:`divergence_times` from fields [..., F, H, W] stored at ``times`` [F] (e.g. a
    few frames of a long rollout): the first stored time at which a sequence has diverged, so
    it diverged at most then ("by" that time). ``inf`` where none has."""
    diverged = has_diverged(frames)  # [..., F]
    times = np.asarray(times, dtype=np.float64)
    if diverged.shape[-1] != len(times):
        raise ValueError(f"frames have {diverged.shape[-1]} entries for {len(times)} times")
    return np.where(diverged.any(axis=-1), times[np.argmax(diverged, axis=-1)], np.inf)


def median_divergence_time(first_times) -> float:
    """The time by which half of an ensemble has diverged, from each member's
    :func:`divergence_times` ``first_times`` [S] (inf: never): the lower median of the sorted
    times, so ``inf`` while fewer than half (for an even S: fewer than S/2) have diverged, and
    ``inf`` for an empty ensemble."""
    first_times = np.sort(np.asarray(first_times, dtype=np.float64).ravel())
    if len(first_times) == 0:
        return float("inf")
    return float(first_times[(len(first_times) - 1) // 2])


def mask_diverged(values, diverged) -> np.ndarray:
    """``values`` [..., T] as float with NaN wherever ``diverged`` [..., T] (cumulative, see
    :func:`diverged_mask`) is True: what may be drawn as a curve."""
    values = np.array(values, dtype=np.float64)
    values[np.broadcast_to(np.asarray(diverged, bool), values.shape)] = np.nan
    return values


def _percentiles_with_infinite_tail(values: np.ndarray, q) -> np.ndarray:
    """Linear-interpolation percentiles along axis 0 of ``values`` [S, ...] in which +inf
    stands for a diverged rollout and NaN for a missing value (ignored): NaN wherever a
    percentile falls on or interpolates towards a diverged rollout."""
    S = values.shape[0]
    flat = values.reshape(S, -1)
    out = np.full((len(q), flat.shape[1]), np.nan)
    for j in range(flat.shape[1]):
        column = flat[:, j]
        column = np.sort(column[~np.isnan(column)])  # +inf sort last
        n = len(column)
        if n == 0:
            continue
        for k, p in enumerate(q):
            position = p / 100 * (n - 1)
            lo, hi = int(np.floor(position)), int(np.ceil(position))
            frac = position - lo
            if not np.isfinite(column[lo]) or (frac > 0 and not np.isfinite(column[hi])):
                continue
            out[k, j] = column[lo] + (column[hi] - column[lo]) * frac if frac > 0 else column[lo]
    return out.reshape(len(q), *values.shape[1:])


def summary_before_divergence(
    values, diverged, *, kind: Literal["error", "signed"] = "error"
) -> Summary:
    """Median and quartiles over sequences (axis 0) of ``values`` [S, T] that never use a
    diverged rollout as a number.

    Args:
        values: per sequence and frame, e.g. the MAE or ⟨f⟩ of the NN.
        diverged: [S, T] bool, True from each sequence's divergence on (:func:`diverged_mask`).
        kind: ``"error"``: a diverged rollout ranks above every number (its error is
            unbounded), so the median at a frame is NaN once half of the rollouts have
            diverged, the upper quartile once a quarter have. ``"signed"`` (energies, isotropy):
            statistics over the rollouts that have not diverged, NaN (all three) once half
            have.

    Returns:
        :class:`spinodal.physics.metrics.Summary` of [T] arrays; non-diverged NaN values (e.g.
        D_b of a uniform field) are ignored, as in
        :func:`spinodal.physics.metrics.ensemble_summary`.
    """
    values = np.asarray(values, dtype=np.float64)
    diverged = np.broadcast_to(np.asarray(diverged, bool), values.shape)
    if kind == "error":
        ranked = np.where(
            diverged, np.inf, np.where(np.isfinite(values) | np.isnan(values), values, np.inf)
        )
        q25, median, q75 = _percentiles_with_infinite_tail(ranked, [25, 50, 75])
        return Summary(median, q25, q75)
    if kind != "signed":
        raise ValueError(f"kind must be 'error' or 'signed', got {kind!r}")
    summary = ensemble_summary(np.where(diverged, np.nan, values))
    gone = diverged.mean(axis=0) >= 0.5
    return Summary(*(np.where(gone, np.nan, part) for part in summary))


def _format(value, fmt: str | None) -> str:
    return format_number(value) if fmt is None else format(float(value), fmt)


def value_or_diverged(value, t, diverged_at, fmt: str | None = None) -> str:
    """One sequence's ``value`` at time ``t`` formatted with ``fmt`` (default
    :func:`format_number`), or ``diverged at Nτ``
    when it has diverged by then (``diverged_at``: its :func:`divergence_times` entry) or the
    value is not finite."""
    if float(diverged_at) <= float(t):
        return f"diverged at {format_tau(diverged_at)}"
    if not np.isfinite(value):
        return "not finite"
    return _format(value, fmt)


def median_or_diverged(
    values, t_index: int, diverged, times, fmt: str | None = None, suffix: str = ""
) -> str:
    """The ensemble median of ``values`` [S, T] at frame ``t_index`` (diverged rollouts rank
    above every number), or ``diverged (k/S by Nτ)`` when half or more have diverged by
    then. ``suffix`` is appended to a number (e.g. ``" %"``)."""
    diverged = np.asarray(diverged, bool)
    summary = summary_before_divergence(values, diverged)
    median = summary.median[t_index]
    if np.isnan(median) and diverged[:, t_index].any():
        k = int(diverged[:, t_index].sum())
        return f"diverged ({k}/{len(diverged)} by {format_tau(times[t_index])})"
    if np.isnan(median):
        return "n/a"
    return _format(median, fmt) + suffix


def divergence_sentence(first_times, horizon, *, what: str = "rollouts") -> str:
    """How many of ``first_times`` (:func:`divergence_times`, inf: never) leave the physical
    range within ``horizon`` τ, the first and the median time; a sentence without final
    period, e.g. "3 of 32 rollouts leave the physical range (max φ − min φ > 1.5 or not
    finite) within 200τ, the first at 68τ"."""
    first_times = np.asarray(first_times, dtype=np.float64).ravel()
    n = len(first_times)
    gone = first_times[first_times <= horizon]
    criterion = f"max φ − min φ > {PHYSICAL_RANGE:g} or not finite"
    if n == 1:
        one = what[:-1] if what.endswith("s") else what
        if len(gone) == 0:
            return (
                f"the {one} does not leave the physical range ({criterion}) within "
                f"{format_tau(horizon)}"
            )
        return f"the {one} leaves the physical range ({criterion}) at {format_tau(gone[0])}"
    if len(gone) == 0:
        return (
            f"none of the {n} {what} leaves the physical range ({criterion}) within "
            f"{format_tau(horizon)}"
        )
    text = (
        f"{'all' if len(gone) == n else len(gone)} of the {n} {what} leave the physical "
        f"range ({criterion}) within {format_tau(horizon)}, the first at "
        f"{format_tau(gone.min())}"
    )
    if 2 * len(gone) >= n:
        text += f", half of all {n} by {format_tau(median_divergence_time(first_times))}"
    return text


class Standing(NamedTuple):
    """A network's standing on a set of rollouts (:func:`standing`)."""

    window: int  # τ: the end of the training window, where the MAE is quoted
    horizon: int  # τ: the length of the rollouts
    mae: float  # median MAE at the window's end (NaN if half the rollouts diverged by then)
    persistence: float  # median MAE of the no-change forecast φ_t = φ₀ there
    n: int  # rollouts
    n_diverged: int  # rollouts leaving the physical range within the horizon
    first_divergence: float  # τ (inf: none)
    median_divergence: float  # τ at which half have diverged (inf: fewer than half do)
    sentence: str
    coarse: float = np.nan  # median MAE of the solver at δt = τ there (NaN: not measured)


def standing(
    mae, persistence, contrasts, times, window: int, *, what: str = "rollouts", coarse=None
) -> Standing:
    """The standing of a network, in numbers and one paragraph, for the top of a chapter.

    Args:
        mae: [S, T] MAE of NN rollouts against PF (times ``times`` [T], in τ).
        persistence: [S] MAE of the no-change forecast φ_t = φ₀ at ``window`` (or [S, T]).
        contrasts: [S, T] max φ − min φ of the NN fields (the divergence criterion).
        window: τ of the end of the training window (capped at the last time).
        what: what the rollouts are, e.g. ``"test rollouts"``.
        coarse: [S, T] MAE of the solver run at δt = τ from the same initial states
            (:func:`spinodal.analysis.evaluation.coarse_solver`), a second yardstick; None: not
            quoted.
    """
    times = np.asarray(times)
    mae = np.asarray(mae, dtype=np.float64)
    window = int(min(window, times[-1]))
    k = int(np.searchsorted(times, window))
    diverged = diverged_mask(contrasts)
    first = divergence_times(contrasts, times)
    horizon = int(times[-1])
    median = float(summary_before_divergence(mae, diverged).median[k])
    persistence = np.asarray(persistence, dtype=np.float64)
    still = float(np.nanmedian(persistence[:, k] if persistence.ndim == 2 else persistence))
    n, n_div = len(first), int(np.isfinite(first).sum())
    half = median_divergence_time(first)
    if np.isnan(median):
        head = (
            f"By the end of the {format_tau(window)} training window half of the {n} "
            f"{what} have already left the physical range, so no median error is quoted"
        )
    else:
        ratio = median / still if still > 0 else np.inf
        verdict = (
            "close to the phase field"
            if ratio < 0.25
            else "better than predicting no change, but far from the phase field"
            if ratio < 0.75
            else "hardly better than predicting no change at all"
            if ratio < 1
            else "worse than predicting no change at all"
        )
        head = (
            f"At the end of the {format_tau(window)} training window the median MAE of the "
            f"{n} {what} is **{median:.3g}**, {100 * ratio:.0f} % of the no-change "
            f"forecast's {still:.3g} (φₜ = φ₀): {verdict}"
        )
    solver = np.nan
    if coarse is not None:
        solver = float(ensemble_summary(coarse).median[k])
        if not np.isnan(median):
            head += (
                f". The phase-field solver itself, run with one step of δt = τ per frame, "
                f"has {solver:.3g} there: "
                + (
                    f"an error {median / solver:.2g} times smaller than the network's"
                    if solver < median
                    else "the network is the more accurate of the two"
                )
            )
    tail = divergence_sentence(first, horizon, what=what)
    sentence = f"{head}. {tail[0].upper()}{tail[1:]}."
    return Standing(
        window,
        horizon,
        median,
        still,
        n,
        n_div,
        float(first.min()) if n else np.inf,
        half,
        sentence,
        solver,
    )


def workspace_standing(workspace, split: str = "test", *, what: str | None = None) -> Standing:
    """:func:`standing` of a :class:`~spinodal.pipeline.workspace.Workspace`'s CRNN on one of its
    splits, from its (cached) evaluation: the MAE at the end of the model's training window
    (its card's ``dataset.frames``) against the no-change forecast of the same sequences,
    and of the solver run at δt = τ (:func:`spinodal.analysis.evaluation.cached_yardsticks`),
    and the divergence of every rollout over the split's length."""

    ev = workspace.evaluation(split)
    times = np.asarray(ev["frame"])
    window = int(min(read_card(workspace.model_path())["dataset"]["frames"], times[-1]))
    rows, frames = np.asarray(ev["index"], dtype=int), slice(0, len(times))
    sticks = cached_yardsticks(workspace, split)
    return standing(
        ev["mae"],
        sticks["no_change"][rows, frames],
        ev["nn/contrast"],
        times,
        window,
        what=what or f"{split} rollouts",
        coarse=sticks["coarse"][rows, frames],
    )


def describe_build(preset, device=None) -> str:
    """One sentence naming the preset, its hash, the hardware, versions and date of a page,
    and, for a reduced preset, that its sizes are not the paper's."""

    preset = get_preset(preset)
    env = environment(device)
    text = (
        f"Computed with the preset **{preset.name}** (hash `{preset.hash}`) on "
        f"{env['hardware']}, torch {env['torch']}, spinodal {env['spinodal']}, "
        f"on {env['date']}."
    )
    if preset.name != "paper":
        text += (
            " This is a reduced preset: sizes and counts are smaller than the paper's "
            "(`spinodal presets " + preset.name + "` lists them), and so are the "
            "statistics."
        )
    return text


def versus_paper_table(rows: Iterable[tuple[str, PaperValue | str, object]]) -> str:
    """A chapter's closing table "Paper vs this build", as Markdown.

    Args:
        rows: ``(quantity, paper, this build)`` triples. ``paper`` is a
            :class:`spinodal.paper.PaperValue` (shown as its text and the section or figure it
            comes from) or, for what the paper does not quantify, a plain string such as
            :data:`spinodal.paper.NOT_IN_PAPER`; ``this build`` is the build's value, already
            formatted (anything else goes through ``str``).

    Returns:
        ``| quantity | paper | this build |`` and one line per row.
    """
    lines = ["| quantity | paper | this build |", "|---|---|---|"]
    for quantity, paper, build in rows:
        cell = paper.cell if isinstance(paper, PaperValue) else str(paper)
        lines.append(f"| {quantity} | {cell} | {build} |")
    return "\n".join(lines)


# --- small helpers several chapters use ---------------------------------------------------


def inside_spinodal(phi_mean, eta, pf) -> np.ndarray:
    """[S] bool: the sequences whose misfit ``eta`` (fractions) lies below the spinodal misfit
    η_s(⟨φ⟩) of Eq. 9 for the solver constants ``pf``, i.e. inside the spinodal region where
    the mixture decomposes (False outside the chemical spinodal, where η_s is NaN)."""
    return np.asarray(eta, dtype=np.float64) < pf.spinodal_misfit(np.asarray(phi_mean))


def field_range(field) -> tuple[float, float]:
    """(min, max) of a field's finite and infinite values, NaN ignored: how far a rollout's
    field strays from φ's range [0, 1]."""
    field = np.asarray(field, dtype=np.float64)
    return float(np.nanmin(field)), float(np.nanmax(field))


def history_minutes(*histories: Sequence[dict]) -> float:
    """Wall time of training in minutes: the ``seconds`` of every epoch record of one or more
    ``history.json`` record lists, summed (all epochs; a card counts up to its best one). The
    paper quotes no training time (Sec. 2.3); chapters 03 and 09 quote this one."""
    return sum(h["seconds"] for run in histories for h in run) / 60


def n_diverged(check: Mapping[str, np.ndarray]) -> int:
    """How many rollouts of a :meth:`spinodal.analysis.stability.RolloutCheck.as_arrays` check
    left the physical range (``diverged_at`` ≥ 0; -1 means never)."""
    return int((np.asarray(check["diverged_at"]) >= 0).sum())
