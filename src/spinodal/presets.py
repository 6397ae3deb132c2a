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
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, UnionType
from typing import Literal

import numpy as np

__all__ = [
    "Uniform",
    "Choice",
    "InitialState",
    "SplitSpec",
    "ModelConfig",
    "LossWeights",
    "TrainConfig",
    "TrainingStage",
    "Variant",
    "recipe_keys",
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


Output = Literal["mu", "flux", "direct", "solver"]


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the CRNN (Fig. 2).

    Attributes:
        hidden_channels: channels of each convGRU cell (paper: 24).
        kernel_size: convGRU kernel (paper: 5).
        n_cells: stacked convGRU cells (paper: 2).
        output: output layer, ``"mu"`` (paper, Eq. 10), ``"flux"``, ``"direct"`` or
            ``"solver"`` (a learned correction to one solver step of δt = τ; not in the paper,
            see :mod:`spinodal.surrogate.model`).
        eta_scale: factor applied to η (a fraction) to form the conditioning channel.
        implicit_damping: β of the semi-implicit output filter 1 / (1 + β λ_h²), in grid units
            (0: none, the paper's plain Eq. 10; Mκτ/dx⁴ = 5 matches the solver's κ∇⁴ term).
    """

    hidden_channels: int = 24
    kernel_size: int = 5
    n_cells: int = 2
    output: Output = "mu"
    eta_scale: float = 100.0
    implicit_damping: float = 0.0

    def __post_init__(self) -> None:
        for name in ("hidden_channels", "kernel_size", "n_cells"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        for name in ("eta_scale", "implicit_damping"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
        if not (math.isfinite(self.eta_scale) and self.eta_scale > 0):
            raise ValueError(f"eta_scale must be finite and > 0, got {self.eta_scale!r}")
        if self.output not in ("mu", "flux", "direct", "solver"):
            raise ValueError(
                f"output must be 'mu', 'flux', 'direct' or 'solver', got {self.output!r}"
            )
        if self.output == "solver" and self.implicit_damping:
            raise ValueError(
                "the 'solver' output takes the solver's own implicit step; implicit_damping "
                f"must be 0, got {self.implicit_damping!r}"
            )
        if self.kernel_size % 2 != 1 or self.kernel_size < 1:
            raise ValueError(f"kernel_size must be odd and positive, got {self.kernel_size}")
        if self.hidden_channels < 1 or self.n_cells < 1:
            raise ValueError(f"hidden_channels and n_cells must be positive, got {self}")
        if not (math.isfinite(self.implicit_damping) and self.implicit_damping >= 0):
            raise ValueError(
                f"implicit_damping must be finite and >= 0, got {self.implicit_damping!r}"
            )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown model config fields {sorted(unknown)}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


@dataclass(frozen=True)
class LossWeights:
    """Weights of the three terms of Eq. 11; 0 switches a term off (the ablations).

    Paper: λ_φ = 1, λ_∇ = 60, λ_f = 150 (Sec. 2.3).
    """

    phi: float = 1.0
    grad: float = 60.0
    free_energy: float = 150.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (defaults: the ``paper`` preset's recipe).

    Attributes:
        epochs: training epochs.
        curriculum_epochs: epochs of the curriculum ramp (0: no curriculum).
        batch_size: global batch (sequences per optimizer step, over all processes).
        learning_rate: Adam learning rate.
        weights: loss weights (λ_φ, λ_∇, λ_f) of Eq. 11.
        noise_std: std of the mass-conserving noise added to input frames.
        grad_clip: clip the global gradient norm to this value (None: no clipping). Not stated
            in the paper; it keeps the first free rollouts of the curriculum, whose errors can
            explode, from throwing the recurrent network into saturation.
        augment: D4 and φ → 1 - φ augmentation.
        model: the architecture.
        precision: ``"float32"`` or ``"bfloat16"`` (autocast of the network; losses in float32).
        frames: train on the first ``frames`` + 1 frames of each sequence (None: all).
        max_sequences: use at most this many training sequences (None: all).
        seed: root seed of every random choice.
        init_from: checkpoint folder whose weights start the run (fine-tuning, e.g. on longer
            rollouts); None: fresh weights from ``seed``. Its architecture must equal ``model``.
        feedback_noise_std: std of the mass-conserving noise added to the network's own output
            where a free rollout feeds it back (0: none).
        stability_frames: at every epoch, roll out this many frames from the first
            ``stability_sequences`` validation states and count those that leave the physical
            range (:func:`spinodal.physics.metrics.has_diverged`); the kept model is the one with
            the fewest diverged rollouts, then the lowest validation loss (0: loss only). A
            validation on the training window alone cannot see a blow-up at 4× that window.
        stability_sequences: validation states of that check.
        highpass_noise_std: rms of a perturbation with wavelengths ≤ :data:`HIGHPASS_WAVELENGTH`
            added, like the fed-back noise, to the network's own output where a free rollout
            feeds it back, the targets staying clean: the solver annihilates such modes within
            one τ, so the clean next frame is the right answer and the network is taught to damp
            them (0: none).
        pushforward_frames: the first this many predicted frames of each training sequence are
            rolled out without gradient (the pushforward trick of Brandstetter, Worrall &
            Welling 2022): the loss still counts them, but the network learns only from the
            later frames, made from its own outputs, at the price of a forward pass for the
            first ones (0: every frame carries gradient).
        ema_decay: keep an exponential moving average of the weights, updated after every
            optimizer step with this decay (Polyak averaging; 0.99 averages over about 100
            steps): it is what validation measures and what the checkpoint saves, the raw
            weights go on training (0: none, the checkpoint holds the raw weights).
        warmup_steps: the learning rate rises linearly from ``learning_rate / warmup_steps``
            to ``learning_rate`` over this many optimizer steps at the start of the run, so that
            a stage starting from trained weights with a fresh Adam state does not knock them
            out of their minimum with Adam's first, sign-like steps (0: none).
        preset: name of the preset the recipe came from (recorded in the card).
        stage: name of the preset's training stage this run is (None: not a staged run).
    """

    epochs: int = 100
    curriculum_epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 1e-3
    weights: LossWeights = field(default_factory=LossWeights)
    noise_std: float = 1e-3
    grad_clip: float | None = 1.0
    augment: bool = True
    model: ModelConfig = field(default_factory=ModelConfig)
    precision: Literal["float32", "bfloat16"] = "float32"
    frames: int | None = None
    max_sequences: int | None = None
    seed: int = 0
    init_from: str | None = None
    feedback_noise_std: float = 0.0
    stability_frames: int = 0
    stability_sequences: int = 16
    highpass_noise_std: float = 0.0
    pushforward_frames: int = 0
    ema_decay: float = 0.0
    warmup_steps: int = 0
    preset: str = "custom"
    stage: str | None = None

    def __post_init__(self) -> None:
        for name, minimum in (
            ("epochs", 1),
            ("batch_size", 1),
            ("curriculum_epochs", 0),
            ("pushforward_frames", 0),
            ("warmup_steps", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        for name in ("frames", "max_sequences"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate >= 0):
            raise ValueError(f"learning_rate must be finite and >= 0, got {self.learning_rate!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")

    @classmethod
    def from_preset(
        cls, preset: str | Preset, stage: str | None = None, **overrides
    ) -> TrainConfig:
        """The recipe of ``preset`` with one of its training stages applied (default: the
        last, i.e. the final recipe of a staged preset), then ``overrides`` (fields of this
        class). ``init_from`` of a stage is left to
        :func:`spinodal.surrogate.training.train_preset`."""
        preset = get_preset(preset)
        config = dataclasses.replace(preset.training, preset=preset.name)
        applied = stage or (preset.stages[-1].name if preset.stages else None)
        if applied is not None:
            config = config.with_changes(preset.stage(applied).changes)
        return dataclasses.replace(config, stage=stage, **overrides)

    def with_changes(self, changes: Mapping[str, object]) -> TrainConfig:
        """This recipe with ``changes`` applied: keys are field names, or ``model.NAME`` and
        ``weights.NAME`` for the nested architecture and loss weights; values of the field's
        type, or text as typed on the command line (``spinodal train --set KEY=VALUE``).

        Raises:
            KeyError: an unknown key (the message lists the known ones).
            ValueError: a value that does not fit the field.
        """
        top: dict[str, object] = {}
        nested: dict[str, dict[str, object]] = {"model": {}, "weights": {}}
        for key, value in dict(changes).items():
            head, _, name = key.partition(".")
            owner = {"model": ModelConfig, "weights": LossWeights}.get(head) if name else None
            if owner is not None:
                nested[head][name] = _field_value(owner, name, value, key)
            elif name or head in ("model", "weights"):
                raise KeyError(f"unknown recipe key {key!r}; known keys: {recipe_keys()}")
            else:
                top[head] = _field_value(TrainConfig, head, value, key)
        model = dataclasses.replace(self.model, **nested["model"])
        weights = dataclasses.replace(self.weights, **nested["weights"])
        return dataclasses.replace(self, **top, model=model, weights=weights)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def recipe_keys() -> list[str]:
    """Every key :meth:`TrainConfig.with_changes` accepts."""
    keys = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in ("model", "weights")]
    keys += [f"model.{f.name}" for f in dataclasses.fields(ModelConfig)]
    keys += [f"weights.{f.name}" for f in dataclasses.fields(LossWeights)]
    return keys


def _field_value(owner: type, name: str, value, key: str):
    """``value`` converted to the type of ``owner``'s field ``name`` (text is parsed)."""
    hints = typing.get_type_hints(owner)
    if name not in hints:
        raise KeyError(f"unknown recipe key {key!r}; known keys: {recipe_keys()}")
    hint = hints[name]
    union = typing.get_origin(hint) in (typing.Union, UnionType)
    allowed = set(typing.get_args(hint)) if union else {hint}
    if isinstance(value, str) and str not in allowed and typing.get_origin(hint) is not Literal:
        text = value.strip()
        try:
            value = json.loads(text.lower() if text.lower() in ("true", "false", "null") else text)
        except json.JSONDecodeError:
            if text.lower() == "none":
                value = None
            else:
                raise ValueError(f"{key} = {value!r} is not a value of type {hint}") from None
    if value is None and type(None) in allowed:
        return None
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typing.get_origin(hint) is Literal:
        if value not in typing.get_args(hint):
            raise ValueError(f"{key} must be one of {typing.get_args(hint)}, got {value!r}")
        return value
    if not any(isinstance(value, kind) for kind in allowed if isinstance(kind, type)) or (
        isinstance(value, bool) and bool not in allowed
    ):
        raise ValueError(f"{key} = {value!r} is not a value of type {hint}")
    return value


@dataclass(frozen=True)
class TrainingStage:
    """One stage of a staged training recipe: it starts from the best weights of the stage
    before it (the first from fresh weights) and applies ``changes`` to the preset's
    :class:`TrainConfig` (keys as in :meth:`TrainConfig.with_changes`).

    Attributes:
        name: folder name of the stage's checkpoint (the last stage is the model itself).
        changes: recipe key → value; ``epochs`` is required.
    """

    name: str
    changes: Mapping[str, object]

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"a stage needs a plain folder name, got {self.name!r}")
        epochs = self.changes.get("epochs")
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"stage {self.name!r} needs epochs >= 1, got {epochs!r}")
        TrainConfig().with_changes(self.changes)  # unknown keys and bad values fail here
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))


@dataclass(frozen=True)
class Variant:
    """A named change of the preset's final recipe: the supplementary ablations.

    Attributes:
        name: the variant's name (folder names, chapter 09).
        description: what it changes, in words.
        changes: recipe key → value (keys as in :meth:`TrainConfig.with_changes`).
    """

    name: str
    description: str
    changes: Mapping[str, object]

    def __post_init__(self) -> None:
        TrainConfig().with_changes(self.changes)
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))


def _ablations(**budget) -> tuple[Variant, ...]:
    """The five ablations of the supplementary material, each trained with ``budget`` (changes
    shared by all, e.g. fewer epochs at a reduced preset) and its own change."""
    own = (
        ("paper", "all three loss terms, μ output (the paper's model)", {}),
        ("no_grad", "without L_∇ (λ_∇ = 0)", {"weights.grad": 0.0}),
        ("no_free_energy", "without L_f (λ_f = 0)", {"weights.free_energy": 0.0}),
        ("flux", "flux output φ + ∇·J instead of μ", {"model.output": "flux"}),
        ("direct", "direct output φ + Δ (no conservation)", {"model.output": "direct"}),
    )
    return tuple(
        Variant(name, text, {**budget, "model.output": "mu", **changes})
        for name, text, changes in own
    )


SPLIT_NAMES = ("train", "test", "ensemble", "ensemble_low", "large", "varying")


@dataclass(frozen=True)
class Preset:
    """A complete, named scale of the pipeline.

    Attributes:
        name: ``tiny``, ``small`` or ``paper``.
        description: what the preset is for and how far it is from the paper.
        splits: the dataset splits, in :data:`SPLIT_NAMES` order.
        training: the final training recipe (what one ``spinodal train --preset NAME`` run
            uses, after the last stage's changes).
        stages: a staged recipe: each stage changes some values of ``training`` and starts from
            the previous stage's weights; empty: one run of ``training``.
        ablations: the supplementary ablations, each a named change of the final recipe.
        generation_batch: sequences simulated together by the dataset generator (part of the
            identity of a dataset: batched FFTs round differently in the last bit).
        pfhub_t_end: final time of the PFHub benchmark 1a validation run (benchmark units).
    """

    name: str
    description: str
    splits: tuple[SplitSpec, ...]
    training: TrainConfig
    stages: tuple[TrainingStage, ...] = ()
    ablations: tuple[Variant, ...] = ()
    generation_batch: int = 16
    pfhub_t_end: float = 2000.0

    def __post_init__(self) -> None:
        for kind, items in (("stage", self.stages), ("ablation", self.ablations)):
            names = [item.name for item in items]
            if len(set(names)) != len(names):
                raise ValueError(f"preset {self.name!r}: {kind} names must differ, got {names}")

    def stage(self, name: str) -> TrainingStage:
        """The training stage called ``name``; a ``KeyError`` lists the ones that exist."""
        return self._named(self.stages, name, "training stage")

    def ablation(self, name: str) -> TrainConfig:
        """The recipe of the ablation ``name``: the final recipe with the variant's changes."""
        variant = self._named(self.ablations, name, "ablation")
        return TrainConfig.from_preset(self).with_changes(variant.changes)

    def split(self, name: str) -> SplitSpec:
        """The split called ``name``; a ``KeyError`` lists the ones that exist."""
        return self._named(self.splits, name, "split")

    def _named(self, items, name: str, kind: str):
        for item in items:
            if item.name == name:
                return item
        raise KeyError(
            f"preset {self.name!r} has no {kind} {name!r}; "
            f"choose one of {[item.name for item in items]}"
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
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items()}
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
        training=TrainConfig(
            epochs=2,
            curriculum_epochs=1,
            batch_size=4,
            model=ModelConfig(implicit_damping=5.0),
            stability_frames=20,
        ),
        ablations=_ablations(epochs=1, curriculum_epochs=0, frames=4),
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
        training=TrainConfig(
            epochs=30,
            curriculum_epochs=10,
            batch_size=4,
            learning_rate=3e-4,
            model=ModelConfig(implicit_damping=5.0),
            stability_frames=200,
        ),
        stages=(
            TrainingStage(
                "1-window12",
                {
                    "epochs": 12,
                    "frames": 12,
                    "curriculum_epochs": 3,
                    "learning_rate": 1e-3,
                    "model.implicit_damping": 0.0,
                    "stability_frames": 0,
                },
            ),
            TrainingStage(
                "2-rollout30",
                {
                    "epochs": 9,
                    "frames": 30,
                    "curriculum_epochs": 0,
                    "model.implicit_damping": 0.0,
                    "stability_frames": 0,
                },
            ),
            TrainingStage("3-implicit50", {"epochs": 8, "curriculum_epochs": 0}),
            # the validation loss stopped falling at 3e-4 (batch 4 is noisy): anneal
            TrainingStage(
                "4-anneal50", {"epochs": 30, "curriculum_epochs": 0, "learning_rate": 1e-4}
            ),
            # at 1e-4 the test error had reached batch 4's noise floor: a lower rate and an
            # average of the weights (the fresh Adam state warmed up gently)
            TrainingStage(
                "5-average50",
                {
                    "epochs": 10,
                    "curriculum_epochs": 0,
                    "learning_rate": 3e-5,
                    "ema_decay": 0.99,
                    "warmup_steps": 50,
                },
            ),
        ),
        ablations=_ablations(
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
        training=TrainConfig(epochs=100, curriculum_epochs=10, batch_size=16),
        ablations=_ablations(),
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
