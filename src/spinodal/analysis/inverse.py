"""Reading the misfit from a microstructure: infer η from observed frames (an inverse problem).

Given fields φ_obs(t_k) of a decomposing alloy observed at times t_0 < t_1 < ... < t_K (in τ),
:func:`infer_misfit` finds the misfit η whose forward model, started from the first observed
frame, reproduces the later ones best, in the least-squares sense

    L(η) = 1/(K H W) Σ_{k=1..K} Σ_x ( φ_model(t_k - t_0; φ_obs(t_0), η) - φ_obs(t_k) )²,

with the forward model either the phase-field solver (``method="solver"``, Eq. 8) or the
trained CRNN surrogate (``method="surrogate"``, Sec. 2.3). The first observed frame is the
initial state. When φ_0 itself is not observed (t_0 > 0) the unknown time since the quench is
modelled by the dynamics being autonomous: Eq. 7 has no explicit time, so only the offsets
t_k - t_0 enter and the solver's answer does not depend on t_0. The CRNN, whose hidden state
carries the history, starts from the first observed frame with a fresh (zero) hidden state,
as it starts from φ_0: an approximation the book measures (chapter 10).

**The search.** A coarse scan of L over a uniform grid of η comes first, because L is flat
near η = 0 (the solver depends on η only through η², Eq. 8, so dL/dη = 0 there) and can have
several minima where patterns of different misfits resemble each other late in the coarsening.
The best grid point and its neighbours bracket the minimum, which is then refined with a
bounded 1-D optimiser from scipy rather than by gradient: scipy's
:func:`scipy.optimize.elementwise.find_minimum` (Chandrupatla's bracketing method, scipy ≥
1.15) is vectorized, so every iteration evaluates all sequences in one batched solver or CRNN
call, and it needs no derivative, whereas autograd through the solver would have to keep (or
recompute) 100 steps per τ of every field. Minima on the first or last grid point (and every
sequence when scipy is older) are refined per sequence with
:func:`scipy.optimize.minimize_scalar` (bounded Brent) between the bound and its neighbour.

**The uncertainty.** With the residual r_k = φ_model(t_k; η̂) - φ_obs(t_k) and the sensitivity
J_k = ∂φ_model(t_k)/∂η at η̂ (a central difference of two trajectories), the loss's
Gauss-Newton curvature is L'' ≈ 2⟨J²⟩ (exact where the residual vanishes), and a Gauss-Newton
step η̂ + Σ J r / Σ J² has the standard error (a sandwich estimator)

    δη = sqrt( Σ_q Σ_{k,l} Ĵ_k(q)* Ĵ_l(q) C_kl(|q|) ) / ( H W Σ_{k,x} J_k(x)² ),

which treats the residual as a stationary, isotropic random field: C_kl(|q|) is the average
of r̂_k(q) r̂_l(q)* over the shell of wavenumbers |q| (its spectrum, and the correlation between
frames k and l). For white noise of variance s² this is the textbook s / sqrt(Σ J²); a residual
correlated in space (model error, noise propagated from the initial state) or in time (many
frames) counts as fewer independent values. δη is infinite where J = 0 (η̂ = 0: η² has no
slope there). It covers what the residual shows; an error the fit absorbs into η (e.g. from
noise in the initial state) leaves no trace in r. With known observation noise σ one more run,
from the initial state with noise of σ redrawn and filtered again, measures how that noise
propagates: its difference from the fit, taken as a residual, adds its own δη in quadrature, as
does the refinement's tolerance (a uniform error over ±xatol, standard deviation xatol/√3).
The book measures how often |η̂ - η| ≤ 2 δη.

**Where only a bound can be read.** Above the spinodal misfit η_s(⟨φ⟩) of Eq. 9 the mixture
does not decompose: the observed fluctuations only relax, at a rate set by η through the elastic
term η² tr B q², and the data say first of all that η ≳ η_s. :class:`MisfitEstimate` flags such
sequences (``separated`` is False) and reports η_s; η̂ there is still the minimum of L. With an
exact forward model and many frames the relaxation can still pin η down (the book measures
how well); the signal fades with the fluctuations.

Misfits are fractions (0.006 = 0.6 %), times in τ (100 solver steps of δt = 0.01).
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from .._version import __version__
from ..io.datasets import read_frames
from ..io.files import atomic_output
from ..io.results import write_arrays
from ..paper import MISFIT_RANGE
from ..physics.metrics import ensemble_summary, is_phase_separated
from ..physics.solver import PhaseFieldModel
from ..surrogate.inference import net_on, rollout_frames

__all__ = [
    "ETA_LIMITS",
    "Method",
    "MisfitEstimate",
    "infer_misfit",
    "misfit_loss",
    "wiener_filter",
    "add_observation_noise",
    "infer_dataset",
    "write_results",
    "Regime",
    "InverseStudy",
    "inverse_study",
    "cached_inferences",
    "cached_profiles",
    "InferenceStats",
    "inference_statistics",
    "misfit_errors",
    "profile_ratio",
    "SequenceEstimate",
    "sequence_estimate",
    "Identifiability",
    "identifiability",
]

log = logging.getLogger(__name__)

Method = Literal["solver", "surrogate"]

ETA_LIMITS = (0.0, 0.05)
"""Misfits a search may cover (fractions): 0 to 5 %, four times the paper's range [0, 1.2 %].
The solver's scheme is stable there; the surrogate was trained on [0, 1.2 %] only."""

STEPS_PER_FRAME = 100  # one τ = 100 solver steps (Sec. 2.2)


@dataclass(frozen=True)
class MisfitEstimate:
    """The misfits inferred from S observed sequences, and how well they are determined.

    Attributes:
        eta: the estimates η̂ [S] (fractions: 0.006 = 0.6 %).
        uncertainty: one standard error δη [S] (sandwich estimator, see the module); inf
            where the loss has no curvature at η̂.
        loss: L(η̂) [S], the mean squared residual per observed pixel.
        curvature: Gauss-Newton curvature L''(η̂) = 2⟨J²⟩ [S] (1 / fraction²).
        at_bound: η̂ lies on a bound of the search [S]: the data prefer a misfit at or beyond it.
        separated: the last observed frame is phase separated [S] (max φ - min φ > 0.05 after
            noise filtering, Sec. 3.4); where False the data mostly bound η from below, by
            ``eta_spinodal``.
        eta_spinodal: η_s(⟨φ⟩) of Eq. 9 for the observed mean composition [S] (NaN outside
            the chemical spinodal, where no misfit lets the mixture decompose).
        scan_eta: the coarse grid of misfits [m].
        scan_loss: L on the grid [S, m] (inf where a surrogate rollout diverged).
        times: the observed times [K + 1] (τ); the first is the initial state of the fit.
        fitted: the fitted trajectory at ``times`` [S, K + 1, H, W] float32 (frame 0 is the
            initial state used, after noise filtering).
        method: ``"solver"`` or ``"surrogate"``.
        evaluations: loss evaluations (forward runs) per sequence [S].
        seconds: wall time of the whole inference (all S sequences).
    """

    eta: np.ndarray
    uncertainty: np.ndarray
    loss: np.ndarray
    curvature: np.ndarray
    at_bound: np.ndarray
    separated: np.ndarray
    eta_spinodal: np.ndarray
    scan_eta: np.ndarray
    scan_loss: np.ndarray
    times: np.ndarray
    fitted: np.ndarray
    method: str
    evaluations: np.ndarray
    seconds: float

    @property
    def bound_only(self) -> np.ndarray:
        """[S] True where no decomposition was observed: η̂ is then a weak estimate and the
        data mainly bound η from below by ``eta_spinodal``."""
        return ~self.separated

    def to_dict(self, fitted: bool = False) -> dict[str, np.ndarray]:
        """The fields as arrays (for :meth:`Workspace.cached` and files); ``fitted`` only if
        asked (it is large)."""
        out = {
            f.name: np.asarray(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "fitted" or fitted
        }
        out["method"] = np.asarray(self.method)
        return out


# --- input ---------------------------------------------------------------------------------


def _as_observations(frames, times) -> tuple[np.ndarray, np.ndarray]:
    """Validated frames [S, K+1, H, W] float32 and times [K+1] float64 (τ)."""
    if isinstance(frames, list | tuple):
        shapes = [tuple(np.shape(frame)) for frame in frames]
        if len(set(shapes)) > 1:
            odd = next(i for i, s in enumerate(shapes) if s != shapes[0])
            raise ValueError(
                f"frames have different sizes: frame {odd} is {shapes[odd]}, frame 0 {shapes[0]}"
            )
        frames = np.stack([_numpy(frame) for frame in frames], axis=-3)
    array = _numpy(frames)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(
            f"frames must have shape [K, H, W] or [S, K, H, W], got {tuple(array.shape)}"
        )
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    if times.shape[0] != array.shape[1]:
        raise ValueError(f"got {array.shape[1]} frames but {times.shape[0]} times {times.tolist()}")
    if times.shape[0] < 2:
        raise ValueError(f"need at least two observed frames, got times {times.tolist()}")
    if not np.isfinite(times).all() or times[0] < 0:
        raise ValueError(f"times must be finite and non-negative, got {times.tolist()}")
    if not (np.diff(times) > 0).all():
        raise ValueError(f"times must increase strictly, got {times.tolist()}")
    offsets = times - times[0]
    if not np.allclose(offsets, np.round(offsets), rtol=0, atol=1e-9):
        raise ValueError(f"times must be whole multiples of τ apart (frames), got {times.tolist()}")
    if min(array.shape[-2:]) < 4:
        raise ValueError(f"frames must be at least 4 x 4, got {array.shape[-2:]}")
    bad = ~np.isfinite(array).all(axis=(-2, -1))
    if bad.any():
        s, k = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"frames hold NaN or inf values (sequence {s}, frame {k} at t = {times[k]:g}τ)"
        )
    return array.astype(np.float32, copy=False), times


def _numpy(array) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        return array.detach().cpu().numpy()
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"frames must be numeric arrays, got dtype {array.dtype}")
    return array


def _check_bounds(eta_bounds) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in eta_bounds)
    except (TypeError, ValueError):
        raise ValueError(f"eta_bounds must be (low, high), got {eta_bounds!r}") from None
    lo, hi = ETA_LIMITS
    if not (lo <= low < high <= hi):
        raise ValueError(
            f"eta_bounds must satisfy {lo:g} <= low < high <= {hi:g} (fractions), "
            f"got ({low:g}, {high:g})"
        )
    return low, high


# --- noise ---------------------------------------------------------------------------------


def add_observation_noise(frames, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``frames`` plus white Gaussian noise of standard deviation ``sigma`` on every pixel
    (a noisy micrograph); float32, same shape. ``rng`` is an explicit generator."""
    if not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a non-negative finite number, got {sigma!r}")
    frames = np.asarray(frames, dtype=np.float32)
    return (frames + sigma * rng.standard_normal(frames.shape)).astype(np.float32)


def _shell_index(H: int, W: int) -> np.ndarray:
    """Integer wavenumber shell |k| of every mode of an H × W full FFT, [H * W]."""
    ky = np.fft.fftfreq(H) * H
    kx = np.fft.fftfreq(W) * W * (H / W)  # shells of equal |q| on rectangular grids
    return np.rint(np.hypot(ky[:, None], kx[None, :])).astype(int).ravel()


def _shells(H: int, W: int) -> list[np.ndarray]:
    """The modes of each wavenumber shell (flat indices of a full FFT)."""
    index = _shell_index(H, W)
    return [np.flatnonzero(index == b) for b in range(index.max() + 1)]


def wiener_filter(fields, sigma: float) -> np.ndarray:
    """Remove white noise of known standard deviation ``sigma`` from fields [..., H, W].

    Each Fourier mode q is multiplied by S(|q|) / (S(|q|) + N σ²), N = H W, where the signal
    power S is the field's power spectrum averaged over the shell of |q| (integer wavenumber
    shells) minus the noise power N σ² (not below zero): modes where the pattern stands out of
    the noise are kept, the others damped. The q = 0 mode (the mean composition) is kept
    exactly. ``sigma = 0`` returns the fields unchanged (as float64).
    """
    array = np.asarray(fields, dtype=np.float64)
    if sigma == 0:
        return array.copy()
    H, W = array.shape[-2:]
    shell = _shell_index(H, W)
    counts = np.bincount(shell)
    flat = array.reshape(-1, H, W)
    hat = np.fft.fft2(flat)
    power = (np.abs(hat) ** 2).reshape(len(flat), -1)
    noise = sigma**2 * H * W
    out = np.empty_like(flat)
    for i in range(len(flat)):
        mean_power = np.bincount(shell, weights=power[i], minlength=len(counts)) / counts
        signal = np.maximum(mean_power - noise, 0.0)
        gain = (signal / (signal + noise))[shell].reshape(H, W)
        gain[0, 0] = 1.0
        out[i] = np.fft.ifft2(hat[i] * gain).real
    return out.reshape(array.shape)


# --- the loss ------------------------------------------------------------------------------


class _Objective:
    """L(η) for chosen sequences and misfits, evaluated in batches of forward runs.

    Args:
        start: initial states [S, H, W] (torch, on the computing device).
        targets: observed frames after the start [S, K, H, W] (same device).
        offsets: their times after the start, whole τ [K], increasing.
        method, net, pf: the forward model (the network or the solver constants).
        batch_size: fields integrated or rolled out together.
    """

    def __init__(self, start, targets, offsets, method, net, pf, batch_size):
        self.start, self.targets = start, targets
        self.offsets = [int(o) for o in offsets]
        self.method, self.net, self.pf = method, net, pf
        self.batch_size = batch_size
        self.evaluations = np.zeros(start.shape[0], dtype=np.int64)

    def _frames(self, phi0: torch.Tensor, eta: torch.Tensor):
        """Yield (k, frame [b, H, W]) at the observed offsets."""
        wanted = {offset: k for k, offset in enumerate(self.offsets)}
        n_frames = self.offsets[-1]
        if self.method == "solver":
            frames = self.pf.frames(
                phi0, eta, n_frames, steps_per_frame=STEPS_PER_FRAME, dtype=phi0.dtype
            )
        else:
            frames = rollout_frames(self.net, phi0, eta.to(phi0.dtype), n_frames)
        with torch.inference_mode():
            for t, frame in enumerate(frames, start=1):
                if t in wanted:
                    yield wanted[t], frame

    def run(self, sequences, etas, keep: bool = False, start: torch.Tensor | None = None):
        """Losses [n] (float64 numpy, inf where a rollout diverged) and, if ``keep``, the
        trajectories at the observed offsets [n, K, H, W] (torch, CPU); ``start`` replaces
        the initial states [S, H, W]."""
        start_all = self.start if start is None else start
        sequences = np.asarray(sequences, dtype=np.int64).reshape(-1)
        etas = np.asarray(etas, dtype=np.float64).reshape(-1)
        np.add.at(self.evaluations, sequences, 1)
        losses = np.empty(len(sequences))
        kept = []
        for first in range(0, len(sequences), self.batch_size):
            chunk = slice(first, first + self.batch_size)
            index = torch.as_tensor(sequences[chunk], device=self.start.device)
            eta = torch.as_tensor(etas[chunk], dtype=torch.float64, device=self.start.device)
            squared = torch.zeros(len(index), dtype=torch.float64, device=self.start.device)
            frames = []
            for k, frame in self._frames(start_all[index], eta):
                error = (frame - self.targets[index, k]).double()
                squared += error.square().mean(dim=(-2, -1))
                if keep:
                    frames.append(frame.cpu())
            loss = (squared / len(self.offsets)).cpu().numpy()
            losses[chunk] = np.where(np.isfinite(loss), loss, np.inf)
            if keep:
                kept.append(torch.stack(frames, dim=1))
        return (losses, torch.cat(kept)) if keep else losses


def _prepare(frames, times, method, net, pf, observation_noise, device, batch_size):
    if method not in ("solver", "surrogate"):
        raise ValueError(f"method must be 'solver' or 'surrogate', got {method!r}")
    if method == "surrogate" and net is None:
        raise ValueError("method 'surrogate' needs the trained CRNN: pass net=load_model(...)")
    if observation_noise is not None and not (
        math.isfinite(observation_noise) and observation_noise >= 0
    ):
        raise ValueError(
            f"observation_noise must be None or a non-negative number, got {observation_noise!r}"
        )
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    observed, times = _as_observations(frames, times)
    start = observed[:, 0]
    if observation_noise:
        start = wiener_filter(start, observation_noise)
    if method == "surrogate":
        net = net_on(net, device)
        device = next(net.parameters()).device
    device = torch.device(device or "cpu")
    objective = _Objective(
        torch.as_tensor(start, dtype=torch.float32, device=device),
        torch.as_tensor(observed[:, 1:], device=device),
        times[1:] - times[0],
        method,
        net,
        pf or PhaseFieldModel(),
        int(batch_size),
    )
    return objective, observed, times


def misfit_loss(
    frames,
    times,
    etas,
    *,
    method: Method = "solver",
    net=None,
    pf: PhaseFieldModel | None = None,
    observation_noise: float | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """The loss L(η) of the module docstring on a grid of misfits: the profile [S, m].

    Args:
        frames, times, method, net, pf, observation_noise, device, batch_size: as in
            :func:`infer_misfit`.
        etas: misfits [m] (fractions), the same for every sequence.

    Returns:
        L [S, m] (mean squared residual per observed pixel; inf where a rollout diverged).
    """
    objective, observed, _ = _prepare(
        frames, times, method, net, pf, observation_noise, device, batch_size
    )
    etas = np.asarray(etas, dtype=np.float64).reshape(-1)
    if not np.isfinite(etas).all():
        raise ValueError(f"etas must be finite, got {etas.tolist()}")
    S = len(observed)
    return objective.run(np.repeat(np.arange(S), len(etas)), np.tile(etas, S)).reshape(S, -1)


# --- the search ----------------------------------------------------------------------------


def _refine(objective: _Objective, grid: np.ndarray, scan: np.ndarray, xatol: float):
    """η̂ [S] from the scan: Chandrupatla (batched) inside the grid, bounded Brent on its ends."""
    S, m = scan.shape
    best = np.argmin(scan, axis=1)
    eta = grid[best].copy()
    interior = (best > 0) & (best < m - 1)
    try:
        from scipy.optimize.elementwise import find_minimum
    except ImportError:  # scipy < 1.15: every sequence is refined on its own
        find_minimum = None
        interior[:] = False
    inside = np.flatnonzero(interior)
    if len(inside):
        k = best[inside]

        def loss(x, which):
            return objective.run(np.rint(which).astype(np.int64), x)

        result = find_minimum(
            loss,
            (grid[k - 1], grid[k], grid[k + 1]),
            args=(inside.astype(np.float64),),
            tolerances=dict(xatol=xatol, xrtol=0.0),
            maxiter=50,
        )
        eta[inside] = np.where(np.isfinite(result.x), result.x, grid[k])
    for s in np.flatnonzero(~interior):
        k = best[s]
        low, high = grid[max(k - 1, 0)], grid[min(k + 1, m - 1)]
        result = minimize_scalar(
            lambda x, s=s: float(objective.run([s], [x])[0]),
            bounds=(low, high),
            method="bounded",
            options={"xatol": xatol},
        )
        # bounded Brent never evaluates the interval's ends: take a grid end if it is better
        candidates = [(float(result.fun), float(result.x)), (float(scan[s, k]), float(grid[k]))]
        eta[s] = min(candidates)[1]
    return eta


def _standard_error(sensitivity: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """δη [S] of the sandwich estimator (module docstring) from J and r, both [S, K, H, W]."""
    S, K, H, W = residual.shape
    shells = _shells(H, W)
    out = np.empty(S)
    for s in range(S):
        J = np.fft.fft2(sensitivity[s]).reshape(K, -1)
        r = np.fft.fft2(residual[s]).reshape(K, -1)
        variance = 0.0
        for modes in shells:
            r_b, J_b = r[:, modes], J[:, modes]
            covariance = r_b @ r_b.conj().T / len(modes)  # [K, K] between frames
            variance += np.einsum("kl,lk->", covariance, J_b @ J_b.conj().T).real
        information = float((sensitivity[s] ** 2).sum())
        spread = math.sqrt(max(variance, 0.0)) / (H * W)
        out[s] = spread / information if information > 0 else np.inf
    return out


def _statistics(objective, observed, eta, bounds, xatol, observation_noise, rng):
    """Fitted trajectory [S, K, H, W], L(η̂), L''(η̂) and δη [S] (module docstring) from two
    runs 2δ apart around η̂ and, with observation noise, one run from a redrawn initial state."""
    low, high = bounds
    S = len(eta)
    delta = max(xatol, 1e-3 * (high - low))
    lower = np.clip(eta - delta, low, high - 2 * delta)
    _, runs = objective.run(
        np.tile(np.arange(S), 2), np.concatenate([lower, lower + 2 * delta]), keep=True
    )
    minus, plus = runs[:S].double().numpy(), runs[S:].double().numpy()
    fitted = 0.5 * (minus + plus)
    sensitivity = (plus - minus) / (2 * delta)
    residual = fitted - observed[:, 1:]
    loss = np.mean(residual**2, axis=(1, 2, 3))
    curvature = 2 * np.mean(sensitivity**2, axis=(1, 2, 3))
    uncertainty = _standard_error(sensitivity, residual)
    if observation_noise:
        # the initial state's noise, propagated by the dynamics: a run from a redrawn one
        rng = rng if rng is not None else np.random.default_rng(0)
        start = objective.start.cpu().numpy()
        redrawn = wiener_filter(
            start + observation_noise * rng.standard_normal(start.shape), observation_noise
        )
        redrawn = torch.as_tensor(redrawn, dtype=torch.float32, device=objective.start.device)
        _, moved = objective.run(np.arange(S), eta, keep=True, start=redrawn)
        propagated = _standard_error(sensitivity, moved.double().numpy() - fitted)
        uncertainty = np.hypot(uncertainty, propagated)
    # the refinement stops within ±xatol of the minimum: a uniform error of that half-width
    return fitted, loss, curvature, np.hypot(uncertainty, xatol / math.sqrt(3))


def infer_misfit(
    frames,
    times,
    *,
    method: Method = "solver",
    net=None,
    eta_bounds: tuple[float, float] = (0.0, 0.012),
    observation_noise: float | None = None,
    n_scan: int = 9,
    xatol: float = 1e-5,
    pf: PhaseFieldModel | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 64,
    rng: np.random.Generator | None = None,
) -> MisfitEstimate:
    """Infer the misfit η of S sequences from frames observed at given times.

    Coarse scan of the loss, bracketed refinement by scipy, sandwich standard error: see the
    module docstring for the loss, the choices and the approximations.

    Args:
        frames: observed fields [K+1, H, W] (one sequence) or [S, K+1, H, W], numpy or torch,
            or a list of K+1 arrays [H, W] or [S, H, W]; the first is the initial state of the
            fit (φ_0 if observed).
        times: the observation times [K+1] in τ, non-negative, strictly increasing, whole
            multiples of τ apart (the CRNN steps by τ); shared by all sequences.
        method: ``"solver"`` (the phase-field model of Eq. 8) or ``"surrogate"`` (the CRNN).
        net: the trained CRNN (:func:`spinodal.load_model`), required for ``"surrogate"``.
        eta_bounds: the searched misfits (fractions), within :data:`ETA_LIMITS`; default the
            paper's range [0, 1.2 %].
        observation_noise: standard deviation σ of white noise on the observed φ, if known:
            the initial state is then cleaned with :func:`wiener_filter` before the forward
            runs (noise in the unstable band would otherwise be amplified by the dynamics).
            None: the frames are taken as they are.
        n_scan: points of the coarse uniform grid over ``eta_bounds`` (≥ 3).
        xatol: absolute tolerance of the refinement (fraction; 1e-5 = 0.001 %).
        pf: the solver constants (default: the paper's; use the dataset's ``pf``).
        device: where to compute (default: the CPU for the solver, the network's device for the
            surrogate).
        batch_size: fields integrated or rolled out together.
        rng: generator of the noise redrawn for the uncertainty when ``observation_noise`` is
            given (default ``np.random.default_rng(0)``: reproducible).

    Returns:
        a :class:`MisfitEstimate` with arrays over the S sequences (S = 1 for one sequence).

    Raises:
        ValueError: frames of different sizes, wrong shapes, NaN or inf frames, times not
            increasing, bounds outside [0, 0.05], a bad method, option or count.
    """
    low, high = _check_bounds(eta_bounds)
    if isinstance(n_scan, bool) or int(n_scan) != n_scan or n_scan < 3:
        raise ValueError(f"n_scan must be an integer >= 3, got {n_scan!r}")
    if not (math.isfinite(xatol) and 0 < xatol < high - low):
        raise ValueError(f"xatol must be positive and below the bounds' width, got {xatol!r}")
    if method == "surrogate" and high > 0.012 + 1e-12:
        log.warning("the surrogate was trained on η in [0, 1.2 %%]; searching up to %g", high)
    began = time.perf_counter()
    objective, observed, times = _prepare(
        frames, times, method, net, pf, observation_noise, device, batch_size
    )
    S = len(observed)
    grid = np.linspace(low, high, int(n_scan))
    scan = objective.run(np.repeat(np.arange(S), len(grid)), np.tile(grid, S)).reshape(S, -1)
    eta = _refine(objective, grid, scan, xatol)

    fitted, loss, curvature, uncertainty = _statistics(
        objective, observed, eta, (low, high), xatol, observation_noise, rng
    )
    start = objective.start.cpu().numpy()
    last = wiener_filter(observed[:, -1], observation_noise) if observation_noise else None
    last = observed[:, -1] if last is None else last
    phi_mean = start.mean(axis=(-2, -1), dtype=np.float64)
    estimate = MisfitEstimate(
        eta=eta,
        uncertainty=uncertainty,
        loss=loss,
        curvature=curvature,
        at_bound=(eta <= low + xatol) | (eta >= high - xatol),
        separated=is_phase_separated(last),
        eta_spinodal=(pf or PhaseFieldModel()).spinodal_misfit(phi_mean),
        scan_eta=grid,
        scan_loss=scan,
        times=times,
        fitted=np.concatenate([start[:, None], fitted], axis=1).astype(np.float32),
        method=method,
        evaluations=objective.evaluations.copy(),
        seconds=time.perf_counter() - began,
    )
    log.info(
        "inferred η of %d sequence(s) with the %s in %.3g s (%.3g loss evaluations each)",
        S,
        method,
        estimate.seconds,
        estimate.evaluations.mean(),
    )
    return estimate


# --- datasets and files ----------------------------------------------------------------------


def infer_dataset(
    path: str | Path,
    *,
    frames: Sequence[int] | None = None,
    sequences: Sequence[int] | None = None,
    method: Method = "solver",
    net=None,
    noise: float = 0.0,
    seed: int = 0,
    **options,
) -> dict[str, np.ndarray]:
    """Infer η for sequences of a file, optionally with synthetic observation noise.

    Args:
        path, frames, sequences: what to observe (:func:`spinodal.io.datasets.read_frames`).
        method, net: the forward model (:func:`infer_misfit`).
        noise: σ of white Gaussian noise added to every observed frame (a noisy micrograph,
            drawn from ``np.random.default_rng(seed)``); the inference is told σ.
        options: further arguments of :func:`infer_misfit` (``eta_bounds``, ``n_scan``, ...).

    Returns:
        :meth:`MisfitEstimate.to_dict` plus ``index``, ``eta_true`` and ``phi_mean`` [S] and
        ``noise`` (0-d): a table of results, one row per sequence.
    """
    observed = read_frames(path, frames, sequences)
    data = observed.phi
    if noise:
        data = add_observation_noise(data, noise, np.random.default_rng(seed))
    estimate = infer_misfit(
        data,
        observed.times,
        method=method,
        net=net,
        observation_noise=noise or None,
        pf=observed.pf,
        **options,
    )
    return {
        **estimate.to_dict(),
        "index": observed.index,
        "eta_true": observed.eta,
        "phi_mean": observed.phi_mean,
        "noise": np.asarray(float(noise)),
    }


#: Per-sequence columns of :func:`write_results` (CSV and HDF5).
RESULT_COLUMNS = (
    "index",
    "eta_true",
    "phi_mean",
    "eta",
    "uncertainty",
    "loss",
    "at_bound",
    "separated",
    "eta_spinodal",
    "evaluations",
)


def write_results(path: str | Path, results: dict, attrs: dict | None = None) -> Path:
    """Write a table of :func:`infer_dataset` to ``.csv`` (the per-sequence columns
    :data:`RESULT_COLUMNS`) or ``.h5`` (those columns, ``scan_eta`` [m], ``scan_loss`` [S, m]
    and ``times`` as datasets, ``attrs`` and the method as attributes)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".h5", ".hdf5"):
        raise ValueError(f"results go to a .csv or .h5 file, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix != ".csv":
        names = (*RESULT_COLUMNS, "scan_eta", "scan_loss", "times")
        return write_arrays(
            path,
            {name: results[name] for name in names},
            {
                **(attrs or {}),
                "method": str(results["method"]),
                "noise": float(results["noise"]),
                "seconds": float(results["seconds"]),
                "spinodal_version": __version__,
            },
        )
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        columns = (np.asarray(results[c]).tolist() for c in RESULT_COLUMNS)
        for row in zip(*columns, strict=True):
            writer.writerow(row)
    return path


# --- the book's study of the inverse problem (chapter 10; beyond the paper) -----------------


class Regime(NamedTuple):
    """One way of observing a test sequence (chapter 10).

    Attributes:
        label: what is observed, in words (a row of the chapter's summary table).
        frames: the observed frames, i.e. times in τ; the first is the initial state of the fit.
        noise: σ of the white noise added to φ (0: none).
    """

    label: str
    frames: list[int]
    noise: float


#: Test sequences per regime that chapter 10 infers when its parameters say 0, as (solver,
#: surrogate) per preset; :data:`BOOK_SEQUENCES_DEFAULT` for any other preset (the paper's).
#: The surrogate's rollouts dominate the chapter's cost, hence its smaller counts.
BOOK_SEQUENCES: dict[str, tuple[int, int]] = {"tiny": (4, 1), "small": (6, 3)}
BOOK_SEQUENCES_DEFAULT = (64, 16)


class InverseStudy(NamedTuple):
    """What chapter 10 infers: the observation regimes, and on which test sequences.

    Attributes:
        n_test: sequences of the test split.
        T: τ of the last observed frame.
        t_late: τ of the first observed frame of the regime without φ₀.
        n_solver, n_surrogate: per regime, the first ``n_solver`` test sequences are inferred
            with the solver, the first ``n_surrogate`` with the CRNN.
        regimes: name → :class:`Regime`, in the order of the chapter's table: ``all``, ``ends``,
            ``late``, ``noise1``, ``noise2``.
        map_noise: σ of the identifiability map (the larger noise level): the solver infers
            every test sequence in the regime with that noise.
    """

    n_test: int
    T: int
    t_late: int
    n_solver: int
    n_surrogate: int
    regimes: dict[str, Regime]
    map_noise: float

    @property
    def every_frame(self) -> list[int]:
        """Every frame from 0 to ``T`` (τ)."""
        return list(range(self.T + 1))

    @property
    def map_regime(self) -> str:
        """The regime of the identifiability map: ``noise1`` if its σ is ``map_noise``, else
        ``noise2``."""
        return "noise1" if self.regimes["noise1"].noise == self.map_noise else "noise2"

    def sequences(self, name: str, method: Method) -> list[int]:
        """The test sequences inferred in regime ``name`` with ``method``: all of them for the
        solver in the map's regime, else the first ``n_solver`` or ``n_surrogate``."""
        if method == "solver" and self.regimes[name].noise == self.map_noise:
            return list(range(self.n_test))
        return list(range(self.n_solver if method == "solver" else self.n_surrogate))


def inverse_study(
    n_test: int,
    n_frames: int,
    preset: str,
    *,
    horizon: int,
    late_start: int,
    noise_levels: Sequence[float],
    solver_sequences: int = 0,
    surrogate_sequences: int = 0,
) -> InverseStudy:
    """The :class:`InverseStudy` of chapter 10 on a test split of ``n_test`` sequences of
    ``n_frames`` τ.

    Args:
        preset: the preset's name (for the default counts, :data:`BOOK_SEQUENCES`).
        horizon: τ of the last observed frame, capped at ``n_frames``.
        late_start: τ of the first frame of the regime without φ₀, capped at half the horizon.
        noise_levels: the two σ of the noisy regimes (``noise1``, ``noise2``).
        solver_sequences, surrogate_sequences: sequences per regime (0: the preset's default);
            capped at ``n_test``, the surrogate's at the solver's.
    """
    if len(noise_levels) != 2:
        raise ValueError(f"noise_levels must hold two σ, got {list(noise_levels)}")
    T = min(int(horizon), int(n_frames))
    t_late = min(int(late_start), T // 2)
    solver_default, surrogate_default = BOOK_SEQUENCES.get(preset, BOOK_SEQUENCES_DEFAULT)
    n_solver = min(solver_sequences or solver_default, n_test)
    n_surrogate = min(surrogate_sequences or surrogate_default, n_solver)
    every_frame = list(range(T + 1))
    first, second = (float(s) for s in noise_levels)
    regimes = {
        "all": Regime(f"every frame, 0 to {T}τ", every_frame, 0.0),
        "ends": Regime(f"0 and {T}τ only", [0, T], 0.0),
        "late": Regime(f"{t_late}τ and {T}τ, no φ0", [t_late, T], 0.0),
        "noise1": Regime(f"every frame, noise σ = {first:g}", every_frame, first),
        "noise2": Regime(f"every frame, noise σ = {second:g}", every_frame, second),
    }
    return InverseStudy(n_test, T, t_late, n_solver, n_surrogate, regimes, max(first, second))


def cached_inferences(
    workspace,
    path: str | Path,
    study: InverseStudy,
    net,
    *,
    seed: int,
    n_scan: Mapping[str, int],
    xatol: Mapping[str, float],
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """:func:`infer_dataset` of every regime of ``study`` with the solver and the CRNN ``net``
    on the test file ``path``, each result cached in ``workspace`` (a
    :class:`spinodal.pipeline.workspace.Workspace`) as ``inverse-REGIME-METHOD``, keyed by its
    inputs and, for the surrogate, by the model's weights (chapter 10).

    Args:
        seed: seed of the observation noise.
        n_scan, xatol: per method, the points of the coarse scan and the refinement tolerance.

    Returns:
        (regime, method) → the result table, solver first, regimes in the study's order.
    """
    identity = workspace.model_identity()
    results = {}
    for method in ("solver", "surrogate"):
        for name, regime in study.regimes.items():
            sequences = study.sequences(name, method)
            results[name, method] = workspace.cached(
                f"inverse-{name}-{method}",
                lambda method=method, regime=regime, sequences=sequences: infer_dataset(
                    path,
                    frames=regime.frames,
                    sequences=sequences,
                    method=method,
                    net=net if method == "surrogate" else None,
                    noise=regime.noise,
                    seed=seed,
                    n_scan=n_scan[method],
                    xatol=xatol[method],
                    device=workspace.device,
                ),
                frames=regime.frames,
                sequences=sequences,
                noise=regime.noise,
                seed=seed,
                n_scan=n_scan[method],
                xatol=xatol[method],
                model=identity if method == "surrogate" else "",
            )
    return results


def cached_profiles(
    workspace, observed, net, n_points: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The loss profile L(η) (:func:`misfit_loss`) of one observed sequence with the solver
    and with the CRNN ``net``, on ``n_points`` misfits spanning the paper's range
    (:data:`spinodal.paper.MISFIT_RANGE`, Sec. 2.1), cached in ``workspace`` as
    ``inverse-profile`` (chapter 10's worked example).

    Args:
        observed: :class:`spinodal.io.datasets.Frames` of one sequence, every observed frame.

    Returns:
        (grid [n_points] of misfits as fractions, method → L [n_points]).
    """
    if len(observed.index) != 1:
        raise ValueError(f"cached_profiles takes one sequence, got {len(observed.index)}")
    grid = np.linspace(*MISFIT_RANGE.value, n_points)
    profiles = workspace.cached(
        "inverse-profile",
        lambda: {
            method: misfit_loss(
                observed.phi,
                observed.times,
                grid,
                method=method,
                net=net if method == "surrogate" else None,
                pf=observed.pf,
                device=workspace.device,
            )[0]
            for method in ("solver", "surrogate")
        },
        sequence=int(observed.index[0]),
        frames=[int(t) for t in observed.times],
        grid=grid.tolist(),
        model=workspace.model_identity(),
    )
    return grid, profiles


def profile_ratio(profiles: Mapping[str, np.ndarray]) -> float:
    """The surrogate's smallest loss on the grid over the solver's (:func:`cached_profiles`):
    how much worse the CRNN reproduces the frames than the solver that made them."""
    return float(np.min(profiles["surrogate"]) / max(float(np.min(profiles["solver"])), 1e-300))


def misfit_errors(result: Mapping[str, np.ndarray]) -> np.ndarray:
    """|η̂ − η| [S] of a result table of :func:`infer_dataset` (fractions)."""
    return np.abs(np.asarray(result["eta"]) - np.asarray(result["eta_true"]))


class SequenceEstimate(NamedTuple):
    """One sequence's inference, in percent of misfit: the estimate η̂, its standard error δη
    and the true η; and its mean composition ⟨φ⟩."""

    eta: float
    uncertainty: float
    eta_true: float
    phi_mean: float


def sequence_estimate(result: Mapping[str, np.ndarray], index: int) -> SequenceEstimate:
    """The :class:`SequenceEstimate` of test sequence ``index`` (one of ``result["index"]``) in
    a result table of :func:`infer_dataset`."""
    found = np.flatnonzero(np.asarray(result["index"]) == index)
    if len(found) == 0:
        raise ValueError(f"sequence {index} is not among {np.asarray(result['index']).tolist()}")
    k = int(found[0])
    return SequenceEstimate(
        float(result["eta"][k] * 100),
        float(result["uncertainty"][k] * 100),
        float(result["eta_true"][k] * 100),
        float(result["phi_mean"][k]),
    )


class InferenceStats(NamedTuple):
    """How well one inference (a regime and a forward model) recovers η (chapter 10).

    Attributes:
        n: sequences inferred.
        median, q25, q75: median and quartiles of |η̂ − η| over them, in percent of misfit.
        within: percentage of the estimates with |η̂ − η| ≤ 2δη (95 % if δη is calibrated).
        cost: wall time per sequence (s), the whole batched inference over ``n``.
        evaluations: mean forward runs (loss evaluations) per sequence.
    """

    n: int
    median: float
    q25: float
    q75: float
    within: float
    cost: float
    evaluations: float


def inference_statistics(results: Mapping) -> dict:
    """:class:`InferenceStats` of every result table of :func:`infer_dataset` in ``results``
    (e.g. ``{(regime, method): table}`` of :func:`cached_inferences`), under the same keys."""
    out = {}
    for key, r in results.items():
        errors = misfit_errors(r)
        spread = ensemble_summary(errors * 100)
        out[key] = InferenceStats(
            n=len(errors),
            median=float(np.median(errors)) * 100,
            q25=float(spread.q25),
            q75=float(spread.q75),
            within=float(np.mean(errors <= 2 * np.asarray(r["uncertainty"]))) * 100,
            cost=float(r["seconds"]) / len(r["index"]),
            evaluations=float(np.mean(r["evaluations"])),
        )
    return out


class Identifiability(NamedTuple):
    """Where η can be read (chapter 10's identifiability map), from one result table.

    Errors |η̂ − η| and uncertainties are in percent of misfit; a median over no sequence is
    NaN.

    Attributes:
        n: sequences on the map.
        n_flat: those not decomposed by the last observed frame (``separated`` False).
        n_above: those whose true η lies above the spinodal misfit η_s(⟨φ⟩) of Eq. 9 (every
            sequence outside the chemical spinodal, where η_s is NaN).
        n_flat_above, n_flat_at_bound: of the ``n_flat``, those above η_s and those whose
            η̂ lies on a bound of the search.
        median_flat, median_separated: median error without and with decomposition.
        median_uncertainty_flat: median δη without decomposition.
        relaxation_reads: both kinds occur and the median error without decomposition is at
            most twice that with it: the relaxation of the fluctuations still pins η down.
        small_eta: the misfit (fraction) splitting ``median_low`` (η below it) and
            ``median_high`` (η at or above it).
    """

    n: int
    n_flat: int
    n_above: int
    n_flat_above: int
    n_flat_at_bound: int
    median_flat: float
    median_separated: float
    median_uncertainty_flat: float
    relaxation_reads: bool
    small_eta: float
    median_low: float
    median_high: float

    @property
    def small_eta_percent(self) -> float:
        """``small_eta`` in percent."""
        return self.small_eta * 100


def identifiability(result: Mapping[str, np.ndarray], small_eta: float) -> Identifiability:
    """:class:`Identifiability` of a result table of :func:`infer_dataset` (``eta``,
    ``eta_true``, ``uncertainty``, ``separated``, ``at_bound``, ``eta_spinodal`` [S])."""
    errors = misfit_errors(result)
    eta_true = np.asarray(result["eta_true"])
    flat = ~np.asarray(result["separated"], bool)
    above = eta_true > np.nan_to_num(np.asarray(result["eta_spinodal"], float), nan=-1.0)
    low = eta_true < small_eta

    def median(values, mask) -> float:
        return float(np.median(values[mask]) * 100) if mask.any() else float("nan")

    return Identifiability(
        n=len(errors),
        n_flat=int(flat.sum()),
        n_above=int(above.sum()),
        n_flat_above=int((flat & above).sum()),
        n_flat_at_bound=int((np.asarray(result["at_bound"], bool) & flat).sum()),
        median_flat=median(errors, flat),
        median_separated=median(errors, ~flat),
        median_uncertainty_flat=median(np.asarray(result["uncertainty"]), flat),
        relaxation_reads=bool(
            flat.any() and (~flat).any() and np.median(errors[flat]) <= 2 * np.median(errors[~flat])
        ),
        small_eta=float(small_eta),
        median_low=median(errors, low),
        median_high=median(errors, ~low),
    )
