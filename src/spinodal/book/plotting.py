"""Figures of the book (the only module that imports matplotlib).

Every function draws on a given (or new) axes and returns the figure, so chapters stay thin.
Misfits are shown in percent, times in τ.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from ..paper import SPEEDUP_BY_SIZE, SPEEDUP_SAME_DEVICE
from ..physics.metrics import ensemble_summary
from ..physics.solver import PhaseFieldModel
from ..physics.theory import chemical_spinodal

__all__ = [
    "plot_trace_B",
    "plot_spinodal_line",
    "plot_growth_rates",
    "plot_linear_growth",
    "plot_pfhub",
    "plot_frames",
    "plot_tiled",
    "plot_perlin_states",
    "plot_parameter_space",
    "plot_error_scatter",
    "plot_accuracy_errors",
    "times_up_to",
    "nn_pf_animation_html",
    "plot_large_domain",
    "plot_varying_domain",
    "plot_domain_errors",
    "plot_domain_energy",
    "plot_varying_curves",
    "METHOD_COLOURS",
    "plot_misfit_profiles",
    "plot_inverse_accuracy",
    "plot_identifiability_map",
    "plot_mass_drift",
    "plot_cure_errors",
    "PHASE_DIAGRAM_CLASSES",
    "phase_diagram_masks",
    "plot_phase_diagram",
    "plot_parameter_histograms",
    "plot_training_history",
    "plot_median_iqr",
    "plot_nn_pf_error",
    "offline_jshtml",
    "animation_html",
    "MEAN_PROPERTIES",
    "plot_mean_properties",
    "plot_ensemble_properties",
    "plot_mode_gain",
    "plot_speedup",
    "plot_noise_match",
    "plot_spectra",
    "plot_architecture",
    "plot_curriculum",
    "plot_validation_example",
    "plot_validation_mae",
    "plot_error_spectra",
    "plot_ablation_errors",
    "plot_phase_diagram_cases",
    "plot_amplitude_pair",
    "plot_morphologies",
]

PHASE_CMAP = "RdBu_r"


def _axes(ax, **subplot_kw):
    if ax is None:
        fig, ax = plt.subplots(subplot_kw=subplot_kw)
        return fig, ax
    return ax.figure, ax


def plot_trace_B(pf: PhaseFieldModel, ax=None):
    """Polar plot of tr B(n) (Eq. 6) for the model's constants and the isotropic crystal
    with the same C11, C12: minima along ⟨10⟩ are the elastically soft directions."""
    fig, ax = _axes(ax, projection="polar")
    theta = np.linspace(0, 2 * np.pi, 721)
    ax.plot(
        theta,
        pf.trace_B(np.cos(theta), np.sin(theta)),
        label=f"cubic, Z = {pf.zener_ratio:g}",
    )
    iso = PhaseFieldModel(C11=pf.C11, C12=pf.C12, C44=(pf.C11 - pf.C12) / 2)
    ax.plot(theta, iso.trace_B(np.cos(theta), np.sin(theta)), "--", label="isotropic, Z = 1")
    ax.set_title("tr B(n)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.75, -0.1), fontsize="small")
    return fig


def plot_spinodal_line(pf: PhaseFieldModel, ax=None, n: int = 401):
    """The analytic spinodal line η_s(⟨φ⟩) of Eq. 9 (Figs. 1a, 8a): decomposition below it."""
    fig, ax = _axes(ax)
    lo, hi = chemical_spinodal()
    phi = np.sort(np.concatenate([np.linspace(0, 1, n), [lo, hi]]))  # the line closes at η = 0
    eta = pf.spinodal_misfit(phi) * 100
    ax.fill_between(
        phi,
        0,
        np.nan_to_num(eta),
        color="tab:orange",
        alpha=0.3,
        label="unstable: spinodal decomposition",
    )
    ax.plot(phi, eta, "k-", label="Eq. 9")
    for edge in (lo, hi):
        ax.axvline(edge, color="k", lw=0.5, ls=":")
    ax.set_xlabel("⟨φ⟩")
    ax.set_ylabel("η (%)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.4)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_growth_rates(pf: PhaseFieldModel, phi_mean: float, etas, ax=None):
    """Linear growth rate ω(q) along ⟨10⟩ (solid) and ⟨11⟩ (dashed) for several misfits."""
    fig, ax = _axes(ax)
    q = np.linspace(0, 1.0, 400)
    for i, eta in enumerate(etas):
        color = f"C{i}"
        ax.plot(
            q,
            pf.growth_rate(q, 0 * q, phi_mean, eta),
            color=color,
            label=f"η = {eta * 100:.2g} %",
        )
        ax.plot(q, pf.growth_rate(q / np.sqrt(2), q / np.sqrt(2), phi_mean, eta), "--", color=color)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("|q| (1 / grid spacing)")
    ax.set_ylabel("ω (1 / τ)")
    ax.set_title(f"⟨φ⟩ = {phi_mean:g}: ⟨10⟩ solid, ⟨11⟩ dashed")
    ax.legend(fontsize="small")
    return fig


def plot_linear_growth(checks, axes=None):
    """Measured growth rates of the solver's Fourier modes (circles) against the PDE's ω(q)
    (lines) along ⟨10⟩ and ⟨11⟩, one panel per check.

    Args:
        checks: results of :func:`spinodal.physics.validation.linear_growth_check`.
        axes: one axes per check (default: a new row sharing the rate axis).
    """
    checks = list(checks)
    if axes is None:
        fig, axes = plt.subplots(1, len(checks), figsize=(5 * len(checks), 3.8), sharey=True)
    axes = list(np.ravel(axes))
    fig, top = axes[0].figure, 0.0
    for ax, check in zip(axes, checks, strict=True):
        ok = check["resolved"]
        top = max(top, float(np.nanmax(check["continuous"][ok])))  # keep the fastest in view
        for angle, label, colour in ((0.0, "⟨10⟩", "C0"), (np.pi / 4, "⟨11⟩", "C3")):
            on = ok & np.isclose(check["angle"], angle)
            order = np.argsort(check["q"][on])
            q = check["q"][on][order]
            ax.plot(
                q,
                check["continuous"][on][order],
                "-",
                color=colour,
                lw=1,
                label=f"ω(q) of the PDE, {label}",
            )
            ax.plot(
                q,
                check["measured"][on][order],
                "o",
                color=colour,
                ms=4,
                mfc="none",
                label=f"solver, {label}",
            )
        ax.axhline(0, color="k", lw=0.5)
        ax.set(
            xlabel="q (1 / grid spacing)",
            title=f"⟨φ⟩ = {float(check['phi_mean']):g}, η = {float(check['eta']) * 100:g} %",
        )
    axes[0].set_ylim(-1, 1.2 * top)
    axes[0].set_ylabel("growth rate (1 / time)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_pfhub(times, F, reference: dict, ax=None, label="spinodal (this package)"):
    """Free energy F(t) of PFHub benchmark 1a against the reference codes (log time axis)."""
    fig, ax = _axes(ax)
    for code, curve in reference.items():
        keep = curve[:, 0] > 0
        ax.plot(curve[keep, 0], curve[keep, 1], "-", lw=1, label=code)
    keep = np.asarray(times) > 0
    ax.plot(np.asarray(times)[keep], np.asarray(F)[keep], "k.", ms=4, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("t (benchmark units)")
    ax.set_ylabel("total free energy F")
    ax.set_title("PFHub benchmark 1a (η = 0)")
    ax.legend(fontsize="small")
    return fig


def plot_frames(frames, titles, *, axes=None, vmin=0.0, vmax=1.0, colorbar=True, size=2.2):
    """A row of fields [k, H, W] with titles, on a shared colour scale of φ (a colour bar
    beside the row unless ``colorbar`` is False; ``size``: inches per panel)."""
    frames = np.asarray(frames)
    if axes is None:
        fig, axes = plt.subplots(
            1,
            len(frames),
            figsize=(size * len(frames) + 0.6, size + 0.5),
            squeeze=False,
            layout="constrained",
        )
        axes = axes[0]
    axes = list(np.ravel(axes))
    fig = axes[0].figure
    image = None
    for ax, frame, title in zip(axes, frames, titles, strict=True):
        image = ax.imshow(frame, cmap=PHASE_CMAP, vmin=vmin, vmax=vmax, origin="lower")
        ax.set_title(title, fontsize="medium")
        ax.set_xticks([])
        ax.set_yticks([])
    if colorbar and image is not None:
        fig.colorbar(image, ax=axes, label="φ", shrink=0.9, fraction=0.03, pad=0.02)
    return fig


# --- ensembles and animations (Secs. 3.1-3.2) --------------------------------------------------

ERROR_CMAP = "magma"


def plot_median_iqr(
    times, values, ax=None, *, label=None, color=None, log=False, diverged=None, kind="error"
):
    """Median (line) and inter-quartile range (band) over sequences of ``values`` [S, T]
    against ``times`` [T] (Figs. 4b,c, 5, 6); NaN values are ignored. ``log`` puts the value
    axis on a log scale.

    ``diverged`` [S, T] (:func:`spinodal.book.reporting.diverged_mask`) keeps diverged rollouts out
    of the statistics (:func:`spinodal.book.reporting.summary_before_divergence` of ``kind``): the
    line stops where half of the rollouts have diverged, the band where it would use one, and
    dotted vertical lines of the line's colour mark the first divergence and (thicker) the
    time when half have diverged."""
    from ..physics.metrics import ensemble_summary
    from .reporting import summary_before_divergence

    fig, ax = _axes(ax)
    times = np.asarray(times)
    if diverged is None:
        summary = ensemble_summary(values)
    else:
        diverged = np.asarray(diverged, bool)
        summary = summary_before_divergence(values, diverged, kind=kind)
        if kind == "signed":  # the band over survivors, while fewer than a quarter diverged
            quarter = diverged.mean(axis=0) >= 0.25
            summary = summary._replace(
                q25=np.where(quarter, np.nan, summary.q25),
                q75=np.where(quarter, np.nan, summary.q75),
            )
    (line,) = ax.plot(times, summary.median, color=color, label=label)
    ax.fill_between(times, summary.q25, summary.q75, color=line.get_color(), alpha=0.25, lw=0)
    if diverged is not None and diverged.any():
        counts = diverged.sum(axis=0)
        first = times[np.argmax(counts > 0)]
        ax.axvline(first, color=line.get_color(), ls=":", lw=1)
        if (2 * counts >= len(diverged)).any():
            ax.axvline(
                times[np.argmax(2 * counts >= len(diverged))], color=line.get_color(), ls=":", lw=2
            )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("t (τ)")
    return fig


def plot_nn_pf_error(nn, pf, times, *, error_max=1.0, diverged_at=None, panel=1.9, log_error=False):
    """Three rows, NN, PF and |φ_NN - φ_PF|, of fields [k, H, W] at ``times`` [k] (Fig. 4a).

    The error maps share the scale [0, ``error_max``] (default 1, the range of φ: larger
    errors, as a diverged rollout makes, saturate instead of turning every other error
    black); ``log_error`` draws them on a log scale from 10⁻³ instead. Columns at or after
    ``diverged_at`` (τ, the rollout's :func:`spinodal.book.reporting.divergence_times`) are titled
    "diverged". ``panel``: inches per field (larger domains deserve larger panels)."""

    nn, pf = np.asarray(nn), np.asarray(pf)
    error = np.abs(nn - pf)
    if error_max is None:
        finite = error[np.isfinite(error)]
        error_max = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    k = len(times)
    fig, axes = plt.subplots(
        3, k, figsize=(panel * k + 1.2, 3 * panel + 0.6), squeeze=False, layout="constrained"
    )
    error_norm = LogNorm(1e-3, max(error_max, 2e-3)) if log_error else plt.Normalize(0.0, error_max)
    rows = (
        ("NN", nn, PHASE_CMAP, plt.Normalize(0.0, 1.0), "φ"),
        ("PF", pf, PHASE_CMAP, plt.Normalize(0.0, 1.0), "φ"),
        (
            "|NN − PF|",
            np.clip(error, error_norm.vmin, None) if log_error else error,
            ERROR_CMAP,
            error_norm,
            "$|φ_{NN} - φ_{PF}|$",
        ),
    )
    for r, (name, fields, cmap, norm, label) in enumerate(rows):
        for c, t in enumerate(times):
            ax = axes[r, c]
            image = ax.imshow(fields[c], cmap=cmap, norm=norm, origin="lower")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                gone = diverged_at is not None and float(t) >= float(diverged_at)
                ax.set_title(
                    f"t = {t:g} τ" + ("\n(diverged)" if gone else ""),
                    fontsize="medium",
                    color="tab:red" if gone else "k",
                )
            if c == 0:
                ax.set_ylabel(name, fontsize="medium")
        extend = "max" if r == 2 and not log_error else "neither"
        fig.colorbar(image, ax=list(axes[r]), fraction=0.03, pad=0.02, label=label, extend=extend)
    return fig


def plot_accuracy_errors(times, mae, interface_error, diverged, train_frames: int, axes=None):
    """Fig. 4b,c: median and inter-quartile range over the test rollouts of (b) the MAE and
    (c) the relative error of the interface length 2⟨w⟩ (in percent), against time (τ), on log
    scales; diverged rollouts are kept out (:func:`plot_median_iqr`). Black lines: the paper's
    numbers (:data:`spinodal.paper.MAE_WITHIN_TRAINING`, dotted: within the training window,
    dashed: at 500τ); grey band: the ``train_frames`` τ this CRNN was trained on.

    Args:
        times: [T] in τ.
        mae, interface_error: [S, T] per test sequence (the interface error as a fraction).
        diverged: [S, T] (:func:`spinodal.book.reporting.diverged_mask`).
    """
    from ..paper import INTERFACE_ERROR_AT_500, INTERFACE_ERROR_WITHIN_TRAINING, MAE_WITHIN_TRAINING

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    fig = axes[0].figure
    plot_median_iqr(
        times, mae, ax=axes[0], label="NN vs PF", color="tab:red", log=True, diverged=diverged
    )
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


def times_up_to(times, last) -> list:
    """The columns of a snapshot figure: the ``times`` (τ) up to ``last``, and ``last``
    itself, sorted and without repeats (chapter 04's Fig. 4a)."""
    return sorted({t for t in times if t <= last} | {last})


# --- larger domains (Sec. 3.3, Fig. 7) ---------------------------------------------------------


def _domain_snapshots(result: dict, k: int, n_snapshots: int, *, with_first: bool):
    """:func:`plot_nn_pf_error` of sequence ``k`` of a domain rollout at about ``n_snapshots``
    stored frames evenly spaced in time (frame 0 too if ``with_first``)."""
    from .reporting import frames_divergence_times

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
    from .reporting import frames_divergence_times

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


_ICONS = {
    "fa fa-minus": "−",
    "fa fa-fast-backward": "|◀",
    "fa fa-step-backward": "◀",
    "fa fa-play fa-flip-horizontal": "◁",
    "fa fa-pause": "‖",
    "fa fa-play": "▷",
    "fa fa-step-forward": "▶",
    "fa fa-fast-forward": "▶|",
    "fa fa-plus": "+",
}


def offline_jshtml(html: str) -> str:
    """``html`` from :meth:`matplotlib.animation.Animation.to_jshtml` without its remote icon
    font: the ``<link>`` to font-awesome on a CDN is removed and the button icons become plain
    Unicode symbols, so the animation works offline."""
    import re

    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html, flags=re.DOTALL)
    for css_class, symbol in _ICONS.items():
        html = html.replace(f'<i class="{css_class}"></i>', symbol)
    return html


def animation_html(
    frames,
    titles=None,
    *,
    times=None,
    interval: int = 150,
    max_frames: int = 60,
    cmaps=None,
    limits=None,
    panel_size: float = 2.4,
    dpi: int = 72,
    frame_format: str = "jpeg",
) -> str:
    """An offline HTML animation of one or several sequences side by side (e.g. NN, PF, error).

    Args:
        frames: one sequence [T, H, W] or several of the same length [P, T, H, W] (a list of
            [T, H, W] arrays works too), one panel each.
        titles: one title per panel.
        times: the time of each frame [T] (in τ) shown above the panels (default: frame index).
        interval: milliseconds between frames when playing.
        max_frames: at most this many frames are kept (default 60, which keeps a 3-panel 64²
            animation well under 1 MB): when T is larger, frames evenly spaced in time are
            taken, always including the first and the last.
        cmaps: one colormap per panel (default :data:`PHASE_CMAP`).
        limits: one (vmin, vmax) per panel (default (0, 1), the range of φ).
        panel_size, dpi: size of a panel in inches and resolution of the frames.
        frame_format: image format of the embedded frames: ``"jpeg"`` (default) keeps
            noisy fields (e.g. a diverging rollout) small, ``"png"`` is lossless.

    Returns:
        HTML (a :func:`matplotlib.animation.FuncAnimation` rendered with ``to_jshtml``, passed
        through :func:`offline_jshtml`), for ``IPython.display.HTML``.
    """
    from matplotlib.animation import FuncAnimation

    panels = [np.asarray(f) for f in frames]
    if panels and panels[0].ndim == 2:  # a single sequence [T, H, W]
        panels = [np.asarray(frames)]
    if not panels or any(p.ndim != 3 or len(p) != len(panels[0]) for p in panels):
        shapes = [p.shape for p in panels]
        raise ValueError(f"frames must be [T, H, W] or [P, T, H, W], got shapes {shapes}")
    n_panels, n_frames = len(panels), len(panels[0])
    if n_frames == 0:
        raise ValueError("frames holds no frame")
    if max_frames < 2:
        raise ValueError(f"max_frames must be at least 2, got {max_frames}")
    titles = list(titles) if titles is not None else [""] * n_panels
    cmaps = list(cmaps) if cmaps is not None else [PHASE_CMAP] * n_panels
    limits = list(limits) if limits is not None else [(0.0, 1.0)] * n_panels
    if not len(titles) == len(cmaps) == len(limits) == n_panels:
        raise ValueError(
            f"need one title, cmap and limits per panel ({n_panels}), got "
            f"{len(titles)}, {len(cmaps)}, {len(limits)}"
        )
    times = np.arange(n_frames) if times is None else np.asarray(times)
    if len(times) != n_frames:
        raise ValueError(f"times has {len(times)} entries for {n_frames} frames")
    keep = np.unique(np.round(np.linspace(0, n_frames - 1, min(n_frames, max_frames))).astype(int))

    fig, axes = plt.subplots(
        1, n_panels, figsize=(panel_size * n_panels, panel_size + 0.8), squeeze=False, dpi=dpi
    )
    images = []
    for ax, panel, title, cmap, (lo, hi) in zip(
        axes[0], panels, titles, cmaps, limits, strict=True
    ):
        images.append(ax.imshow(panel[keep[0]], cmap=cmap, vmin=lo, vmax=hi, origin="lower"))
        ax.set_title(title, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
    # the time goes below the panels, where it cannot overlap their titles
    label = fig.text(0.5, 0.02, "", ha="center", va="bottom", fontsize=12)
    fig.tight_layout(rect=(0, 0.08, 1, 1))

    def draw(k: int):
        for image, panel in zip(images, panels, strict=True):
            image.set_data(panel[keep[k]])
        label.set_text(f"t = {times[keep[k]]:g} τ")
        return [*images, label]

    animation = FuncAnimation(fig, draw, frames=len(keep), interval=interval, blit=False)
    try:
        with plt.rc_context({"animation.frame_format": frame_format}):
            return offline_jshtml(animation.to_jshtml())
    finally:
        plt.close(fig)


def nn_pf_animation_html(nn, pf, times, **options) -> str:
    """:func:`animation_html` of a rollout beside its ground truth (chapter 04, Fig. 4a): NN,
    PF and |φ_NN − φ_PF|, the error on [0, 1] (the range of φ; larger errors saturate).

    Args:
        nn, pf: [T, H, W] fields at ``times`` [T] (τ).
        options: further arguments of :func:`animation_html` (``max_frames``, ...).
    """
    nn, pf = np.asarray(nn), np.asarray(pf)
    return animation_html(
        [nn, pf, np.abs(nn - pf)],
        ["NN", "PF", "|NN − PF| (≤ 1)"],
        times=times,
        cmaps=[PHASE_CMAP, PHASE_CMAP, ERROR_CMAP],
        limits=[(0, 1), (0, 1), (0, 1)],
        **options,
    )


# --- the dataset and the training (Secs. 2.2-2.3) ---------------------------------------------


def plot_tiled(field, reps: int = 2, ax=None, *, vmin=0.0, vmax=1.0):
    """A field [H, W] repeated ``reps`` × ``reps`` times with dashed seams: a periodic field
    shows no seam (Sec. 2.2, the Perlin initial states)."""
    field = np.asarray(field)
    fig, ax = _axes(ax)
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
    fig, ax = _axes(ax)
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
    from scipy.stats import norm

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


def _label_stages(ax, starts, names, last: int) -> None:
    """Mark where each training stage begins (a vertical line) and name every stage above the
    axes, centred on its epochs, on a secondary x axis: the names stay clear of the curves, and
    neighbouring names are put on two staggered lines when they would not fit side by side."""
    ends = [*starts[1:], last + 1]
    for start in starts:
        ax.axvline(start - 0.5, color="0.4", lw=0.8)
    middles = [(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)]
    left, right = starts[0] - 0.5, last + 0.5
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    # a name in x-small type is about 0.45 em (≈ 3 pt) a character; the narrowest stage decides
    narrowest = min(b - a for a, b in zip(starts, ends, strict=True)) / (right - left) * width_in
    widest = max(len(name) for name in names) * 3.2 / 72
    stagger = widest > 0.9 * narrowest
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        middles,
        [name + ("\n" if stagger and k % 2 == 0 else "") for k, name in enumerate(names)],
        fontsize="x-small",
        color="0.3",
    )
    top.tick_params(axis="x", length=0, pad=2)


def plot_training_history(history, axes=None, *, stages=None):
    """Loss curves of a training run (Fig. 3a) from its ``history.json`` records.

    Left: total loss (Eq. 11) of training (dashed) and validation (solid, full rollouts from
    φ_0) per epoch; right: the unweighted terms L_φ, L_∇, L_f of both. Log scale; the epochs
    of the curriculum ramp (more than one true input frame) are shaded.

    ``stages``: a staged training as ``[(name, records), ...]``, first stage first (then
    ``history`` is ignored): the epochs are numbered on across stages, a vertical line marks
    where each stage begins, and the stages' names stand above the axes, centred on their
    epochs (staggered when they would overlap).
    """
    if stages is None:
        stages = [("", history)]
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    fig = axes[0].figure
    records, starts, offset = [], [], 0
    for name, run in stages:
        starts.append((offset + 1, name))
        records += [{**h, "epoch": h["epoch"] + offset} for h in run]
        offset += max((h["epoch"] for h in run), default=0)
    epochs = np.array([h["epoch"] for h in records])
    ramp = [h["epoch"] for h in records if h["n_input"] > 1]
    names = {"phi": "$L_φ$", "grad": "$L_∇$", "free_energy": "$L_f$"}
    axes[0].plot(epochs, [h["train"]["loss"] for h in records], "--", color="C0", label="train")
    axes[0].plot(
        epochs, [h["validation"]["loss"] for h in records], "-", color="C0", label="validation"
    )
    for i, (key, name) in enumerate(names.items(), start=1):
        for part, style in (("train", "--"), ("validation", "-")):
            values = np.array([h[part][key] for h in records], dtype=float)
            if np.any(values > 0):
                axes[1].plot(epochs, values, style, color=f"C{i}", label=f"{name} ({part})")
    for ax, title in zip(
        axes, ("total loss L (Eq. 11)", "terms of Eq. 12 (unweighted)"), strict=True
    ):
        if ramp:  # one band per run of consecutive ramp epochs
            runs = np.split(np.array(ramp), np.flatnonzero(np.diff(ramp) > 1) + 1)
            for k, run in enumerate(runs):
                ax.axvspan(
                    run[0] - 0.5,
                    run[-1] + 0.5,
                    color="0.85",
                    zorder=0,
                    label="curriculum ramp" if k == 0 else None,
                )
        if len(starts) > 1:
            _label_stages(ax, [start for start, _ in starts], [n for _, n in starts], epochs.max())
        ax.set_yscale("log")
        ax.set_xlabel("epoch" + (" (all stages)" if len(starts) > 1 else ""))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize="medium")
        ax.legend(fontsize="x-small", ncol=2 if ax is axes[1] else 1, loc="lower left")
    return fig


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
    from ..physics.metrics import ensemble_summary
    from .reporting import diverged_mask

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
    from ..physics.metrics import ensemble_summary

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


def plot_mode_gain(gains: dict, axes=None):
    """Per-τ gain of Fourier modes about uniform states
    (:func:`spinodal.analysis.stability.mode_gain`):
    one panel per state (⟨φ⟩, η), a line per network (``gains``: label → ModeGain, all of the
    same states) and the solver's |g(q)|^(steps per τ) of Eq. 8 as the yardstick; the
    grid-scale band (wavelength ≤ 4) is shaded."""
    from ..analysis.stability import GRID_SCALE_WAVELENGTH

    first = next(iter(gains.values()))
    n = len(first.phi_mean)
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 3.2), sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    floor = 1e-3  # gains below this are drawn at the bottom of the panel
    for k, ax in enumerate(axes):
        ax.axvspan(first.wavelength.min() * 0.9, GRID_SCALE_WAVELENGTH, color="0.9", zorder=0)
        ax.plot(
            first.wavelength,
            np.clip(np.abs(first.theory[k]), floor, None),
            "k--",
            label="solver (Eq. 8), |g|^100",
        )
        for label, gain in gains.items():
            ax.plot(gain.wavelength, np.clip(gain.network[k], floor, None), ".-", label=label)
        ax.axhline(1, color="0.5", lw=0.8)
        ax.set(
            xscale="log",
            yscale="log",
            ylim=(floor * 0.8, None),
            xlabel="wavelength (grid spacings)",
            title=f"⟨φ⟩ = {first.phi_mean[k]:.2f}, η = {first.eta[k] * 100:.2g} %",
        )
    axes[0].set_ylabel("gain per τ")
    axes[-1].legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def plot_spectra(shells, spectra: dict, ax=None, *, title: str | None = None):
    """Shell-averaged power spectra (:func:`spinodal.analysis.stability.radial_spectrum`), one
    line per entry of ``spectra`` (label → [n_shells] power), on log axes; the grid-scale band
    (|k| ≥ 1/4) is shaded."""
    from ..analysis.stability import GRID_SCALE_WAVELENGTH

    fig, ax = _axes(ax)
    ax.axvspan(1 / GRID_SCALE_WAVELENGTH, shells.max() * 1.05, color="0.9", zorder=0)
    for label, power in spectra.items():
        ax.plot(shells, power, label=label)
    ax.set(xscale="log", yscale="log", xlabel="|k| (cycles per grid spacing)", ylabel="power")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_architecture(config=None, ax=None):
    """The CRNN as a block diagram (the paper's Fig. 2), drawn from a
    :class:`spinodal.surrogate.model.ModelConfig` (default: the paper's): the two-channel input
    [φ_t, η], the stacked convolutional GRU cells with their hidden states carried to the next
    step, the head that makes μ̃_t, and the output layer: ∇²μ̃_t added to φ_t (Eq. 10), then the
    semi-implicit filter 1/(1 + βλ²) when ``implicit_damping`` β > 0 (or the flux/direct
    variants)."""
    from matplotlib.patches import Circle, FancyBboxPatch

    from ..presets import ModelConfig

    config = config or ModelConfig()
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 2.9), layout="constrained")
    fig = ax.figure
    ax.set(xlim=(0, 100), ylim=(0, 30))
    ax.axis("off")
    y, h = 11, 9
    mid = y + h / 2

    def box(x, w, text, color="#dbe9f6"):
        ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0.3,rounding_size=1", fc=color, ec="0.25", lw=1
            )
        )
        ax.text(x + w / 2, mid, text, ha="center", va="center", fontsize=9.5)
        return x + w

    def arrow(x0, y0, x1, y1, color="0.2", text="", ls="-", rad=0.0):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": 1.2,
                "ls": ls,
                "shrinkA": 0,
                "shrinkB": 0,
                "connectionstyle": f"arc3,rad={rad}",
            },
        )
        if text:
            ax.text(
                (x0 + x1) / 2,
                max(y0, y1) + 0.8,
                text,
                ha="center",
                va="bottom",
                fontsize=10,
                color=color,
            )

    ax.text(0.5, 26, "$φ_t$", fontsize=12, va="center")
    ax.text(0.5, 3, "η", fontsize=12, va="center")
    end = box(5, 8, "$[φ_t,\\,η]$\n2 channels", color="#eeeeee")
    arrow(2.5, 24.5, 7, y + h + 0.3)
    arrow(2, 4.5, 7, y - 0.3)
    k, c = config.kernel_size, config.hidden_channels
    for i in range(config.n_cells):
        x = end + 3.5
        arrow(end + 0.3, mid, x - 0.3, mid)
        end = box(x, 10.5, f"convGRU {i + 1}\n{c} ch., {k}×{k}\nperiodic")
        # the hidden state of this step is the next step's
        arrow(x + 7.5, y + h + 0.3, x + 3, y + h + 0.3, color="tab:blue", rad=1.4)
        ax.text(x + 5.25, y + h + 3.6, f"$h^{i + 1}$", ha="center", fontsize=10, color="tab:blue")
    x = end + 3.5
    arrow(end + 0.3, mid, x - 0.3, mid)
    end = box(x, 9, "head\n1×1, 1×1,\n3×3 conv")
    symbol, operator = {
        "mu": ("$\\tilde μ_t$", "$∇^2$"),
        "flux": ("$J_t$", "$-∇·$"),
        "direct": ("$Δ_t$", None),
    }[config.output]
    x = end + 5
    arrow(end + 0.3, mid, x - 0.3, mid, text=symbol)
    if operator:
        end = box(x, 7.5, operator + "\n(periodic)", color="#fde8cf")
        x = end + 3.5
        arrow(end + 0.3, mid, x - 1.8, mid)
    plus = x
    ax.add_patch(Circle((plus, mid), 1.5, fc="white", ec="0.25"))
    ax.text(plus, mid, "+", ha="center", va="center", fontsize=12)
    # the skip connection: φ_t is added to the update
    ax.plot([2.5, plus], [26, 26], color="0.45", lw=1, ls="--")
    arrow(plus, 26, plus, mid + 1.6, color="0.45", ls="--")
    end = plus + 1.5
    if config.implicit_damping > 0:
        x = end + 3
        arrow(end + 0.2, mid, x - 0.3, mid)
        end = box(x, 11, f"filter\n$1/(1+βλ^2)$\nβ = {config.implicit_damping:g}", color="#fde8cf")
    arrow(end + 0.3, mid, end + 3.5, mid)
    ax.text(end + 4, mid, "$φ_{t+τ}$", fontsize=12, va="center")
    note = {
        "mu": "Eq. 10: $φ_{t+τ} = φ_t + ∇^2\\tilde μ_t$ conserves ⟨φ⟩ exactly",
        "flux": "flux output: $φ_{t+τ} = φ_t - ∇·J_t$ conserves ⟨φ⟩",
        "direct": "direct output: $φ_{t+τ} = φ_t + Δ_t$, no conservation",
    }[config.output]
    ax.text(
        50,
        1.0,
        note + "; in a free rollout $φ_{t+τ}$ is the next step's input, and the "
        "hidden states (blue) carry the memory",
        ha="center",
        fontsize=9,
        color="0.3",
    )
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


# --- the inverse problem (chapter 10; beyond the paper) ---------------------------------------

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
    from ..analysis.inverse import misfit_errors
    from ..paper import MISFIT_RANGE

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
    from ..analysis.inverse import misfit_errors

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


# The classes of the phase-diagram figure (Fig. 8a): the name of each count of
# :attr:`spinodal.analysis.evaluation.PhaseDiagram.counts`, its legend label, marker and colour.
PHASE_DIAGRAM_CLASSES = (
    ("both_separated", "both separated", "o", "tab:blue"),
    ("both_homogeneous", "both homogeneous", "s", "tab:green"),
    ("nn_separated_only", "NN separated, PF not", "x", "k"),
    ("nn_homogeneous_only", "PF separated, NN not", "+", "tab:red"),
    ("nn_diverged", "NN diverged", "v", "tab:purple"),
)


def phase_diagram_masks(diagram) -> dict[str, np.ndarray]:
    """[S] bool masks of the classes of :data:`PHASE_DIAGRAM_CLASSES` for a
    :class:`spinodal.analysis.evaluation.PhaseDiagram`; their sums are its ``counts``."""
    nn, pf, gone = diagram.nn_separated, diagram.pf_separated, diagram.nn_diverged
    return {
        "both_separated": nn & pf,
        "both_homogeneous": ~nn & ~pf & ~gone,
        "nn_separated_only": nn & ~pf,
        "nn_homogeneous_only": ~nn & pf & ~gone,
        "nn_diverged": gone,
    }


def plot_phase_diagram(diagram, pf: PhaseFieldModel, *, title: str | None = None, ax=None):
    """Every sequence of a :class:`spinodal.analysis.evaluation.PhaseDiagram` at its (⟨φ⟩, η),
    one marker per class of :data:`PHASE_DIAGRAM_CLASSES` with its count in the legend, over
    the spinodal line of Eq. 9 for the data's solver constants ``pf`` (Fig. 8a)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4.5))
    fig = ax.figure
    plot_spinodal_line(pf, ax=ax)
    counts, masks = diagram.counts, phase_diagram_masks(diagram)
    for name, label, marker, colour in PHASE_DIAGRAM_CLASSES:
        mask = masks[name]
        ax.scatter(
            diagram.phi_mean[mask],
            diagram.eta[mask] * 100,
            marker=marker,
            color=colour,
            s=30,
            label=f"{label} ({counts[name]})",
            zorder=3,
        )
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    if title is not None:
        ax.set_title(title)
    return fig


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


def plot_cure_errors(checks: dict, *, title: str | None = None, ax=None):
    """The median MAE of each network's free rollouts (``checks``: label → the arrays of
    :meth:`spinodal.analysis.stability.RolloutCheck.as_arrays`, with ``times`` [T], ``mae`` and
    ``persistence`` [S, T] and ``diverged_at`` [S], -1: never), each curve ending at a dotted
    line where the first of its rollouts leaves the physical range, and the no-change forecast
    φ_t = φ₀ of the last network's check (dashed), on a log scale."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
    fig = ax.figure
    for i, (label, check) in enumerate(checks.items()):
        first = np.asarray(check["diverged_at"])
        median = ensemble_summary(check["mae"]).median
        blown = first >= 0
        stop = int(first[blown].min()) if blown.any() else len(median) + 1
        ax.plot(check["times"][: stop - 1], median[: stop - 1], color=f"C{i}", label=label)
        if blown.any():
            ax.axvline(stop, color=f"C{i}", ls=":", lw=1)
    last = list(checks.values())[-1]
    ax.plot(
        last["times"],
        ensemble_summary(last["persistence"]).median,
        color="0.5",
        ls="--",
        label="no-change forecast φ_t = φ₀",
    )
    ax.set(xlabel="t (τ)", ylabel="median MAE ⟨|φ_NN − φ_PF|⟩", yscale="log")
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_curriculum(histories, stages, *, reference: str = "paper", axes=None):
    """True input frames per epoch, the curriculum of the paper's Sec. 2.3 (chapter 03).

    Left: what each training stage recorded, epoch by epoch (``histories``:
    ``[(name, history.json records)]``, first stage first, with ``stages``, the matching
    :func:`spinodal.surrogate.checkpoint.training_stages` entries, for their sequence lengths),
    the epochs numbered on across stages; one input frame is a free rollout from φ_0. Right:
    the schedule of the ``reference`` preset's recipe (the paper's: a 10-epoch ramp from 99 true
    input frames down to 1, :func:`spinodal.surrogate.training.curriculum_inputs`). Log scale.
    """
    from ..presets import get_preset
    from ..surrogate.training import curriculum_inputs

    if len(histories) != len(stages):
        raise ValueError(f"{len(histories)} histories for {len(stages)} stages")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
    fig = axes[0].figure
    offset = 0
    for k, ((name, run), stage) in enumerate(zip(histories, stages, strict=True)):
        axes[0].step(
            [h["epoch"] + offset for h in run],
            [h["n_input"] for h in run],
            "o-",
            where="mid",
            ms=3,
            color=f"C{k}",
            label=f"{name} ({len(run)} epochs, {stage['frames']} frames)",
        )
        offset += max(h["epoch"] for h in run)
    axes[0].set(
        xlabel="epoch (all stages)",
        ylabel="true input frames",
        yscale="log",
        title="this model, as recorded in history.json",
    )
    axes[0].legend(fontsize="x-small")
    preset = get_preset(reference)
    recipe, frames = preset.training, preset.split("train").n_frames
    axes[1].step(
        np.arange(1, recipe.epochs + 1),
        [curriculum_inputs(e, frames, recipe.curriculum_epochs) for e in range(recipe.epochs)],
        where="mid",
    )
    axes[1].set(
        xlabel="epoch",
        ylabel="true input frames",
        yscale="log",
        title=f"{reference} (T = {frames})",
    )
    return fig


def plot_validation_example(result: dict, index: int, times):
    """One validation sequence of Fig. 3b,c: the CRNN, the phase field and their difference
    (:func:`plot_nn_pf_error`) at ``times`` (τ), titled with its η and ⟨φ⟩; columns after the
    rollout has left the physical range are marked.

    Args:
        result: rollouts of :func:`spinodal.analysis.evaluation.domain_rollout` with every frame
            stored (``every=1``): ``index``, ``eta``, ``phi_mean`` [S], ``stored_frame`` [T+1],
            ``nn``, ``pf`` [S, T+1, N, N].
        index: the sequence's number in its dataset (one of ``result["index"]``).
    """
    from .reporting import frames_divergence_times

    k = int(np.flatnonzero(np.asarray(result["index"]) == index)[0])
    gone = float(frames_divergence_times(result["nn"][k], result["stored_frame"]))
    fig = plot_nn_pf_error(result["nn"][k, times], result["pf"][k, times], times, diverged_at=gone)
    fig.suptitle(
        f"validation sequence {index}: η = {result['eta'][k] * 100:.2f} %, "
        f"⟨φ⟩ = {result['phi_mean'][k]:.3f}"
    )
    return fig


def plot_validation_mae(
    times,
    mae,
    persistence,
    diverged,
    trainer_mae,
    training_frames: int,
    n_trainer_sequences: int,
    ax=None,
):
    """The MAE per frame of validation rollouts (chapter 03, beside the paper's Fig. 3b,c):
    median and IQR of ``mae`` [S, T] at ``times`` [T] (τ), diverged rollouts (``diverged``
    [S, T]) kept out; the MAE per frame 1, 2, ... the trainer recorded at its best epoch
    (``trainer_mae``, the mean over its ``n_trainer_sequences`` validation sequences); the
    no-change forecast's MAE ``persistence`` [S, T] as the yardstick; and the training length
    ``training_frames`` (τ) as a dotted line. Log scale."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    fig = ax.figure
    plot_median_iqr(
        times,
        mae,
        ax=ax,
        diverged=diverged,
        label=f"rollouts (median, IQR), {len(mae)} validation sequences",
    )
    ax.plot(
        np.arange(1, len(trainer_mae) + 1),
        trainer_mae,
        "k.",
        ms=4,
        label=f"history.json, best epoch (mean of all {n_trainer_sequences})",
    )
    plot_median_iqr(times, persistence, ax=ax, color="0.6", label="no-change forecast φ_t = φ₀")
    ax.axvline(training_frames, color="0.5", ls=":", label="training length")
    ax.set(ylabel="MAE ⟨|φ_NN − φ_PF|⟩", yscale="log")
    ax.legend(fontsize="small")
    return fig


def plot_error_spectra(nn, pf, *, early: int = 10, axes=None):
    """Where the CRNN's error sits in wavenumber (chapter 03; not in the paper). Left: the
    shell-averaged spectrum of φ_NN − φ_PF (:func:`spinodal.analysis.stability.radial_spectrum`,
    mean over sequences) at ``early`` τ (at most the last frame) and at the last frame; right:
    the NN and PF power spectra at the last frame.

    Args:
        nn, pf: [S, T+1, N, N] rollouts and truth, one frame per τ from φ_0.
    """
    from ..analysis.stability import radial_spectrum

    nn, pf = np.asarray(nn), np.asarray(pf)
    T = nn.shape[1] - 1
    early = min(early, T)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    fig = axes[0].figure
    shells, error_early = radial_spectrum(nn[:, early] - pf[:, early])
    _, error_late = radial_spectrum(nn[:, T] - pf[:, T])
    plot_spectra(
        shells,
        {f"{early}τ": error_early.mean(0), f"{T}τ": error_late.mean(0)},
        ax=axes[0],
        title="error spectrum |φ̂_NN − φ̂_PF|²",
    )
    plot_spectra(
        shells,
        {"NN": radial_spectrum(nn[:, T])[1].mean(0), "PF": radial_spectrum(pf[:, T])[1].mean(0)},
        ax=axes[1],
        title=f"power spectra at {T}τ",
    )
    fig.tight_layout()
    return fig


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


def plot_phase_diagram_cases(shown: dict, cases, frame: int, *, disagreements: bool = True):
    """NN (top row) and PF (bottom row) at the classification time ``frame`` (τ) of the
    sequences ``cases`` of Fig. 8b, from their rollouts ``shown``
    (:func:`spinodal.analysis.evaluation.domain_rollout`: ``nn``, ``pf`` [k, F, N, N] with the
    last stored frame at ``frame``, ``phi_mean``, ``eta`` [k]), titled by ⟨φ⟩ and η;
    ``disagreements``: whether they are sequences where NN and PF disagree, else borderline
    ones."""
    cases = list(cases)
    fields = np.concatenate([np.asarray(shown["nn"])[:, -1], np.asarray(shown["pf"])[:, -1]])
    titles = [
        f"{side} #{i}: ⟨φ⟩={p:.2f}, η={e * 100:.2f}%"
        for side in ("NN", "PF")
        for i, p, e in zip(cases, shown["phi_mean"], shown["eta"], strict=True)
    ]
    fig, axes = plt.subplots(2, len(cases), figsize=(3 * len(cases), 6), squeeze=False)
    plot_frames(fields, titles, axes=axes.ravel())
    fig.suptitle(
        ("disagreements" if disagreements else "no disagreement: borderline cases")
        + f" at {frame}τ"
    )
    return fig


def plot_amplitude_pair(pair: dict, pf_labels, nn_labels, n_frames: int):
    """Fig. 8c: one row per peak amplitude a of an
    :func:`spinodal.analysis.evaluation.amplitude_sensitivity` ``pair`` (``amplitude`` [A],
    ``phi0``, ``pf``, ``nn`` [A, N, N]): the initial state, PF and NN after ``n_frames`` τ, the
    last two titled with their outcome (``pf_labels``, ``nn_labels``: "separated" or "mixed")."""
    amplitudes = pair["amplitude"]
    fig, axes = plt.subplots(
        len(amplitudes),
        3,
        figsize=(8.5, 2.8 * len(amplitudes) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    phi0 = np.asarray(pair["phi0"])
    plot_frames(
        np.stack([phi0, pair["pf"], pair["nn"]], axis=1).reshape(-1, *phi0.shape[1:]),
        [
            title
            for x, lp, ln in zip(amplitudes, pf_labels, nn_labels, strict=True)
            for title in (f"t = 0, a = {x:g}", f"PF {n_frames}τ: {lp}", f"NN {n_frames}τ: {ln}")
        ],
        axes=axes,
    )
    return fig


def plot_morphologies(fields, cases, pf: PhaseFieldModel, *, ncols: int = 3):
    """Phase-field fields [k, N, N] at the (⟨φ⟩, η) of ``cases`` (k pairs, η a fraction),
    ``ncols`` a row, each titled with its parameters and whether it lies inside the spinodal
    line of Eq. 9 (``pf.spinodal_misfit``; chapter 01, in the spirit of the paper's Figs. 1b
    and 8)."""
    from .reporting import inside_spinodal

    fields, cases = np.asarray(fields), list(cases)
    if len(fields) != len(cases):
        raise ValueError(f"{len(fields)} fields for {len(cases)} cases")
    inside = inside_spinodal([p for p, _ in cases], [e for _, e in cases], pf)
    nrows = -(-len(cases) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.5, 3.1 * nrows), layout="constrained")
    axes = np.ravel(axes)
    for ax in axes[len(cases) :]:
        ax.remove()
    plot_frames(
        fields,
        [
            f"⟨φ⟩ = {p:g}, η = {e * 100:.2g} %\n{'inside' if i else 'outside'}"
            for (p, e), i in zip(cases, inside, strict=True)
        ],
        axes=axes[: len(cases)],
    )
    return fig
