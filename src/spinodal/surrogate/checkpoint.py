"""Checkpoints: a folder with ``model.pt`` (weights only) and ``card.json`` (everything else).

A checkpoint is data, never code: weights are loaded with ``torch.load(..., weights_only=True)``
into a :class:`~spinodal.surrogate.model.CRNN` built from the card's ``model_config``. The card
also holds the preset, the dataset hash, the training recipe, epochs, wall time, hardware, best
epoch and validation metrics (written by the trainer), and ``weights_hash``: a hash of the weights
together with the architecture, checked on loading, so that an edited ``model_config`` (say
``eta_scale``) cannot silently change what the weights predict. Cards written before the hash
existed are loaded without the check.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import torch

from ..io.files import atomic_write
from ..presets import PRESETS, ModelConfig
from .model import CRNN

__all__ = [
    "MODEL_FILE",
    "CARD_FILE",
    "save_checkpoint",
    "read_card",
    "load_model",
    "training_stages",
    "derive_checkpoint",
    "training_range",
    "weights_hash",
]

MODEL_FILE = "model.pt"
CARD_FILE = "card.json"


def weights_hash(net: CRNN) -> str:
    """SHA-256 (first 16 hex digits) of ``net``'s architecture and weights together."""
    module = net.module if hasattr(net, "module") else net  # DistributedDataParallel
    digest = hashlib.sha256(module.config.to_json().encode())
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def save_checkpoint(directory: str | Path, net: CRNN, card: dict) -> Path:
    """Write ``net``'s weights and ``card`` (plus its ``model_config`` and ``weights_hash``)
    into ``directory``, each file atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    module = net.module if hasattr(net, "module") else net  # DistributedDataParallel
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    card = {**card, "model_config": module.config.to_dict(), "weights_hash": weights_hash(module)}
    atomic_write(directory / MODEL_FILE, lambda p: torch.save(state, p))
    atomic_write(
        directory / CARD_FILE, lambda p: p.write_text(json.dumps(card, indent=2, sort_keys=True))
    )
    return directory


def read_card(directory: str | Path) -> dict:
    """The card of a checkpoint folder; clear errors for a missing or unreadable one."""
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a checkpoint folder: {CARD_FILE} missing")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None


def load_model(path: str | Path, device: str | torch.device | None = None) -> CRNN:
    """A ready model (eval mode, on ``device``, default CPU) from a checkpoint folder.

    Raises:
        FileNotFoundError: no checkpoint there.
        ValueError: the weights do not fit the architecture the card describes.
    """
    path = Path(path)
    card = read_card(path)
    if "model_config" not in card:
        raise ValueError(f"{path / CARD_FILE} lacks 'model_config'")
    try:
        config = ModelConfig.from_dict(card["model_config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path / CARD_FILE}: bad model_config: {error}") from None
    net = CRNN(config)
    weights = path / MODEL_FILE
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} missing")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated, empty, not a torch file, or holding code
        if "weights_only" in str(error) or isinstance(error, pickle.UnpicklingError):
            raise ValueError(
                f"{weights} holds Python objects besides tensors, which spinodal never loads: "
                "it is not a spinodal checkpoint"
            ) from None
        raise ValueError(
            f"{weights} is not a readable weights file (truncated, empty or corrupted): copy "
            "the checkpoint again or retrain"
        ) from None
    if not isinstance(state, dict):
        raise ValueError(f"{weights} does not hold a state dict of weights")
    try:
        net.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(
            f"the weights in {weights} do not fit the architecture of its card "
            f"({card['model_config']}): {str(error).splitlines()[0]}"
        ) from None
    expected = card.get("weights_hash")
    if expected is not None and weights_hash(net) != expected:
        raise ValueError(
            f"{path}: the weights and the card's model_config do not match the weights_hash "
            "they were saved with (was card.json or model.pt edited?); restore the checkpoint"
        )
    net.card = card
    return net.to(device or "cpu").eval()


def training_range(card: dict) -> dict[str, tuple[float, float]] | None:
    """The (min, max) of ``eta`` and ``phi_mean`` a checkpoint was trained on, from its card
    (``dataset.eta_range`` and ``dataset.phi_mean_range``), else from the training split of the
    card's preset; None when neither says."""
    data = card.get("dataset", {})
    if "eta_range" in data and "phi_mean_range" in data:
        return {
            "eta": tuple(map(float, data["eta_range"])),
            "phi_mean": tuple(map(float, data["phi_mean_range"])),
        }

    preset = PRESETS.get(card.get("preset", ""))
    if preset is None:
        return None
    split = preset.split("train")
    return {"eta": _bounds(split.eta), "phi_mean": _bounds(split.phi_mean)}


def _bounds(distribution) -> tuple[float, float]:
    values = getattr(distribution, "values", None)
    if values is not None:
        return float(min(values)), float(max(values))
    return float(distribution.low), float(distribution.high)


def derive_checkpoint(source: str | Path, out: str | Path, **changes) -> Path:
    """A checkpoint folder ``out`` with the weights of ``source`` and its architecture changed
    by ``changes`` (fields of :class:`~spinodal.surrogate.model.ModelConfig` that carry no weights,
    e.g. ``implicit_damping=5.0``: the semi-implicit output applied to a model trained without it).
    The card keeps the source's training record and names the source and the changes under
    ``derived_from``. Returns ``out``."""
    source, out = Path(source), Path(out)
    net = load_model(source)
    changed = ModelConfig.from_dict({**net.config.to_dict(), **changes})
    derived = CRNN(changed)
    try:
        derived.load_state_dict(net.state_dict())
    except RuntimeError as error:
        raise ValueError(
            f"changes {changes} alter the weights of {source}: {str(error).splitlines()[0]}"
        ) from None
    card = {k: v for k, v in net.card.items() if k != "model_config"}
    card["derived_from"] = {"path": str(source), "changes": changes}
    return save_checkpoint(out, derived, card)


def training_stages(path: str | Path) -> list[dict]:
    """The training runs that made a checkpoint, first stage first.

    A run started from another checkpoint's weights (``recipe.init_from`` in its card, e.g. a
    fine-tuning on longer rollouts) continues that checkpoint's training; this follows the chain.
    A relative ``init_from`` is read relative to the current folder, else to the folder above
    ``data/`` (the repository root, where the shipped models' paths start).

    Returns:
        per stage: ``path``, ``name`` (the preset's stage name, else the folder's), ``epochs``
        (trained, all of them), ``best_epoch``, ``minutes`` (wall time of
        all its epochs, from ``history.json``), ``frames`` (per training sequence),
        ``curriculum_epochs``, ``learning_rate``, ``implicit_damping`` (β of the output
        filter, 0: none), ``ema_decay`` (of the kept weight average, 0: raw weights kept) and
        ``hardware``.
    """
    stages: list[dict] = []
    seen: set[Path] = set()
    here: Path | None = Path(path)
    while here is not None:
        if here.resolve() in seen:
            raise ValueError(f"the init_from chain of {path} loops at {here}")
        seen.add(here.resolve())
        card = read_card(here)
        history = here / "history.json"
        epochs = json.loads(history.read_text()) if history.is_file() else None
        seconds = (
            sum(h["seconds"] for h in epochs)
            if epochs is not None
            else float(card.get("wall_seconds", "nan"))
        )
        recipe = card.get("recipe", {})
        stages.append(
            {
                "path": str(here),
                "name": card.get("stage") or here.name,
                # the card is written at the best epoch: the history counts every epoch
                "epochs": len(epochs) if epochs is not None else card.get("epochs_trained"),
                "best_epoch": card.get("best_epoch"),
                "minutes": seconds / 60,
                "frames": card.get("dataset", {}).get("frames"),
                "curriculum_epochs": recipe.get("curriculum_epochs"),
                "learning_rate": recipe.get("learning_rate"),
                "implicit_damping": recipe.get("model", {}).get("implicit_damping", 0.0),
                "ema_decay": recipe.get("ema_decay", 0.0),
                "hardware": card.get("environment", {}).get("hardware"),
            }
        )
        start = recipe.get("init_from")
        here = _resolve_start(Path(start), here) if start else None
    return stages[::-1]


def _resolve_start(start: Path, child: Path) -> Path:
    if start.is_absolute() or (start / CARD_FILE).is_file():
        return start
    for parent in child.resolve().parents:
        if parent.name == "data" and (parent.parent / start / CARD_FILE).is_file():
            return parent.parent / start
    raise FileNotFoundError(f"{child} was started from {start}, which is not found")
