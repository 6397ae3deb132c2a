"""Presets: every size and count of the pipeline, in one place.

Three named scales share one structure:

``tiny``
    Plumbing only: every chapter in about a minute on 2 CPU cores (tests and CI).
``small``
    The default: a meaningful book on a 2-core CPU in at most 30 minutes.
``paper``
    Exactly the numbers of Fantasia, Lanzoni et al. (2026), meant for one GPU:
    2000 training sequences of 100 frames on 128² (Sec. 2.2), 500 test sequences to 500τ
    (Sec. 3.1), 50-sequence ensembles to 1000τ at ⟨φ⟩ = 0.5 with η = 0.6 % and 0.3 %
    (Sec. 3.2, Fig. S6), 512² domains (Sec. 3.3, Fig. 7).

A reduced preset never passes itself off as the paper: every file the pipeline writes stores
the preset's name and its hash.

All lengths are in grid spacings, times in units of τ = 100 solver steps of δt = 0.01
(one frame), misfits η as fractions (0.006 = 0.6 %).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "Uniform",
    "Choice",
    "InitialState",
    "SplitSpec",
    "TrainingStage",
    "TrainingRecipe",
    "AblationRecipe",
    "Preset",
    "PRESETS",
    "get_preset",
    "SPLIT_NAMES",
]


@dataclass(frozen=True)
class Uniform:
    """A parameter drawn uniformly from ``[low, high]`` for every sequence."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"Uniform needs low <= high, got [{self.low}, {self.high}]")

    def draw(self, rng: np.random.Generator, index: int) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class Choice:
    """A parameter taking the listed values in turn: sequence ``i`` gets ``values[i % n]``."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("Choice needs at least one value")

    def draw(self, rng: np.random.Generator, index: int) -> float:
        return float(self.values[index % len(self.values)])


Distribution = Uniform | Choice


def _fixed(value: float) -> Choice:
    return Choice((value,))


@dataclass(frozen=True)
class InitialState:
    """How initial states are drawn (paper Sec. 2.2; see :mod:`spinodal.physics.initial`).

    Attributes:
        kind: ``"perlin"`` (periodic Perlin noise around a uniform mean) or ``"varying"``
            (Fig. 7c: a mean composition higher in the centre than at the edges, plus noise).
        cell: size of the coarsest Perlin lattice cell, in grid spacings.
        octaves: number of Perlin octaves (each halves the cell and the weight).
        amplitude_std: the peak fluctuation amplitude ``a`` is drawn from N(0, amplitude_std²);
            |φ₀ - ⟨φ⟩| ≤ |a| with equality at the extreme pixel.
        contrast: for ``"varying"``, local mean composition at the centre minus that at the
            edges (the global mean stays the split's ⟨φ⟩); see
            :func:`spinodal.physics.initial.varying_mean`.
    """

    kind: Literal["perlin", "varying"] = "perlin"
    cell: float = 16.0
    octaves: int = 2
    amplitude_std: float = 0.1
    contrast: float = 0.3


@dataclass(frozen=True)
class SplitSpec:
    """One dataset split: how many sequences, how long, how large, which parameters.

    Attributes:
        name: split name, one of :data:`SPLIT_NAMES`.
        n_sequences: number of sequences S.
        n_frames: frames after the initial one, T (the file holds T + 1 frames, τ apart).
        size: side N of the N × N periodic domain, in grid spacings.
        phi_mean: distribution of the mean composition ⟨φ⟩.
        eta: distribution of the misfit η (fraction).
        initial: how initial states are drawn.
        seed: root seed of the split; sequence ``i`` uses a generator spawned from (seed, i).
        validation_fraction: fraction of sequences marked as validation (4:1 → 0.2, Sec. 2.3).
    """

    name: str
    n_sequences: int
    n_frames: int
    size: int
    phi_mean: Distribution
    eta: Distribution
    initial: InitialState = field(default_factory=InitialState)
    seed: int = 0
    validation_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.n_sequences < 1 or self.n_frames < 1 or self.size < 4:
            raise ValueError(f"split {self.name!r}: sizes must be positive, got {self}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(
                f"split {self.name!r}: validation_fraction must be in [0, 1), "
                f"got {self.validation_fraction}"
            )

    def to_dict(self) -> dict:
        return _to_jsonable(self)


@dataclass(frozen=True)
class TrainingStage:
    """One stage of a staged training recipe: it starts from the best weights of the stage
    before it (the first from fresh weights) and changes some values of the
    :class:`TrainingRecipe` (None keeps the recipe's value).

    Attributes:
        name: folder name of the stage's checkpoint (the last stage is the model itself).
        epochs: epochs of this stage.
        frames: frames of each training sequence used (None: all).
        curriculum_epochs, batch_size, learning_rate, implicit_damping, feedback_noise_std,
            highpass_noise_std, stability_frames: as in :class:`TrainingRecipe`.
    """

    name: str
    epochs: int
    frames: int | None = None
    curriculum_epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    implicit_damping: float | None = None
    feedback_noise_std: float | None = None
    highpass_noise_std: float | None = None
    stability_frames: int | None = None

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"a stage needs a plain folder name, got {self.name!r}")
        if self.epochs < 1:
            raise ValueError(f"stage {self.name!r}: epochs must be positive, got {self.epochs}")

    def overrides(self) -> dict:
        """The recipe values this stage sets (name → value), without ``name``."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "name" and getattr(self, f.name) is not None
        }


@dataclass(frozen=True)
class TrainingRecipe:
    """The training recipe of Sec. 2.3 (used by the surrogate's training loop).

    Attributes:
        train_size: side of the training domains (the network is fully convolutional).
        epochs: training epochs.
        curriculum_epochs: epochs over which the number of teacher-forced input frames
            ramps from T-1 down to 1 (curriculum learning, Sec. 2.3; the paper's loss spike
            "in the first 10 epochs", Fig. 3a, sets the ramp length).
        batch_size: sequences per optimizer step (not stated in the paper; our choice).
        learning_rate: Adam learning rate (not stated in the paper; our choice).
        lambda_grad, lambda_f: loss weights λ_∇ and λ_f of Eq. 11.
        noise_std: standard deviation of the mass-conserving noise injected into inputs.
        hidden_channels, kernel_size: convGRU width and kernel (Fig. 2).
        implicit_damping: β of the semi-implicit output filter (:mod:`spinodal.surrogate.model`; 0:
            the paper's plain Eq. 10).
        feedback_noise_std: std of the mass-conserving noise added to the network's own output
            where a free rollout feeds it back (0: none; the authors' CRANE code does this).
        highpass_noise_std: rms of grid-scale noise fed back the same way with clean targets,
            teaching the damping the solver applies (0: none; see
            :data:`spinodal.surrogate.training.HIGHPASS_WAVELENGTH`).
        stability_frames: length of the free rollouts from the validation states by which each
            epoch's stability is checked and models are selected (0: no check).
        stages: a staged recipe (each stage changes some of the values above and starts from
            the previous stage's weights); empty: one run with the values above.
    """

    train_size: int = 128
    epochs: int = 100
    curriculum_epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 1e-3
    lambda_grad: float = 60.0
    lambda_f: float = 150.0
    noise_std: float = 1e-3
    hidden_channels: int = 24
    kernel_size: int = 5
    implicit_damping: float = 0.0
    feedback_noise_std: float = 0.0
    highpass_noise_std: float = 0.0
    stability_frames: int = 0
    stages: tuple[TrainingStage, ...] = ()

    def __post_init__(self) -> None:
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must differ, got {names}")


@dataclass(frozen=True)
class AblationRecipe:
    """How the ablation models (supplementary: loss terms, output layer) are trained.

    Each variant changes one thing of the preset's :class:`TrainingRecipe` and is trained with
    the overrides below (None: the recipe's own value, as at the ``paper`` preset).

    Attributes:
        epochs, curriculum_epochs: training length and curriculum ramp.
        batch_size: sequences per optimizer step.
        frames: frames of each training sequence used (None: all).
        max_sequences: training sequences used (None: all).
        stability_frames: length of the stability check of each epoch (None: the recipe's).
    """

    epochs: int | None = None
    curriculum_epochs: int | None = None
    batch_size: int | None = None
    frames: int | None = None
    max_sequences: int | None = None
    stability_frames: int | None = None


SPLIT_NAMES = ("train", "test", "ensemble", "ensemble_low", "large", "varying")


@dataclass(frozen=True)
class Preset:
    """A complete, named scale of the pipeline.

    Attributes:
        name: ``tiny``, ``small`` or ``paper``.
        description: what the preset is for and how far it is from the paper.
        splits: the dataset splits, in :data:`SPLIT_NAMES` order.
        training: the training recipe.
        generation_batch: sequences simulated together by the dataset generator (part of the
            identity of a dataset: batched FFTs round differently in the last bit).
        pfhub_t_end: final time of the PFHub benchmark 1a validation run (benchmark units).
        ablation: how the ablation variants are trained.
    """

    name: str
    description: str
    splits: tuple[SplitSpec, ...]
    training: TrainingRecipe
    ablation: AblationRecipe = field(default_factory=AblationRecipe)
    generation_batch: int = 16
    pfhub_t_end: float = 2000.0

    def split(self, name: str) -> SplitSpec:
        """The split called ``name``; a ``KeyError`` lists the ones that exist."""
        for spec in self.splits:
            if spec.name == name:
                return spec
        raise KeyError(
            f"preset {self.name!r} has no split {name!r}; "
            f"choose one of {[s.name for s in self.splits]}"
        )

    def to_dict(self) -> dict:
        return _to_jsonable(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @property
    def hash(self) -> str:
        """A stable 12-hex-digit hash of every value of the preset."""
        return stable_hash(self.to_dict())


def _to_jsonable(obj) -> dict:
    def convert(value):
        if dataclasses.is_dataclass(value):
            out = {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
            if isinstance(value, Uniform | Choice):
                out["type"] = type(value).__name__
            return out
        if isinstance(value, tuple | list):
            return [convert(v) for v in value]
        return value

    return convert(obj)


def stable_hash(payload: dict) -> str:
    """A short hash of a JSON-serializable payload, independent of key order."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _splits(
    *,
    train: tuple[int, int, int],
    test: tuple[int, int, int],
    ensemble: tuple[int, int, int],
    large: tuple[int, int, int],
    varying: tuple[int, int],
    initial: InitialState,
) -> tuple[SplitSpec, ...]:
    """The six splits of the paper, each given as (sequences, frames, size)."""
    random_phi = Uniform(0.2, 0.8)  # Sec. 2.2
    random_eta = Uniform(0.0, 0.012)  # Sec. 2.1: η ∈ [0, 1.2 %]
    varying_initial = dataclasses.replace(initial, kind="varying")
    return (
        SplitSpec(
            "train", *train, random_phi, random_eta, initial, seed=1, validation_fraction=0.2
        ),
        SplitSpec("test", *test, random_phi, random_eta, initial, seed=2),
        SplitSpec("ensemble", *ensemble, _fixed(0.5), _fixed(0.006), initial, seed=3),
        SplitSpec("ensemble_low", *ensemble, _fixed(0.5), _fixed(0.003), initial, seed=4),
        SplitSpec("large", *large, _fixed(0.45), Choice((0.004, 0.008)), initial, seed=5),
        SplitSpec("varying", 1, *varying, _fixed(0.45), _fixed(0.0), varying_initial, seed=6),
    )


_INITIAL = InitialState()

PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        name="tiny",
        description="Plumbing only (tests, CI): tiny domains and counts; numbers mean nothing.",
        splits=_splits(
            train=(8, 10, 32),
            test=(4, 20, 32),
            ensemble=(4, 20, 32),
            large=(2, 5, 64),
            varying=(10, 64),
            initial=_INITIAL,
        ),
        training=TrainingRecipe(
            train_size=32,
            epochs=2,
            curriculum_epochs=1,
            batch_size=4,
            implicit_damping=5.0,
            stability_frames=20,
        ),
        ablation=AblationRecipe(epochs=1, curriculum_epochs=0, frames=4),
        generation_batch=8,
        pfhub_t_end=20.0,
    ),
    "small": Preset(
        name="small",
        description=(
            "Default laptop scale (2 CPU cores, <= 30 min for the book): 64² domains "
            "instead of 128² (the network is fully convolutional), half-length training "
            "sequences, fewer and shorter test and ensemble sequences, 256² instead of 512² "
            "domains."
        ),
        splits=_splits(
            train=(256, 50, 64),
            test=(32, 200, 64),
            ensemble=(16, 300, 64),
            large=(2, 100, 256),
            varying=(200, 256),
            initial=_INITIAL,
        ),
        # The shipped crnn-small, stage by stage (data/models/crnn-small/COMMAND): windows of
        # 12 frames with a short curriculum, free 30-frame rollouts, then the semi-implicit
        # output (β = Mκτ/dx⁴ = 5) on free rollouts over the whole 50-frame sequences, first at
        # the learning rate of stage 2, then annealed; each epoch of the last two is checked on
        # 200-frame (4× the window) rollouts from the validation states.
        training=TrainingRecipe(
            train_size=64,
            epochs=30,
            curriculum_epochs=10,
            batch_size=4,
            learning_rate=3e-4,
            implicit_damping=5.0,
            stability_frames=200,
            stages=(
                TrainingStage(
                    "1-window12",
                    epochs=12,
                    frames=12,
                    curriculum_epochs=3,
                    learning_rate=1e-3,
                    implicit_damping=0.0,
                    stability_frames=0,
                ),
                TrainingStage(
                    "2-rollout30",
                    epochs=9,
                    frames=30,
                    curriculum_epochs=0,
                    implicit_damping=0.0,
                    stability_frames=0,
                ),
                TrainingStage("3-implicit50", epochs=8, curriculum_epochs=0),
                # the validation loss stopped falling at 3e-4 (batch 4 is noisy): anneal
                TrainingStage("4-anneal50", epochs=30, curriculum_epochs=0, learning_rate=1e-4),
            ),
        ),
        ablation=AblationRecipe(
            epochs=2,
            curriculum_epochs=1,
            batch_size=4,
            frames=6,
            max_sequences=32,
            stability_frames=0,
        ),
        generation_batch=16,
        pfhub_t_end=2000.0,
    ),
    "paper": Preset(
        name="paper",
        description="Exactly the paper's numbers (Secs. 2.2, 2.3, 3.1-3.4); meant for one GPU.",
        splits=_splits(
            train=(2000, 99, 128),
            test=(500, 500, 128),
            ensemble=(50, 1000, 128),
            large=(2, 100, 512),
            varying=(1000, 512),
            initial=_INITIAL,
        ),
        training=TrainingRecipe(train_size=128, epochs=100, curriculum_epochs=10, batch_size=16),
        generation_batch=64,
        pfhub_t_end=10000.0,
    ),
}


def get_preset(name: str | Preset) -> Preset:
    """The preset called ``name`` (a :class:`Preset` passes through)."""
    if isinstance(name, Preset):
        return name
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None
