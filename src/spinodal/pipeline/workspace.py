"""The cached artifacts of one preset: datasets, models, evaluations (what the book reuses).

A :class:`Workspace` is a folder ``ROOT/PRESET/`` (``ROOT`` defaults to the repository's
``data/`` folder, or ``$SPINODAL_DATA``) holding, each made on first request and reused after:

- ``SPLIT.h5``: the preset's dataset splits (:func:`spinodal.io.datasets.generate_split`; a file
  is reused only if it holds exactly that split, generation resumes if interrupted);
- ``models/crnn-HASH/``: a CRNN trained with the preset's recipe, unless a model is given or shipped
  (``ROOT/models/crnn-PRESET/``, see ``data/models/README.md``);
- ``models/ablation-VARIANT-HASH/``: the supplementary ablation models (the preset's
  ``ablations``);
- ``evaluations/MODEL--SPLIT.h5``: NN-versus-PF evaluations
  (:func:`spinodal.analysis.evaluation.evaluate_split`, reused when model weights and data match);
- ``cache/NAME-HASH.npz``: any other result (:meth:`Workspace.cached`), keyed by its inputs.

Every step is deterministic and resumable, so a second build of the book only recomputes
what changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..analysis.evaluation import evaluate_split, read_evaluation
from ..devices import resolve_device
from ..io.datasets import generate_split
from ..io.files import atomic_output
from ..presets import LossWeights, Preset, TrainConfig, _to_jsonable, get_preset, stable_hash
from ..surrogate.checkpoint import (
    CARD_FILE,
    MODEL_FILE,
    derive_checkpoint,
    load_model,
    read_card,
    training_stages,
)
from ..surrogate.model import CRNN
from ..surrogate.training import file_hash, stage_complete, train, train_preset

__all__ = ["Workspace", "default_root"]

CACHE_FORMAT = 2
"""Version of what :meth:`Workspace.cached` results hold, part of every cache key: raised
whenever a library function changes the names or meaning of what it returns (2: the paper's
⟨f⟩ is ``paper_total``), so that stale results are computed again, never misread."""


def _source_data() -> Path | None:
    """The ``data/`` folder of the source tree this package runs from (None if installed)."""
    source_tree = Path(__file__).resolve().parents[3]
    return source_tree / "data" if (source_tree / "pyproject.toml").is_file() else None


def default_root() -> Path:
    """``$SPINODAL_DATA``, else the ``data/`` folder of the source tree, else ``./data``."""
    if "SPINODAL_DATA" in os.environ:
        return Path(os.environ["SPINODAL_DATA"])
    return _source_data() or Path.cwd() / "data"


class Workspace:
    """Datasets, models and evaluations of one preset, made on request and cached.

    Args:
        preset: preset name or object.
        root: folder of all workspaces (default :func:`default_root`).
        device: torch device for generation, training and rollouts (default: CUDA if
            available, else CPU).
        model_dir: a checkpoint folder to use as the CRNN (default: the shipped model of the
            preset, else one trained with the preset's recipe on first request).
        progress: show progress bars.
    """

    def __init__(
        self,
        preset: str | Preset = "small",
        root: str | Path | None = None,
        *,
        device: str | torch.device | None = None,
        model_dir: str | Path | None = None,
        progress: bool = False,
    ):
        self.preset = get_preset(preset)
        self.root = Path(root) if root is not None else default_root()
        self.dir = self.root / self.preset.name
        self.device = resolve_device(device)
        self._model_dir = Path(model_dir) if model_dir not in (None, "") else None
        if self._model_dir is not None:
            read_card(self._model_dir)  # a clear error now rather than deep in a chapter
        self.progress = progress

    def __repr__(self) -> str:
        return f"Workspace({self.preset.name!r}, root={str(self.root)!r}, device={self.device})"

    # --- datasets --------------------------------------------------------------------------

    def dataset(self, split: str) -> Path:
        """The file of ``split`` (generated on first request)."""
        self.preset.split(split)  # KeyError naming the splits
        path = self.dir / f"{split}.h5"
        path.parent.mkdir(parents=True, exist_ok=True)
        return generate_split(self.preset, split, path, device=self.device, progress=self.progress)

    # --- models ----------------------------------------------------------------------------

    @property
    def shipped_model(self) -> Path:
        """Where a trained model of this preset is shipped (it may not exist): ``models/`` of
        the root, else of the source tree's ``data/`` (so a root moved by ``$SPINODAL_DATA``
        still finds the models shipped with the repository)."""
        name = f"crnn-{self.preset.name}"
        candidates = [self.root / "models" / name]
        if _source_data() is not None:
            candidates.append(_source_data() / "models" / name)
        return next((c for c in candidates if (c / CARD_FILE).is_file()), candidates[0])

    @property
    def given_model_dir(self) -> Path | None:
        """The checkpoint folder given as ``model_dir`` (None: the shipped or trained one)."""
        return self._model_dir

    def model_path(self) -> Path:
        """The CRNN checkpoint folder: the one given, else the shipped one, else one trained
        with the preset's recipe into ``models/crnn-HASH`` (resumed if interrupted)."""
        if self._model_dir is not None:
            return self._model_dir
        if (self.shipped_model / CARD_FILE).is_file():
            return self.shipped_model
        recipe = {"training": self.preset.training, "stages": self.preset.stages}
        out = self.dir / "models" / f"crnn-{stable_hash(_to_jsonable(recipe))[:8]}"
        return self._trained(
            out, TrainConfig.from_preset(self.preset).epochs, train_preset, self.preset
        )

    def net(self) -> CRNN:
        """The CRNN of :meth:`model_path`, loaded on this workspace's device."""
        return load_model(self.model_path(), self.device)

    def derived_model(self, source: str | Path, **changes) -> Path:
        """``source``'s weights with weight-free architecture ``changes`` (e.g.
        ``implicit_damping=5.0``), as a checkpoint folder ``models/derived-HASH`` (made once;
        see :func:`~spinodal.surrogate.checkpoint.derive_checkpoint`)."""
        key = stable_hash({"source": self.model_identity(source), "changes": changes})
        out = self.dir / "models" / f"derived-{key[:8]}"
        if not (out / CARD_FILE).is_file():
            derive_checkpoint(source, out, **changes)
        return out

    def cure_models(self) -> dict[str, Path]:
        """The networks that isolate the semi-implicit output (the cure of the long-rollout
        instability), label → checkpoint folder, last this workspace's model. If that model was
        fine-tuned with the filter from a stage trained without it: the stage as trained, the
        stage's weights with the filter switched on (no retraining), and the model; otherwise
        the model with its filter switched off or on, and the model. Checkpoints shipped in
        ``models/cures-PRESET/`` (each cure trained for the same CPU budget from the same
        start) come before the model."""
        final = self.model_path()
        beta = read_card(final)["model_config"].get("implicit_damping", 0.0)
        plain = next(
            (
                Path(stage["path"])
                for stage in reversed(training_stages(final)[:-1])
                if not read_card(stage["path"])["model_config"].get("implicit_damping", 0.0)
            ),
            None,
        )
        if beta and plain is not None:
            models = {
                f"{plain.name}: trained with Eq. 10 (β = 0)": plain,
                f"{plain.name} + filter (β = {beta:g}), no retraining": self.derived_model(
                    plain, implicit_damping=beta
                ),
            }
        elif beta:
            models = {
                "this model, filter off (β = 0)": self.derived_model(final, implicit_damping=0.0)
            }
        else:
            models = {
                "this model + filter (β = 5), no retraining": self.derived_model(
                    final, implicit_damping=5.0
                )
            }
        trained = {}
        for card_path in sorted(
            (self.shipped_model.parent / f"cures-{self.preset.name}").glob(f"*/{CARD_FILE}")
        ):
            card, folder = read_card(card_path.parent), card_path.parent
            recipe = card.get("recipe", {})
            extras = [
                f"{name} {recipe[key]:g}"
                for key, name in (
                    ("highpass_noise_std", "high-pass noise"),
                    ("feedback_noise_std", "fed-back noise"),
                )
                if recipe.get(key)
            ]
            output = card["model_config"].get("output", "mu")
            if output != "mu":
                extras.append(f"{output} output")
            weights = {**asdict(LossWeights()), **recipe.get("weights", {})}
            if weights != asdict(LossWeights()):
                extras.append(
                    "loss weights (λ_φ, λ_∇, λ_f) = "
                    f"({weights['phi']:g}, {weights['grad']:g}, {weights['free_energy']:g})"
                )
            start = Path(recipe.get("init_from") or "random weights").name
            label = (
                f"{folder.name}: {card.get('epochs_trained')} epochs from {start}, β = "
                f"{card['model_config'].get('implicit_damping', 0.0):g}"
                + "".join(f", {n}" for n in extras)
            )
            trained[label] = folder
        return {**models, **trained, f"this model (β = {beta:g})": final}

    def ablation_model(self, variant: str) -> Path:
        """The checkpoint of the preset's ablation ``variant`` (:meth:`Preset.ablation`),
        trained (or resumed) on first request into ``models/ablation-VARIANT-HASH``; HASH covers
        the whole recipe, so a changed preset never reuses a model trained with the old one."""
        config = self.preset.ablation(variant)
        out = self.dir / "models" / f"ablation-{variant}-{stable_hash(config.to_dict())[:8]}"
        return self._trained(out, config.epochs, train, config)

    def _trained(self, out: Path, epochs: int, trainer: Callable, recipe) -> Path:
        """``out`` once it holds a finished run of ``epochs`` epochs; trained (or resumed)
        first by ``trainer(recipe, train split, out, ...)``: ``train_preset`` with a preset,
        ``train`` with a :class:`~spinodal.presets.TrainConfig`."""
        if not stage_complete(out, epochs):
            trainer(
                recipe,
                self.dataset("train"),
                out,
                device=str(self.device),
                resume=True,
                progress=self.progress,
            )
        return out

    # --- evaluations -----------------------------------------------------------------------

    def evaluation_file(self, split: str, model_dir: str | Path | None = None) -> Path:
        """Where the evaluation of ``model_dir`` (default :meth:`model_path`) on ``split``
        lives."""
        model_dir = Path(model_dir) if model_dir is not None else self.model_path()
        return self.dir / "evaluations" / f"{model_dir.resolve().name}--{split}.h5"

    def evaluation(self, split: str, model_dir: str | Path | None = None, **kwargs) -> dict:
        """NN-versus-PF measures of ``split`` (:func:`spinodal.analysis.evaluation.evaluate_split`,
        computed on first request), as :func:`~spinodal.analysis.evaluation.read_evaluation` returns
        them. ``model_dir`` defaults to :meth:`model_path`; ``kwargs`` go to ``evaluate_split``."""
        model_dir = Path(model_dir) if model_dir is not None else self.model_path()
        path = self.evaluation_file(split, model_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        key = evaluate_split(
            model_dir,
            self.dataset(split),
            path,
            device=self.device,
            progress=self.progress,
            **kwargs,
        )
        return read_evaluation(path, key)

    # --- anything else ---------------------------------------------------------------------

    def model_identity(self, model_dir: str | Path | None = None) -> str:
        """A short hash of a checkpoint's weights file and its architecture (default
        :meth:`model_path`; two folders with the same weights but a different output filter
        differ): put it in the ``key`` of :meth:`cached` results that depend on the model."""
        model_dir = Path(model_dir) if model_dir is not None else self.model_path()
        architecture = read_card(model_dir).get("model_config", {})
        return stable_hash({"weights": file_hash(model_dir / MODEL_FILE), "model": architecture})

    def cached(
        self, name: str, compute: Callable[[], dict[str, np.ndarray]], **key
    ) -> dict[str, np.ndarray]:
        """``compute()`` (a dict of arrays or numbers), stored on first call in
        ``cache/NAME-HASH.npz`` where HASH covers ``key`` (JSON-serializable inputs that
        determine the result, e.g. noise levels, ``model=self.model_identity()``) and the
        preset; later calls with the same ``name`` and ``key`` read the file."""
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"cache name must be letters, digits, '-' or '_', got {name!r}")
        digest = stable_hash({"key": key, "preset": self.preset.hash, "format": CACHE_FORMAT})
        path = self.dir / "cache" / f"{name}-{digest}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as stored:
                return {k: stored[k] for k in stored.files}
        result = {k: np.asarray(v) for k, v in compute().items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **result)
        return result
