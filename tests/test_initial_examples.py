"""The illustration helpers of spinodal.physics.initial: example states and wrap jumps."""

import numpy as np
import pytest

from spinodal.physics.initial import example_states, initial_state, wrap_jumps
from spinodal.presets import InitialState


def test_example_states_share_their_gradients():
    config = InitialState()
    states = example_states((32, 32), [(0.5, 0.1), (0.3, -0.2)], 3, config)
    assert states.shape == (2, 32, 32)
    one = initial_state((32, 32), 0.5, 0.1, np.random.default_rng(3), config)
    assert np.array_equal(states[0], one)
    # same pattern: the second is an affine image of the first
    assert np.allclose(states[1] - 0.3, -2 * (states[0] - 0.5))


def test_wrap_jumps_see_a_seam_only_in_a_non_periodic_field():
    x = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    periodic = np.sin(x)[:, None] * np.ones(8)
    seam, inner = wrap_jumps(periodic)
    assert seam <= inner * (1 + 1e-12)
    ramp = np.linspace(0, 1, 64)[:, None] * np.ones(8)
    seam, inner = wrap_jumps(ramp)
    assert seam == pytest.approx(1.0) and inner == pytest.approx(1 / 63)
    with pytest.raises(ValueError, match="H >= 2"):
        wrap_jumps(np.zeros((1, 4)))
