"""Pinned results: a solver trajectory and a shipped network's rollout, compared with committed
arrays, so that a refactoring that changes any number fails here.

The references are in ``tests/regression/``. After a change that is *meant* to change the
numbers, regenerate them with ``SPINODAL_REGENERATE=1 pytest tests/test_regression.py`` and say
why in the commit. Tolerances allow for another CPU or FFT library, not for a change of method.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel
from spinodal.physics.initial import initial_state
from spinodal.surrogate.checkpoint import load_model
from spinodal.surrogate.inference import rollout

pytestmark = pytest.mark.usefixtures("single_thread")

HERE = Path(__file__).parent / "regression"
ROOT = Path(__file__).parents[1]
#: A stage of the shipped model whose folder never changes once trained.
PINNED_MODEL = ROOT / "data" / "models" / "crnn-small" / "stages" / "3-implicit50"


def _initial(size: int, phi_mean: float, seed: int) -> np.ndarray:
    return initial_state((size, size), phi_mean, 0.1, np.random.default_rng(seed))


def _check(name: str, values: np.ndarray, atol: float) -> None:
    path = HERE / f"{name}.npy"
    if os.environ.get("SPINODAL_REGENERATE"):
        HERE.mkdir(exist_ok=True)
        np.save(path, values)
    reference = np.load(path)
    assert values.shape == reference.shape and values.dtype == reference.dtype
    np.testing.assert_allclose(values, reference, rtol=0, atol=atol)


def test_solver_trajectory_is_pinned():
    """5τ (500 steps) of two 32² fields in float64, with and without misfit, and the energies."""
    phi0 = np.stack([_initial(32, 0.5, 0), _initial(32, 0.4, 1)])
    pf = PhaseFieldModel()
    phi = pf.evolve(phi0, [0.0, 0.009], 5, dtype="float64")
    _check("solver-trajectory", phi, atol=1e-9)
    energies = pf.free_energy(phi[:, -1], np.array([0.0, 0.009]))
    _check(
        "solver-energies",
        np.stack([energies[k] for k in sorted(energies)]),
        atol=1e-9,
    )


@pytest.mark.skipif(not PINNED_MODEL.is_dir(), reason="the shipped model is not in this checkout")
def test_shipped_network_rollout_is_pinned():
    """5 frames of the pinned stage on two 64² Perlin states at η = 0.3 % and 0.9 %."""
    torch.manual_seed(0)
    net = load_model(PINNED_MODEL)
    phi0 = np.stack([_initial(64, 0.5, 2), _initial(64, 0.35, 3)]).astype(np.float32)
    frames = rollout(net, phi0, [0.003, 0.009], 5)
    _check("network-rollout", frames, atol=2e-5)
