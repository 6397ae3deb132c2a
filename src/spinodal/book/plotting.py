"""Figures that several chapters of the book share: fields, median/IQR bands, NN-against-PF
panels, animations and the spinodal line (a figure one chapter alone draws lives in
:mod:`spinodal.book.chapters`).

Every function draws on a given (or new) axes and returns the figure, so chapters stay thin.
Misfits are shown in percent, times in τ.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import LogNorm

from ..analysis.stability import GRID_SCALE_WAVELENGTH
from ..physics.metrics import ensemble_summary
from ..physics.solver import PhaseFieldModel
from ..physics.theory import chemical_spinodal
from .reporting import summary_before_divergence

__all__ = [
    "plot_spinodal_line",
    "plot_frames",
    "times_up_to",
    "nn_pf_animation_html",
    "plot_median_iqr",
    "plot_nn_pf_error",
    "offline_jshtml",
    "animation_html",
    "plot_spectra",
]

PHASE_CMAP = "RdBu_r"


def new_axes(ax, **subplot_kw):
    if ax is None:
        fig, ax = plt.subplots(subplot_kw=subplot_kw)
        return fig, ax
    return ax.figure, ax


def plot_spinodal_line(pf: PhaseFieldModel, ax=None, n: int = 401):
    """The analytic spinodal line η_s(⟨φ⟩) of Eq. 9 (Figs. 1a, 8a): decomposition below it."""
    fig, ax = new_axes(ax)
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


# --- ensembles (Secs. 3.1-3.2) --------------------------------------------------------------------

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

    fig, ax = new_axes(ax)
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


def times_up_to(times, last) -> list:
    """The columns of a snapshot figure: the ``times`` (τ) up to ``last``, and ``last``
    itself, sorted and without repeats (chapter 04's Fig. 4a)."""
    return sorted({t for t in times if t <= last} | {last})


# --- animations ---------------------------------------------------------------------------------


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


# --- spectra -------------------------------------------------------------------------------------


def plot_spectra(shells, spectra: dict, ax=None, *, title: str | None = None):
    """Shell-averaged power spectra (:func:`spinodal.analysis.stability.radial_spectrum`), one
    line per entry of ``spectra`` (label → [n_shells] power), on log axes; the grid-scale band
    (|k| ≥ 1/4) is shaded."""

    fig, ax = new_axes(ax)
    ax.axvspan(1 / GRID_SCALE_WAVELENGTH, shells.max() * 1.05, color="0.9", zorder=0)
    for label, power in spectra.items():
        ax.plot(shells, power, label=label)
    ax.set(xscale="log", yscale="log", xlabel="|k| (cycles per grid spacing)", ylabel="power")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
