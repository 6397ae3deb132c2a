"""Shared fixtures."""

from __future__ import annotations

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
    from spinodal.surrogate.model import CRNN, ModelConfig

    torch.manual_seed(0)
    return CRNN(ModelConfig(hidden_channels=4)).eval()
