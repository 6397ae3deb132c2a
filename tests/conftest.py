"""Shared fixtures."""

from __future__ import annotations

import json

import pytest
import torch


@pytest.fixture(scope="module")
def single_thread():
    """Run torch on one intra-op thread for the module, then restore the setting.

    The physics tests use small grids (32² to 200²), where a second thread gains little, and
    when the machine's cores are busy (CI runners, parallel jobs) OpenMP threads contending for
    them slow a 32² step from ~0.1 ms to several ms. Opt in with
    ``pytestmark = pytest.mark.usefixtures("single_thread")``.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def model():
    """A small untrained CRNN (4 channels, seed 0) in eval mode: plumbing, not accuracy."""
    from spinodal.presets import ModelConfig
    from spinodal.surrogate.model import CRNN

    torch.manual_seed(0)
    return CRNN(ModelConfig(hidden_channels=4)).eval()


@pytest.fixture(scope="session")
def tiny_test_split(tmp_path_factory):
    """The tiny preset's test split (4 sequences × 21 frames of 32²), made once per session;
    read it, never write to it."""
    from spinodal.io.datasets import generate_split

    path = tmp_path_factory.mktemp("tiny-data") / "test.h5"
    return generate_split("tiny", "test", path, progress=False, device="cpu")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A checkpoint folder of an untrained 4-channel CRNN (seed 0, the ``model`` fixture's
    weights) with a card naming the tiny preset, made once per session; read it only."""
    from spinodal.presets import ModelConfig
    from spinodal.surrogate.checkpoint import save_checkpoint
    from spinodal.surrogate.model import CRNN

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = CRNN(ModelConfig(hidden_channels=4)).eval()
    return save_checkpoint(
        tmp_path_factory.mktemp("tiny-models") / "tiny-crnn", net, {"preset": "tiny"}
    )


def _record(epoch, n_input, loss, seconds=60.0):
    terms = {"loss": loss, "phi": loss, "grad": 0.0, "free_energy": 0.0}
    return {
        "epoch": epoch,
        "n_input": n_input,
        "seconds": seconds,
        "train": terms,
        "validation": {**terms, "mae": [0.01, 0.02]},
    }


def _stage(folder, name, history, best_epoch, init_from=None, **recipe):
    """A checkpoint folder as the trainer leaves it, without weights: card and history."""
    folder.mkdir(parents=True)
    card = {
        "stage": name,
        "best_epoch": best_epoch,
        "epochs_trained": len(history),
        "recipe": {
            "curriculum_epochs": recipe.get("curriculum_epochs", 0),
            "learning_rate": 1e-3,
            "weights": {"grad": 60.0, "free_energy": 150.0},
            "model": {"implicit_damping": recipe.get("implicit_damping", 0.0)},
            "ema_decay": recipe.get("ema_decay", 0.0),
            **({"init_from": str(init_from)} if init_from else {}),
        },
        "dataset": {"frames": recipe.get("frames", 10), "validation_sequences": 2},
        "environment": {"hardware": "a test CPU", "torch": "2.x", "date": "2026-01-01"},
        "validation": {"mae_at_frame": {"5": 0.0123}},
        "versus_paper": {
            "pairs": {"epochs": [len(history), 100], "train_sequences": [8, 1600]},
            "differs_in": ["epochs"],
        },
    }
    (folder / "card.json").write_text(json.dumps(card))
    (folder / "history.json").write_text(json.dumps(history))
    return folder


@pytest.fixture
def two_stages(tmp_path):
    """A model fine-tuned in two stages: a 3-epoch curriculum ramp whose loss spikes 6-fold,
    then 2 epochs of free rollouts with the output filter and a weight average (the model, best
    at its epoch 1)."""
    first = _stage(
        tmp_path / "s1",
        "s1",
        [_record(1, 10, 1.0), _record(2, 5, 6.0), _record(3, 1, 2.0)],
        best_epoch=3,
        curriculum_epochs=2,
    )
    history = [_record(1, 1, 0.5, seconds=30.0), _record(2, 1, 0.7, seconds=90.0)]
    return _stage(
        tmp_path / "s2",
        "s2",
        history,
        best_epoch=1,
        init_from=first,
        frames=20,
        implicit_damping=5.0,
        ema_decay=0.99,
    )


@pytest.fixture
def stage_folder():
    """Make a checkpoint folder as the trainer leaves it, without weights (card and history):
    ``stage_folder(folder, name, history, best_epoch, init_from=None, **recipe)``."""
    return _stage


@pytest.fixture
def history_record():
    """Make one epoch's record of history.json: ``history_record(epoch, n_input, loss)``."""
    return _record
