"""What chapter 07 (the phase diagram, Sec. 3.4, Fig. 8) shows: NN and PF classifications, the
cases where they disagree, and the amplitude pair."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from ... import paper
from ...paper import PaperValue
from ...physics.metrics import (
    PHYSICAL_RANGE,
)
from ...physics.solver import PhaseFieldModel
from ..plotting import plot_frames, plot_spinodal_line

__all__ = [
    "AmplitudePair",
    "PHASE_DIAGRAM_CLASSES",
    "amplitude_pair",
    "confusion_table",
    "phase_diagram_cases",
    "phase_diagram_masks",
    "phase_diagram_sentence",
    "phase_diagram_versus_paper_rows",
    "plot_amplitude_pair",
    "plot_phase_diagram",
    "plot_phase_diagram_cases",
]


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
