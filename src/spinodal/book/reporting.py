"""What the book says about a model: statistics and sentences that respect divergence.

A rollout that has left the physical range (:func:`spinodal.physics.metrics.has_diverged`, the
project's one criterion) no longer measures the physics: its MAE, energies or interface length
measure the blow-up. Every number the book prints about a network therefore goes through this
module:

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
:func:`inside_band_until`              how long an NN median stays inside the PF IQR
:func:`mean_properties_table`          that, and the gap between the medians, per property
:func:`standing`                       MAE at the end of the training window against the
                                       no-change forecast, and divergence: the model's standing
:func:`workspace_standing`             :func:`standing` of a workspace's CRNN on a split
:func:`describe_build`                 the preset and hardware that made a page
:func:`format_number`                  22,500 and 2.8 × 10⁻⁸ rather than 2.25e+04, 2.8e-08
:func:`versus_paper_table`             every chapter's closing table "Paper vs this build",
                                       the paper's side read from :mod:`spinodal.paper`
:func:`timing_tables_note`             why chapter 08's two timing tables differ per step
:func:`region_errors`                  the error inside and outside the spinodal region
:func:`noise_match`                    the NN error against PF runs under noise (Sec. 3.2)
:func:`noise_levels_table`             the noise levels tried, as a table
:func:`arithmetic_note`                the operation count of CRNN and solver, checked
                                       against the measured times
:func:`training_summary`               chapter 03: a CRNN's stages, histories, best epoch,
                                       wall time and curriculum spike; with
                                       :func:`architecture_summary`, :func:`model_card_table`,
                                       :func:`gain_table`, :func:`training_versus_paper_rows`
:func:`ablation_recipe`                chapter 09: the ablation recipe beside the main one and
                                       the paper's; with :func:`ablation_table`,
                                       :func:`ablation_ranking`, :func:`twins_sentence`,
                                       :func:`drift_summary`, :func:`ablation_versus_paper_rows`
:func:`phase_diagram_sentence`         chapter 07: NN-PF agreement respecting divergence; with
                                       :func:`confusion_table`, :func:`phase_diagram_cases`,
                                       :func:`amplitude_pair`
:func:`speedup_sentence`               chapter 08: what the measured speed-ups mean beside
                                       the paper's; with :func:`speedup_versus_paper_rows`
:func:`constants_table`,               chapters 01-02: the solver's constants, how a sequence
:func:`sampling_table`,                is drawn, every split beside the paper's
:func:`splits_table`
=====================================  ========================================================

Statistics over an ensemble treat a diverged rollout as larger than any number (for errors):
the median at a time is a number only while fewer than half of the rollouts have diverged, the
upper quartile while fewer than a quarter have, and so on. For signed quantities (energies) the
statistic is taken over the rollouts that have not diverged, and only while fewer than half
have.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from ..paper import PaperValue
from ..physics.metrics import (
    PHYSICAL_RANGE,
    Summary,
    ensemble_summary,
    exceeds_physical_range,
    has_diverged,
)

__all__ = [
    "NoiseMatch",
    "RegionErrors",
    "Standing",
    "arithmetic_note",
    "cures_table",
    "timing_tables_note",
    "describe_build",
    "diverged_mask",
    "divergence_sentence",
    "divergence_times",
    "format_number",
    "format_tau",
    "frames_divergence_times",
    "inside_band_until",
    "mask_diverged",
    "mean_properties_table",
    "noise_levels_table",
    "noise_match",
    "region_errors",
    "inside_spinodal",
    "AccuracyNumbers",
    "accuracy_numbers",
    "accuracy_versus_paper_rows",
    "describe_test_split",
    "fate_sentence",
    "field_range",
    "ExampleRollout",
    "example_rollout",
    "format_percent",
    "quartile_or_diverged",
    "DomainReport",
    "domain_report",
    "InverseSummary",
    "inverse_summary",
    "inverse_table",
    "bound_sentence",
    "bound_summary",
    "ensemble_label",
    "capped_times",
    "describe_ensembles",
    "EnsembleDivergence",
    "ensemble_divergence",
    "NoiseWindow",
    "noise_window",
    "long_time_versus_paper_rows",
    "median_divergence_time",
    "median_or_diverged",
    "standing",
    "summary_before_divergence",
    "value_or_diverged",
    "versus_paper_table",
    "workspace_standing",
    # chapter 03
    "history_minutes",
    "TrainingSummary",
    "training_summary",
    "ArchitectureSummary",
    "architecture_summary",
    "validation_verdict",
    "GridGain",
    "grid_gain_summary",
    "gain_table",
    "model_card_table",
    "training_versus_paper_rows",
    "ExampleNumbers",
    "example_numbers",
    # chapter 09
    "AblationRecipe",
    "ablation_recipe",
    "horizon_note",
    "DriftSummary",
    "drift_summary",
    "ablation_table",
    "AblationRanking",
    "ablation_ranking",
    "twins_sentence",
    "training_minutes",
    "ablation_versus_paper_rows",
    "n_diverged",
    # chapter 07
    "phase_diagram_sentence",
    "confusion_table",
    "phase_diagram_cases",
    "AmplitudePair",
    "amplitude_pair",
    "phase_diagram_versus_paper_rows",
    # chapter 08
    "speedup_sentence",
    "speedup_versus_paper_rows",
    # chapters 01-02
    "constants_table",
    "sampling_table",
    "splits_table",
    "TrainingFileSummary",
    "training_file_summary",
    "dataset_versus_paper_rows",
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


def standing(
    mae, persistence, contrasts, times, window: int, *, what: str = "rollouts"
) -> Standing:
    """The standing of a network, in numbers and one paragraph, for the top of a chapter.

    Args:
        mae: [S, T] MAE of NN rollouts against PF (times ``times`` [T], in τ).
        persistence: [S] MAE of the no-change forecast φ_t = φ₀ at ``window`` (or [S, T]).
        contrasts: [S, T] max φ − min φ of the NN fields (the divergence criterion).
        window: τ of the end of the training window (capped at the last time).
        what: what the rollouts are, e.g. ``"test rollouts"``.
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
    )


def workspace_standing(workspace, split: str = "test", *, what: str | None = None) -> Standing:
    """:func:`standing` of a :class:`~spinodal.pipeline.workspace.Workspace`'s CRNN on one of its
    splits, from its (cached) evaluation: the MAE at the end of the model's training window
    (its card's ``dataset.frames``) against the no-change forecast of the same sequences,
    and the divergence of every rollout over the split's length."""
    from ..io.datasets import open_dataset
    from ..physics.metrics import mae as mean_absolute_error
    from ..surrogate.checkpoint import read_card

    ev = workspace.evaluation(split)
    times = np.asarray(ev["frame"])
    window = int(min(read_card(workspace.model_path())["dataset"]["frames"], times[-1]))
    with open_dataset(workspace.dataset(split)) as ds:
        index = np.asarray(ev["index"], dtype=int)
        persistence = mean_absolute_error(ds.read(index, 0), ds.read(index, window))
    return standing(
        ev["mae"], persistence, ev["nn/contrast"], times, window, what=what or f"{split} rollouts"
    )


def describe_build(preset, device=None) -> str:
    """One sentence naming the preset, its hash, the hardware, versions and date of a page,
    and, for a reduced preset, that its sizes are not the paper's."""
    from ..io.provenance import environment
    from ..presets import get_preset

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
    from ..analysis.bench import arithmetic_ratio

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


# --- chapter 05: mean properties over long times, and noise (paper Sec. 3.2, Figs. 5-6) ------


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
    from .. import paper

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
    from .. import paper

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


def inside_spinodal(phi_mean, eta, pf) -> np.ndarray:
    """[S] bool: the sequences whose misfit ``eta`` (fractions) lies below the spinodal misfit
    η_s(⟨φ⟩) of Eq. 9 for the solver constants ``pf``, i.e. inside the spinodal region where
    the mixture decomposes (False outside the chemical spinodal, where η_s is NaN)."""
    return np.asarray(eta, dtype=np.float64) < pf.spinodal_misfit(np.asarray(phi_mean))


# --- chapter 04: accuracy on the test set (paper Sec. 3.1, Fig. 4) ---------------------------


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


def field_range(field) -> tuple[float, float]:
    """(min, max) of a field's finite and infinite values, NaN ignored: how far a rollout's
    field strays from φ's range [0, 1]."""
    field = np.asarray(field, dtype=np.float64)
    return float(np.nanmin(field)), float(np.nanmax(field))


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
    from .. import paper

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
    from .. import paper

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
    from .. import paper

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


# --- chapter 06: larger domains (paper Sec. 3.3, Fig. 7) -------------------------------------


def _with_percent(text: str) -> str:
    """`` %`` after a number, not after "diverged at Nτ" or "not finite"."""
    return text + (" %" if text[0].isdigit() else "")


class DomainReport(NamedTuple):
    """What chapter 06 says of NN rollouts on larger domains (paper Sec. 3.3, Fig. 7), as
    printed. Sizes in grid points per side, times in τ, errors of the interface length 2⟨w⟩
    and of ⟨f⟩ relative to PF, in percent.

    Attributes:
        train_size: side of the training domain.
        area_ratio: (large side / training side)², the paper's 16.
        t_report: τ at which the errors of the ``large`` split are quoted.
        gone_large, gone_varying: [S] per sequence of each split, the first stored time its
            NN rollout is found diverged (:func:`frames_divergence_times`; inf: never).
        large_mae, large_interface: per ``large`` sequence at ``t_report``, the MAE and the
            interface-length error (with " %"), or "diverged at Nτ" (:func:`value_or_diverged`).
        large_eta_percent: per ``large`` sequence, η in percent.
        large_sentence: whether the NN rollouts of ``large`` stay in the physical range (with
            the range of their last fields), or when each left it.
        varying_end: τ of the last frame of ``varying``.
        varying_mae, varying_interface, varying_f: there, the MAE, the interface-length error
            and |⟨f⟩_NN / ⟨f⟩_PF − 1| (the last two in percent, without the sign), or
            "diverged at Nτ".
        varying_sentence: those three in a sentence (without period), or that the rollout
            diverged.
        varying_nn_min, varying_nn_max: the range of the last NN field of ``varying``.
        summary_sentence: how many rollouts of both splits leave the physical range.
        rows: the rows of the chapter's "Paper vs this build" (:func:`versus_paper_table`).
    """

    train_size: int
    area_ratio: float
    t_report: int
    gone_large: np.ndarray
    gone_varying: np.ndarray
    large_mae: list[str]
    large_interface: list[str]
    large_eta_percent: list[float]
    large_sentence: str
    varying_end: int
    varying_mae: str
    varying_interface: str
    varying_f: str
    varying_sentence: str
    varying_nn_min: float
    varying_nn_max: float
    summary_sentence: str
    rows: list[tuple[str, PaperValue | str, str]]


def domain_report(large: dict, varying: dict, train_size: int, report_time: int) -> DomainReport:
    """:class:`DomainReport` of the rollouts of the ``large`` and ``varying`` splits.

    Args:
        large, varying: :func:`spinodal.analysis.evaluation.domain_rollout` results (``eta``,
            ``phi_mean`` [S]; ``frame`` [T+1], one per τ from 0; ``mae``,
            ``interface_error``, ``nn/paper_total``, ``pf/paper_total`` [S, T+1];
            ``stored_frame`` [F] and the fields ``nn`` [S, F, N, N]).
        train_size: side of the CRNN's training domain.
        report_time: τ at which the ``large`` errors are quoted, capped at its last frame (the
            paper shows Fig. 7a,b at 100τ).
    """
    from .. import paper

    gone_large = frames_divergence_times(large["nn"], large["stored_frame"])
    gone_varying = frames_divergence_times(varying["nn"], varying["stored_frame"])
    large_size, varying_size = large["nn"].shape[-1], varying["nn"].shape[-1]
    large_end, t_end = int(large["frame"][-1]), int(varying["frame"][-1])
    t = min(int(report_time), large_end)
    mae = [value_or_diverged(large["mae"][s, t], t, g) for s, g in enumerate(gone_large)]
    interface = [
        _with_percent(value_or_diverged(large["interface_error"][s, t] * 100, t, g))
        for s, g in enumerate(gone_large)
    ]
    etas = [float(e) * 100 for e in large["eta"]]
    if not np.isfinite(gone_large).any():
        low, high = field_range(large["nn"][:, -1])
        large_sentence = (
            "Both NN rollouts stay in the physical range to the end of the split"
            f"; at the end the NN fields span [{low:.3g}, {high:.3g}]."
        )
    else:
        large_sentence = " ".join(
            f"**The NN rollout at η = {e:.1f} % has left the physical range by "
            f"{g:.0f}τ** (the first stored frame found diverged): its curves end there."
            for e, g in zip(etas, gone_large, strict=True)
            if np.isfinite(g)
        )
    g = float(gone_varying[0])
    energy_gap = abs(varying["nn/paper_total"][0, -1] / varying["pf/paper_total"][0, -1] - 1)
    v_mae = value_or_diverged(varying["mae"][0, -1], t_end, g)
    v_interface = value_or_diverged(varying["interface_error"][0, -1] * 100, t_end, g)
    v_f = value_or_diverged(energy_gap * 100, t_end, g)
    varying_sentence = (
        f"At {t_end}τ the MAE is {v_mae}, the interface length is off by {v_interface} % and "
        f"⟨f⟩ by {v_f} %"
        if not np.isfinite(g)
        else f"**The NN rollout has left the physical range by {g:.0f}τ** (the first stored "
        f"frame found diverged): no error is quoted at {t_end}τ, and its curves end there"
    )
    n_gone = int(np.isfinite(gone_large).sum() + np.isfinite(gone_varying).sum())
    n_all = len(gone_large) + len(gone_varying)
    summary_sentence = (
        "Its rollouts there stay in the physical range to the end of both splits, and the "
        "figures and numbers above show how closely they follow the phase field, for Perlin "
        "states and for an initial state outside the training distribution."
        if not n_gone
        else f"{n_gone} of its {n_all} rollouts there {'leaves' if n_gone == 1 else 'leave'} "
        "the physical range (times above): up to then the figures show how closely they "
        "follow the phase field; after, they show a blow-up, not a generalization."
    )
    area_ratio = (large_size / train_size) ** 2
    rows = [
        ("training domain", paper.TRAINING_DOMAIN, f"{train_size}²"),
        ("large domain (area ratio)", paper.LARGE_DOMAIN, f"{large_size}² ({area_ratio:g}×)"),
        (
            "Perlin sequences: ⟨φ⟩, η",
            paper.LARGE_DOMAIN_SEQUENCES,
            f"{large['phi_mean'][0]:.2f}; " + " and ".join(f"{e:.1f} %" for e in etas),
        ),
        (f"MAE at {t}τ (per η)", paper.LARGE_DOMAIN_ERRORS, ", ".join(mae)),
        (f"interface-length error at {t}τ (per η)", paper.NOT_QUOTED, ", ".join(interface)),
        (
            "varying composition: length",
            paper.VARYING_COMPOSITION,
            f"{t_end}τ on {varying_size}²",
        ),
        ("varying composition: MAE at the end", paper.VARYING_COMPOSITION_ERROR, v_mae),
    ]
    return DomainReport(
        train_size=int(train_size),
        area_ratio=float(area_ratio),
        t_report=t,
        gone_large=gone_large,
        gone_varying=gone_varying,
        large_mae=mae,
        large_interface=interface,
        large_eta_percent=etas,
        large_sentence=large_sentence,
        varying_end=t_end,
        varying_mae=v_mae,
        varying_interface=v_interface,
        varying_f=v_f,
        varying_sentence=varying_sentence,
        varying_nn_min=field_range(varying["nn"][0, -1])[0],
        varying_nn_max=field_range(varying["nn"][0, -1])[1],
        summary_sentence=summary_sentence,
        rows=rows,
    )


# --- chapter 10: reading the misfit from a microstructure (beyond the paper) -----------------


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


# --- chapter 03: the network and its training (paper Sec. 2.3, Figs. 2-3) -------------------


def history_minutes(*histories: Sequence[dict]) -> float:
    """Wall time of training in minutes: the ``seconds`` of every epoch record of one or more
    ``history.json`` record lists, summed (all epochs; a card counts up to its best one). The
    paper quotes no training time (Sec. 2.3); chapters 03 and 09 quote this one."""
    return sum(h["seconds"] for run in histories for h in run) / 60


class TrainingSummary(NamedTuple):
    """What chapter 03 reports of the training runs that made a CRNN (paper Sec. 2.3, Fig. 3a).

    Attributes:
        card: the checkpoint's ``card.json``.
        stages: :func:`spinodal.surrogate.checkpoint.training_stages`, first stage first (one
            entry for a model trained in one run).
        histories: ``[(stage name, its history.json records)]``, first stage first, as
            :func:`spinodal.book.plotting.plot_training_history` takes them.
        history: the model's own ``history.json`` records (its last stage).
        best: the record of the card's best epoch, the checkpoint the book uses.
    """

    card: dict
    stages: list[dict]
    histories: list[tuple[str, list[dict]]]
    history: list[dict]
    best: dict

    @property
    def minutes(self) -> float:
        """Wall time of the last stage, all its epochs (min)."""
        return history_minutes(self.history)

    @property
    def total_minutes(self) -> float:
        """Wall time of every stage together (min)."""
        return sum(st["minutes"] for st in self.stages)

    @property
    def stages_text(self) -> str:
        """``"1 stage"`` or ``"4 stages"``."""
        n = len(self.stages)
        return f"{n} stage{'s' * (n > 1)}"

    @property
    def epochs_text(self) -> str:
        """Epochs (curriculum ramp) per stage, e.g. ``"12 (10) + 9 (0)"``."""
        return " + ".join(f"{st['epochs']} ({st['curriculum_epochs']})" for st in self.stages)

    @property
    def ramp_epochs(self) -> int:
        """Epochs of the last stage with more than one true input frame (its curriculum)."""
        return sum(h["n_input"] > 1 for h in self.history)

    @property
    def ramp_growth(self) -> float:
        """Largest training loss over the last stage's curriculum ramp and the epoch after it,
        over that of its first epoch (the spike of the paper's Fig. 3a); NaN without a ramp."""
        n = self.ramp_epochs
        ramp = [h["train"]["loss"] for h in self.history[: n + 1]]
        return max(ramp) / ramp[0] if n else np.nan

    @property
    def ramp_sentence(self) -> str:
        """Whether the curriculum ramp made the training loss spike, as in Fig. 3a (no period)."""
        spike = self.ramp_growth
        if spike > 2:
            return (
                f"During the curriculum ramp the training loss grows {spike:.0f}-fold as the "
                "network predicts ever more frames from its own output, like the spike of the "
                "paper's Fig. 3a"
            )
        if self.ramp_epochs:
            return (
                "The curriculum ramp leaves no spike in the training loss here, unlike the "
                "paper's Fig. 3a"
            )
        return "This run had no curriculum ramp"

    @property
    def ramp_caption(self) -> str:
        """The part of Fig. 3a's caption about the shaded ramp epochs (any stage)."""
        if any(h["n_input"] > 1 for _, run in self.histories for h in run):
            return "the epochs of the curriculum ramp are shaded"
        return "no stage had a curriculum ramp"


def training_summary(model_dir: str | Path) -> TrainingSummary:
    """The :class:`TrainingSummary` of a checkpoint folder, from its card, the cards of the
    runs it was fine-tuned from and their ``history.json`` files (paper Sec. 2.3, Fig. 3a)."""
    from ..surrogate.checkpoint import read_card, training_stages

    card = read_card(model_dir)
    stages = training_stages(model_dir)
    histories = [
        (st["name"], json.loads((Path(st["path"]) / "history.json").read_text())) for st in stages
    ]
    history = json.loads((Path(model_dir) / "history.json").read_text())
    best = [h for h in history if h["epoch"] == card["best_epoch"]]
    if not best:
        raise ValueError(f"{model_dir}: the best epoch {card['best_epoch']} is not in its history")
    return TrainingSummary(card, stages, histories, history, best[0])


class ArchitectureSummary(NamedTuple):
    """The CRNN's size and settings against the paper's (Sec. 2.3, Fig. 2).

    Attributes:
        n_parameters: trainable parameters.
        percent_of_paper: ``n_parameters`` in percent of the paper's (rounded) count.
        table: Markdown: parameters per part and in total, then the settings beside the paper's.
    """

    n_parameters: int
    percent_of_paper: float
    table: str


def architecture_summary(net) -> ArchitectureSummary:
    """:class:`ArchitectureSummary` of a :class:`spinodal.surrogate.model.CRNN` (its
    ``config``, its convGRU cells and its head), the paper's side read from
    :mod:`spinodal.paper`."""
    from .. import paper
    from ..surrogate.model import count_parameters

    config = net.config
    parts = {f"convGRU {k}": cell for k, cell in enumerate(net.cells, start=1)}
    parts["head"] = net.head
    n_params = count_parameters(net)
    lines = ["| part | parameters |", "|---|---|"]
    lines += [f"| {name} | {count_parameters(part):,} |" for name, part in parts.items()]
    lines += [
        f"| **total** | **{n_params:,}** (paper: {paper.PARAMETERS}) |",
        "",
        f"| setting | this model | paper ({paper.HIDDEN_CHANNELS.source}) |",
        "|---|---|---|",
        f"| channels per convGRU | {config.hidden_channels} | {paper.HIDDEN_CHANNELS} |",
        f"| kernel | {config.kernel_size}×{config.kernel_size} | {paper.KERNEL_SIZE} |",
        f"| convGRU cells | {config.n_cells} | {paper.CONVGRU_CELLS} |",
        f"| output layer | `{config.output}` | {paper.OUTPUT_LAYER} |",
        f"| η channel | η × {config.eta_scale:g} (η in %) | {paper.ETA_INPUT} |",
    ]
    return ArchitectureSummary(n_params, 100 * n_params / paper.PARAMETERS.value, "\n".join(lines))


def validation_verdict(standing: Standing, frames_trained: int, n_frames: int) -> str:
    """The :class:`Standing` sentence of validation rollouts of ``n_frames`` τ (Fig. 3b,c),
    adding when the model was trained on shorter sequences (``frames_trained`` frames)."""
    text = standing.sentence.replace("training window", "sequences")
    if frames_trained < n_frames:
        text += f" This model was trained on sequences of {frames_trained} frames only."
    return text


class GridGain(NamedTuple):
    """The grid-scale gains per τ of one network about uniform states
    (:meth:`spinodal.analysis.stability.ModeGain.grid_scale`): their median, largest value and
    what the largest says."""

    median: float
    max: float
    sentence: str


def grid_gain_summary(gain) -> GridGain:
    """:class:`GridGain` of grid-scale gains per τ (any shape): damped (all below 1, as the
    solver's Eq. 8 damps them) or not."""
    gain = np.asarray(gain)
    largest = float(gain.max())
    sentence = (
        "it damps every grid-scale mode (gain below 1 per τ), as the solver does, though far "
        "less strongly"
        if largest < 1
        else "some grid-scale modes are not damped (gain ≥ 1 per τ): round-off there grows, and "
        "a long rollout eventually leaves the physical range"
    )
    return GridGain(float(np.median(gain)), largest, sentence)


def gain_table(
    grid_gains: Mapping[str, np.ndarray], trajectory: Mapping[str, dict], start: int
) -> str:
    """The stability table of chapter 03 (Markdown), one row per network.

    Args:
        grid_gains: label → the grid-scale gains per τ about uniform states
            (:meth:`spinodal.analysis.stability.ModeGain.grid_scale`).
        trajectory: label → ``network`` and ``solver`` per-τ gains [B] of grid-scale
            perturbations of trajectory states
            (:func:`spinodal.analysis.stability.trajectory_gain`).
        start: τ of the perturbed trajectory states.
    """
    lines = [
        "| network | grid-scale mode gain per τ, uniform states (median / max) | "
        f"grid-scale perturbation of trajectory states at {start}τ, gain per τ "
        "(median): network / solver |",
        "|---|---|---|",
    ]
    for label, pair in trajectory.items():
        g = np.asarray(grid_gains[label])
        lines.append(
            f"| {label} | {np.median(g):.2f} / {g.max():.2f} | "
            f"{np.median(pair['network']):.2f} / {np.median(pair['solver']):.2f} |"
        )
    return "\n".join(lines)


def model_card_table(training: TrainingSummary) -> str:
    """A CRNN's card as Markdown: its recipe beside the paper's (marking what differs), its
    training time, hardware and validation MAE, and, for a staged training, one row per stage
    (paper Sec. 2.3)."""
    card, stages = training.card, training.stages
    pairs, differs = card["versus_paper"]["pairs"], card["versus_paper"]["differs_in"]
    env = card["environment"]
    lines = ["| recipe | this model | paper |", "|---|---|---|"]
    lines += [
        f"| {key.replace('_', ' ')} | {ours}{' (**differs**)' if key in differs else ''} | "
        f"{theirs} |"
        for key, (ours, theirs) in pairs.items()
    ]
    lines += [
        "",
        f"Trained {card['epochs_trained']} epochs (best: {card['best_epoch']}) in "
        f"{training.minutes:.1f} min on {env['hardware']} "
        f"(torch {env['torch']}, {env['date']}); "
        "validation MAE recorded by the trainer: "
        + ", ".join(f"{v:.4f} at frame {f}" for f, v in card["validation"]["mae_at_frame"].items())
        + ".",
    ]
    if len(stages) > 1:
        lines += [
            "",
            "This model was trained in stages, each starting from the previous one's weights:",
            "",
            "| stage | epochs (best) | frames | curriculum | learning rate | minutes | hardware |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {st['name']} | {st['epochs']} ({st['best_epoch']}) | {st['frames']} "
            f"| {st['curriculum_epochs']} | {st['learning_rate']:g} | {st['minutes']:.1f} | "
            f"{st['hardware']} |"
            for st in stages
        ]
    return "\n".join(lines)


def training_versus_paper_rows(
    training: TrainingSummary, n_parameters: int, mae_at: Mapping[int, str]
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 03's "Paper vs this build" (for :func:`versus_paper_table`): size,
    data, curriculum, loss weights and training time of the CRNN (Sec. 2.3), then its
    validation median MAE at each time of ``mae_at`` (τ → the printed median, Fig. 3b,c)."""
    from .. import paper

    card = training.card
    weights = card["recipe"]["weights"]
    rows: list[tuple[str, PaperValue | str, str]] = [
        ("parameters", paper.PARAMETERS, f"{n_parameters:,}"),
        (
            "training sequences",
            paper.TRAINING_SEQUENCES,
            f"{card['versus_paper']['pairs']['train_sequences'][0]} "
            f"(+ {card['dataset']['validation_sequences']} validation)",
        ),
        ("frames per training sequence", paper.TRAINING_FRAMES, f"{card['dataset']['frames']}"),
        (
            "epochs (curriculum ramp)",
            f"{paper.EPOCHS} ({paper.CURRICULUM_EPOCHS}) ({paper.EPOCHS.source})",
            training.epochs_text,
        ),
        ("λ_∇, λ_f", paper.LOSS_WEIGHTS, f"{weights['grad']:g}, {weights['free_energy']:g}"),
        ("best epoch", paper.NOT_QUOTED, f"{training.best['epoch']}"),
        (
            "training time",
            paper.NOT_QUOTED,
            f"{training.total_minutes:.1f} min ({training.stages_text}), "
            f"{card['environment']['hardware']}",
        ),
    ]
    rows += [
        (f"validation median MAE at {t}τ", paper.VALIDATION_MATCH, v) for t, v in mae_at.items()
    ]
    return rows


class ExampleNumbers(NamedTuple):
    """The numbers chapter 03 quotes of one validation sequence of Fig. 3b,c: its misfit in
    percent, its mean composition, and the MAE of its rollout at the last frame."""

    eta_percent: float
    phi_mean: float
    final_mae: float


def example_numbers(result: dict, index: int) -> ExampleNumbers:
    """:class:`ExampleNumbers` of sequence ``index`` (one of ``result["index"]``) of rollouts
    of :func:`spinodal.analysis.evaluation.domain_rollout` (``eta``, ``phi_mean`` [S], ``mae``
    [S, T+1])."""
    k = int(np.flatnonzero(np.asarray(result["index"]) == index)[0])
    return ExampleNumbers(
        float(result["eta"][k] * 100), float(result["phi_mean"][k]), float(result["mae"][k, -1])
    )


# --- chapter 09: the ablations of the Supporting Information -------------------------------


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
    from .. import paper as published
    from ..presets import TrainConfig, get_preset

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
    from ..paper import ABLATION_CONCLUSIONS

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
    from ..surrogate.checkpoint import training_stages

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
    from .. import paper as published

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


def n_diverged(check: Mapping[str, np.ndarray]) -> int:
    """How many rollouts of a :meth:`spinodal.analysis.stability.RolloutCheck.as_arrays` check
    left the physical range (``diverged_at`` ≥ 0; -1 means never)."""
    return int((np.asarray(check["diverged_at"]) >= 0).sum())


# --- chapter 07: the phase diagram (paper Sec. 3.4, Fig. 8) --------------------------------


def phase_diagram_sentence(diagram, frame: int) -> str:
    """How far NN and PF classifications agree (Markdown, no final period; Sec. 3.4, Fig. 8a),
    respecting divergence: a diverged NN field classifies as nothing, and with half or more
    of them diverged the sentence says the diagram is not reconstructed.

    Args:
        diagram: a :class:`spinodal.analysis.evaluation.PhaseDiagram`.
        frame: τ of the classification.
    """
    n, diverged = len(diagram.eta), diagram.counts["nn_diverged"]
    text = (
        f"NN and PF agree on {int(diagram.agree.sum())} of {n} sequences "
        f"({diagram.accuracy * 100:.1f} %) at {frame}τ"
    )
    if not diverged:
        return text
    text += (
        f", but **{diverged} of the {n} NN fields have left the physical range by then** and "
        "classify as nothing (each counts as a disagreement)"
    )
    if 2 * diverged >= n:
        return text + (
            ". With most of its rollouts diverged, this build's network does not reconstruct "
            "the phase diagram: the phase-diagram figure shows where it breaks down, not a "
            "learned spinodal"
        )
    agree_valid = int((diagram.agree & ~diagram.nn_diverged).sum())
    return text + f". Among the {n - diverged} physical NN fields, {agree_valid} agree with PF"


def confusion_table(diagram, frame: int) -> str:
    """The NN-versus-PF confusion table of a
    :class:`spinodal.analysis.evaluation.PhaseDiagram` (Markdown, Sec. 3.4), and a note on the
    NN fields that have left the physical range by the classification time ``frame`` (τ),
    which are in neither row."""
    counts, n = diagram.counts, len(diagram.eta)
    diverged = counts["nn_diverged"]
    table = "| NN \\ PF | PF separated | PF homogeneous |\n|---|---|---|\n"
    table += f"| NN separated | {counts['both_separated']} | {counts['nn_separated_only']} |\n"
    table += (
        f"| NN homogeneous | {counts['nn_homogeneous_only']} | {counts['both_homogeneous']} |\n"
    )
    note = (
        f"\n**{diverged} of {n} NN rollouts have left the physical range at {frame}τ** (max φ "
        f"− min φ > {PHYSICAL_RANGE:g} or not finite): they are in neither row and count as "
        "disagreements."
        if diverged
        else "\nEvery NN field is within the physical range at the classification time."
    )
    return table + note


def phase_diagram_cases(diagram, pf_contrast, n: int = 3) -> np.ndarray:
    """The sequences chapter 07 shows (Fig. 8b): the first ``n`` where NN and PF disagree,
    else the ``n`` whose PF contrast ``pf_contrast`` [S] (max φ − min φ at the classification
    time) lies closest to the threshold, the borderline cases, in index order."""
    disagree = np.flatnonzero(~diagram.agree)
    if len(disagree):
        return disagree[:n]
    margin = np.abs(np.asarray(pf_contrast) - diagram.threshold)
    return np.sort(np.argsort(margin)[:n])


class AmplitudePair(NamedTuple):
    """The outcome of the amplitude-sensitivity pair of Fig. 8c (chapter 07).

    Attributes:
        pf_labels, nn_labels: "separated" or "mixed" per amplitude, PF and NN.
        same: the NN classifies every amplitude as PF does.
        sentence: both outcomes in words (Markdown), and whether the pair shows the effect.
    """

    pf_labels: list[str]
    nn_labels: list[str]
    same: bool
    sentence: str


def _outcomes(amplitudes, labels) -> str:
    return ", ".join(f"a = {x:g} {lab}" for x, lab in zip(amplitudes, labels, strict=True))


def amplitude_pair(pair: dict) -> AmplitudePair:
    """:class:`AmplitudePair` of a :func:`spinodal.analysis.evaluation.amplitude_sensitivity`
    result (``amplitude`` [A], ``pf_separated`` and ``nn_separated`` [A] bool)."""
    amplitudes = pair["amplitude"]
    pf_separated, nn_separated = np.asarray(pair["pf_separated"]), np.asarray(pair["nn_separated"])
    pf_labels = ["separated" if s else "mixed" for s in pf_separated]
    nn_labels = ["separated" if s else "mixed" for s in nn_separated]
    same = bool(np.array_equal(pf_separated, nn_separated))
    sentence = (
        f"PF: {_outcomes(amplitudes, pf_labels)}; NN: {_outcomes(amplitudes, nn_labels)}. "
        + (
            ""
            if pf_separated.any() and not pf_separated.all()
            else "Here PF gives the same outcome for both amplitudes, so this pair does not show "
            "the effect at this preset (the parameters were chosen at the small preset). "
        )
        + (
            "The NN classifies both as PF does."
            if same
            else "**The NN does not classify both as PF does** with this model."
        )
    )
    return AmplitudePair(pf_labels, nn_labels, same, sentence)


def phase_diagram_versus_paper_rows(
    diagram, frame: int, size: int, same: bool
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 07's "Paper vs this build" (for :func:`versus_paper_table`): what
    was classified and when, the agreement and the two failure classes, the diverged NN
    fields, and whether the amplitude pair is classified as PF does (``same``; Sec. 3.4)."""
    from .. import paper

    counts, n = diagram.counts, len(diagram.eta)
    return [
        ("test sequences classified", paper.PHASE_DIAGRAM_SEQUENCES, f"{n} on {size}²"),
        ("classification time", paper.CLASSIFICATION_TIME, f"{frame}τ"),
        (
            "NN and PF agree",
            paper.PHASE_DIAGRAM_AGREEMENT,
            f"{int(diagram.agree.sum())} / {n} ({diagram.accuracy * 100:.1f} %)",
        ),
        (
            "NN separated, PF homogeneous",
            paper.PHASE_DIAGRAM_NN_SEPARATED_ONLY,
            f"{counts['nn_separated_only']}",
        ),
        (
            "NN homogeneous, PF separated",
            paper.PHASE_DIAGRAM_NN_HOMOGENEOUS_ONLY,
            f"{counts['nn_homogeneous_only']}",
        ),
        (
            f"NN fields out of the physical range (max − min > {PHYSICAL_RANGE:g})",
            paper.PHASE_DIAGRAM_DIVERGED,
            f"{counts['nn_diverged']} / {n}",
        ),
        ("amplitude pair: NN classifies as PF", paper.AMPLITUDE_PAIR, "yes" if same else "no"),
    ]


# --- chapter 08: performance (paper Sec. 2.3) -----------------------------------------------

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
    from .. import paper
    from ..surrogate.model import count_parameters

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
    from .. import paper

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


# --- chapters 01 and 02: the model and the data (paper Secs. 2.1-2.2) -----------------------


def constants_table(pf) -> str:
    """The constants of a :class:`spinodal.physics.solver.PhaseFieldModel` (its ``to_dict``)
    as a Markdown table, four significant digits (chapter 01; the paper's Secs. 2.1-2.2)."""
    return "| constant | value |\n|---|---|\n" + "\n".join(
        f"| `{name}` | {format_number(value, 4)} |" for name, value in pf.to_dict().items()
    )


def sampling_table(spec, tau: float) -> str:
    """How each sequence of a split is drawn (Markdown, chapter 02): ⟨φ⟩, η, the amplitude,
    the initial state and the frames of the :class:`spinodal.presets.SplitSpec` ``spec``
    (uniform ⟨φ⟩ and η), beside what the paper says (Sec. 2.2); ``tau``: the time between
    frames (time units)."""
    from .. import paper

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
    from ..presets import Uniform

    if isinstance(distribution, Uniform):
        return f"U({distribution.low * scale:g}, {distribution.high * scale:g})"
    return ", ".join(f"{v * scale:g}" for v in distribution.values)


def splits_table(preset, paths: Mapping[str, Path]) -> str:
    """Every split of a preset beside the paper preset's (Markdown, chapter 02; the paper's
    Secs. 2.2, 3.1-3.3): sequences × frames × size² read back from each file of ``paths``
    (split → HDF5 file), the paper's, how ⟨φ⟩ and η are drawn, and the file's size."""
    from ..io.datasets import open_dataset
    from ..presets import get_preset

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
    from .. import paper

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
