"""The workspace: cached datasets, models, evaluations and results of a preset."""

import numpy as np
import pytest

from spinodal.pipeline.workspace import Workspace, default_root

pytestmark = pytest.mark.usefixtures("single_thread")


def test_cached_results_are_computed_once_per_key(tmp_path):
    ws = Workspace("tiny", tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(3), "b": 2.0}

    first = ws.cached("result", compute, level=1e-3)
    again = ws.cached("result", compute, level=1e-3)
    other = ws.cached("result", compute, level=2e-3)
    assert len(calls) == 2
    np.testing.assert_array_equal(first["a"], again["a"])
    assert float(other["b"]) == 2.0
    with pytest.raises(ValueError, match="cache name"):
        ws.cached("../escape", compute)


def test_a_moved_root_still_finds_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SPINODAL_DATA", str(tmp_path))
    assert default_root() == tmp_path
    shipped = Workspace("small").shipped_model
    assert shipped.name == "crnn-small"
    if not (shipped / "card.json").is_file():
        pytest.skip("running from an installed package without the shipped models")
    assert Workspace("small").model_path() == shipped


def test_unknown_names_are_clear_errors(tmp_path):
    ws = Workspace("tiny", tmp_path)
    with pytest.raises(KeyError, match="no split"):
        ws.dataset("nope")
    with pytest.raises(KeyError, match="has no ablation"):
        ws.ablation_model("nope")
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        Workspace("tiny", tmp_path, model_dir=tmp_path / "missing")


def test_shipped_cures_come_before_the_model_labelled_by_their_recipe(tmp_path):
    import torch

    from spinodal.presets import ModelConfig
    from spinodal.surrogate.checkpoint import save_checkpoint
    from spinodal.surrogate.model import CRNN

    models = tmp_path / "models"
    save_checkpoint(models / "crnn-tiny", CRNN(ModelConfig(hidden_channels=4)), {"preset": "tiny"})
    for name, config, recipe in (
        ("a-noise", ModelConfig(hidden_channels=4), {"highpass_noise_std": 0.01}),
        ("e-solver", ModelConfig(hidden_channels=4, output="solver"), {}),
        (
            "f-mse",
            ModelConfig(hidden_channels=4, output="solver"),
            {"weights": {"phi": 1.0, "grad": 0.0, "free_energy": 0.0}},
        ),
    ):
        card = {"preset": "tiny", "epochs_trained": 2, "recipe": recipe}
        save_checkpoint(models / "cures-tiny" / name, CRNN(config), card)
    with torch.random.fork_rng(devices=[]):
        cures = Workspace("tiny", tmp_path).cure_models()
    labels = list(cures)
    assert labels[1:] == [
        "a-noise: 2 epochs from random weights, β = 0, high-pass noise 0.01",
        "e-solver: 2 epochs from random weights, β = 0, solver output",
        "f-mse: 2 epochs from random weights, β = 0, solver output, "
        "loss weights (λ_φ, λ_∇, λ_f) = (1, 0, 0)",
        "this model (β = 0)",
    ]
    assert cures[labels[2]] == models / "cures-tiny" / "e-solver"
