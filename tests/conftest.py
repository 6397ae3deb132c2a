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
    from spinodal.presets import ModelConfig
    from spinodal.surrogate.model import CRNN

    torch.manual_seed(0)
    return CRNN(ModelConfig(hidden_channels=4)).eval()


@pytest.fixture(scope="session")
def tiny_test_split(tmp_path_factory):
    """The tiny preset's test split (4 sequences × 21 frames of 32²), made once per session;
    read it, never write to it."""
    from spinodal.io.datasets import generate_split

    path = tmp_path_factory.mktemp("tiny-data") / "test.h5"
    return generate_split("tiny", "test", path, progress=False, device="cpu")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A checkpoint folder of an untrained 4-channel CRNN (seed 0, the ``model`` fixture's
    weights) with a card naming the tiny preset, made once per session; read it only."""
    from spinodal.presets import ModelConfig
    from spinodal.surrogate.checkpoint import save_checkpoint
    from spinodal.surrogate.model import CRNN

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = CRNN(ModelConfig(hidden_channels=4)).eval()
    return save_checkpoint(
        tmp_path_factory.mktemp("tiny-models") / "tiny-crnn", net, {"preset": "tiny"}
    )
