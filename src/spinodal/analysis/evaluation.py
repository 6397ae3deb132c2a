"""NN against PF on a dataset split, perturbed PF ensembles and the phase diagram (Secs. 3.1-3.4).

:func:`evaluate_split` rolls a CRNN out from frame 0 of every sequence of a dataset and measures,
per sequence and frame, the NN against the PF ground truth: MAE and interface-length error
(Fig. 4), ⟨f⟩, 2⟨w⟩, ⟨ρ⟩, I and D_b of both (Fig. 5) and max - min of φ (Fig. 8). It streams:
only the current frame of one batch of sequences is in memory. Results go to an HDF5 file, one
group per (model, dataset), laid out as

=============================  ======================  =======================================
name (inside the group)        shape                   meaning
=============================  ======================  =======================================
``index``                      [S]                     sequence numbers in the dataset
``eta``, ``phi_mean``,         [S]                     the sequences' parameters
``amplitude``
``frame``                      [T+1]                   frame numbers (time in τ)
``mae``                        [S, T+1]                ⟨|φ_NN - φ_PF|⟩
``interface_error``            [S, T+1]                |L_NN - L_PF| / L_PF, L = 2⟨w⟩
``nn/NAME``, ``pf/NAME``       [S, T+1]                NAME in :data:`FRAME_METRICS`
``frames/nn``, ``frames/pf``   [s, F, N, N] float32    frames of the first s sequences
``frames/frame``               [F]                     which frames those are
=============================  ======================  =======================================

with attributes ``schema`` (``spinodal-evaluation``), ``identity`` (JSON: model, weights hash,
dataset, sizes and options), ``model_card`` (JSON) and ``complete``. Completed batches of
sequences are written to ``OUT.parts/KEY/`` atomically, so an interrupted run resumes with the
same call; the group is then written into ``OUT`` atomically (a copy of the file, then a rename)
and the parts are removed. A complete group of the same identity is not recomputed.

:func:`perturbed_ensemble` runs PF from the same initial states with mass-conserving noise and
measures its MAE against the deterministic PF (Fig. 6, Fig. S5); :func:`noise_search`
finds the noise whose median MAE curve is closest to the NN's (:func:`noise_search` keeps
every run). :func:`phase_diagram` classifies
NN and PF fields as phase separated or homogeneous and counts the agreement (Fig. 8a).

The domain-size tests of Fig. 7 are :func:`domain_rollout` on the ``large`` and ``varying``
splits (the fields every few frames, MAE, interface-length error and ⟨f⟩ of NN and PF);
:func:`amplitude_sensitivity` makes the
pair of Fig. 8c (one Perlin pattern at two amplitudes, NN and PF).

The frame-by-frame comparisons of :func:`evaluate_split`, :func:`perturbed_ensemble` and
:func:`domain_rollout` are configurations of one driver with trackers,
:func:`spinodal.analysis.trajectories.walk`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .._version import __version__
from ..io.datasets import SequenceDataset, open_dataset
from ..io.files import ResumableParts
from ..io.results import group_attrs, read_arrays, read_group, replace_group, write_arrays
from ..physics import metrics
from ..physics.initial import initial_state
from ..physics.solver import PhaseFieldModel
from ..surrogate.checkpoint import load_model
from ..surrogate.inference import net_on, rollout, rollout_frames
from ..surrogate.model import CRNN
from .trajectories import (
    FIELD_MEASURES,
    FrameStore,
    Measures,
    NonFiniteWarning,
    Progress,
    field_measures,
    paired_measures,
    single_measures,
    walk,
)

__all__ = [
    "SCHEMA",
    "FRAME_METRICS",
    "PhaseDiagram",
    "amplitude_sensitivity",
    "cached_noise_search",
    "cached_domain_rollout",
    "coarse_solver",
    "cached_yardsticks",
    "no_change_errors",
    "domain_rollout",
    "evaluate_split",
    "evaluation_key",
    "frame_metrics",
    "noise_search",
    "perturbed_ensemble",
    "phase_diagram",
    "phase_diagram_from_evaluation",
    "phase_diagram_from_results",
    "read_evaluation",
]

log = logging.getLogger(__name__)

SCHEMA = "spinodal-evaluation"
SCHEMA_VERSION = 2  # 2: the paper's ⟨f⟩ is stored as NAME "paper_total" (1: "total")
FRAME_METRICS = FIELD_MEASURES
"""Per-field measures stored for NN and PF
(:data:`spinodal.analysis.trajectories.FIELD_MEASURES`)."""
PHASE_DIAGRAM_FRAME = 100  # Sec. 3.4: classification at 100τ


def frame_metrics(phi, eta, pf: PhaseFieldModel | None = None) -> dict[str, np.ndarray]:
    """The :data:`FRAME_METRICS` of fields ``phi`` [B, N, N] with misfits ``eta`` [B], each [B]
    (solver constants of ``pf``, default the paper's)."""
    return field_measures(phi, eta, pf or PhaseFieldModel())


# --- NN against PF ----------------------------------------------------------------------------


def _dataset_name(ds) -> str:
    preset, split = ds.attrs.get("preset"), ds.attrs.get("split")
    if preset and split and preset != "custom" and split != "custom":
        return f"{preset}-{split}"
    return ds.path.stem


def evaluation_key(model_name: str, dataset_name: str) -> str:
    """The HDF5 group of an evaluation: ``MODEL/DATASET``."""
    for name in (model_name, dataset_name):
        if not name or "/" in name:
            raise ValueError(f"model and dataset names must be non-empty without '/', got {name!r}")
    return f"{model_name}/{dataset_name}"


def _file_identity(path: Path) -> dict:
    """Size and modification time (ns) of a file: changes whenever its content is rewritten."""
    stat = path.stat()
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _weights_hash(net) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def _network(net: CRNN | str | Path, device: str | torch.device | None) -> CRNN:
    """A CRNN, or the one of a checkpoint folder, on ``device`` (None: where it is)."""
    if isinstance(net, str | Path):
        net = load_model(net, device)
    return net_on(net, device)


def _frames_and_sequences(
    ds: SequenceDataset, n_frames: int | None, indices: Sequence[int] | None
) -> tuple[int, np.ndarray]:
    """(frames T after φ₀, sequence numbers) asked of ``ds``: default all of either; a clear
    error for a T beyond the file or a sequence number outside it."""
    T = ds.n_frames if n_frames is None else int(n_frames)
    if not 0 <= T <= ds.n_frames:
        raise ValueError(f"n_frames must be in [0, {ds.n_frames}], got {n_frames!r}")
    indices = np.arange(len(ds)) if indices is None else np.asarray(indices, dtype=int)
    valid = indices.ndim == 1 and len(indices) and np.all((indices >= 0) & (indices < len(ds)))
    if not valid:
        raise ValueError(f"indices must be sequence numbers in [0, {len(ds)}), got {indices}")
    return T, indices


def _frames_to_store(frames_to_store, n_frames: int) -> list[int]:
    if frames_to_store is None:
        frames_to_store = (0, PHASE_DIAGRAM_FRAME, 500, n_frames)
    return sorted({int(t) for t in frames_to_store if 0 <= int(t) <= n_frames})


def evaluate_split(
    net,
    dataset_path: str | Path,
    out_path: str | Path,
    *,
    batch_size: int = 8,
    device: str | torch.device | None = None,
    n_frames: int | None = None,
    frames_to_store: Sequence[int] | None = None,
    store_sequences: int = 4,
    model_name: str | None = None,
    dataset_name: str | None = None,
    progress: bool = False,
) -> str:
    """Roll ``net`` out over a dataset split and store NN-versus-PF measures (see module doc).

    Args:
        net: a CRNN, or a checkpoint folder (loaded with :func:`spinodal.load_model`).
        dataset_path: an HDF5 dataset (:mod:`spinodal.io.datasets`).
        out_path: the HDF5 results file; other groups in it are kept.
        batch_size: sequences rolled out and measured together (bounds memory).
        device: where the CRNN runs (default: the network's device, CPU for a folder).
        n_frames: frames to evaluate after frame 0 (default: the dataset's length).
        frames_to_store: frame numbers whose NN and PF fields are kept (default 0, 100, 500
            and the last; those beyond ``n_frames`` are dropped).
        store_sequences: how many leading sequences get their frames stored.
        model_name: name of the model in the key (default: the checkpoint folder's name, or
            ``"model"`` for an object).
        dataset_name: name of the dataset in the key (default ``PRESET-SPLIT``, or the file's
            stem for custom data).
        progress: show a progress bar.

    Returns:
        the group key ``MODEL/DATASET`` in ``out_path``.
    """

    if isinstance(net, str | Path):
        model_name = model_name or Path(net).resolve().name
    model_name = model_name or "model"
    net = _network(net, device)
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    out_path = Path(out_path)
    with open_dataset(dataset_path) as ds:
        T, _ = _frames_and_sequences(ds, n_frames, None)
        key = evaluation_key(model_name, dataset_name or _dataset_name(ds))
        stored = _frames_to_store(frames_to_store, T)
        identity = {
            "schema_version": SCHEMA_VERSION,
            "model_name": model_name,
            "weights": _weights_hash(net),
            "model_config": net.config.to_dict(),
            "dataset": str(Path(dataset_path).resolve()),
            # the file's own identity: a dataset regenerated or edited at the same path
            # (its size or modification time changes) is measured again, never served stale
            "dataset_file": _file_identity(Path(dataset_path)),
            "preset_hash": str(ds.attrs.get("preset_hash", "")),
            "split": str(ds.attrs.get("split", "")),
            "n_sequences": len(ds),
            "size": ds.size,
            "n_frames": T,
            "batch_size": int(batch_size),
            "frames_to_store": stored,
            "store_sequences": int(store_sequences),
        }
        if _complete_group(out_path, key, identity):
            log.info("%s already holds %s; nothing to do", out_path, key)
            return key
        parts = ResumableParts(
            Path(f"{out_path}.parts") / key.replace("/", "__"), identity, "evaluation"
        )
        batches = [range(s, min(s + batch_size, len(ds))) for s in range(0, len(ds), batch_size)]
        todo = parts.todo(batches)
        bar = tqdm(
            total=sum(len(b) for b in batches) * (T + 1),
            unit="frame",
            desc=key,
            disable=not progress,
        )
        bar.update(sum(len(b) for b in batches if b not in todo) * (T + 1))
        pf = ds.pf
        for batch in todo:
            _evaluate_batch(
                _EvaluationJob(net, ds, T, stored, store_sequences, pf, parts, bar), batch
            )
        bar.close()
        columns = {
            "index": ds.index,
            "eta": ds.eta,
            "phi_mean": ds.phi_mean,
            "amplitude": ds.amplitude,
        }
        attrs = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "identity": json.dumps(identity, sort_keys=True),
            "model_card": json.dumps(getattr(net, "card", {}), sort_keys=True, default=str),
            "dataset": identity["dataset"],
            "preset": str(ds.attrs.get("preset", "")),
            "tau": float(ds.attrs.get("tau", 1.0)),
            "complete": True,
        }
    _assemble(out_path, key, [parts.path(b) for b in batches], columns, T, attrs)
    parts.remove()
    return key


def _complete_group(out_path: Path, key: str, identity: dict) -> bool:
    attrs = group_attrs(out_path, key)
    return (
        attrs is not None
        and bool(attrs.get("complete", False))
        and json.loads(attrs.get("identity", "{}")) == json.loads(json.dumps(identity))
    )


@dataclass(frozen=True)
class _EvaluationJob:
    """What every batch of one evaluation shares: the network, the dataset and its solver
    constants, the frames measured (``T`` after frame 0), the frames and sequences whose fields
    are kept, the parts folder and the progress bar."""

    net: CRNN
    ds: SequenceDataset
    T: int
    stored: list[int]
    store_sequences: int
    pf: PhaseFieldModel
    parts: ResumableParts
    bar: tqdm


def _evaluate_batch(job: _EvaluationJob, batch: range) -> None:
    """Roll the network out on the sequences ``batch`` and write their measures as one part."""
    indices = np.arange(batch.start, batch.stop)
    eta = job.ds.eta[indices]
    phi0 = job.ds.read(indices, 0)
    b, T = len(indices), job.T
    out = {
        name: np.empty((b, T + 1))
        for name in ("mae", "interface_error")
        + tuple(f"{side}/{name}" for side in ("nn", "pf") for name in FRAME_METRICS)
    }
    keep = indices < job.store_sequences
    kept = {
        side: np.empty((int(keep.sum()), len(job.stored), *phi0.shape[-2:]), np.float32)
        for side in ("nn", "pf")
    }
    trackers = [
        Measures(out, slice(None), paired_measures(eta, job.pf)),
        FrameStore(kept, slice(None), job.stored, select=keep),
        Progress(job.bar, b),
        NonFiniteWarning(indices),
    ]
    walk(phi0, _network_frames(job.net, phi0, eta, T), lambda t: job.ds.read(indices, t), trackers)
    write_arrays(job.parts.path(batch), {**out, "frames/nn": kept["nn"], "frames/pf": kept["pf"]})


def _network_frames(net: CRNN, phi0: np.ndarray, eta: np.ndarray, n_frames: int):
    """The CRNN's frames 1..``n_frames`` from ``phi0`` [B, N, N], as float32 NumPy arrays."""
    parameter = next(net.parameters())
    phi0_t = torch.as_tensor(phi0, dtype=parameter.dtype, device=parameter.device)
    eta_t = torch.as_tensor(eta, dtype=parameter.dtype, device=parameter.device)
    with torch.inference_mode():
        for frame in rollout_frames(net, phi0_t, eta_t, n_frames):
            yield frame.float().cpu().numpy()


def _assemble(out_path: Path, key: str, sources: list[Path], columns, T: int, attrs) -> None:
    """Join the parts ``sources`` (batches of sequences, in order) into the group ``key``."""
    names = ["mae", "interface_error"] + [
        f"{side}/{name}" for side in ("nn", "pf") for name in FRAME_METRICS
    ]
    parts = [read_arrays(p, [*names, "frames/nn", "frames/pf"]) for p in sources]
    arrays = {
        name: np.concatenate([part[name] for part in parts])
        for name in [*names, "frames/nn", "frames/pf"]
    }
    identity = json.loads(attrs["identity"])
    arrays["frames/frame"] = np.asarray(identity["frames_to_store"], np.int64)
    arrays |= {name: np.asarray(values) for name, values in columns.items()}
    arrays["frame"] = np.arange(T + 1)
    replace_group(
        out_path,
        key,
        arrays,
        {**attrs, "spinodal_version": __version__},
        compressed=("frames/nn", "frames/pf"),
    )


def read_evaluation(path: str | Path, key: str) -> dict:
    """Every array of an evaluation group as a dict (``"nn/paper_total"``, ``"frames/pf"``,
    ...), plus ``"attrs"`` (the group's attributes). A group of another schema version is
    refused with a message saying how to get a readable one."""
    arrays, attrs = read_group(path, key, what="evaluation")
    version = int(attrs.get("schema_version", 0))
    if version != SCHEMA_VERSION:
        remedy = (
            "upgrade spinodal"
            if version > SCHEMA_VERSION
            else "run the same evaluation again (spinodal evaluate) to measure it anew"
        )
        raise ValueError(
            f"evaluation {key!r} of {path} has schema version {version}; this spinodal "
            f"reads version {SCHEMA_VERSION}: {remedy}"
        )
    return {"attrs": attrs, **arrays}


# --- perturbed PF ensembles (Fig. 6, Fig. S5) --------------------------------------------------


_ENSEMBLE_MEASURES = ("paper_total", "interface")  # of the noisy PF runs (Fig. 6b)


def perturbed_ensemble(
    dataset_path: str | Path,
    noise_std: float,
    *,
    indices: Sequence[int] | None = None,
    n_frames: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = False,
    steps_per_frame: int | None = None,
) -> dict[str, np.ndarray]:
    """PF runs with noise from the initial states of a dataset, against its deterministic PF.

    Each sequence is integrated again from its frame 0 with the dataset's solver constants and
    Gaussian noise of standard deviation ``noise_std`` added to φ at every step, made exactly
    mass conserving (:meth:`PhaseFieldModel.evolve`, Sec. 3.2), streaming frame by frame.
    ``steps_per_frame`` (default: the dataset's, 100) makes the same frames τ apart with fewer,
    proportionally longer steps δt = τ / ``steps_per_frame`` (:func:`coarse_solver`).

    Returns:
        dict with ``index`` [S], ``mae`` [S, T+1] (⟨|φ_noise - φ|⟩, Fig. 6a), ``paper_total``
        [S, T+1] (⟨f⟩ of the noisy runs, Fig. 6b), ``interface`` [S, T+1] (2⟨w⟩),
        ``noise_std`` and ``steps_per_frame``. Batch k's noise is seeded from (``seed``, its
        first index): reproducible for the same arguments and device. ``batch_size`` defaults
        to the dataset's generation batch: with the same batches and device, ``noise_std = 0``
        reproduces the dataset bitwise (batched FFTs round differently in the last bit).
    """
    if not (np.isfinite(noise_std) and noise_std >= 0):
        raise ValueError(f"noise_std must be a non-negative finite number, got {noise_std!r}")
    with open_dataset(dataset_path) as ds:
        T, indices = _frames_and_sequences(ds, n_frames, indices)
        pf = ds.pf
        steps = int(ds.attrs.get("steps_per_frame", 100))
        if steps_per_frame is not None:
            pf = pf.coarse(steps_per_frame, steps)
            steps = int(steps_per_frame)
        out = {name: np.empty((len(indices), T + 1)) for name in ("mae", *_ENSEMBLE_MEASURES)}
        bar = tqdm(
            total=len(indices) * (T + 1), unit="frame", disable=not progress, desc="perturbed"
        )
        if batch_size is None:
            batch_size = int(ds.attrs.get("generation_batch", 8))
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            rows = slice(start, start + len(chunk))
            phi0, eta = ds.read(chunk, 0), ds.eta[chunk]
            batch_seed = int(np.random.SeedSequence([seed, int(chunk[0])]).generate_state(1)[0])
            frames = pf.frames(
                phi0,
                eta,
                T,
                steps_per_frame=steps,
                noise_std=float(noise_std),
                seed=batch_seed,
                dtype="float32",
                device=device,
            )
            trackers = [
                Measures(out, rows, single_measures(eta, pf, _ENSEMBLE_MEASURES)),
                Progress(bar, len(chunk)),
            ]
            reference = lambda t, chunk=chunk: ds.read(chunk, t)  # noqa: E731
            walk(phi0, (f.cpu().numpy() for f in frames), reference, trackers)
        bar.close()
    return {"index": indices, "noise_std": float(noise_std), "steps_per_frame": steps, **out}


def coarse_solver(
    dataset_path: str | Path, steps_per_frame: int = 1, **kwargs
) -> dict[str, np.ndarray]:
    """The solver itself as a yardstick of the surrogate (not in the paper): each sequence of a
    dataset integrated again from its frame 0 with the scheme of Eq. 8 at a time step
    ``steps_per_frame`` times coarser per τ (δt = τ / ``steps_per_frame``; the data take 100
    steps of δt = 0.01), against the data's own frames.

    The semi-implicit scheme stays stable at δt = τ; its error is first order in δt. A
    surrogate that is less accurate than the coarse run, which costs ``steps_per_frame`` FFT
    pairs per τ, buys nothing in accuracy or, on a CPU, speed.

    Args:
        dataset_path: the reference dataset.
        steps_per_frame: solver steps per τ (1: one step of δt = τ per frame).
        kwargs: ``indices``, ``n_frames``, ``batch_size``, ``device``, ``progress`` as for
            :func:`perturbed_ensemble`.

    Returns:
        as :func:`perturbed_ensemble` (``noise_std`` 0): ``mae`` [S, T+1] is ⟨|φ_coarse − φ|⟩.
    """
    return perturbed_ensemble(dataset_path, 0.0, steps_per_frame=steps_per_frame, **kwargs)


def noise_search(
    target_mae,
    dataset_path: str | Path,
    noise_levels: Sequence[float],
    **kwargs,
) -> dict[str, np.ndarray]:
    """Perturbed PF ensembles at several noise levels, compared with a target MAE curve
    (Fig. 6, Fig. S5): every run is kept, so medians, quartiles and ⟨f⟩ of each level can be
    plotted without running PF again.

    Args:
        target_mae: a median MAE curve [T'+1] (e.g. the NN's), frame 0 first; or per-sequence
            curves [S, T'+1], whose median is taken (NaN, e.g. of diverged rollouts, ignored).
        dataset_path, kwargs: as for :func:`perturbed_ensemble` (``n_frames`` defaults to the
            target's length).
        noise_levels: the standard deviations to try (the paper finds 7.5e-4).

    Returns:
        dict (arrays, ready for :meth:`spinodal.pipeline.workspace.Workspace.cached`) with
        ``noise_std`` [L], ``distance`` [L] (RMS difference of the log10 median MAE curves
        over the frames ≥ 1 where the target is finite; inf if there is none), ``best`` (the
        level of smallest distance), ``target`` [T+1] (the median target curve), ``index``
        [S] and the runs' ``mae``, ``paper_total`` and ``interface`` [L, S, T+1].
    """
    target = np.asarray(target_mae, dtype=np.float64)
    if target.ndim == 2:
        target = metrics.ensemble_summary(target).median
    if target.ndim != 1 or len(target) < 2:
        raise ValueError(f"target_mae must be a curve [T+1] with T >= 1, got {target.shape}")
    if len(noise_levels) == 0:
        raise ValueError("noise_levels is empty")
    kwargs.setdefault("n_frames", len(target) - 1)
    if kwargs["n_frames"] is not None and len(target) < int(kwargs["n_frames"]) + 1:
        raise ValueError(
            f"target_mae has {len(target) - 1} frames, n_frames is {kwargs['n_frames']}"
        )
    runs = [perturbed_ensemble(dataset_path, level, **kwargs) for level in noise_levels]
    T = runs[0]["mae"].shape[1] - 1
    if len(target) < T + 1:
        raise ValueError(f"target_mae has {len(target) - 1} frames, the runs {T}")
    target = target[: T + 1]
    distances = [_log_distance(metrics.ensemble_summary(r["mae"]).median, target) for r in runs]
    return {
        "noise_std": np.asarray(noise_levels, dtype=np.float64),
        "distance": np.asarray(distances),
        "best": float(noise_levels[int(np.argmin(distances))]),
        "target": target,
        "index": runs[0]["index"],
        **{name: np.stack([r[name] for r in runs]) for name in ("mae", *_ENSEMBLE_MEASURES)},
    }


def cached_noise_search(
    workspace, target, indices, noise_levels: Sequence[float], *, seed: int
) -> dict[str, np.ndarray]:
    """:func:`noise_search` on the sequences ``indices`` of the ``ensemble`` split of
    ``workspace`` (a :class:`spinodal.pipeline.workspace.Workspace`), against the NN's median
    MAE before divergence ``target`` [T+1] (whose length sets the frames), cached as
    ``noise_search`` and keyed by the levels, the number of sequences, the frames, ``seed`` and
    the model's weights (chapter 05: the paper's noise match, Sec. 3.2, Fig. 6a)."""
    indices = np.asarray(indices, dtype=int)
    n_frames = len(target) - 1
    return workspace.cached(
        "noise_search",
        lambda: noise_search(
            target,
            workspace.dataset("ensemble"),
            noise_levels,
            indices=indices,
            n_frames=n_frames,
            seed=seed,
            device=workspace.device,
        ),
        levels=[float(level) for level in noise_levels],
        sequences=len(indices),
        n_frames=n_frames,
        seed=seed,
        model=workspace.model_identity(),
        target="median before divergence",
    )


def no_change_errors(
    dataset_path: str | Path,
    *,
    indices: Sequence[int] | None = None,
    n_frames: int | None = None,
) -> dict[str, np.ndarray]:
    """The no-change forecast φ_t = φ₀ of a dataset's sequences against their frames, the
    baseline every surrogate must beat (not in the paper), streaming frame by frame.

    Returns:
        ``index`` [S] and ``mae`` [S, T+1] (⟨|φ₀ − φ_t|⟩, 0 at frame 0).
    """
    with open_dataset(dataset_path) as ds:
        T, indices = _frames_and_sequences(ds, n_frames, indices)
        phi0 = ds.read(indices, 0)
        mae = np.stack([metrics.mae(phi0, ds.read(indices, t)) for t in range(T + 1)], axis=1)
    return {"index": indices, "mae": mae}


def cached_yardsticks(workspace, split: str, steps_per_frame: int = 1) -> dict[str, np.ndarray]:
    """The yardsticks of the NN's MAE on every sequence of ``split`` of ``workspace`` (a
    :class:`spinodal.pipeline.workspace.Workspace`), cached as ``yardsticks``: the no-change
    forecast (:func:`no_change_errors`) and the solver at δt = τ / ``steps_per_frame``
    (:func:`coarse_solver`), with the wall time of the coarse runs (chapter 04; not in the
    paper).

    Returns:
        ``no_change`` and ``coarse`` [S, T+1] MAE, ``coarse_seconds`` (wall time of all coarse
        runs on the workspace's device) and ``steps_per_frame``.
    """

    def compute() -> dict[str, np.ndarray]:
        path = workspace.dataset(split)
        began = time.perf_counter()
        coarse = coarse_solver(path, steps_per_frame, device=workspace.device)
        seconds = time.perf_counter() - began
        return {
            "no_change": no_change_errors(path)["mae"],
            "coarse": coarse["mae"],
            "coarse_seconds": seconds,
            "steps_per_frame": steps_per_frame,
        }

    return workspace.cached("yardsticks", compute, split=split, steps_per_frame=steps_per_frame)


def _log_distance(curve: np.ndarray, target: np.ndarray) -> float:
    """RMS of log10(curve) - log10(target) over frames ≥ 1 where the target is finite."""
    floor = 1e-12
    usable = np.isfinite(target[1:])
    if not usable.any():
        return float("inf")
    diff = np.log10(np.maximum(curve[1:], floor)) - np.log10(np.maximum(target[1:], floor))
    return float(np.sqrt(np.mean(diff[usable] ** 2)))


# --- phase diagram (Fig. 8) ------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseDiagram:
    """NN and PF classifications of the same sequences (Sec. 3.4, Fig. 8a).

    Attributes:
        phi_mean, eta: the sequences' parameters [S].
        nn_separated, pf_separated: phase separated (max φ - min φ > threshold) [S]; a
            diverged field (:func:`spinodal.physics.metrics.has_diverged`) is not.
        threshold: the classification threshold (paper: 0.05).
        nn_diverged: [S] the NN field has left the physical range: neither separated nor
            homogeneous, it never agrees with the PF.
    """

    phi_mean: np.ndarray
    eta: np.ndarray
    nn_separated: np.ndarray
    pf_separated: np.ndarray
    threshold: float
    nn_diverged: np.ndarray

    @property
    def counts(self) -> dict[str, int]:
        """Confusion counts: ``both_separated``, ``both_homogeneous``, ``nn_separated_only``
        (NN predicts separation, PF stays homogeneous) and ``nn_homogeneous_only`` (the
        reverse; the paper finds none)."""
        nn, pf, ok = self.nn_separated, self.pf_separated, ~self.nn_diverged
        return {
            "both_separated": int((nn & pf).sum()),
            "both_homogeneous": int((~nn & ~pf & ok).sum()),
            "nn_separated_only": int((nn & ~pf).sum()),
            "nn_homogeneous_only": int((~nn & pf & ok).sum()),
            "nn_diverged": int(self.nn_diverged.sum()),
        }

    @property
    def agree(self) -> np.ndarray:
        """[S] True where NN and PF classify alike (never for a diverged NN field)."""
        return (self.nn_separated == self.pf_separated) & ~self.nn_diverged

    @property
    def accuracy(self) -> float:
        """Fraction of sequences classified alike (paper: 491/500 = 98 %)."""
        return float(self.agree.mean()) if len(self.agree) else float("nan")


def phase_diagram(nn_frames, pf_frames, phi_mean, eta, threshold: float = 0.05) -> PhaseDiagram:
    """Classify NN and PF fields [S, N, N] (e.g. at 100τ) as phase separated or not
    (:func:`spinodal.physics.metrics.is_phase_separated`) and compare them."""
    nn = metrics.is_phase_separated(nn_frames, threshold)
    pf = metrics.is_phase_separated(pf_frames, threshold)
    return _diagram(nn, pf, phi_mean, eta, threshold, metrics.has_diverged(nn_frames))


def _diagram(nn, pf, phi_mean, eta, threshold, nn_diverged) -> PhaseDiagram:
    nn, pf = np.atleast_1d(nn).astype(bool), np.atleast_1d(pf).astype(bool)
    nn_diverged = np.atleast_1d(nn_diverged).astype(bool)
    phi_mean = np.atleast_1d(np.asarray(phi_mean, np.float64))
    eta = np.atleast_1d(np.asarray(eta, np.float64))
    if not (nn.shape == pf.shape == phi_mean.shape == eta.shape) or nn.ndim != 1:
        raise ValueError(
            f"need one classification per sequence: got NN {nn.shape}, PF {pf.shape}, "
            f"phi_mean {phi_mean.shape}, eta {eta.shape}"
        )
    return PhaseDiagram(phi_mean, eta, nn & ~nn_diverged, pf, float(threshold), nn_diverged)


def _classify(nn_contrast, pf_contrast, threshold) -> tuple[np.ndarray, ...]:
    """(NN separated, PF separated, NN diverged) from stored contrasts max φ - min φ."""
    diverged = metrics.exceeds_physical_range(nn_contrast)
    return (nn_contrast > threshold) & ~diverged, pf_contrast > threshold, diverged


def phase_diagram_from_results(
    results: dict, frame: int = PHASE_DIAGRAM_FRAME, threshold: float = 0.05
) -> PhaseDiagram:
    """The phase diagram at ``frame`` (default 100τ) from the results of an evaluation (the
    dict :func:`read_evaluation` or :meth:`spinodal.pipeline.workspace.Workspace.evaluation`
    returns), using its stored max - min of φ (no frames needed). A diverged NN field
    (:func:`spinodal.physics.metrics.exceeds_physical_range` of its contrast) counts as
    diverged, neither separated nor homogeneous."""
    last = results["nn/contrast"].shape[1] - 1
    if not 0 <= frame <= last:
        raise ValueError(f"frame must be in [0, {last}] for this evaluation, got {frame}")
    nn, pf = results["nn/contrast"][:, frame], results["pf/contrast"][:, frame]
    classes = _classify(nn, pf, threshold)
    return _diagram(*classes[:2], results["phi_mean"], results["eta"], threshold, classes[2])


def phase_diagram_from_evaluation(
    path: str | Path, key: str, frame: int = PHASE_DIAGRAM_FRAME, threshold: float = 0.05
) -> PhaseDiagram:
    """:func:`phase_diagram_from_results` of the group ``key`` of the results file ``path``
    (:func:`evaluate_split`), reading only the contrasts and parameters."""
    results, _ = read_group(
        path, key, ("nn/contrast", "pf/contrast", "phi_mean", "eta"), what="evaluation"
    )
    try:
        return phase_diagram_from_results(results, frame, threshold)
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None


def amplitude_sensitivity(
    net,
    phi_mean: float,
    eta: float,
    amplitudes: Sequence[float],
    *,
    size: int = 128,
    n_frames: int = 200,
    seed: int = 0,
    threshold: float = 0.05,
    device: str | torch.device | None = None,
    pf: PhaseFieldModel | None = None,
) -> dict[str, np.ndarray]:
    """One Perlin pattern at several amplitudes, evolved by NN and PF (Fig. 8c).

    The initial states are ⟨φ⟩ + a p̃ with the same unit-peak Perlin field p̃ (drawn from
    ``seed``, :func:`spinodal.physics.initial.initial_state`) and a in ``amplitudes``; near the
    spinodal the larger amplitude separates while the smaller one stays mixed.

    Returns:
        dict with ``amplitude`` [A], ``phi0``, ``pf``, ``nn`` [A, size, size] (frames 0 and
        ``n_frames``) and ``pf_separated``, ``nn_separated`` [A] (max - min > ``threshold``).
    """

    pf = pf or PhaseFieldModel()
    amplitudes = np.atleast_1d(np.asarray(amplitudes, dtype=np.float64))
    phi0 = np.stack(
        [initial_state((size, size), phi_mean, a, np.random.default_rng(seed)) for a in amplitudes]
    ).astype(np.float32)
    *_, pf_last = pf.frames(phi0, eta, n_frames, dtype="float32", device=device)
    nn = rollout(net, phi0, eta, n_frames, every=max(n_frames, 1), device=device)[:, -1]
    pf_last = pf_last.cpu().numpy()
    return {
        "amplitude": amplitudes,
        "phi0": phi0,
        "pf": pf_last,
        "nn": nn,
        "pf_separated": metrics.is_phase_separated(pf_last, threshold),
        "nn_separated": metrics.is_phase_separated(nn, threshold),
    }


# --- domain-size generalization (Fig. 7) -----------------------------------------------------


def domain_rollout(
    net,
    dataset_path: str | Path,
    indices: Sequence[int] | None = None,
    *,
    every: int = 10,
    n_frames: int | None = None,
    batch_size: int | None = None,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """NN rollouts from frame 0 of some sequences, against the PF frames of the file (Fig. 7).

    Meant for the few large-domain sequences of the ``large`` and ``varying`` splits (Sec. 3.3):
    the CRNN, trained on small domains, is applied unchanged to N × N fields (it is fully
    convolutional and periodic). Streams frame by frame: besides the kept frames, only the
    current NN and PF frames of one batch are in memory.

    Args:
        net: a CRNN, or a checkpoint folder (loaded with :func:`spinodal.load_model`).
        dataset_path: an HDF5 dataset (:mod:`spinodal.io.datasets`).
        indices: sequences to roll out (default: all).
        every: keep the fields of every ``every``-th frame (and the last one).
        n_frames: frames to predict after frame 0 (default: the dataset's length).
        batch_size: sequences rolled out together (default: all of ``indices``).
        device: where the CRNN runs (default: the network's device, CPU for a folder).
        progress: show a progress bar.

    Returns:
        dict with ``index``, ``eta``, ``phi_mean`` [S]; ``frame`` [T+1] (time in τ);
        ``mae`` [S, T+1] (⟨|φ_NN - φ_PF|⟩), ``interface_error`` [S, T+1]
        (|L_NN - L_PF| / L_PF with L = 2⟨w⟩), ``nn/paper_total``, ``pf/paper_total``,
        ``nn/interface``, ``pf/interface`` [S, T+1] (⟨f⟩ and 2⟨w⟩);
        ``stored_frame`` [F] (0, ``every``, 2 ``every``, ..., T) and ``nn``, ``pf``
        [S, F, N, N] float32, the fields at those frames. A diverging rollout gives NaN
        measures from the frame where it stops being finite.
    """

    net = _network(net, device)
    if isinstance(every, bool) or int(every) != every or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    with open_dataset(dataset_path) as ds:
        T, indices = _frames_and_sequences(ds, n_frames, indices)
        stored = sorted({*range(0, T + 1, int(every)), T})
        S, N = len(indices), ds.size
        measured = ("paper_total", "interface")
        out = {
            name: np.full((S, T + 1), np.nan)
            for name in ("mae", "interface_error")
            + tuple(f"{side}/{n}" for side in ("nn", "pf") for n in measured)
        }
        kept = {side: np.empty((S, len(stored), N, N), np.float32) for side in ("nn", "pf")}
        pf, eta_all = ds.pf, ds.eta[indices]
        step = S if batch_size is None else int(batch_size)
        if step < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        bar = tqdm(total=S * (T + 1), unit="frame", desc="domain rollout", disable=not progress)
        for start in range(0, S, step):
            rows = slice(start, min(start + step, S))
            chunk, eta = indices[rows], eta_all[rows]
            phi0 = ds.read(chunk, 0)
            trackers = [
                Measures(out, rows, paired_measures(eta, pf, measured)),
                FrameStore(kept, rows, stored),
                Progress(bar, len(chunk)),
                NonFiniteWarning(chunk),
            ]
            reference = lambda t, chunk=chunk: ds.read(chunk, t)  # noqa: E731
            walk(phi0, _network_frames(net, phi0, eta, T), reference, trackers)
        bar.close()
        return {
            "index": indices,
            "eta": eta_all.astype(np.float64),
            "phi_mean": ds.phi_mean[indices].astype(np.float64),
            "frame": np.arange(T + 1),
            "stored_frame": np.asarray(stored, np.int64),
            **out,
            **kept,
        }


def cached_domain_rollout(workspace, split: str, frames_kept: int) -> dict[str, np.ndarray]:
    """:func:`domain_rollout` of every sequence of a split of ``workspace`` (a
    :class:`spinodal.pipeline.workspace.Workspace`) with its CRNN, keeping the fields of about
    ``frames_kept`` frames per sequence (every ``n_frames // frames_kept``-th; the measures
    cover every frame), cached as ``domain-SPLIT`` and keyed by the model's weights, the split
    and that spacing (chapter 06: the ``large`` and ``varying`` splits, Sec. 3.3, Fig. 7)."""
    every = max(1, workspace.preset.split(split).n_frames // frames_kept)
    return workspace.cached(
        f"domain-{split}",
        lambda: domain_rollout(
            workspace.net(), workspace.dataset(split), every=every, device=workspace.device
        ),
        model=workspace.model_identity(),
        split=split,
        every=every,
    )
