"""The trajectory driver and its trackers (spinodal.analysis.trajectories)."""

import io
import logging

import numpy as np
import pytest
from tqdm import tqdm

from spinodal.analysis import trajectories as tr
from spinodal.physics.solver import PhaseFieldModel


def _frames(B=3, T=4, N=8, seed=0):
    rng = np.random.default_rng(seed)
    return (0.5 + 0.1 * rng.standard_normal((T + 1, B, N, N))).astype(np.float32)


def test_walk_shows_frame_zero_as_both_then_each_pair_in_order():
    truth = _frames()
    candidate = truth + 0.01
    seen = []
    tr.walk(
        truth[0],
        iter(candidate[1:]),
        lambda t: truth[t],
        [lambda t, c, r: seen.append((t, float(c.mean() - r.mean())))],
    )
    assert [t for t, _ in seen] == [0, 1, 2, 3, 4]
    assert seen[0][1] == 0.0  # φ₀ against itself
    assert all(d == pytest.approx(0.01, abs=1e-6) for _, d in seen[1:])


def test_measures_write_the_rows_of_the_batch_and_mae_is_the_offset():
    truth = _frames()
    out = {name: np.full((5, 5), np.nan) for name in ("mae", "paper_total", "interface")}
    measure = tr.single_measures(np.full(3, 0.006), PhaseFieldModel(), ("paper_total", "interface"))
    tr.walk(
        truth[0],
        iter(truth[1:] + 0.02),
        lambda t: truth[t],
        [tr.Measures(out, slice(1, 4), measure)],
    )
    assert np.isnan(out["mae"][[0, 4]]).all()  # other batches' rows untouched
    np.testing.assert_allclose(out["mae"][1:4, 1:], 0.02, atol=1e-6)
    assert (out["mae"][1:4, 0] == 0).all()
    energies = PhaseFieldModel().free_energy(truth[2] + 0.02, np.full(3, 0.006, np.float32))
    np.testing.assert_allclose(out["paper_total"][1:4, 2], energies["paper_total"], rtol=1e-6)


def test_paired_measures_name_both_sides_and_the_interface_error():
    truth = _frames(B=2)
    measure = tr.paired_measures(np.zeros(2), PhaseFieldModel(), ("interface", "contrast"))
    values = measure(truth[1], truth[1])
    assert set(values) == {
        "mae",
        "nn/interface",
        "pf/interface",
        "nn/contrast",
        "pf/contrast",
        "interface_error",
    }
    np.testing.assert_array_equal(values["interface_error"], 0.0)
    no_interface = tr.paired_measures(np.zeros(2), PhaseFieldModel(), ("contrast",))(
        truth[1], truth[2]
    )
    assert "interface_error" not in no_interface


def test_field_measures_keep_the_order_asked_and_refuse_unknown_names():
    phi = _frames(B=2, N=16)[0]
    assert list(
        tr.field_measures(phi, np.zeros(2), PhaseFieldModel(), ("contrast", "paper_total"))
    ) == ["contrast", "paper_total"]
    assert list(tr.field_measures(phi, np.zeros(2), PhaseFieldModel())) == list(tr.FIELD_MEASURES)
    with pytest.raises(ValueError, match="unknown measure"):
        tr.field_measures(phi, np.zeros(2), PhaseFieldModel(), ("total",))


def test_frame_store_keeps_only_the_chosen_frames_and_fields():
    truth = _frames(B=3, T=4)
    kept = {side: np.zeros((2, 2, 8, 8), np.float32) for side in ("nn", "pf")}
    select = np.array([True, False, True])
    tr.walk(
        truth[0],
        iter(truth[1:] * 2),
        lambda t: truth[t],
        [tr.FrameStore(kept, slice(None), [0, 3], select=select)],
    )
    np.testing.assert_array_equal(kept["pf"][:, 1], truth[3][select])
    np.testing.assert_array_equal(kept["nn"][:, 1], 2 * truth[3][select])
    np.testing.assert_array_equal(kept["nn"][:, 0], truth[0][select])


def test_progress_counts_every_frame_of_every_field():
    truth = _frames(B=3, T=4)
    with tqdm(total=15, file=io.StringIO()) as bar:
        tr.walk(truth[0], iter(truth[1:]), lambda t: truth[t], [tr.Progress(bar, 3)])
        assert bar.n == 15


def test_non_finite_candidates_are_named_once(caplog):
    truth = _frames(B=3, T=4)
    candidate = truth[1:].copy()
    candidate[1:, 2] = np.nan  # sequence 2 from frame 2 on
    with caplog.at_level(logging.WARNING):
        tr.walk(
            truth[0],
            iter(candidate),
            lambda t: truth[t],
            [tr.NonFiniteWarning(np.array([7, 8, 9]))],
        )
    warnings = [r.getMessage() for r in caplog.records if "no longer finite" in r.getMessage()]
    assert warnings == ["the CRNN rollout of sequence(s) [9] is no longer finite at frame 2"]
