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
=====================================  ========================================================

Statistics over an ensemble treat a diverged rollout as larger than any number (for errors):
the median at a time is a number only while fewer than half of the rollouts have diverged, the
upper quartile while fewer than a quarter have, and so on. For signed quantities (energies) the
statistic is taken over the rollouts that have not diverged, and only while fewer than half
have.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    "median_divergence_time",
    "median_or_diverged",
    "standing",
    "summary_before_divergence",
    "value_or_diverged",
    "versus_paper_table",
    "workspace_standing",
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
        symbols: ``{NAME: symbol}`` of the properties, e.g. ``{"total": "⟨f⟩"}``.
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
            sequences and frames (``noise_std`` [L], ``distance`` [L], ``mae`` and ``total``
            [L, S, T]).
        diverged: [S, T] bool, True from each NN rollout's divergence on.
    """
    k = int(np.argmin(search["distance"]))
    nn = summary_before_divergence(nn_mae, diverged)
    noisy = ensemble_summary(search["mae"][k])
    iqr_ratio = float(np.nanmedian((noisy.q75 - noisy.q25)[1:] / (nn.q75 - nn.q25)[1:]))
    f_nn = summary_before_divergence(nn_total, diverged, kind="signed").median
    f_noisy = ensemble_summary(search["total"][k]).median
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


class RegionErrors(NamedTuple):
    """The error inside and outside the spinodal region at one time (chapter 04, Fig. 4b's
    scatter): the medians as printed, and a sentence that depends on divergence."""

    inside: str
    outside: str
    sentence: str


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
    return RegionErrors(medians["inside"], medians["outside"], sentence)


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
