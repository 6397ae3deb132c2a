"""Stability of the learned map: gain per wavenumber against the solver, and error spectra.

A surrogate rolled out far past its training window stays physical only if it damps what the
physics damps. The phase field annihilates every short-wavelength mode within one τ (the
discrete amplification factor of Eq. 8 over 100 steps is about 1e-8 or less for wavelengths ≤ 4 grid
spacings), so a learned map whose gain there is near 1 lets round-off and ringing grow into a
grid-scale blow-up. This module measures that directly:

:func:`mode_gain`         per-τ gain of small Fourier modes added to uniform states, the CRNN
                          and the solver's linear theory side by side (Eq. 8 per step, to the
                          power of the steps in one τ)
:func:`trajectory_gain`   per-τ gain (n-th root of the n-step gain) of a small perturbation of
                          a state on a real trajectory, with the CRNN's hidden state warmed on
                          the frames before it; the solver measured the same way
:func:`radial_spectrum`   shell-averaged power |φ̂(k)|² over |k| (cycles per grid spacing)
:func:`grid_scale_fraction` fraction of the power (mean removed) at wavelengths ≤ 4 spacings
:func:`check_rollouts`    long free rollouts watched frame by frame: divergence, mass drift,
                          grid-scale power, MAE against the truth and the no-change forecast
                          (``spinodal stability``)
:func:`probed_model_dirs` the networks chapter 03 probes: the model and an earlier stage of
                          its training with another output filter
:func:`cached_mode_gains`, :func:`cached_trajectory_gains`, :func:`cached_rollout_checks`,
:func:`cached_mass_drifts`
                          the above (and the mass drift) for several networks, cached in a
                          workspace under the names and keys the book's chapters use

Wavelengths and wavenumbers are in grid spacings; times in τ (one CRNN step, 100 solver steps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..physics.initial import initial_state
from ..physics.metrics import has_diverged, mass_drift
from ..physics.solver import PhaseFieldModel
from ..presets import ModelConfig
from ..surrogate.checkpoint import load_model, read_card, training_stages
from ..surrogate.inference import rollout
from ..surrogate.model import CRNN

__all__ = [
    "GRID_SCALE_WAVELENGTH",
    "ModeGain",
    "mode_gain",
    "trajectory_gain",
    "radial_spectrum",
    "grid_scale_fraction",
    "RolloutCheck",
    "check_rollouts",
    "fresh_initial_states",
    "TRAJECTORY_GAIN_FRAMES",
    "probed_model_dirs",
    "cached_mode_gains",
    "cached_trajectory_gains",
    "cached_rollout_checks",
    "cached_mass_drifts",
]

GRID_SCALE_WAVELENGTH = 4.0
"""Wavelengths at or below this many grid spacings are "grid scale": the solver damps them by
more than 1e-8 per τ, and a learned map must not let them grow."""


@dataclass(frozen=True)
class ModeGain:
    """Per-τ gains of Fourier modes along x about uniform states.

    Attributes:
        wavelength: [K] wavelengths of the modes, grid spacings.
        phi_mean, eta: [C] the uniform states and misfits (fractions).
        network: [C, K] the CRNN's per-τ gain ((A_n / A_0)^(1/n) over n frames).
        theory: [C, K] the solver's per-τ factor g(q)^(steps per τ) of Eq. 8 (signed: a
            negative value is an oscillating mode; its magnitude is the gain).
    """

    wavelength: np.ndarray
    phi_mean: np.ndarray
    eta: np.ndarray
    network: np.ndarray
    theory: np.ndarray

    def grid_scale(self) -> np.ndarray:
        """[C, K'] the network's gains at wavelengths ≤ :data:`GRID_SCALE_WAVELENGTH`."""
        return self.network[:, self.wavelength <= GRID_SCALE_WAVELENGTH]


def mode_gain(
    net: CRNN,
    phi_mean,
    eta,
    *,
    size: int = 64,
    n_frames: int = 10,
    amplitude: float = 1e-3,
    physics: PhaseFieldModel | None = None,
    steps_per_tau: int = 100,
) -> ModeGain:
    """Linear response of the CRNN to each Fourier mode cos(2π k x / N), k = 1..N/2, added to
    the uniform states ``phi_mean`` [C] with misfits ``eta`` [C].

    Each perturbed state is rolled out ``n_frames`` τ from a zero hidden state next to the
    unperturbed one; the gain per τ is (|a_n| / |a_0|)^(1/n), a_t the mode's Fourier
    coefficient of the difference. A uniform state stays uniform under the network (its
    convolutions are periodic), so the difference is the response to the mode alone. In
    float32 a gain is resolved down to about (1e-7 / ``amplitude``)^(1/n); below, it reads 0.
    """
    physics = physics or PhaseFieldModel()
    phi_mean = np.atleast_1d(np.asarray(phi_mean, float))
    eta = np.atleast_1d(np.asarray(eta, float))
    if phi_mean.shape != eta.shape:
        raise ValueError(f"phi_mean {phi_mean.shape} and eta {eta.shape} must match")
    if n_frames < 1 or size < 4 or size % 2:
        raise ValueError(f"need n_frames >= 1 and an even size >= 4, got {n_frames}, {size}")
    modes = np.arange(1, size // 2 + 1)
    x = np.arange(size)
    waves = np.cos(2 * np.pi * modes[:, None] * x[None, :] / size)  # [K, N]
    C, K = len(phi_mean), len(modes)
    base = np.broadcast_to(phi_mean[:, None, None, None], (C, 1, size, size))
    perturbed = base + amplitude * np.broadcast_to(waves[None, :, None, :], (C, K, size, size))
    fields = np.concatenate([base, perturbed], axis=1).reshape(-1, size, size)
    etas = np.repeat(eta, K + 1)
    final = _roll(net, fields, etas, n_frames).reshape(C, K + 1, size, size)
    diagonal = np.arange(K)

    def coefficient(difference: np.ndarray) -> np.ndarray:  # [..., K, N, N] → [..., K]
        return np.abs(np.fft.rfft(difference.mean(axis=-2), axis=-1)[..., modes])[
            ..., diagonal, diagonal
        ]

    a_n = coefficient(final[:, 1:] - final[:, :1])
    a_0 = coefficient(amplitude * np.broadcast_to(waves[:, None, :], (K, size, size)))
    network = (a_n / a_0) ** (1.0 / n_frames)
    q = 2 * np.pi * modes / size
    theory = np.stack(
        [
            np.asarray(physics.amplification_factor(q, 0 * q, m, e)) ** steps_per_tau
            for m, e in zip(phi_mean, eta, strict=True)
        ]
    )
    return ModeGain(size / modes.astype(float), phi_mean, eta, network, theory)


def trajectory_gain(
    net: CRNN,
    frames,
    eta,
    start: int,
    *,
    n_frames: int = 5,
    amplitude: float = 1e-3,
    min_wavelength: float = 2.0,
    max_wavelength: float = GRID_SCALE_WAVELENGTH,
    seed: int = 0,
    physics: PhaseFieldModel | None = None,
    steps_per_tau: int = 100,
) -> dict[str, np.ndarray]:
    """Per-τ gain of a small band-limited perturbation of trajectory states, NN and solver.

    The CRNN's hidden state is warmed by feeding it the true frames 0..``start`` of
    ``frames`` [B, T+1, H, W] (teacher forcing); then φ_start and φ_start + δ are rolled out
    ``n_frames`` τ with that hidden state, δ random with wavelengths in
    [``min_wavelength``, ``max_wavelength``] (rms ``amplitude``, mean-free). The solver rolls
    out the same pair. Gain per τ = (‖Δ_n‖ / ‖δ‖)^(1/n), ‖·‖ the rms over the field.

    Returns:
        ``network`` [B] and ``solver`` [B] per-τ gains.
    """
    physics = physics or PhaseFieldModel()
    frames = np.asarray(frames, np.float32)
    if frames.ndim != 4 or not 0 <= start < frames.shape[1]:
        raise ValueError(f"frames must be [B, T+1, H, W] with start < T+1, got {frames.shape}")
    B, _, H, W = frames.shape
    eta = np.broadcast_to(np.asarray(eta, np.float64), (B,))
    delta = _band_noise((B, H, W), min_wavelength, max_wavelength, amplitude, seed)
    state = frames[:, start]
    parameter = next(net.parameters())
    with torch.inference_mode():
        hidden = net.initial_hidden(torch.as_tensor(state, device=parameter.device))
        eta_t = torch.tensor(eta, dtype=parameter.dtype, device=parameter.device)
        for t in range(start):
            phi_t = torch.as_tensor(frames[:, t], device=parameter.device)
            _, hidden = net.step(phi_t, hidden, eta_t)
        pair = torch.as_tensor(np.concatenate([state, state + delta]), device=parameter.device)
        hidden = [torch.cat([h, h]) for h in hidden]
        eta_pair = torch.cat([eta_t, eta_t])
        for _ in range(n_frames):
            pair, hidden = net.step(pair, hidden, eta_pair)
        nn_final = pair.float().cpu().numpy()
    pf = physics.evolve(
        np.concatenate([state, state + delta]),
        np.concatenate([eta, eta]),
        n_frames,
        steps_per_frame=steps_per_tau,
        dtype="float64",
    )[:, -1]
    size = np.sqrt((delta**2).mean(axis=(-2, -1)))

    def gain(final: np.ndarray) -> np.ndarray:
        difference = final[B:] - final[:B]
        return (np.sqrt((difference**2).mean(axis=(-2, -1))) / size) ** (1.0 / n_frames)

    return {"network": gain(nn_final), "solver": gain(np.asarray(pf))}


def radial_spectrum(phi) -> tuple[np.ndarray, np.ndarray]:
    """Shell-averaged power spectrum of fields [..., N, N] (mean removed).

    Returns:
        (k, power): shell centres k = 1/N, 2/N, ..., 1/2 in cycles per grid spacing [N/2],
        and the mean |φ̂|² / N⁴ over each shell |k| ∈ [k - 1/(2N), k + 1/(2N)) [..., N/2].
    """
    phi = np.asarray(phi, np.float64)
    N = phi.shape[-1]
    if phi.ndim < 2 or phi.shape[-2] != N:
        raise ValueError(f"fields must be square [..., N, N], got {phi.shape}")
    spectrum = np.abs(np.fft.fft2(phi - phi.mean(axis=(-2, -1), keepdims=True))) ** 2 / N**4
    k = np.fft.fftfreq(N)
    shell = np.rint(np.hypot(k[:, None], k[None, :]) * N).astype(int)  # [N, N]
    n_shells = N // 2
    flat = spectrum.reshape(*spectrum.shape[:-2], -1)
    index = shell.ravel()
    keep = (index >= 1) & (index <= n_shells)
    counts = np.bincount(index[keep], minlength=n_shells + 1)[1:]
    sums = np.zeros((*flat.shape[:-1], n_shells + 1))
    np.add.at(sums, (..., index[keep]), flat[..., keep])
    return np.arange(1, n_shells + 1) / N, sums[..., 1:] / counts


def grid_scale_fraction(phi) -> np.ndarray:
    """Fraction of the power of fields [..., N, N] (mean removed) at wavelengths ≤
    :data:`GRID_SCALE_WAVELENGTH` grid spacings, i.e. |k| ≥ 1/4 cycles per spacing; [...].
    Physical fields hold about 1e-3 or less there; NaN for a uniform field."""
    phi = np.asarray(phi, np.float64)
    N = phi.shape[-1]
    power = np.abs(np.fft.fft2(phi - phi.mean(axis=(-2, -1), keepdims=True))) ** 2
    k = np.fft.fftfreq(N)
    high = np.hypot(k[:, None], k[None, :]) >= 1 / GRID_SCALE_WAVELENGTH
    total = power.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, power[..., high].sum(axis=-1) / total, np.nan)


def _roll(net: CRNN, fields: np.ndarray, eta: np.ndarray, n_frames: int) -> np.ndarray:
    """The CRNN's frame ``n_frames`` from ``fields`` [B, H, W] (zero hidden state), float64."""
    parameter = next(net.parameters())
    with torch.inference_mode():
        phi = torch.as_tensor(fields, dtype=parameter.dtype, device=parameter.device)
        eta_t = torch.tensor(eta, dtype=parameter.dtype, device=parameter.device)
        hidden = net.initial_hidden(phi)
        for _ in range(n_frames):
            phi, hidden = net.step(phi, hidden, eta_t)
    return phi.double().cpu().numpy()


def _band_noise(
    shape: tuple[int, int, int], min_wavelength: float, max_wavelength: float, rms: float, seed
) -> np.ndarray:
    """Mean-free random fields [B, H, W] with power only at wavelengths in the band, rms
    ``rms`` each."""
    B, H, W = shape
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(shape)
    ky, kx = np.fft.fftfreq(H)[:, None], np.fft.fftfreq(W)[None, :]
    k = np.hypot(kx, ky)
    band = (k >= 1 / max_wavelength) & (k <= 1 / min_wavelength)
    noise = np.fft.ifft2(np.fft.fft2(white) * band).real
    noise -= noise.mean(axis=(-2, -1), keepdims=True)
    noise *= rms / np.sqrt((noise**2).mean(axis=(-2, -1), keepdims=True))
    return noise.astype(np.float32)


@dataclass(frozen=True)
class RolloutCheck:
    """What a long free rollout of a batch did (see :func:`check_rollouts`).

    Attributes:
        n_sequences, n_frames, size: the batch (frames τ apart).
        diverged_at: [S] first time (τ) each rollout left the physical range, -1 if never.
        mass_drift: [S] max_t |⟨φ_t⟩ - ⟨φ_0⟩|.
        grid_fraction: [S] power fraction at wavelengths ≤ 4 of the last frame.
        mae, persistence: time (τ) → [S] MAE of the network, and of the no-change forecast
            φ_t = φ_0, against the truth (only the times the truth covers).
    """

    n_sequences: int
    n_frames: int
    size: int
    diverged_at: np.ndarray
    mass_drift: np.ndarray
    grid_fraction: np.ndarray
    mae: dict[int, np.ndarray]
    persistence: dict[int, np.ndarray]

    @property
    def n_diverged(self) -> int:
        return int((self.diverged_at >= 0).sum())

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Everything as arrays (for caches): ``times`` [K] and ``mae``, ``persistence``
        [S, K] at those times, ``diverged_at``, ``mass_drift``, ``grid_fraction`` [S]."""
        times = sorted(self.mae)
        empty = np.empty((self.n_sequences, 0))
        return {
            "times": np.asarray(times, dtype=np.int64),
            "mae": np.stack([self.mae[t] for t in times], axis=1) if times else empty,
            "persistence": (
                np.stack([self.persistence[t] for t in times], axis=1) if times else empty
            ),
            "diverged_at": self.diverged_at,
            "mass_drift": self.mass_drift,
            "grid_fraction": self.grid_fraction,
        }


def check_rollouts(
    net: CRNN,
    phi0,
    eta,
    n_frames: int,
    *,
    truth=None,
    times=(10, 50, 100),
    batch_size: int = 16,
) -> RolloutCheck:
    """Roll ``net`` out ``n_frames`` τ from ``phi0`` [S, N, N] with misfits ``eta`` [S] and
    watch every frame, without keeping them: divergence
    (:func:`spinodal.physics.metrics.has_diverged`), mass drift, the grid-scale power of the last
    frame, and the MAE at ``times`` against ``truth`` [S, T+1, N, N] (frames τ apart from φ_0;
    None: no MAE) next to the no-change forecast's."""

    phi0 = np.asarray(phi0, np.float32)
    S, _, N = phi0.shape
    eta = np.broadcast_to(np.asarray(eta, np.float64), (S,))
    covered = -1 if truth is None else np.asarray(truth).shape[1] - 1
    times = [int(t) for t in times if t <= min(covered, n_frames)]
    diverged_at = np.full(S, -1)
    drift, last = np.zeros(S), np.empty_like(phi0)
    mae = {t: np.empty(S) for t in times}
    parameter = next(net.parameters())
    with torch.inference_mode():
        for start in range(0, S, batch_size):
            rows = slice(start, min(start + batch_size, S))
            phi = torch.as_tensor(phi0[rows], dtype=parameter.dtype, device=parameter.device)
            mass0 = phi.double().mean(dim=(-2, -1))
            eta_t = torch.tensor(eta[rows], dtype=parameter.dtype, device=parameter.device)
            hidden = net.initial_hidden(phi)
            for t in range(1, n_frames + 1):
                phi, hidden = net.step(phi, hidden, eta_t)
                frame = phi.float().cpu().numpy()
                gone = has_diverged(frame) & (diverged_at[rows] < 0)
                diverged_at[rows][gone] = t
                change = (phi.double().mean(dim=(-2, -1)) - mass0).abs().cpu().numpy()
                drift[rows] = np.fmax(drift[rows], change)
                if t in mae:
                    mae[t][rows] = np.abs(frame - np.asarray(truth[rows, t])).mean(axis=(-2, -1))
            last[rows] = phi.float().cpu().numpy()
    persistence = {
        t: np.abs(np.asarray(truth[:, t]) - np.asarray(truth[:, 0])).mean(axis=(-2, -1))
        for t in times
    }
    return RolloutCheck(
        S, n_frames, N, diverged_at, drift, grid_scale_fraction(last), mae, persistence
    )


def fresh_initial_states(
    count: int, size: int, seed: int, phi_mean=(0.2, 0.8), eta=(0.0, 0.012), amplitude_std=0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` initial states [count, size, size] never seen in training (Perlin noise from
    a seed outside every preset's split seeds), with ⟨φ⟩ and η drawn uniformly from the
    training ranges (Sec. 2.2) and the amplitude from N(0, amplitude_std²);
    returns (φ_0, ⟨φ⟩ [count], η [count])."""

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(999,)))
    means = rng.uniform(*phi_mean, count)
    etas = rng.uniform(*eta, count)
    fields = np.stack(
        [initial_state((size, size), m, rng.normal(0.0, amplitude_std), rng) for m in means]
    )
    return fields.astype(np.float32), means, etas


# --- the probes of the book (chapters 03 and 09), cached in a workspace ------------------------
#
# ``workspace`` below is a :class:`spinodal.pipeline.workspace.Workspace` (used through its
# ``cached``, ``model_identity`` and ``device``; not imported, the pipeline sits above this
# layer). The cache names and keys are those the chapters have always used, so that results
# cached by an earlier build are found again.

TRAJECTORY_GAIN_FRAMES = 5
"""τ over which :func:`cached_trajectory_gains` follows a perturbation (the fifth root of the
growth over 5τ is the gain per τ)."""


def probed_model_dirs(model_dir: str | Path) -> dict[str, Path]:
    """The networks whose stability chapter 03 probes: the model in ``model_dir``, and the last
    earlier stage of its training (:func:`spinodal.surrogate.checkpoint.training_stages`) with
    another output filter β (``implicit_damping``), if any, as a comparison.

    Returns:
        label → checkpoint folder, e.g. ``{"this model (β = 5)": ..., "stage s3 (β = 0)": ...}``.
    """

    beta = ModelConfig.from_dict(read_card(model_dir)["model_config"]).implicit_damping
    probed = {f"this model (β = {beta:g})": Path(model_dir)}
    before = [
        (Path(st["path"]), read_card(st["path"])["model_config"].get("implicit_damping", 0.0))
        for st in training_stages(model_dir)[:-1]
    ]
    other = [(path, b) for path, b in before if b != beta]
    if other:
        path, b = other[-1]
        probed[f"stage {path.name} (β = {b:g})"] = path
    return probed


def _per_network(
    workspace, name: str, model_dirs: Mapping[str, str | Path], compute, **key
) -> dict[str, dict]:
    """``compute(net)`` of the network of each checkpoint folder of ``model_dirs`` (label →
    folder), cached in ``workspace`` as ``name`` under ``key`` and the network's identity
    (:meth:`spinodal.pipeline.workspace.Workspace.cached`); label → result, in order."""
    return {
        label: workspace.cached(
            name,
            lambda path=path: compute(load_model(path, workspace.device)),
            model=workspace.model_identity(path),
            **key,
        )
        for label, path in model_dirs.items()
    }


def cached_mode_gains(
    workspace,
    model_dirs: Mapping[str, str | Path],
    phi_means,
    eta: float,
    *,
    size: int,
    n_frames: int,
) -> dict[str, ModeGain]:
    """:func:`mode_gain` of each network about the uniform states ``phi_means`` at one misfit
    ``eta`` (fraction) on ``size``² domains over ``n_frames`` τ, cached in ``workspace`` as
    ``mode-gain`` (chapters 03 and 09, the grid-scale gain; not in the paper).

    Returns:
        label → :class:`ModeGain`, in the order of ``model_dirs``.
    """
    phi_means = list(phi_means)
    stored = _per_network(
        workspace,
        "mode-gain",
        model_dirs,
        lambda net: asdict(
            mode_gain(net, phi_means, [eta] * len(phi_means), size=size, n_frames=n_frames)
        ),
        phi_means=phi_means,
        eta=eta,
        frames=n_frames,
        size=size,
    )
    return {label: ModeGain(**gain) for label, gain in stored.items()}


def cached_trajectory_gains(
    workspace, model_dirs: Mapping[str, str | Path], frames, eta, indices, perturbed_at: int
) -> tuple[int, dict[str, dict[str, np.ndarray]]]:
    """:func:`trajectory_gain` of each network on the states of trajectories, over
    :data:`TRAJECTORY_GAIN_FRAMES` τ, cached in ``workspace`` as ``trajectory-gain`` (chapter
    03; not in the paper).

    Args:
        frames: [B, T+1, H, W] true trajectories (e.g. the validation rollouts' ``pf``).
        eta: [B] their misfits (fractions).
        indices: [B] their sequence numbers in the dataset (the cache key).
        perturbed_at: τ of the perturbed states, moved earlier if fewer than
            :data:`TRAJECTORY_GAIN_FRAMES` τ follow it.

    Returns:
        (the τ of the perturbed states, label → ``network`` and ``solver`` gains per τ [B]).
    """
    start = min(perturbed_at, np.shape(frames)[1] - 1 - TRAJECTORY_GAIN_FRAMES)
    pairs = _per_network(
        workspace,
        "trajectory-gain",
        model_dirs,
        lambda net: trajectory_gain(
            net, frames[:, : start + 1], eta, start=start, n_frames=TRAJECTORY_GAIN_FRAMES
        ),
        indices=[int(i) for i in indices],
        start=start,
    )
    return start, pairs


def cached_rollout_checks(
    workspace, model_dirs: Mapping[str, str | Path], truth, eta
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`check_rollouts` of each network from the first frames of ``truth`` [S, T+1, N, N]
    (misfits ``eta`` [S]) over all T τ, with the MAE at every τ, cached in ``workspace`` as
    ``rollout-check`` (chapter 09, the cures of the long-rollout instability; not in the
    paper).

    Returns:
        label → :meth:`RolloutCheck.as_arrays`.
    """
    n_frames = np.shape(truth)[1] - 1
    return _per_network(
        workspace,
        "rollout-check",
        model_dirs,
        lambda net: check_rollouts(
            net, truth[:, 0], eta, n_frames, truth=truth, times=range(1, n_frames + 1)
        ).as_arrays(),
        frames=n_frames,
    )


def cached_mass_drifts(
    workspace, model_dirs: Mapping[str, str | Path], phi0, eta, n_frames: int
) -> dict[str, np.ndarray]:
    """Mass drift max_t |⟨φ_t⟩ − ⟨φ_0⟩| (:func:`spinodal.physics.metrics.mass_drift`) of each
    network's free rollouts over ``n_frames`` τ from ``phi0`` [S, N, N] with misfits ``eta``
    [S], cached in ``workspace`` as ``ablation-drift`` (chapter 09: the output layer of Eq. 10
    conserves ⟨φ⟩, the paper's Sec. 2.3).

    Returns:
        label → [S] drift (φ units).
    """
    stored = _per_network(
        workspace,
        "ablation-drift",
        model_dirs,
        lambda net: {"drift": mass_drift(rollout(net, phi0, eta, n_frames))},
        n_frames=n_frames,
        sequences=len(phi0),
    )
    return {label: result["drift"] for label, result in stored.items()}
