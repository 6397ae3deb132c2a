"""Figures of the book (the only module that imports matplotlib).

Every function draws on a given (or new) axes and returns the figure, so chapters stay thin.
Misfits are shown in percent, times in τ.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .solver import PhaseFieldModel
from .theory import chemical_spinodal

__all__ = [
    "plot_trace_B",
    "plot_spinodal_line",
    "plot_growth_rates",
    "plot_pfhub",
    "plot_frames",
]

PHASE_CMAP = "RdBu_r"


def _axes(ax, **subplot_kw):
    if ax is None:
        fig, ax = plt.subplots(subplot_kw=subplot_kw)
        return fig, ax
    return ax.figure, ax


def plot_trace_B(model: PhaseFieldModel, ax=None):
    """Polar plot of tr B(n) (Eq. 6) for the model's constants and the isotropic crystal
    with the same C11, C12: minima along ⟨10⟩ are the elastically soft directions."""
    fig, ax = _axes(ax, projection="polar")
    theta = np.linspace(0, 2 * np.pi, 721)
    ax.plot(
        theta,
        model.trace_B(np.cos(theta), np.sin(theta)),
        label=f"cubic, Z = {model.zener_ratio:g}",
    )
    iso = PhaseFieldModel(C11=model.C11, C12=model.C12, C44=(model.C11 - model.C12) / 2)
    ax.plot(theta, iso.trace_B(np.cos(theta), np.sin(theta)), "--", label="isotropic, Z = 1")
    ax.set_title("tr B(n)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.75, -0.1), fontsize="small")
    return fig


def plot_spinodal_line(model: PhaseFieldModel, ax=None, n: int = 401):
    """The analytic spinodal line η_s(⟨φ⟩) of Eq. 9 (Figs. 1a, 8a): decomposition below it."""
    fig, ax = _axes(ax)
    lo, hi = chemical_spinodal(model.well_height)
    phi = np.sort(np.concatenate([np.linspace(0, 1, n), [lo, hi]]))  # the line closes at η = 0
    eta = model.spinodal_misfit(phi) * 100
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


def plot_growth_rates(model: PhaseFieldModel, phi_mean: float, etas, ax=None):
    """Linear growth rate ω(q) along ⟨10⟩ (solid) and ⟨11⟩ (dashed) for several misfits."""
    fig, ax = _axes(ax)
    q = np.linspace(0, 1.0, 400)
    for i, eta in enumerate(etas):
        color = f"C{i}"
        ax.plot(
            q,
            model.growth_rate(q, 0 * q, phi_mean, eta),
            color=color,
            label=f"η = {eta * 100:.2g} %",
        )
        ax.plot(
            q, model.growth_rate(q / np.sqrt(2), q / np.sqrt(2), phi_mean, eta), "--", color=color
        )
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("|q| (1 / grid spacing)")
    ax.set_ylabel("ω (1 / τ)")
    ax.set_title(f"⟨φ⟩ = {phi_mean:g}: ⟨10⟩ solid, ⟨11⟩ dashed")
    ax.legend(fontsize="small")
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


def plot_frames(frames, titles, *, axes=None, vmin=0.0, vmax=1.0):
    """A row of fields [k, H, W] with titles, on a shared colour scale of φ."""
    frames = np.asarray(frames)
    if axes is None:
        fig, axes = plt.subplots(1, len(frames), figsize=(2.2 * len(frames), 2.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    for ax, frame, title in zip(axes, frames, titles, strict=True):
        ax.imshow(frame, cmap=PHASE_CMAP, vmin=vmin, vmax=vmax, origin="lower")
        ax.set_title(title, fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
