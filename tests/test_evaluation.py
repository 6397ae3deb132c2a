"""NN-versus-PF evaluation, perturbed ensembles and the phase diagram
(spinodal.analysis.evaluation)."""

import logging

import h5py
import numpy as np
import pytest
from synthetic import RecordingWorkspace

from spinodal import PhaseFieldModel
from spinodal.analysis import evaluation
from spinodal.cli import main
from spinodal.io.datasets import generate_split, open_dataset
from spinodal.physics import metrics
from spinodal.surrogate.inference import rollout

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def dataset(tiny_test_split):
    return tiny_test_split


@pytest.fixture(scope="module")
def checkpoint(tiny_checkpoint):
    return tiny_checkpoint


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, checkpoint, dataset):
    out = tmp_path_factory.mktemp("eval") / "results.h5"
    key = evaluation.evaluate_split(checkpoint, dataset, out, batch_size=3, store_sequences=2)
    return out, key


def test_evaluation_layout_and_shapes(evaluated, dataset):
    out, key = evaluated
    assert key == "tiny-crnn/tiny-test"
    results = evaluation.read_evaluation(out, key)
    with open_dataset(dataset) as ds:
        S, T, N = len(ds), ds.n_frames, ds.size
        np.testing.assert_array_equal(results["eta"], ds.eta)
        np.testing.assert_array_equal(results["phi_mean"], ds.phi_mean)
    for name in ("mae", "interface_error"):
        assert results[name].shape == (S, T + 1)
    for side in ("nn", "pf"):
        for name in evaluation.FRAME_METRICS:
            assert results[f"{side}/{name}"].shape == (S, T + 1), (side, name)
        assert results[f"frames/{side}"].shape == (2, 2, N, N)
    np.testing.assert_array_equal(results["frames/frame"], [0, T])
    np.testing.assert_array_equal(results["frame"], np.arange(T + 1))
    assert results["attrs"]["schema"] == evaluation.SCHEMA and results["attrs"]["complete"]
    assert not (out.parent / "results.h5.parts").exists()


def test_pf_measures_are_those_of_the_dataset_and_frame_zero_agrees(evaluated, dataset):
    out, key = evaluated
    results = evaluation.read_evaluation(out, key)
    with open_dataset(dataset) as ds:
        phi = ds.read(np.arange(len(ds)))
        model = ds.pf
    for t in (0, 7, phi.shape[1] - 1):
        expected = evaluation.frame_metrics(phi[:, t], results["eta"], model)
        for name, values in expected.items():
            np.testing.assert_allclose(results[f"pf/{name}"][:, t], values, rtol=1e-6)
    np.testing.assert_allclose(results["pf/interface"], metrics.interface_length(phi), rtol=1e-5)
    # Frame 0 is shared: no error, identical NN and PF measures; PF against itself is exact.
    np.testing.assert_array_equal(results["mae"][:, 0], 0.0)
    np.testing.assert_array_equal(results["interface_error"][:, 0], 0.0)
    for name in evaluation.FRAME_METRICS:
        np.testing.assert_array_equal(results[f"nn/{name}"][:, 0], results[f"pf/{name}"][:, 0])
    np.testing.assert_array_equal(metrics.mae(phi, phi), 0.0)
    np.testing.assert_array_equal(results["frames/pf"], phi[:2][:, [0, -1]])


def test_nn_measures_are_those_of_the_rollout(evaluated, dataset, model):
    out, key = evaluated
    results = evaluation.read_evaluation(out, key)
    with open_dataset(dataset) as ds:
        phi = ds.read(np.arange(len(ds)))
        eta, T = ds.eta, ds.n_frames
    nn = np.concatenate([rollout(model, phi[s, 0], eta[s], T) for s in (slice(0, 3), slice(3, 4))])
    # float32 convolutions round differently run to run (oneDNN): compare to 1e-5.
    np.testing.assert_allclose(results["mae"], metrics.mae(nn, phi), atol=1e-5)
    np.testing.assert_allclose(results["nn/contrast"], metrics.contrast(nn), atol=1e-5)
    np.testing.assert_allclose(
        results["interface_error"], metrics.interface_length_error(nn, phi), rtol=1e-3, atol=1e-5
    )
    np.testing.assert_allclose(results["frames/nn"], nn[:2][:, [0, -1]], atol=1e-5)


def test_evaluation_resumes_and_keeps_other_groups(tmp_path, checkpoint, dataset, monkeypatch):
    out = tmp_path / "results.h5"
    calls = []
    original = evaluation._evaluate_batch

    def interrupted(*args):
        if calls:
            raise KeyboardInterrupt
        calls.append(args[1])
        original(*args)

    monkeypatch.setattr(evaluation, "_evaluate_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        evaluation.evaluate_split(checkpoint, dataset, out, batch_size=2, n_frames=4)
    assert not out.exists()
    assert len(list((tmp_path / "results.h5.parts").rglob("sequences-*.h5"))) == 1

    done = []
    monkeypatch.setattr(
        evaluation, "_evaluate_batch", lambda *args: (done.append(args[1]), original(*args))
    )
    key = evaluation.evaluate_split(checkpoint, dataset, out, batch_size=2, n_frames=4)
    assert done == [range(2, 4)]  # the first batch was not recomputed
    done.clear()
    assert evaluation.evaluate_split(checkpoint, dataset, out, batch_size=2, n_frames=4) == key
    assert done == []  # a complete group with the same identity is not recomputed

    uninterrupted = tmp_path / "direct.h5"
    evaluation.evaluate_split(checkpoint, dataset, uninterrupted, batch_size=2, n_frames=4)
    resumed = evaluation.read_evaluation(out, key)
    direct = evaluation.read_evaluation(uninterrupted, key)
    for name in ("mae", "nn/paper_total", "pf/isotropy", "frames/nn"):
        np.testing.assert_array_equal(resumed[name], direct[name])

    other = evaluation.evaluate_split(
        checkpoint, dataset, out, batch_size=2, n_frames=2, dataset_name="short"
    )
    with h5py.File(out, "r") as f:
        assert key in f and other in f and f[other]["mae"].shape == (4, 3)


def test_interrupted_parts_with_other_settings_are_refused(tmp_path, checkpoint, dataset):
    out = tmp_path / "results.h5"
    parts = tmp_path / "results.h5.parts" / "tiny-crnn__tiny-test"
    parts.mkdir(parents=True)
    (parts / "identity.json").write_text("{}")
    with pytest.raises(FileExistsError, match="remove it"):
        evaluation.evaluate_split(checkpoint, dataset, out, n_frames=1)


def test_evaluation_rejects_bad_arguments(tmp_path, model, dataset):
    with pytest.raises(ValueError, match="n_frames"):
        evaluation.evaluate_split(model, dataset, tmp_path / "r.h5", n_frames=1000)
    with pytest.raises(ValueError, match="batch_size"):
        evaluation.evaluate_split(model, dataset, tmp_path / "r.h5", batch_size=0)
    with pytest.raises(ValueError, match="without '/'"):
        evaluation.evaluate_split(model, dataset, tmp_path / "r.h5", model_name="a/b")


def test_phase_diagram_counts_add_up():
    rng = np.random.default_rng(0)
    separated = np.stack([np.where(np.arange(16) < 8, 0.0, 1.0)[None].repeat(16, 0)] * 6)
    homogeneous = 0.4 + 0.01 * rng.random((6, 16, 16))
    nn = np.stack([separated[0], separated[1], homogeneous[0], homogeneous[1], separated[2]])
    pf = np.stack([separated[3], homogeneous[2], homogeneous[3], homogeneous[4], separated[4]])
    diagram = evaluation.phase_diagram(nn, pf, np.full(5, 0.4), np.linspace(0, 0.01, 5))
    assert diagram.counts == {
        "both_separated": 2,
        "both_homogeneous": 2,
        "nn_separated_only": 1,
        "nn_homogeneous_only": 0,
        "nn_diverged": 0,
    }
    assert sum(diagram.counts.values()) == 5
    assert diagram.accuracy == pytest.approx(0.8)
    np.testing.assert_array_equal(diagram.agree, [True, False, True, True, True])
    with pytest.raises(ValueError, match="one classification per sequence"):
        evaluation.phase_diagram(nn, pf[:4], np.full(5, 0.4), np.zeros(5))


def test_phase_diagram_from_an_evaluation(evaluated, dataset):
    out, key = evaluated
    with open_dataset(dataset) as ds:
        T = ds.n_frames
        pf = ds.read(np.arange(len(ds)), T)
        phi_mean, eta = ds.phi_mean, ds.eta
    results = evaluation.read_evaluation(out, key)
    diagram = evaluation.phase_diagram_from_evaluation(out, key, frame=T)
    np.testing.assert_array_equal(diagram.pf_separated, metrics.is_phase_separated(pf))
    np.testing.assert_array_equal(diagram.nn_separated, results["nn/contrast"][:, T] > 0.05)
    np.testing.assert_array_equal(diagram.phi_mean, phi_mean)
    np.testing.assert_array_equal(diagram.eta, eta)
    assert sum(diagram.counts.values()) == len(eta)
    with pytest.raises(ValueError, match="frame must be in"):
        evaluation.phase_diagram_from_evaluation(out, key, frame=T + 1)
    with pytest.raises(KeyError, match="no evaluation"):
        evaluation.read_evaluation(out, "nothing/here")


def test_perturbed_ensemble_without_noise_reproduces_the_dataset(dataset):
    run = evaluation.perturbed_ensemble(dataset, 0.0, n_frames=3)
    assert run["mae"].shape == (4, 4) and run["paper_total"].shape == (4, 4)
    np.testing.assert_array_equal(run["mae"], 0.0)
    with open_dataset(dataset) as ds:
        phi = ds.read(np.arange(len(ds)), slice(0, 4))
        energies = ds.pf.free_energy(phi, ds.eta[:, None])
    np.testing.assert_allclose(run["paper_total"], energies["paper_total"], rtol=1e-6)


def test_perturbed_ensemble_with_noise_departs_and_the_noise_level_is_found(dataset):
    run = evaluation.perturbed_ensemble(dataset, 1e-3, n_frames=4, indices=[0, 2], seed=1)
    np.testing.assert_array_equal(run["index"], [0, 2])
    assert (run["mae"][:, 0] == 0).all() and (run["mae"][:, 1:] > 1e-4).all()
    again = evaluation.perturbed_ensemble(dataset, 1e-3, n_frames=4, indices=[0, 2], seed=1)
    np.testing.assert_array_equal(run["mae"], again["mae"])
    search = evaluation.noise_search(
        run["mae"], dataset, [1e-4, 1e-3, 1e-2], indices=[0, 2], seed=1
    )
    assert search["best"] == 1e-3 and search["distance"][1] == 0.0
    last = np.median(search["mae"][:, :, -1], axis=1)  # the median curves' last frame per level
    assert last[0] < last[1] < last[2]
    with pytest.raises(ValueError, match="noise_std"):
        evaluation.perturbed_ensemble(dataset, -1.0)


def test_the_coarse_solver_at_the_data_step_reproduces_the_data(dataset):
    with open_dataset(dataset) as ds:
        steps = int(ds.attrs["steps_per_frame"])
    run = evaluation.coarse_solver(dataset, steps, n_frames=3)
    assert run["steps_per_frame"] == steps and run["noise_std"] == 0.0
    np.testing.assert_array_equal(run["mae"], 0.0)


def test_the_coarse_solver_converges_at_first_order_in_the_time_step(dataset):
    # Eq. 8 is first order in δt, and so is the data (100 steps per τ): a run of k steps per τ
    # departs from the data by C (1/k − 1/100) to leading order.
    with open_dataset(dataset) as ds:
        reference = int(ds.attrs["steps_per_frame"])
    counts = np.array([8, 16, 32])
    last = np.array(
        [np.median(evaluation.coarse_solver(dataset, k, n_frames=4)["mae"][:, -1]) for k in counts]
    )
    expected = 1 / counts - 1 / reference
    np.testing.assert_allclose(last[:-1] / last[1:], expected[:-1] / expected[1:], rtol=0.12)


def test_the_coarse_solver_refuses_a_bad_step_count(dataset):
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="steps_per_frame"):
            evaluation.coarse_solver(dataset, bad, n_frames=2)


def test_no_change_errors_are_the_distance_to_the_first_frame(dataset):
    run = evaluation.no_change_errors(dataset, indices=[1, 3], n_frames=3)
    with open_dataset(dataset) as ds:
        phi = ds.read([1, 3], slice(0, 4))
    expected = np.abs(phi - phi[:, :1]).mean(axis=(-2, -1))
    np.testing.assert_allclose(run["mae"], expected, rtol=1e-6)
    assert (run["mae"][:, 0] == 0).all() and (run["mae"][:, 1:] > 0).all()


def test_cached_yardsticks_run_both_forecasts_under_their_key(dataset):
    ws = RecordingWorkspace({"test": dataset})
    sticks = evaluation.cached_yardsticks(ws, "test", steps_per_frame=2)
    assert ws.keys == [("yardsticks", {"split": "test", "steps_per_frame": 2})]
    np.testing.assert_array_equal(sticks["coarse"], evaluation.coarse_solver(dataset, 2)["mae"])
    np.testing.assert_array_equal(sticks["no_change"], evaluation.no_change_errors(dataset)["mae"])
    assert sticks["coarse_seconds"] > 0 and sticks["steps_per_frame"] == 2


def test_cli_evaluate(tmp_path, checkpoint, dataset, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "cli.h5"
    argv = ["evaluate", "--model", str(checkpoint), "--data", str(dataset), "--out", str(out)]
    code = main([*argv, "--frames", "3", "--batch-size", "4", "--device", "cpu", "--quiet"])
    assert code == 0
    with h5py.File(out, "r") as f:
        assert f["tiny-crnn/tiny-test/mae"].shape == (4, 4)
    assert "median MAE" in caplog.text and "phase diagram" in caplog.text
    assert main([*argv, "--frames", "999", "--quiet"]) == 2


def test_amplitude_sensitivity_pair(model):
    pair = evaluation.amplitude_sensitivity(
        model, 0.5, 0.0, [0.1, 0.001], size=32, n_frames=30, seed=3
    )
    assert pair["phi0"].shape == pair["pf"].shape == pair["nn"].shape == (2, 32, 32)
    # One pattern at two amplitudes.
    np.testing.assert_allclose(pair["phi0"][0] - 0.5, 100 * (pair["phi0"][1] - 0.5), atol=1e-5)
    np.testing.assert_allclose(pair["pf"].mean(axis=(-2, -1)), 0.5, atol=1e-5)
    # Inside the chemical spinodal with no misfit the large perturbation separates within 30τ.
    assert pair["pf_separated"][0]
    np.testing.assert_array_equal(pair["pf_separated"], metrics.is_phase_separated(pair["pf"]))
    np.testing.assert_array_equal(pair["nn_separated"], metrics.is_phase_separated(pair["nn"]))
    expected = PhaseFieldModel().evolve(pair["phi0"], 0.0, 30)[:, -1]
    np.testing.assert_allclose(pair["pf"], expected, atol=1e-6)


def test_evaluation_of_a_large_varying_split(tmp_path, checkpoint):
    data = generate_split("tiny", "varying", tmp_path / "varying.h5", progress=False, device="cpu")
    out = tmp_path / "results.h5"
    key = evaluation.evaluate_split(checkpoint, data, out, frames_to_store=(0, 5, 10))
    results = evaluation.read_evaluation(out, key)
    assert key == "tiny-crnn/tiny-varying"
    assert results["frames/nn"].shape == (1, 3, 64, 64)
    assert results["mae"].shape == (1, 11)


def test_noise_search_keeps_every_run_and_finds_the_level(tiny_test_split):
    from spinodal.analysis import evaluation

    kwargs = {"n_frames": 3, "indices": [0, 1], "seed": 2}
    reference = evaluation.perturbed_ensemble(tiny_test_split, 1e-3, **kwargs)
    target = reference["mae"].copy()
    target[0, 2:] = np.inf  # a diverged rollout: ignored by the median's frames
    target = np.vstack([target, np.full((1, 4), np.nan)])  # NaN rows are ignored
    search = evaluation.noise_search(target, tiny_test_split, [1e-4, 1e-3, 1e-2], **kwargs)
    assert search["mae"].shape == search["paper_total"].shape == (3, 2, 4)
    np.testing.assert_array_equal(search["mae"][1], reference["mae"])
    assert search["best"] == 1e-3 and search["distance"].argmin() == 1
    assert search["distance"][0] > 0 and search["distance"][2] > 0
    with pytest.raises(ValueError, match="frames"):
        evaluation.noise_search(target[:, :2], tiny_test_split, [1e-3], **kwargs)


def test_cached_noise_search_runs_the_ensemble_under_its_key(tiny_test_split):
    ws = RecordingWorkspace({"ensemble": tiny_test_split})
    target = np.array([0.0, 1e-3, 2e-3])  # its length sets the frames: 2
    search = evaluation.cached_noise_search(ws, target, [0, 1], [1e-4, 1e-3], seed=2)
    assert search["mae"].shape == (2, 2, 3)
    assert ws.keys == [
        (
            "noise_search",
            {
                "levels": [1e-4, 1e-3],
                "sequences": 2,
                "n_frames": 2,
                "seed": 2,
                "model": "weights",
                "target": "median before divergence",
            },
        )
    ]
    direct = evaluation.noise_search(target, tiny_test_split, [1e-4, 1e-3], indices=[0, 1], seed=2)
    np.testing.assert_array_equal(search["mae"], direct["mae"])


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """The tiny preset's large split: 2 sequences × 6 frames of 64²."""
    path = tmp_path_factory.mktemp("data") / "large.h5"
    return generate_split("tiny", "large", path, progress=False, device="cpu")


def test_domain_rollout_matches_a_plain_rollout_and_the_file(large, model):
    with open_dataset(large) as ds:
        T, N = ds.n_frames, ds.size
        pf = ds.read(np.arange(len(ds)))
        eta = ds.eta
    result = evaluation.domain_rollout(model, large, every=2, batch_size=1)
    stored = [*range(0, T + 1, 2), T] if T % 2 else list(range(0, T + 1, 2))
    np.testing.assert_array_equal(result["stored_frame"], stored)
    np.testing.assert_array_equal(result["frame"], np.arange(T + 1))
    assert result["nn"].shape == result["pf"].shape == (2, len(stored), N, N)
    np.testing.assert_array_equal(result["pf"], pf[:, stored])
    nn = rollout(model, pf[:, 0], eta, T)
    np.testing.assert_allclose(result["nn"], nn[:, stored], atol=1e-5)
    np.testing.assert_allclose(result["mae"], metrics.mae(nn, pf), atol=1e-6)
    np.testing.assert_allclose(
        result["interface_error"], metrics.interface_length_error(nn, pf), rtol=1e-4, atol=1e-7
    )
    assert np.all(result["mae"][:, 0] == 0) and np.all(result["interface_error"][:, 0] == 0)
    np.testing.assert_allclose(result["nn/paper_total"][:, 0], result["pf/paper_total"][:, 0])
    np.testing.assert_array_equal(result["eta"], eta)


def test_domain_rollout_selects_sequences_and_frames(large, model):
    both = evaluation.domain_rollout(model, large, n_frames=3, every=5)
    one = evaluation.domain_rollout(model, large, indices=[1], n_frames=3, every=5)
    np.testing.assert_array_equal(one["stored_frame"], [0, 3])
    np.testing.assert_array_equal(one["index"], [1])
    np.testing.assert_allclose(one["mae"], both["mae"][1:], atol=1e-6)
    np.testing.assert_allclose(one["nn"], both["nn"][1:], atol=1e-5)
    with pytest.raises(ValueError, match="n_frames"):
        evaluation.domain_rollout(model, large, n_frames=99)
    with pytest.raises(ValueError, match="indices"):
        evaluation.domain_rollout(model, large, indices=[2])
    with pytest.raises(ValueError, match="every"):
        evaluation.domain_rollout(model, large, every=0)


def test_cached_domain_rollout_keeps_about_the_asked_frames_under_its_key(large, model):
    ws = RecordingWorkspace({"large": large}, net=model)
    result = evaluation.cached_domain_rollout(ws, "large", 2)  # 5 frames: every 2nd kept
    np.testing.assert_array_equal(result["stored_frame"], [0, 2, 4, 5])
    assert ws.keys == [("domain-large", {"model": "weights", "split": "large", "every": 2})]
    direct = evaluation.domain_rollout(model, large, every=2)
    np.testing.assert_allclose(result["mae"], direct["mae"])
    np.testing.assert_allclose(result["nn"], direct["nn"])
    evaluation.cached_domain_rollout(ws, "large", 10)  # more than the frames: every one
    assert ws.keys[-1][1]["every"] == 1


def test_phase_diagram_from_an_evaluation_dict():
    # NN: separated, homogeneous, separated, not finite, diverged (contrast 3 > 1.5)
    contrast_nn = np.array([[0.1, 0.2], [0.1, 0.01], [0.1, 0.3], [0.1, np.nan], [0.1, 3.0]])
    contrast_pf = np.array([[0.1, 0.2], [0.1, 0.02], [0.1, 0.01], [0.1, 0.3], [0.1, 0.9]])
    results = {
        "nn/contrast": contrast_nn,
        "pf/contrast": contrast_pf,
        "phi_mean": np.full(5, 0.5),
        "eta": np.linspace(0, 0.01, 5),
    }
    diagram = evaluation.phase_diagram_from_results(results, frame=1)
    assert diagram.counts == {
        "both_separated": 1,
        "both_homogeneous": 1,
        "nn_separated_only": 1,
        "nn_homogeneous_only": 0,
        "nn_diverged": 2,  # a diverged field is neither separated nor homogeneous
    }
    assert diagram.accuracy == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="frame must be in"):
        evaluation.phase_diagram_from_results(results, frame=2)


def test_an_evaluation_of_another_schema_version_is_refused_with_the_remedy(tmp_path, evaluated):
    path, key = evaluated
    old = tmp_path / "old.h5"
    old.write_bytes(path.read_bytes())
    with h5py.File(old, "a") as f:
        f[key].attrs["schema_version"] = 1
    with pytest.raises(ValueError, match="schema version 1.*run the same evaluation again"):
        evaluation.read_evaluation(old, key)
    assert "nn/paper_total" in evaluation.read_evaluation(path, key)
