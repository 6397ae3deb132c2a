"""Free rollout of the CRNN, ``spinodal predict`` and ``spinodal bench model``."""

import json

import h5py
import numpy as np
import pytest
import torch

from spinodal.analysis.bench import ModelTiming, bench_model, format_model_report
from spinodal.cli import main
from spinodal.io.datasets import write_sequences
from spinodal.surrogate.checkpoint import save_checkpoint
from spinodal.surrogate.inference import predict_to_file, rollout


@pytest.fixture(scope="module")
def fields():
    return (0.5 + 0.1 * np.random.default_rng(0).standard_normal((3, 16, 16))).astype(np.float32)


@pytest.fixture()
def checkpoint(tmp_path, model):
    return save_checkpoint(tmp_path / "ckpt", model, {"note": "tiny"})


def test_rollout_shapes_and_kinds(model, fields):
    single = rollout(model, fields[0], 0.006, 4)
    assert isinstance(single, np.ndarray) and single.shape == (5, 16, 16)
    assert single.dtype == np.float32
    batch = rollout(model, fields, [0.0, 0.006, 0.012], 6, every=3)
    assert batch.shape == (3, 3, 16, 16)
    np.testing.assert_array_equal(batch[:, 0], fields)
    from_torch = rollout(model, torch.from_numpy(fields), 0.006, 2)
    assert isinstance(from_torch, np.ndarray) and from_torch.shape == (3, 3, 16, 16)
    assert rollout(model, fields, 0.006, 0).shape == (3, 1, 16, 16)


def test_rollout_equals_the_models_forward(model, fields):
    eta = np.array([0.0, 0.006, 0.012])
    frames = rollout(model, fields, eta, 6)
    with torch.no_grad():
        forward = model(
            torch.from_numpy(fields)[:, None],
            torch.tensor(eta, dtype=torch.float32),
            n_input=1,
            n_frames=6,
        )
    np.testing.assert_allclose(frames[:, 1:], forward.numpy(), rtol=0, atol=1e-6)
    every = rollout(model, fields, eta, 6, every=2)
    np.testing.assert_array_equal(every, frames[:, ::2])


def test_rollout_in_chunks_equals_one_batch(model, fields):
    whole = rollout(model, fields, 0.006, 3)
    chunked = rollout(model, fields, 0.006, 3, batch_size=2)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)
    # each field is independent of its batch-mates
    np.testing.assert_allclose(rollout(model, fields[1], 0.006, 3), whole[1], rtol=0, atol=1e-6)


def test_rollout_conserves_the_mean(model, fields):
    frames = rollout(model, fields, 0.006, 20).astype(np.float64)
    drift = np.abs(frames.mean(axis=(-2, -1)) - fields.mean(axis=(-2, -1))[:, None])
    assert drift.max() < 1e-6


def test_rollout_rejects_bad_input(model, fields):
    bad = fields.copy()
    bad[1, 3, 4] = np.nan
    with pytest.raises(ValueError, match=r"non-finite.*\[1\]"):
        rollout(model, bad, 0.006, 2)
    with pytest.raises(ValueError, match="eta must be a float or have shape \\[3\\]"):
        rollout(model, fields, [0.0, 0.006], 2)
    with pytest.raises(ValueError, match="eta must be finite"):
        rollout(model, fields, float("nan"), 2)
    with pytest.raises(ValueError, match="shape"):
        rollout(model, fields[:, None], 0.006, 2)
    with pytest.raises(ValueError, match="every .3. must divide n_frames .4."):
        rollout(model, fields, 0.006, 4, every=3)
    with pytest.raises(ValueError, match="n_frames"):
        rollout(model, fields, 0.006, -1)
    with pytest.raises(ValueError, match="batch_size"):
        rollout(model, fields, 0.006, 2, batch_size=0)


def test_predict_from_npy(tmp_path, checkpoint, model, fields):
    init = tmp_path / "phi0.npy"
    np.save(init, fields[0])
    out = tmp_path / "pred.h5"
    assert _predict(checkpoint, init, out, "--eta", "0.006", "--frames", "4", "--every", "2") == 0
    with h5py.File(out) as f:
        phi = f["phi"][...]
        attrs = dict(f.attrs)
    assert phi.shape == (3, 16, 16)
    np.testing.assert_allclose(phi, rollout(model, fields[0], 0.006, 4, every=2), atol=1e-6)
    assert attrs["eta"] == 0.006 and attrs["every"] == 2 and attrs["n_frames"] == 4
    assert attrs["model"] == str(checkpoint) and attrs["spinodal_version"]
    assert json.loads(attrs["model_card"])["note"] == "tiny"
    assert not list(tmp_path.glob("*.tmp"))


def test_predict_from_a_dataset_uses_its_eta(tmp_path, checkpoint, model, fields):
    sequences = np.repeat(fields[:, None], 3, axis=1)  # [S, T+1, N, N]
    eta = np.array([0.0, 0.004, 0.01])
    data = write_sequences(tmp_path / "data.h5", sequences, eta=eta)
    out = tmp_path / "pred.h5"
    assert _predict(checkpoint, data, out, "--frames", "3", "--batch-size", "2") == 0
    with h5py.File(out) as f:
        phi = f["phi"][...]
        np.testing.assert_array_equal(f.attrs["eta"], eta)
    assert phi.shape == (3, 4, 16, 16)
    np.testing.assert_allclose(phi, rollout(model, fields, eta, 3), atol=1e-6)
    # an explicit eta overrides the file's
    predict_to_file(checkpoint, data, 0.012, 1, out, overwrite=True)
    with h5py.File(out) as f:
        np.testing.assert_array_equal(f.attrs["eta"], [0.012] * 3)


def test_predict_from_a_simulate_trajectory(tmp_path, checkpoint, model):
    run = tmp_path / "run.h5"
    assert (
        main(
            [
                "simulate",
                "--size",
                "16",
                "--phi-mean",
                "0.5",
                "--eta",
                "0.008",
                "--frames",
                "1",
                "--steps-per-frame",
                "5",
                "--amplitude",
                "0.05",
                "--device",
                "cpu",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    out = predict_to_file(checkpoint, run, None, 2, tmp_path / "pred.h5")
    with h5py.File(run) as f:
        phi0 = f["phi"][0]
    with h5py.File(out) as f:
        assert f["phi"].shape == (3, 16, 16) and f.attrs["eta"] == 0.008
        np.testing.assert_allclose(f["phi"][...], rollout(model, phi0, 0.008, 2), atol=1e-6)


def _predict(model_dir, init, out, *options: str) -> int:
    """``spinodal predict`` on the CPU with ``options`` (e.g. ``"--eta", "0"``); its exit status."""
    return main(
        ["predict", "--model", str(model_dir), "--init", str(init), "--device", "cpu"]
        + ["--out", str(out), *options]
    )


def test_predict_errors_are_messages(tmp_path, checkpoint, fields, caplog):
    init = tmp_path / "phi0.npy"
    np.save(init, fields[0])
    out = tmp_path / "pred.h5"
    assert _predict(checkpoint, init, out, "--frames", "2") == 2
    assert "give eta" in caplog.text
    assert _predict(tmp_path, init, out, "--eta", "0", "--frames", "2") == 2
    assert "not a checkpoint folder" in caplog.text
    assert _predict(checkpoint, tmp_path / "no.npy", out, "--eta", "0", "--frames", "2") == 2
    assert "does not exist" in caplog.text
    assert not out.exists()


def test_bench_model_runs_at_a_tiny_size(model):
    timings = bench_model(
        (16,),
        net=model,
        device="cpu",
        batch=2,
        repeats=1,
        seconds_per_sample=0.001,
        steps_per_frame=10,
    )
    assert [(t.size, t.batch) for t in timings] == [(16, 1), (16, 2)]
    for t in timings:
        assert t.frame > 0 and t.solver_step > 0 and t.tau == pytest.approx(10 * t.solver_step)
        assert t.speedup == pytest.approx(t.tau / t.frame)
    report = format_model_report(timings, "tiny CRNN on cpu", "cpu")
    assert "speed-up" in report and "tiny CRNN" in report and "145x" in report


def test_model_timing_arithmetic():
    t = ModelTiming(size=128, batch=8, frame=0.01, solver_step=0.001)
    assert t.tau == pytest.approx(0.1) and t.speedup == pytest.approx(10)
    assert t.frames_per_second == pytest.approx(800)


def test_bench_model_command(capsys):
    assert main(["bench", "model", "--sizes", "16", "--batch", "1", "--device", "cpu"]) == 0
    output = capsys.readouterr().out
    assert "untrained" in output and "speed-up" in output


def test_a_rollout_that_leaves_the_physical_range_is_named_with_its_time(caplog):
    """Each step doubles the deviation from the mean: a contrast of 0.2 passes 1.5 at 3τ."""
    from spinodal.presets import ModelConfig
    from spinodal.surrogate.model import CRNN

    class Doubler(CRNN):
        def step(self, phi, hidden, eta):
            return 2 * phi - phi.mean(dim=(-2, -1), keepdim=True), hidden

    net = Doubler(ModelConfig(hidden_channels=2, kernel_size=3))
    phi0 = np.full((2, 8, 8), 0.5, np.float32)
    phi0[0, 0, 0] = 0.7  # contrast 0.2 → 0.4, 0.8, 1.6
    with caplog.at_level("WARNING", logger="spinodal.surrogate.inference"):
        rollout(net, phi0, 0.006, 4)
    assert "field(s) [0] left the physical range" in caplog.text and "at 3τ" in caplog.text
    assert "[1]" not in caplog.text


def test_a_bfloat16_rollout_stays_float32_and_near_the_float32_one(
    tmp_path, checkpoint, model, fields
):
    exact = rollout(model, fields, 0.006, 4)
    reduced = rollout(model, fields, 0.006, 4, precision="bfloat16")
    assert reduced.dtype == np.float32
    difference = np.abs(reduced - exact)[:, 1:].max()
    assert 0 < difference < 0.05  # bfloat16 keeps 8 bits of mantissa: differs, but slightly
    np.testing.assert_allclose(reduced.mean((-2, -1)), exact.mean((-2, -1)), atol=1e-5)
    with pytest.raises(ValueError, match="precision"):
        rollout(model, fields, 0.006, 1, precision="float16")
    init = tmp_path / "phi0.npy"
    np.save(init, fields)
    out = tmp_path / "pred.h5"
    assert (
        _predict(
            checkpoint, init, out, "--eta", "0.006", "--frames", "4", "--precision", "bfloat16"
        )
        == 0
    )
    with h5py.File(out) as f:
        assert f.attrs["precision"] == "bfloat16"
        np.testing.assert_array_equal(f["phi"][...], reduced)


def test_bench_model_reports_its_precision(capsys):
    options = ["--sizes", "16", "--batch", "1", "--device", "cpu", "--precision", "bfloat16"]
    assert main(["bench", "model", *options]) == 0
    assert "CRNN in bfloat16" in capsys.readouterr().out
