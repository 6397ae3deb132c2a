"""The command line: help texts, a simulation file, a dataset, errors as messages."""

import h5py
import numpy as np
import pytest

from spinodal import PhaseFieldModel
from spinodal.cli import build_parser, main
from spinodal.io.datasets import open_dataset


def test_every_command_and_option_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"simulate", "dataset", "join", "bench", "presets"} <= set(commands)
    bench = commands["bench"]._subparsers._group_actions[0].choices
    parsers = {**commands, **{f"bench {name}": sub for name, sub in bench.items()}}
    assert {"bench solver", "bench model", "bench train"} <= set(parsers)
    for name, sub in parsers.items():
        for action in sub._actions:
            if action.dest not in ("help", "what"):
                assert action.help, f"{name} {action.option_strings} lacks help"


def test_simulate_writes_the_trajectory_and_parameters(tmp_path):
    out = tmp_path / "run.h5"
    code = main(
        [
            "simulate",
            "--size",
            "32",
            "--phi-mean",
            "0.5",
            "--eta",
            "0.006",
            "--frames",
            "3",
            "--seed",
            "7",
            "--amplitude",
            "0.05",
            "--steps-per-frame",
            "20",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with h5py.File(out) as f:
        phi = f["phi"][...]
        assert phi.shape == (4, 32, 32)
        assert f.attrs["eta"] == 0.006 and f.attrs["seed"] == 7
        assert f.attrs["amplitude"] == 0.05 and f.attrs["steps_per_frame"] == 20
    assert abs(phi[0].mean() - 0.5) < 1e-6 and np.isclose(np.abs(phi[0] - 0.5).max(), 0.05)
    again = PhaseFieldModel().evolve(phi[0], 0.006, 3, steps_per_frame=20)
    np.testing.assert_allclose(again, phi, atol=1e-6)


def test_simulate_from_an_init_file(tmp_path):
    init = tmp_path / "phi0.npy"
    np.save(init, 0.4 + 0.01 * np.random.default_rng(0).standard_normal((16, 16)))
    out = tmp_path / "run.h5"
    assert (
        main(
            [
                "simulate",
                "--init",
                str(init),
                "--eta",
                "0",
                "--frames",
                "2",
                "--steps-per-frame",
                "5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with h5py.File(out) as f:
        assert f["phi"].shape == (3, 16, 16) and f.attrs["init"] == str(init)


def test_simulate_rejects_conflicting_options(tmp_path):
    init = tmp_path / "phi0.npy"
    np.save(init, np.full((16, 16), 0.5))
    with pytest.raises(SystemExit, match="do not also give"):
        main(
            [
                "simulate",
                "--init",
                str(init),
                "--phi-mean",
                "0.5",
                "--eta",
                "0",
                "--frames",
                "1",
                "--out",
                str(tmp_path / "x.h5"),
            ]
        )


def test_dataset_command_and_bad_shard(tmp_path, caplog):
    out = tmp_path / "test.h5"
    assert (
        main(
            [
                "dataset",
                "--preset",
                "tiny",
                "--split",
                "test",
                "--out",
                str(out),
                "--quiet",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    with open_dataset(out) as ds:
        assert ds.attrs["preset"] == "tiny" and len(ds) == 4
    assert (
        main(
            [
                "dataset",
                "--preset",
                "tiny",
                "--split",
                "test",
                "--out",
                str(tmp_path / "y.h5"),
                "--shard",
                "3/2",
            ]
        )
        == 2
    )
    assert "shard" in caplog.text


def test_presets_command_prints_json(capsys):
    assert main(["presets", "paper"]) == 0
    assert '"n_sequences": 2000' in capsys.readouterr().out


def test_a_diverging_simulation_is_reported_not_raised(tmp_path, caplog, monkeypatch):
    """A blow-up (here from a far too large dt) ends the command with a message naming the
    field and step, exit status 2, and no output file."""
    original = PhaseFieldModel.evolve
    unstable = PhaseFieldModel(dt=5.0)
    monkeypatch.setattr(
        PhaseFieldModel, "evolve", lambda self, *args, **kwargs: original(unstable, *args, **kwargs)
    )
    out = tmp_path / "run.h5"
    code = main(
        [
            "simulate",
            "--size",
            "32",
            "--phi-mean",
            "0.5",
            "--eta",
            "0",
            "--frames",
            "5",
            "--amplitude",
            "0.1",
            "--out",
            str(out),
        ]
    )
    assert code == 2 and not out.exists()
    assert "diverged in field 0 at step" in caplog.text


def test_evaluate_preset_fills_the_workspace_the_book_reads(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SPINODAL_DATA", str(tmp_path))
    caplog.set_level("INFO")
    assert main(["evaluate", "--preset", "tiny", "--quiet"]) == 0
    files = sorted(p.name.split("--")[1] for p in (tmp_path / "tiny" / "evaluations").iterdir())
    assert files == ["ensemble.h5", "ensemble_low.h5", "test.h5"]
    assert "phase diagram at frame 20" in caplog.text
    # a second run reuses everything; mixing the two modes is an error
    assert main(["evaluate", "--preset", "tiny", "--quiet"]) == 0
    assert main(["evaluate", "--preset", "tiny", "--out", str(tmp_path / "x.h5")]) == 2
    assert "not both" in caplog.text


def test_stability_and_train_bench_commands_report(tmp_path, capsys):
    import torch

    from spinodal.presets import ModelConfig
    from spinodal.surrogate.checkpoint import save_checkpoint
    from spinodal.surrogate.model import CRNN

    torch.manual_seed(0)
    net = CRNN(ModelConfig(hidden_channels=2, kernel_size=3, implicit_damping=5.0))
    save_checkpoint(tmp_path / "net", net, {"preset": "tiny"})
    args = ["stability", "--model", str(tmp_path / "net"), "--frames", "3", "--fresh", "16"]
    assert main([*args, "--fresh-count", "2", "--truth-frames", "2", "--device", "cpu"]) == 0
    report = capsys.readouterr().out
    assert "fresh Perlin states (2 × 16²)" in report and "left the physical range: " in report
    assert "median MAE at   2τ" not in report  # 2τ is not one of the quoted times
    assert "grid-scale gain per τ" in report
    longer = [*args[:4], "10", "--fresh", "16", "--fresh-count", "2", "--truth-frames", "10"]
    assert main(longer) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "median MAE at  10τ" in ln)
    assert "no-change forecast" in line and "solver at δt = τ" in line
    bench = ["bench", "train", "--sizes", "16", "--threads", "1", "--frames", "2", "--batch", "1"]
    assert main([*bench, "--variants", "channels_last"]) == 0
    table = capsys.readouterr().out
    assert "float32" in table and "channels_last" in table and "1.00x" in table


def test_train_takes_the_presets_recipe_changed_by_set_or_an_ablation(tmp_path, monkeypatch):
    """--set KEY=VALUE changes one value (nested keys with a dot, text parsed to the field's
    type); --ablation NAME trains a named variant; neither: the preset's stages."""
    from spinodal.presets import TrainConfig, get_preset
    from spinodal.surrogate import training

    runs = []
    monkeypatch.setattr(training, "train", lambda config, *a, **k: runs.append(config))
    monkeypatch.setattr(training, "train_preset", lambda preset, *a, **k: runs.append(preset))
    base = ["train", "--preset", "small", "--data", "d.h5", "--out", str(tmp_path / "run")]
    sets = ["--set", "epochs=3", "--set", "model.implicit_damping=0", "--set", "frames=none"]
    assert main([*base, *sets, "--set", "weights.grad=1e-3", "--set", "precision=bfloat16"]) == 0
    config = runs.pop()
    expected = TrainConfig.from_preset("small").with_changes(
        {"epochs": 3, "model.implicit_damping": 0.0, "weights.grad": 1e-3}
    )
    assert config == expected.with_changes({"frames": None, "precision": "bfloat16"})
    assert isinstance(config.model.implicit_damping, float) and config.frames is None
    assert main([*base, "--ablation", "no_free_energy"]) == 0
    ablation = runs.pop()
    assert ablation == get_preset("small").ablation("no_free_energy")
    assert ablation.weights.free_energy == 0.0 and ablation.max_sequences == 32
    assert main(base) == 0 and runs.pop() == "small"  # the preset's stages
    with pytest.raises(SystemExit):  # argparse names the unknown key
        main([*base, "--set", "model.width=3"])
    assert main([*base, "--set", "epochs=three"]) == 2  # one line, not a traceback
    assert main([*base, "--ablation", "nothing"]) == 2
