"""What chapter 01 (the phase-field model, Sec. 2.1) shows: the solver's constants, elasticity,
linear growth and the PFHub check, and its morphology runs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...physics.solver import PhaseFieldModel
from ..plotting import (
    new_axes,
    plot_frames,
)
from ..reporting import (
    format_number,
    inside_spinodal,
)

__all__ = [
    "constants_table",
    "plot_growth_rates",
    "plot_linear_growth",
    "plot_morphologies",
    "plot_pfhub",
    "plot_trace_B",
]


def constants_table(pf) -> str:
    """The constants of a :class:`spinodal.physics.solver.PhaseFieldModel` (its ``to_dict``)
    as a Markdown table, four significant digits (chapter 01; the paper's Secs. 2.1-2.2)."""
    return "| constant | value |\n|---|---|\n" + "\n".join(
        f"| `{name}` | {format_number(value, 4)} |" for name, value in pf.to_dict().items()
    )


def plot_trace_B(pf: PhaseFieldModel, ax=None):
    """Polar plot of tr B(n) (Eq. 6) for the model's constants and the isotropic crystal
    with the same C11, C12: minima along ⟨10⟩ are the elastically soft directions."""
    fig, ax = new_axes(ax, projection="polar")
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


def plot_growth_rates(pf: PhaseFieldModel, phi_mean: float, etas, ax=None):
    """Linear growth rate ω(q) along ⟨10⟩ (solid) and ⟨11⟩ (dashed) for several misfits."""
    fig, ax = new_axes(ax)
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
    fig, ax = new_axes(ax)
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


def plot_morphologies(fields, cases, pf: PhaseFieldModel, *, ncols: int = 3):
    """Phase-field fields [k, N, N] at the (⟨φ⟩, η) of ``cases`` (k pairs, η a fraction),
    ``ncols`` a row, each titled with its parameters and whether it lies inside the spinodal
    line of Eq. 9 (``pf.spinodal_misfit``; chapter 01, in the spirit of the paper's Figs. 1b
    and 8)."""

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
