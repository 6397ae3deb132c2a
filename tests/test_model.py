"""The CRNN (Sec. 2.3): size, gradients, shapes, exact conservation, periodicity, the loss of
Eqs. 11-12, learning one sequence, checkpoints."""

import json
import pathlib

import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel
from spinodal.physics.initial import initial_state
from spinodal.presets import LossWeights, ModelConfig
from spinodal.surrogate.checkpoint import CARD_FILE, MODEL_FILE, load_model, save_checkpoint
from spinodal.surrogate.losses import mean_free_energy, sequence_loss
from spinodal.surrogate.model import CRNN, count_parameters


def expected_parameters(config: ModelConfig) -> int:
    """The architecture's count: each convGRU cell has three gates (k×k conv from input +
    hidden channels to C, then 1×1 conv C→C, both with bias); the head is two 1×1 convs C→C
    and a 3×3 conv C→outputs, with a bias only for ``direct`` (∇² and ∇· annihilate a
    uniform μ̃ or J, so a bias there would be unobservable)."""
    C, k = config.hidden_channels, config.kernel_size
    outputs = {"mu": 1, "flux": 2, "direct": 1, "solver": 1}[config.output]
    total = 0
    for i in range(config.n_cells):
        inputs = 2 if i == 0 else C  # (φ, η) for the first cell
        total += 3 * ((inputs + C) * C * k * k + C + C * C + C)
    final_bias = outputs if config.output == "direct" else 0
    return total + 2 * (C * C + C) + 9 * C * outputs + final_bias


def sample(batch=2, frames=3, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    phi = 0.5 + 0.1 * torch.randn(batch, frames + 1, size, size, generator=generator)
    eta = torch.linspace(0.0, 0.012, batch)
    return phi, eta


def test_parameter_count_matches_the_architecture_and_the_paper():
    """Paper: "≈ 150000" parameters for 2 cells × 24 channels × 5×5 kernels; exactly 138,360."""
    assert count_parameters(CRNN()) == expected_parameters(ModelConfig()) == 138_360
    for config in (
        ModelConfig(hidden_channels=8, kernel_size=3),
        ModelConfig(n_cells=3, output="flux"),
        ModelConfig(hidden_channels=5, n_cells=1, output="direct"),
        ModelConfig(hidden_channels=6, output="solver"),
    ):
        assert count_parameters(CRNN(config)) == expected_parameters(config)


@pytest.mark.parametrize("output", ["mu", "flux", "direct", "solver"])
def test_every_parameter_gets_a_gradient(output):
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=4, output=output))
    if output == "solver":  # its last convolution starts at zero (the coarse solver): move it
        torch.nn.init.normal_(model.head[-1].weight, std=0.1)
    phi, eta = sample()
    predicted = model(phi, eta, n_input=1)
    loss, _ = sequence_loss(predicted, phi[:, 1:], eta)
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name} gets no gradient"
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, f"{name} has a zero gradient"


def test_output_shapes_for_each_warm_up():
    model = CRNN(ModelConfig(hidden_channels=4))
    phi, eta = sample(batch=3, frames=5)
    with torch.no_grad():
        assert model(phi, eta, n_input=1).shape == (3, 5, 16, 16)
        assert model(phi, eta, n_input=3).shape == (3, 3, 16, 16)
        assert model(phi, eta, n_input=5).shape == (3, 1, 16, 16)  # only the last frame
        assert model(phi[:, :1], eta, n_frames=7).shape == (3, 7, 16, 16)  # free rollout
    with pytest.raises(ValueError, match="n_input"):
        model(phi, eta, n_input=0)


def test_teacher_forcing_reads_the_true_frames():
    """With n_input = T the last prediction is one step from the true φ_{T-1}, with the hidden
    state built from the true frames: changing an earlier predicted frame cannot matter."""
    model = CRNN(ModelConfig(hidden_channels=4))
    phi, eta = sample(frames=4)
    with torch.no_grad():
        last = model(phi, eta, n_input=4)[:, 0]
        hidden = model.initial_hidden(phi[:, 0])
        for t in range(4):
            current, hidden = model.step(phi[:, t], hidden, eta)
    torch.testing.assert_close(last, current, rtol=0, atol=0)


@pytest.mark.parametrize("output", ["mu", "flux", "solver"])
def test_conservative_outputs_conserve_the_mean_exactly(output):
    """φ_{t+τ} = φ_t + ∇²μ̃ (or - ∇·J) with periodic stencils: the mean of φ stays put over a
    300-frame rollout of an untrained network, to float32 round-off."""
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=8, output=output))
    phi, eta = sample(batch=2, frames=0, size=32)
    with torch.no_grad():
        frames = model(phi, eta, n_frames=300)
    assert torch.isfinite(frames).all()
    assert (frames[:, -1] - phi[:, 0]).abs().max() > 1e-2  # the rollout does move
    drift = (frames.double().mean(dim=(-2, -1)) - phi[:, :1].double().mean(dim=(-2, -1))).abs()
    assert drift.max() < 1e-6


def test_a_fresh_solver_output_network_is_the_solver_at_one_step_per_frame():
    """μ̃ = 0 at the start (zero last convolution): each frame is one step of Eq. 8 with
    δt = τ, the per-sample misfit entering through the implicit elastic term."""
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=4, output="solver"))
    phi, eta = sample(batch=3, frames=0, size=32)
    with torch.no_grad():
        frames = model(phi, eta, n_frames=20)
    coarse = PhaseFieldModel(dt=1.0).evolve(phi[:, 0], eta, 20, steps_per_frame=1)
    torch.testing.assert_close(frames, coarse[:, 1:], rtol=0, atol=2e-5)
    assert (coarse[:, -1] - coarse[:, 0]).abs().max() > 0.1  # the fields do separate


def test_the_solver_output_refuses_a_second_implicit_filter():
    with pytest.raises(ValueError, match="implicit_damping must be 0"):
        ModelConfig(output="solver", implicit_damping=5.0)


def test_the_direct_output_does_not_conserve_mass():
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=8, output="direct"))
    phi, eta = sample(batch=2, frames=0, size=32)
    with torch.no_grad():
        frames = model(phi, eta, n_frames=50)
    drift = (frames.double().mean(dim=(-2, -1)) - phi[:, :1].double().mean(dim=(-2, -1))).abs()
    assert drift.max() > 1e-3


def test_fully_convolutional_and_periodic():
    """The same weights run on 32² and 48² (and 32 × 48); a 2 × 2 tiling of a 32² field is
    predicted as the tiling of its prediction: circular padding, no size-dependent layer."""
    model = CRNN(ModelConfig(hidden_channels=6))
    eta = torch.tensor([0.006])
    with torch.no_grad():
        for shape in ((32, 32), (48, 48), (32, 48)):
            phi = 0.5 + 0.1 * torch.randn(1, 1, *shape)
            assert model(phi, eta, n_frames=2).shape == (1, 2, *shape)
        small = 0.5 + 0.1 * torch.randn(1, 1, 32, 32)
        tiled = small.repeat(1, 1, 2, 2)
        torch.testing.assert_close(
            model(tiled, eta, n_frames=3),
            model(small, eta, n_frames=3).repeat(1, 1, 2, 2),
            rtol=0,
            atol=1e-5,
        )


def test_a_circular_shift_of_the_input_shifts_the_output():
    model = CRNN(ModelConfig(hidden_channels=6))
    phi, eta = sample(batch=2, frames=0, size=24)
    shift = (5, -7)
    with torch.no_grad():
        out = model(phi, eta, n_frames=3)
        shifted = model(torch.roll(phi, shift, dims=(-2, -1)), eta, n_frames=3)
    torch.testing.assert_close(shifted, torch.roll(out, shift, dims=(-2, -1)), rtol=0, atol=1e-5)


def test_eta_conditions_the_prediction():
    model = CRNN(ModelConfig(hidden_channels=4))
    phi, _ = sample(batch=1, frames=0)
    with torch.no_grad():
        a = model(phi, torch.tensor([0.0]), n_frames=1)
        b = model(phi, torch.tensor([0.012]), n_frames=1)
    assert (a - b).abs().max() > 1e-6


@pytest.mark.parametrize(
    "weights",
    [LossWeights(), LossWeights(1, 0, 0), LossWeights(0, 1, 0), LossWeights(0, 0, 1)],
    ids=["paper", "phi", "grad", "free_energy"],
)
def test_each_loss_term_vanishes_for_identical_sequences_only(weights):
    phi, eta = sample()
    total, terms = sequence_loss(phi, phi.clone(), eta, weights=weights)
    assert float(total) == 0 and all(float(v) == 0 for v in terms.values())
    generator = torch.Generator().manual_seed(1)
    other = phi + 0.05 * torch.randn(phi.shape, generator=generator)
    total, terms = sequence_loss(other, phi, eta, weights=weights)
    assert float(total) > 0
    if weights == LossWeights():
        assert all(float(v) > 0 for v in terms.values())
        expected = terms["phi"] + 60 * terms["grad"] + 150 * terms["free_energy"]
        torch.testing.assert_close(total, expected)
    for name, weight in zip(
        ("phi", "grad", "free_energy"),
        (weights.phi, weights.grad, weights.free_energy),
        strict=True,
    ):
        if weight:
            assert float(terms[name]) > 0


def test_loss_rejects_mismatched_shapes():
    phi, eta = sample()
    with pytest.raises(ValueError, match="differ"):
        sequence_loss(phi[:, 1:], phi, eta)


def test_free_energy_term_uses_the_solvers_physics():
    """L_f's ⟨f⟩ is the solver's PhaseFieldModel.free_energy()["paper_total"], to float64 precision,
    and 2A c²(1 - c)² for a uniform field (no interface, no elastic energy)."""
    physics = PhaseFieldModel()
    generator = torch.Generator().manual_seed(0)
    phi = 0.5 + 0.2 * torch.randn(3, 4, 16, 16, generator=generator, dtype=torch.float64)
    eta = torch.tensor([0.0, 0.006, 0.012], dtype=torch.float64)
    ours = mean_free_energy(phi, eta, physics)
    solver = physics.free_energy(phi, eta[:, None])["paper_total"]
    torch.testing.assert_close(ours, solver, rtol=1e-14, atol=0)
    c = 0.3
    uniform = torch.full((3, 1, 8, 8), c, dtype=torch.float64)
    expected = 2 * physics.well_height * c**2 * (1 - c) ** 2
    torch.testing.assert_close(
        mean_free_energy(uniform, eta, physics), torch.full((3, 1), expected, dtype=torch.float64)
    )


@pytest.mark.usefixtures("single_thread")
def test_a_small_model_overfits_one_sequence():
    """Hidden 8, one 32² sequence of 4 frames from the solver, Adam lr 3e-3, 150 iterations:
    the loss falls more than tenfold (measured: 8.8e-3 → 1.8e-4, about 10 s on one core),
    below a tenth of the loss of predicting "nothing moves" (φ_t = φ_0)."""
    phi0 = initial_state((32, 32), 0.5, 0.1, np.random.default_rng(0))
    true = torch.tensor(PhaseFieldModel().evolve(phi0, 0.006, 4))[None]
    eta = torch.tensor([0.006])
    persistence, _ = sequence_loss(true[:, :1].expand(-1, 4, -1, -1), true[:, 1:], eta)
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=8))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        loss, _ = sequence_loss(model(true, eta, n_input=1), true[:, 1:], eta)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert min(losses[-10:]) < losses[0] / 10
    assert min(losses[-10:]) < persistence.item() / 10


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = CRNN(ModelConfig(hidden_channels=4, output="flux"))
    save_checkpoint(tmp_path / "ckpt", model, {"note": "test", "epochs": 3})
    loaded = load_model(tmp_path / "ckpt")
    assert not loaded.training and loaded.config == model.config
    assert loaded.card["note"] == "test" and loaded.card["model_config"] == model.config.to_dict()
    phi, eta = sample()
    with torch.no_grad():
        torch.testing.assert_close(loaded(phi, eta), model(phi, eta), rtol=0, atol=0)
    assert not list((tmp_path / "ckpt").glob("*.tmp"))


def test_loading_into_a_mismatched_architecture_is_a_clear_error(tmp_path):
    save_checkpoint(tmp_path, CRNN(ModelConfig(hidden_channels=4)), {})
    card = json.loads((tmp_path / CARD_FILE).read_text())
    card["model_config"]["hidden_channels"] = 6
    (tmp_path / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ValueError, match="do not fit the architecture"):
        load_model(tmp_path)


def test_missing_or_broken_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a checkpoint folder"):
        load_model(tmp_path)
    save_checkpoint(tmp_path, CRNN(ModelConfig(hidden_channels=4)), {})
    (tmp_path / CARD_FILE).write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(tmp_path)


class _Payload:
    """Pickles into a call that creates a file: what a malicious model.pt could run."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_weights_are_loaded_as_data_never_as_code(tmp_path):
    save_checkpoint(tmp_path, CRNN(ModelConfig(hidden_channels=4)), {})
    marker = tmp_path / "code-ran"
    torch.save({"payload": _Payload(marker)}, tmp_path / MODEL_FILE)
    with pytest.raises(ValueError, match="never loads"):
        load_model(tmp_path)
    assert not marker.exists()


def test_gradient_squared_of_a_plane_wave_is_the_central_difference_formula():
    """L_∇ uses periodic central differences: for φ = sin(2π k x / N) it gives exactly
    (sin(2π k / N) cos(2π k x / N))², which tends to the continuum (2π k / N)² cos²(...) for
    long waves and vanishes at the grid's Nyquist wave (a checkerboard has no central slope)."""
    from spinodal.surrogate.losses import gradient_squared

    N = 32
    x = torch.arange(N, dtype=torch.float64)
    for k in (1, 3, 8):
        phase = 2 * np.pi * k * x / N
        phi = torch.sin(phase)[None, :].expand(N, N)
        expected = (np.sin(2 * np.pi * k / N) * torch.cos(phase)) ** 2
        torch.testing.assert_close(gradient_squared(phi), expected[None, :].expand(N, N))
        along_y = gradient_squared(phi.T.contiguous())
        torch.testing.assert_close(along_y, expected[:, None].expand(N, N))
    nyquist = torch.cos(np.pi * x)[None, :].expand(N, N)
    assert float(gradient_squared(nyquist).abs().max()) < 1e-24
