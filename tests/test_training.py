"""Training: curriculum, augmentations as physics symmetries, resume, multi-process equality."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel
from spinodal.io.datasets import write_sequences
from spinodal.physics.initial import initial_state
from spinodal.presets import ModelConfig, TrainConfig
from spinodal.surrogate.checkpoint import load_model
from spinodal.surrogate.model import CRNN
from spinodal.surrogate.training import (
    augment,
    curriculum_inputs,
    inject_noise,
    train,
    warmup_factor,
)


def test_curriculum_ramps_from_all_true_frames_to_one():
    T, ramp = 99, 10
    schedule = [curriculum_inputs(e, T, ramp) for e in range(15)]
    assert schedule[0] == 99  # sees 99 true frames, predicts only the last (Sec. 2.3)
    assert all(a >= b for a, b in zip(schedule, schedule[1:], strict=False))
    assert schedule[ramp:] == [1] * (15 - ramp)
    assert curriculum_inputs(0, T, 0) == 1  # no curriculum


def test_every_augmentation_maps_a_trajectory_to_a_trajectory():
    """A D4 image or φ → 1-φ of a phase-field run is itself the run of the transformed initial
    state (cubic elasticity, symmetric double well, η unchanged)."""
    model = PhaseFieldModel()
    phi0 = initial_state((24, 24), 0.42, 0.08, np.random.default_rng(0))
    trajectory = torch.from_numpy(model.evolve(phi0, 0.007, 3, steps_per_frame=40, dtype="float64"))
    for op in range(16):
        image = augment(trajectory[None], torch.tensor([op]))[0]
        rerun = model.evolve(image[0], 0.007, 3, steps_per_frame=40, dtype="float64")
        torch.testing.assert_close(rerun, image, atol=1e-10, rtol=0)
    ops = augment(trajectory[None].repeat(16, 1, 1, 1), torch.arange(16))
    assert len({tuple(o.flatten()[:50].tolist()) for o in ops}) == 16  # all distinct


def test_noise_injection_conserves_mass():
    phi = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    noisy = inject_noise(phi, 1e-3 * torch.randn_like(phi))
    torch.testing.assert_close(noisy.mean((-2, -1)), phi.mean((-2, -1)))
    assert (noisy - phi).abs().max() > 0


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """10 short phase-field sequences on 16², 2 of them validation."""
    model = PhaseFieldModel()
    rng = np.random.default_rng(1)
    phi0 = np.stack([initial_state((16, 16), rng.uniform(0.3, 0.7), 0.1, rng) for _ in range(10)])
    eta = rng.uniform(0, 0.01, 10)
    phi = model.evolve(phi0, eta, 4, steps_per_frame=50)
    validation = np.zeros(10, bool)
    validation[[3, 7]] = True
    return write_sequences(
        tmp_path_factory.mktemp("data") / "train.h5", phi, eta=eta, validation=validation
    )


def _config(**overrides):
    base = TrainConfig(
        epochs=3,
        curriculum_epochs=2,
        batch_size=4,
        learning_rate=3e-3,
        model=ModelConfig(hidden_channels=4, kernel_size=3),
    )
    return TrainConfig(**{**base.__dict__, **overrides})


def test_interrupted_training_resumes_to_the_same_result(small_data, tmp_path):
    full = train(_config(), small_data, tmp_path / "full", progress=False)
    train(_config(epochs=2), small_data, tmp_path / "part", progress=False)  # "interrupted"
    with pytest.raises(ValueError, match="different configuration"):
        train(_config(seed=5), small_data, tmp_path / "part", resume=True, progress=False)
    resumed = train(_config(), small_data, tmp_path / "part", resume=True, progress=False)
    assert [h["train"]["loss"] for h in resumed] == [h["train"]["loss"] for h in full]
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "part" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(FileExistsError, match="resume"):
        train(_config(), small_data, tmp_path / "full", progress=False)


def test_checkpoint_card_and_history(small_data, tmp_path):
    history = train(_config(), small_data, tmp_path / "run", progress=False)
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    best = min(history, key=lambda h: h["validation"]["loss"])
    assert card["best_epoch"] == best["epoch"] and card["epochs_trained"] == 3
    assert card["dataset"]["train_sequences"] == 8 and card["dataset"]["validation_sequences"] == 2
    assert len(best["validation"]["mae"]) == 4
    versus = card["versus_paper"]
    assert not versus["same_as_paper"] and "domain" in versus["differs_in"]
    assert versus["pairs"]["domain"] == [16, 128] and versus["pairs"]["frames_per_sequence"][0] == 4
    model = load_model(tmp_path / "run")
    assert model.config.hidden_channels == 4 and not model.training
    assert [h["n_input"] for h in history] == [4, 2, 1]


def test_fine_tuning_starts_from_the_weights_and_records_its_stages(small_data, tmp_path):
    from spinodal.surrogate.checkpoint import training_stages

    train(_config(epochs=1), small_data, tmp_path / "first", progress=False)
    start = load_model(tmp_path / "first")
    tuned = _config(
        epochs=1, curriculum_epochs=0, learning_rate=0.0, init_from=str(tmp_path / "first")
    )
    train(tuned, small_data, tmp_path / "second", progress=False)
    # learning rate 0: the second run keeps the first run's weights exactly
    state = load_model(tmp_path / "second").state_dict()
    assert all(torch.equal(v, state[k]) for k, v in start.state_dict().items())
    stages = training_stages(tmp_path / "second")
    assert [s["path"] for s in stages] == [str(tmp_path / "first"), str(tmp_path / "second")]
    assert [s["epochs"] for s in stages] == [1, 1] and all(s["minutes"] > 0 for s in stages)
    wider = _config(
        model=ModelConfig(hidden_channels=6, kernel_size=3), init_from=str(tmp_path / "first")
    )
    with pytest.raises(ValueError, match="architecture"):
        train(wider, small_data, tmp_path / "third", progress=False)


@pytest.mark.slow
def test_two_process_torchrun_matches_one_process(small_data, tmp_path):
    """DDP over 2 gloo processes, each with half of the global batch, follows the
    single-process run with the same global batch (up to the order of float sums)."""
    config = _config(epochs=2)
    train(config, small_data, tmp_path / "one", progress=False, device="cpu")
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        "from spinodal.presets import ModelConfig, TrainConfig\n"
        "from spinodal.surrogate.training import train\n"
        "config = TrainConfig(epochs=2, curriculum_epochs=2, batch_size=4, learning_rate=3e-3,"
        " model=ModelConfig(hidden_channels=4, kernel_size=3))\n"
        "train(config, sys.argv[1], sys.argv[2], progress=False, device='cpu')\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "--master-port",
            "29517",
            str(script),
            str(small_data),
            str(tmp_path / "two"),
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    a = torch.load(tmp_path / "one" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "two" / "last.pt", weights_only=True)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-4)


def test_streaming_from_the_file_equals_training_in_memory(small_data, tmp_path, monkeypatch):
    """Large datasets are read batch by batch instead of held in memory: same result."""
    from spinodal.surrogate import training

    in_memory = train(_config(epochs=1), small_data, tmp_path / "memory", progress=False)
    monkeypatch.setattr(training._Sequences, "IN_MEMORY_BYTES", 0)
    streamed = train(_config(epochs=1), small_data, tmp_path / "stream", progress=False)
    for a, b in zip(streamed, in_memory, strict=True):
        a.pop("seconds"), b.pop("seconds")
        assert a == b


def _staged_preset():
    import dataclasses

    from spinodal.presets import TrainingStage, get_preset

    tiny = get_preset("tiny")
    recipe = tiny.training.with_changes({"model.hidden_channels": 4, "model.kernel_size": 3})
    stages = (
        TrainingStage(
            "first",
            {"epochs": 1, "frames": 2, "curriculum_epochs": 0, "model.implicit_damping": 0.0},
        ),
        TrainingStage(
            "second", {"epochs": 2, "model.implicit_damping": 5.0, "stability_frames": 6}
        ),
    )
    return dataclasses.replace(tiny, training=recipe, stages=stages)


def test_staged_training_chains_the_stages_and_skips_finished_ones(small_data, tmp_path):
    from spinodal.surrogate.checkpoint import read_card, training_stages
    from spinodal.surrogate.training import stage_folders, train_preset

    preset, out = _staged_preset(), tmp_path / "model"
    train_preset(preset, small_data, out, progress=False)
    assert [f for _, f in stage_folders(preset, out)] == [out / "stages" / "first", out]
    first, last = read_card(out / "stages" / "first"), read_card(out)
    assert first["dataset"]["frames"] == 2 and first["model_config"]["implicit_damping"] == 0
    assert last["recipe"]["init_from"] == str(out / "stages" / "first")
    assert last["model_config"]["implicit_damping"] == 5.0 and last["stage"] == "second"
    stability = json.loads((out / "history.json").read_text())[0]["validation"]["stability"]
    assert stability["frames"] == 6 and stability["sequences"] == 2
    assert 0 <= stability["diverged"] <= 2
    assert [s["epochs"] for s in training_stages(out)] == [1, 2]
    before = (out / "last.pt").stat().st_mtime_ns
    train_preset(preset, small_data, out, progress=False)  # everything done: nothing retrained
    assert (out / "last.pt").stat().st_mtime_ns == before


def test_model_selection_prefers_stable_epochs_over_lower_loss():
    from spinodal.surrogate.training import _selection_key

    stable = {"validation": {"loss": 0.5, "stability": {"diverged": 0}}}
    unstable = {"validation": {"loss": 0.1, "stability": {"diverged": 1}}}
    unchecked = {"validation": {"loss": 0.2}}
    assert min([unstable, stable], key=_selection_key) is stable
    assert min([stable, unchecked], key=_selection_key) is unchecked


def test_a_run_saved_before_new_recipe_fields_existed_still_resumes(small_data, tmp_path):
    config = _config(epochs=1)
    train(config, small_data, tmp_path / "old", progress=False)
    state = torch.load(tmp_path / "old" / "last.pt", weights_only=True)
    saved = json.loads(state["config"])
    for key in ("feedback_noise_std", "stability_frames", "stability_sequences", "stage"):
        saved.pop(key)
    saved["model"].pop("implicit_damping")
    state["config"] = json.dumps(saved)
    torch.save(state, tmp_path / "old" / "last.pt")
    history = train(_config(epochs=2), small_data, tmp_path / "old", resume=True, progress=False)
    assert len(history) == 2
    with pytest.raises(ValueError, match="learning_rate"):
        train(_config(epochs=3, learning_rate=1e-2), small_data, tmp_path / "old", resume=True)


def test_high_pass_noise_is_grid_scale_and_the_solver_annihilates_it():
    """The premise of high-pass noise with clean targets: the solver's map over one τ forgets a
    perturbation with wavelengths ≤ 4.5 grid spacings, in the bulk and at interfaces alike."""
    from spinodal.analysis.stability import grid_scale_fraction
    from spinodal.surrogate.training import HIGHPASS_WAVELENGTH, high_pass_noise

    noise = high_pass_noise((3, 32, 32), 1e-2, torch.Generator().manual_seed(0)).double()
    torch.testing.assert_close(
        noise.square().mean((-2, -1)).sqrt(), torch.full((3,), 1e-2, dtype=torch.float64)
    )
    assert noise.mean((-2, -1)).abs().max() < 1e-9  # float32 round-off of a mean-free field
    assert grid_scale_fraction(noise.numpy()).min() > 0.5  # mostly at λ ≤ 4
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(32), np.fft.fftfreq(32)))
    power = np.abs(np.fft.fft2(noise.numpy())) ** 2
    assert power[:, k < 1 / HIGHPASS_WAVELENGTH - 1e-9].max() < 1e-10 * power.max()
    pf = PhaseFieldModel()
    rng = np.random.default_rng(1)
    states = pf.evolve(
        0.5 + 0.1 * rng.standard_normal((3, 32, 32)), [0.0, 0.006, 0.012], 20, dtype="float64"
    )[:, -1]  # domains with interfaces
    states = np.concatenate([states, np.full((1, 32, 32), 0.5)])  # and the least stable bulk
    delta = np.concatenate([noise.numpy(), noise.numpy()[:1]])
    eta = [0.0, 0.006, 0.012, 0.0]
    clean = pf.evolve(states, eta, 1, dtype="float64")[:, -1]
    perturbed = pf.evolve(states + delta, eta, 1, dtype="float64")[:, -1]
    assert np.abs(perturbed - clean).max() < 1e-3  # from 1e-2 rms (about 4e-2 peak)


def test_pushforward_frames_carry_no_gradient_and_change_no_prediction():
    """grad_from=k: the first k predictions are the same numbers, without gradient; the loss
    of the later ones still reaches every weight through the detached rollout."""
    torch.manual_seed(0)
    net = CRNN(ModelConfig(hidden_channels=4, kernel_size=3))
    phi = 0.5 + 0.05 * torch.randn(2, 7, 16, 16)
    eta = torch.tensor([0.003, 0.009])
    plain = net(phi, eta, n_frames=6)
    pushed = net(phi, eta, n_frames=6, grad_from=4)
    torch.testing.assert_close(pushed, plain, rtol=0, atol=0)
    weights = list(net.parameters())  # the sum of φ is the conserved mass: square it
    early = torch.autograd.grad((plain[:, :4] ** 2).sum(), weights, allow_unused=True)
    assert any(g is not None and g.abs().sum() > 0 for g in early)
    frozen = torch.autograd.grad(
        (pushed[:, :4] ** 2).sum(), weights, allow_unused=True, retain_graph=True
    )
    assert all(g is None or not g.any() for g in frozen)
    late = torch.autograd.grad((pushed[:, 4:] ** 2).sum(), weights, allow_unused=True)
    assert all(g is not None and g.abs().sum() > 0 for g in late)


def test_pushforward_trains_and_refuses_to_leave_no_frame(small_data, tmp_path):
    history = train(
        _config(pushforward_frames=2, curriculum_epochs=0),
        small_data,
        tmp_path / "a",
        progress=False,
    )
    assert len(history) == 3 and np.isfinite(history[-1]["train"]["loss"])
    with pytest.raises(ValueError, match="leaves no frame with gradient"):
        train(_config(pushforward_frames=99), small_data, tmp_path / "b", progress=False)


def test_warmup_rises_linearly_to_the_learning_rate():
    assert [warmup_factor(s, 4) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert warmup_factor(0, 0) == 1.0
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(warmup_steps=-1)
    with pytest.raises(ValueError, match="ema_decay"):
        TrainConfig(ema_decay=1.0)


def test_the_weight_average_is_validated_kept_and_resumed(small_data, tmp_path):
    recipe = dict(ema_decay=0.5, warmup_steps=3)
    full = train(_config(**recipe), small_data, tmp_path / "full", progress=False)
    train(_config(epochs=2, **recipe), small_data, tmp_path / "part", progress=False)
    resumed = train(_config(**recipe), small_data, tmp_path / "part", resume=True, progress=False)
    assert [h["validation"]["loss"] for h in resumed] == [h["validation"]["loss"] for h in full]
    # one epoch, so it is the kept one: the checkpoint holds the average, not the raw weights
    train(_config(epochs=1, **recipe), small_data, tmp_path / "one", progress=False)
    state = torch.load(tmp_path / "one" / "last.pt", weights_only=True)
    raw, average = state["model"], state["average"]
    kept = load_model(tmp_path / "one").state_dict()
    assert all(torch.equal(kept[k], average[f"module.{k}"]) for k in kept)
    assert not all(torch.equal(kept[k], raw[k]) for k in kept)
    # the average's validation differs from the raw weights' (same run without averaging)
    plain = train(_config(warmup_steps=3), small_data, tmp_path / "plain", progress=False)
    assert [h["train"]["loss"] for h in plain] == [h["train"]["loss"] for h in full]
    assert [h["validation"]["loss"] for h in plain] != [h["validation"]["loss"] for h in full]
