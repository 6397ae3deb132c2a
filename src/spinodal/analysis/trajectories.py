"""One driver that walks a trajectory against its reference, frame by frame, with trackers.

Every comparison of the book has the same shape: from the initial states φ₀ of a batch of
sequences, a candidate trajectory (a CRNN rollout, a noisy PF run) is produced frame by frame
and set against the reference frames of a dataset (the deterministic PF). :func:`walk` is that
loop, written once; what is done with each pair of frames is left to *trackers* (in the manner
of py-pde's trackers), callables ``tracker(t, candidate, reference)`` that see frame ``t`` (in
τ, 0 being φ₀ itself) of the batch:

- :class:`Measures` writes per-frame measures into arrays ``out[name][rows, t]``;
- :class:`FrameStore` keeps the fields of chosen frames;
- :class:`Progress` advances a progress bar;
- :class:`NonFiniteWarning` warns, once per sequence, when the candidate stops being finite.

:func:`paired_measures` and :func:`single_measures` build the measure functions of
:mod:`spinodal.analysis.evaluation` (:func:`~spinodal.analysis.evaluation.evaluate_split`,
:func:`~spinodal.analysis.evaluation.domain_rollout` and
:func:`~spinodal.analysis.evaluation.perturbed_ensemble` are configurations of :func:`walk`).
Frames are NumPy arrays [B, N, N] on the CPU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ..physics import metrics
from ..physics.solver import PhaseFieldModel

__all__ = [
    "FIELD_MEASURES",
    "FrameStore",
    "Measures",
    "NonFiniteWarning",
    "Progress",
    "field_measures",
    "paired_measures",
    "single_measures",
    "walk",
]

log = logging.getLogger(__name__)

Tracker = Callable[[int, np.ndarray, np.ndarray], None]
"""``tracker(t, candidate, reference)``: frame ``t`` (τ) of the batch, both [B, N, N]."""

Measure = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
"""``measure(candidate, reference)`` -> ``{name: values [B]}``."""

FIELD_MEASURES = (
    "paper_total",
    "interface",
    "elastic",
    "isotropy",
    "fractal_dimension",
    "contrast",
)
"""Per-field measures: the paper's ⟨f⟩ = 2⟨w⟩ + ⟨ρ⟩ (Sec. 2.3, Fig. 5a), 2⟨w⟩ (the interface
length per area, Fig. 4c), ⟨ρ⟩ (Fig. 5c), the isotropy degree I (Eq. 13), the boundary fractal
dimension D_b (Eq. 14) and max φ - min φ (phase separated above 0.05, Sec. 3.4)."""

_ENERGIES = ("paper_total", "interface", "elastic")


def field_measures(
    phi, eta, pf: PhaseFieldModel, names: Sequence[str] = FIELD_MEASURES
) -> dict[str, np.ndarray]:
    """The measures ``names`` (a subset of :data:`FIELD_MEASURES`) of fields ``phi`` [B, N, N]
    with misfits ``eta`` [B] under the solver constants of ``pf``, each [B] float64."""
    unknown = set(names) - set(FIELD_MEASURES)
    if unknown:
        raise ValueError(f"unknown measure(s) {sorted(unknown)}; known: {FIELD_MEASURES}")
    phi = np.asarray(phi)
    out: dict[str, np.ndarray] = {}
    if set(names) & set(_ENERGIES):
        energies = pf.free_energy(phi, np.asarray(eta, dtype=phi.dtype))
        out |= {n: np.asarray(energies[n], np.float64) for n in _ENERGIES if n in names}
    if "isotropy" in names:
        out["isotropy"] = metrics.isotropy(phi)
    if "fractal_dimension" in names:
        out["fractal_dimension"] = metrics.fractal_dimension(phi)
    if "contrast" in names:
        out["contrast"] = metrics.contrast(phi)
    return {n: out[n] for n in names}


def paired_measures(
    eta, pf: PhaseFieldModel, names: Sequence[str] = FIELD_MEASURES, sides=("nn", "pf")
) -> Measure:
    """Measures of a candidate against its reference: ``mae`` (⟨|φ_c - φ_r|⟩, Fig. 4a),
    ``SIDE/NAME`` of both fields for NAME in ``names`` (SIDE: ``sides``, candidate first) and,
    when ``interface`` is among them, ``interface_error`` (|L_c - L_r| / L_r, L = 2⟨w⟩, Fig. 4c)."""
    candidate_side, reference_side = sides

    def measure(candidate: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
        ours = field_measures(candidate, eta, pf, names)
        theirs = field_measures(reference, eta, pf, names)
        out = {
            **{f"{candidate_side}/{n}": v for n, v in ours.items()},
            **{f"{reference_side}/{n}": v for n, v in theirs.items()},
            "mae": metrics.mae(candidate, reference),
        }
        if "interface" in names:
            out["interface_error"] = metrics.relative_error(ours["interface"], theirs["interface"])
        return out

    return measure


def single_measures(eta, pf: PhaseFieldModel, names: Sequence[str]) -> Measure:
    """Measures of the candidate alone, ``NAME`` for NAME in ``names``, plus its ``mae``
    against the reference (the perturbed PF ensembles of Fig. 6)."""

    def measure(candidate: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "mae": metrics.mae(candidate, reference),
            **field_measures(candidate, eta, pf, names),
        }

    return measure


@dataclass
class Measures:
    """Writes ``measure(candidate, reference)`` into ``out[name][rows, t]`` (arrays [S, T+1]
    shared by all batches; ``rows``: this batch's rows of them)."""

    out: dict[str, np.ndarray]
    rows: slice
    measure: Measure

    def __call__(self, t: int, candidate: np.ndarray, reference: np.ndarray) -> None:
        for name, values in self.measure(candidate, reference).items():
            self.out[name][self.rows, t] = values


@dataclass
class FrameStore:
    """Keeps the fields of the frames ``frames`` (τ): candidate and reference of the batch's
    fields ``select`` go to ``out[sides[0]]`` and ``out[sides[1]]`` [S', F, N, N] at ``rows``."""

    out: dict[str, np.ndarray]
    rows: slice
    frames: Sequence[int]
    select: slice | np.ndarray = field(default_factory=lambda: slice(None))
    sides: tuple[str, str] = ("nn", "pf")

    def __call__(self, t: int, candidate: np.ndarray, reference: np.ndarray) -> None:
        if t in self.frames:
            k = list(self.frames).index(t)
            self.out[self.sides[0]][self.rows, k] = candidate[self.select]
            self.out[self.sides[1]][self.rows, k] = reference[self.select]


@dataclass
class Progress:
    """Advances ``bar`` by the batch's ``n_fields`` at every frame, φ₀ included (a bar over
    S sequences of T frames after φ₀ has S (T + 1) steps)."""

    bar: tqdm
    n_fields: int

    def __call__(self, t: int, candidate: np.ndarray, reference: np.ndarray) -> None:
        self.bar.update(self.n_fields)


@dataclass
class NonFiniteWarning:
    """Warns once per field when the candidate stops being finite (its measures are NaN from
    there on); ``labels`` [B] name the fields (e.g. their sequence numbers)."""

    labels: np.ndarray
    what: str = "the CRNN rollout"
    warned: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.warned = np.zeros(len(self.labels), dtype=bool)

    def __call__(self, t: int, candidate: np.ndarray, reference: np.ndarray) -> None:
        bad = ~np.isfinite(candidate).all(axis=(-2, -1)) & ~self.warned
        if bad.any():
            self.warned |= bad
            log.warning(
                "%s of sequence(s) %s is no longer finite at frame %d",
                self.what,
                np.asarray(self.labels)[bad].tolist(),
                t,
            )


def walk(
    phi0: np.ndarray,
    candidate: Iterable[np.ndarray],
    reference: Callable[[int], np.ndarray],
    trackers: Sequence[Tracker],
) -> None:
    """Show every tracker frame 0 (``phi0`` [B, N, N] as both candidate and reference), then
    each frame t = 1, 2, ... of ``candidate`` (an iterable of [B, N, N], e.g. a rollout) with
    ``reference(t)``. Streams: only the current pair of frames is held."""
    for tracker in trackers:
        tracker(0, phi0, phi0)
    for t, frame in enumerate(candidate, start=1):
        truth = reference(t)
        for tracker in trackers:
            tracker(t, frame, truth)
