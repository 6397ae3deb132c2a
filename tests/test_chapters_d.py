"""Library pieces of the domain-size and phase-diagram chapters (Figs. 7, 8)."""

import numpy as np
import pytest

from spinodal.analysis import evaluation
from spinodal.io.datasets import generate_split, open_dataset
from spinodal.physics import metrics
from spinodal.surrogate.inference import rollout

pytestmark = pytest.mark.usefixtures("single_thread")


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
    np.testing.assert_allclose(result["nn_total"][:, 0], result["pf_total"][:, 0])
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
    diagram = evaluation.phase_diagram_from_evaluation(results, frame=1)
    assert diagram.counts == {
        "both_separated": 1,
        "both_homogeneous": 1,
        "nn_separated_only": 1,
        "nn_homogeneous_only": 0,
        "nn_diverged": 2,  # a diverged field is neither separated nor homogeneous
    }
    assert diagram.accuracy == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="frame must be in"):
        evaluation.phase_diagram_from_evaluation(results, frame=2)
    with pytest.raises(ValueError, match="group key"):
        evaluation.phase_diagram_from_evaluation("results.h5")
