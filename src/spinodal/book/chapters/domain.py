"""What chapter 06 (larger domains, Sec. 3.3, Fig. 7) shows: rollouts on domains larger than the
training one, and one of varying composition."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from ... import paper
from ...paper import PaperValue
from ..plotting import plot_nn_pf_error
from ..reporting import (
    field_range,
    frames_divergence_times,
    value_or_diverged,
)

__all__ = [
    "DomainReport",
    "domain_report",
    "plot_domain_energy",
    "plot_domain_errors",
    "plot_large_domain",
    "plot_varying_curves",
    "plot_varying_domain",
]


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
    v_low, v_high = field_range(varying["nn"][0, -1])
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
        varying_nn_min=v_low,
        varying_nn_max=v_high,
        summary_sentence=summary_sentence,
        rows=rows,
    )


def _domain_snapshots(result: dict, k: int, n_snapshots: int, *, with_first: bool):
    """:func:`plot_nn_pf_error` of sequence ``k`` of a domain rollout at about ``n_snapshots``
    stored frames evenly spaced in time (frame 0 too if ``with_first``)."""

    stored = np.asarray(result["stored_frame"])
    shown = np.unique(np.linspace(0, len(stored) - 1, n_snapshots + 1).round().astype(int))
    if not with_first:
        shown = shown[1:]
    gone = float(frames_divergence_times(result["nn"][k], stored))
    return plot_nn_pf_error(
        result["nn"][k, shown], result["pf"][k, shown], stored[shown], diverged_at=gone, panel=3.2
    )


def plot_large_domain(result: dict, k: int, n_snapshots: int, train_size: int):
    """Fig. 7a,b: NN, PF and their absolute difference for sequence ``k`` of the ``large``
    split at ``n_snapshots`` stored frames evenly spaced up to its end (frame 0 left out),
    titled with its ⟨φ⟩, η and domain beside the training domain (``train_size``); columns
    after the rollout has left the physical range are marked.

    Args:
        result: :func:`spinodal.analysis.evaluation.domain_rollout` rollouts (``eta``,
            ``phi_mean`` [S], ``stored_frame`` [F], ``nn``, ``pf`` [S, F, N, N]).
    """
    fig = _domain_snapshots(result, k, n_snapshots, with_first=False)
    size = np.shape(result["nn"])[-1]
    fig.suptitle(
        f"⟨φ⟩ = {result['phi_mean'][k]:.2f}, η = {result['eta'][k] * 100:.1f} %, "
        f"{size}² (trained on {train_size}²)"
    )
    return fig


def plot_varying_domain(result: dict, n_snapshots: int):
    """Fig. 7c: NN, PF and their absolute difference for the one sequence of the ``varying``
    split (a spatially varying initial composition) at frame 0 and ``n_snapshots`` stored
    frames evenly spaced up to its end (``result`` as for :func:`plot_large_domain`)."""
    fig = _domain_snapshots(result, 0, n_snapshots, with_first=True)
    size = np.shape(result["nn"])[-1]
    fig.suptitle(f"varying initial composition, η = {result['eta'][0] * 100:g} %, {size}²")
    return fig


def _kept_until_divergence(result: dict):
    """Per sequence of a domain rollout, the time it is first found diverged (τ, inf: never)
    and [S, T+1] which frames come before it (what a curve may show)."""

    gone = frames_divergence_times(result["nn"], result["stored_frame"])
    return gone, np.asarray(result["frame"])[None, :] < gone[:, None]


def plot_domain_errors(result: dict, axes=None):
    """The MAE (left) and the relative interface-length error (right) of NN rollouts against
    PF on larger domains, per sequence (labelled by η), against time (τ), log scales; each
    curve ends, at a dotted line, where its rollout is found diverged (chapter 06; the paper
    gives no error numbers for Fig. 7).

    Args:
        result: :func:`spinodal.analysis.evaluation.domain_rollout` rollouts (``eta`` [S],
            ``frame`` [T+1], ``mae``, ``interface_error`` [S, T+1], ``stored_frame`` and
            ``nn`` to find the divergence).
    """
    gone, keep = _kept_until_divergence(result)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    fig = axes[0].figure
    frame = np.asarray(result["frame"])
    for s, eta in enumerate(result["eta"]):
        for ax, key in zip(axes, ("mae", "interface_error"), strict=True):
            (line,) = ax.plot(
                frame[keep[s]], result[key][s][keep[s]], label=f"η = {eta * 100:.1f} %"
            )
            if np.isfinite(gone[s]):
                ax.axvline(gone[s], color=line.get_color(), ls=":")
    axes[0].set(xlabel="t (τ)", ylabel="MAE", yscale="log", title="pixel-level error")
    axes[1].set(xlabel="t (τ)", ylabel="relative error", yscale="log", title="interface length")
    for ax in axes:
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_domain_energy(result: dict, ax=None):
    """The mean free-energy density ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩ of PF (solid) and NN (dashed) on larger
    domains, one colour per sequence (labelled by η), against time (τ), log scale; an NN
    curve ends, at a dotted line, where its rollout is found diverged (chapter 06, Fig. 7a,b).

    Args:
        result: as for :func:`plot_domain_errors`, with ``nn/paper_total`` and
            ``pf/paper_total`` [S, T+1].
    """
    gone, keep = _kept_until_divergence(result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
    fig = ax.figure
    frame = np.asarray(result["frame"])
    for s, eta in enumerate(result["eta"]):
        (line,) = ax.plot(frame, result["pf/paper_total"][s], label=f"PF, η = {eta * 100:.1f} %")
        ax.plot(
            frame[keep[s]],
            result["nn/paper_total"][s][keep[s]],
            "--",
            color=line.get_color(),
            label=f"NN, η = {eta * 100:.1f} %",
        )
        if np.isfinite(gone[s]):
            ax.axvline(gone[s], color=line.get_color(), ls=":")
    size = np.shape(result["nn"])[-1]
    ax.set(xlabel="t (τ)", ylabel="⟨f⟩", yscale="log", title=f"{size}² domains")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_varying_curves(result: dict, axes=None):
    """Fig. 7c's sequence in numbers: its MAE and relative interface-length error against PF
    (left) and ⟨f⟩ of PF and NN (right), against time (τ), log scales; the NN curves end, at a
    red dotted line, where the rollout is found diverged (``result`` as for
    :func:`plot_domain_energy`, its first sequence)."""
    gone, keep = _kept_until_divergence(result)
    gone, keep = gone[0], keep[0]
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    fig = axes[0].figure
    frame = np.asarray(result["frame"])
    axes[0].plot(frame[keep], result["mae"][0][keep], label="MAE")
    axes[0].plot(frame[keep], result["interface_error"][0][keep], label="interface-length error")
    axes[0].set(xlabel="t (τ)", yscale="log", title="NN against PF")
    axes[0].legend(fontsize="small")
    axes[1].plot(frame, result["pf/paper_total"][0], label="PF")
    axes[1].plot(frame[keep], result["nn/paper_total"][0][keep], "--", label="NN")
    if np.isfinite(gone):
        for ax in axes:
            ax.axvline(gone, color="tab:red", ls=":", label="NN diverged")
    axes[1].set(xlabel="t (τ)", ylabel="⟨f⟩", yscale="log", title="mean free-energy density")
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    return fig
