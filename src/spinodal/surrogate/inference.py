"""Free rollout of a trained CRNN from initial states (paper Sec. 2.3: φ_0 and η only).

:func:`rollout` predicts φ_τ, φ_2τ, ... from φ_0 by applying :meth:`CRNN.step` to its own output,
batched and under ``torch.inference_mode``; memory stays bounded because only the recorded frames
are kept (on the CPU) and the fields can be processed in chunks. :func:`predict_to_file` serves
``spinodal predict``: it reads initial states from ``.npy`` or HDF5, rolls them out and streams
the frames into an HDF5 file, written atomically.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..io.datasets import read_frames
from ..io.files import check_room, prepare_output
from ..io.results import streamed_array
from ..physics.fields import as_field_batch, as_parameter, check_misfit, read_npy
from ..physics.metrics import PHYSICAL_RANGE, has_diverged
from .checkpoint import load_model, training_range
from .model import CRNN

__all__ = [
    "rollout",
    "rollout_frames",
    "predict_to_file",
    "net_on",
    "DivergenceWatch",
    "PRECISIONS",
    "autocast",
]

log = logging.getLogger(__name__)


def net_on(net: CRNN, device: str | torch.device | None) -> CRNN:
    """``net`` itself if it already lives on ``device`` (or ``device`` is None), else a copy
    moved there: the caller's network is never moved."""
    if device is None:
        return net
    current, target = next(net.parameters()).device, torch.device(device)
    if target.type == current.type and target.index in (None, current.index):
        return net
    return copy.deepcopy(net).to(target)


PRECISIONS = ("float32", "bfloat16")
"""Arithmetic of a rollout: ``float32`` (the default) or ``bfloat16`` (autocast: the network's
convolutions and gates in bfloat16, the output layer and φ between steps in float32)."""


def autocast(device: str | torch.device, precision: str) -> torch.autocast:
    """The autocast context that runs the network in ``precision`` (one of :data:`PRECISIONS`)
    on ``device``; for ``"float32"`` it does nothing."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return torch.autocast(
        torch.device(device).type, dtype=torch.bfloat16, enabled=precision == "bfloat16"
    )


def _check_counts(n_frames: int, every: int) -> tuple[int, int]:
    if isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 0:
        raise ValueError(f"n_frames must be a non-negative integer, got {n_frames!r}")
    if isinstance(every, bool) or int(every) != every or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    if n_frames % every:
        raise ValueError(f"every ({every}) must divide n_frames ({n_frames})")
    return int(n_frames), int(every)


def rollout_frames(
    net: CRNN, phi0: torch.Tensor, eta: torch.Tensor, n_frames: int, every: int = 1
) -> Iterator[torch.Tensor]:
    """Yield the recorded frames φ_{kτ}, φ_{2kτ}, ..., φ_{n_frames τ} (k = ``every``), each
    [B, H, W] on the network's device, from φ_0 ``phi0`` [B, H, W] and misfits ``eta`` [B].

    The low-level, memory-bounded loop (no input validation, no chunking): ``phi0`` and ``eta``
    must already be tensors on the network's device and dtype. Run it under
    ``torch.inference_mode()`` (as :func:`rollout` does) unless gradients are wanted: autograd
    would otherwise keep the graph of every step.
    """
    n_frames, every = _check_counts(n_frames, every)
    hidden = net.initial_hidden(phi0)
    phi = phi0
    for t in range(1, n_frames + 1):
        phi, hidden = net.step(phi, hidden, eta)
        if t % every == 0:
            yield phi


def _prepare(
    net: CRNN, phi0, eta, device, name: str = "phi0"
) -> tuple[CRNN, torch.Tensor, torch.Tensor, bool]:
    """(net on the device, validated fields [B, H, W], misfits [B], whether input was 3D)."""
    net = net_on(net, device)
    parameter = next(net.parameters())
    batch = as_field_batch(phi0, name=name, dtype=parameter.dtype, device=parameter.device)
    check_misfit(eta.detach().cpu().numpy() if isinstance(eta, torch.Tensor) else eta)
    eta = as_parameter(eta, batch.data.shape[0], name="eta", like=batch.data)
    return net, batch.data, eta, batch.batched


def warn_outside_training(card: dict, eta, phi_mean) -> None:
    """Warn when a misfit or mean composition lies outside what the checkpoint was trained on
    (:func:`spinodal.surrogate.checkpoint.training_range`): the network extrapolates there."""
    trained = training_range(card)
    if trained is None:
        return
    for name, values, unit in (("eta", eta, 100.0), ("<phi>", phi_mean, 1.0)):
        low, high = trained["eta" if name == "eta" else "phi_mean"]
        values = np.atleast_1d(np.asarray(values, dtype=np.float64))
        outside = (values < low - 1e-12) | (values > high + 1e-12)
        if outside.any():
            suffix = " %" if unit != 1.0 else ""
            log.warning(
                "%s = %s lies outside the range the model was trained on, [%g, %g]%s: the "
                "network extrapolates there, trust it less",
                name,
                ", ".join(f"{v * unit:g}" for v in np.unique(values[outside])[:5]) + suffix,
                low * unit,
                high * unit,
                suffix,
            )


def _chunks(n: int, batch_size: int | None) -> list[slice]:
    if batch_size is None:
        return [slice(0, n)]
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    return [slice(s, min(s + int(batch_size), n)) for s in range(0, n, int(batch_size))]


class DivergenceWatch:
    """Watches the frames of a rollout with the project's divergence criterion
    (:func:`spinodal.physics.metrics.has_diverged`) and warns once per field, naming the time at
    which it first left the physical range. ``first`` [B] holds that time in τ (-1: never)."""

    def __init__(self, n_fields: int):
        self.first = np.full(n_fields, -1, dtype=np.int64)

    def see(self, fields: slice, time: int, frame: torch.Tensor) -> None:
        """Record ``frame`` [b, H, W] of the fields ``fields`` at ``time`` τ."""
        diverged = has_diverged(frame.float().cpu().numpy())
        new = np.flatnonzero(diverged & (self.first[fields] < 0)) + fields.start
        if len(new):
            self.first[new] = time
            log.warning(
                "the CRNN rollout of field(s) %s left the physical range (max φ - min φ > %g "
                "or not finite) at %dτ: the frames from there on are not physical",
                new.tolist(),
                PHYSICAL_RANGE,
                time,
            )


def rollout(
    net: CRNN,
    phi0,
    eta,
    n_frames: int,
    *,
    every: int = 1,
    batch_size: int | None = None,
    device: str | torch.device | None = None,
    precision: str = "float32",
) -> np.ndarray:
    """Predict ``n_frames`` frames τ apart from φ_0 alone (free rollout, paper Sec. 2.3).

    Args:
        net: a CRNN (e.g. from :func:`spinodal.surrogate.checkpoint.load_model`); its mode
            (train/eval) does not matter, the network has no dropout or normalization layers.
        phi0: initial fields [H, W] or [B, H, W], numpy or torch (any size ≥ 4: the network is
            fully convolutional and periodic).
        eta: misfit η as a fraction (0.006 = 0.6 %), a float or one per field [B].
        n_frames: frames to predict after φ_0 (each one τ = 100 solver steps later).
        every: record every ``every``-th frame only; it must divide ``n_frames``.
        batch_size: fields rolled out together (default: all at once); bounds device memory.
        device: where to compute (default: the network's device). A network elsewhere is copied
            there; the caller's network is not moved.
        precision: ``"float32"`` or ``"bfloat16"`` (see :data:`PRECISIONS`). bfloat16 is not
            faster on every CPU (it was 1.5× slower on a 2-core Xeon with AVX-512 BF16): time
            it with ``spinodal bench model --precision``.

    Returns:
        numpy array [..., n_frames // every + 1, H, W] in the network's dtype (float32), with
        the leading B only for 3D input (numpy also for torch input): frame 0 is ``phi0``,
        frame i is φ at time i·every·τ. Only these frames are kept, in host memory.

    Raises:
        ValueError: wrong shape, non-finite fields or η, wrong number of η values, bad counts.
    """
    n_frames, every = _check_counts(n_frames, every)
    net, phi, eta, batched = _prepare(net, phi0, eta, device)
    arithmetic = autocast(phi.device, precision)
    B, H, W = phi.shape
    out = torch.empty((B, n_frames // every + 1, H, W), dtype=phi.dtype)
    out[:, 0] = phi.cpu()
    watch = DivergenceWatch(B)
    with torch.inference_mode(), arithmetic:
        for chunk in _chunks(B, batch_size):
            frames = rollout_frames(net, phi[chunk], eta[chunk], n_frames, every)
            for i, frame in enumerate(frames, start=1):
                out[chunk, i] = frame.cpu()
                watch.see(chunk, i * every, frame)
    result = out.numpy()
    return result if batched else result[0]


def _read_init(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Initial fields [N, N] or [B, N, N] and the file's misfits (None if it has none).

    ``.npy``: the array itself. HDF5: a dataset file (frame 0 of every sequence and the
    per-sequence η) or a ``spinodal simulate`` trajectory (its frame 0 and its ``eta`` attribute).
    """

    if not path.is_file():
        raise FileNotFoundError(f"initial state {path} does not exist")
    if path.suffix == ".npy":
        return read_npy(path), None
    if path.suffix not in (".h5", ".hdf5"):
        raise ValueError(f"--init must be a .npy or .h5 file, got {path}")
    read = read_frames(path, frames=[0])
    eta = None if np.isnan(read.eta).all() else read.eta
    return (read.phi[0, 0] if read.trajectory else read.phi[:, 0]), eta


def predict_to_file(
    model_dir: str | Path,
    init: str | Path,
    eta: float | None,
    n_frames: int,
    out: str | Path,
    every: int = 1,
    device: str | torch.device | None = None,
    batch_size: int | None = 16,
    overwrite: bool = False,
    precision: str = "float32",
) -> Path:
    """Roll out a checkpoint from the initial states in ``init`` and write ``out`` (HDF5).

    Args:
        model_dir: checkpoint folder (:func:`spinodal.surrogate.checkpoint.save_checkpoint`).
        init: ``.npy`` with one field [N, N] or a batch [B, N, N]; or an HDF5 dataset (frame 0
            of every sequence, with each sequence's η); or a ``spinodal simulate`` trajectory
            (its frame 0 and η).
        eta: misfit as a fraction for every field; None takes the file's η (required for
            ``.npy``).
        n_frames: frames to predict; ``every``: record every ``every``-th (must divide it).
        out: the HDF5 file to write, atomically (temporary file, then rename).
        device: where to compute (default CPU); ``batch_size``: fields rolled out together.
        overwrite: replace an existing ``out`` (default: refuse, FileExistsError).
        precision: the network's arithmetic, ``"float32"`` or ``"bfloat16"`` (:func:`rollout`).

    The file holds ``phi`` [B, n_frames // every + 1, N, N] float32 ([T'+1, N, N] for a single
    [N, N] field), frame 0 the initial state, and attributes ``eta`` (one per field), ``every``,
    ``n_frames``, ``init``, ``model`` (the checkpoint path), ``model_card`` (JSON),
    ``device``, ``spinodal_version`` and ``diverged_at`` (per field, the first recorded time in
    τ at which the rollout left the physical range, -1 if it never did; a warning names it).
    Frames are streamed to disk as they are computed.
    """

    n_frames, every = _check_counts(n_frames, every)
    init = Path(init)
    out = prepare_output(out, overwrite=overwrite)
    fields, file_eta = _read_init(init)
    if eta is None:
        if file_eta is None:
            raise ValueError(f"{init} holds no misfit: give eta (--eta)")
        eta = file_eta if np.ndim(fields) == 3 else file_eta[0]
    elif file_eta is not None:
        log.info("using eta = %s for every field instead of the values in %s", eta, init)
    net = load_model(model_dir, device)
    net, phi, eta_b, batched = _prepare(net, fields, eta, None, name=str(init))
    arithmetic = autocast(phi.device, precision)
    B, H, W = phi.shape
    eta_values = np.broadcast_to(np.asarray(eta, dtype=np.float64), (B,)).copy()
    warn_outside_training(net.card, eta_values, phi.mean(dim=(-2, -1)).cpu().numpy())
    recorded = n_frames // every + 1
    check_room(out, B * recorded * H * W * 4)
    shape = (B, recorded, H, W) if batched else (recorded, H, W)
    chunks = (1, 1, H, W) if batched else (1, H, W)
    with streamed_array(out, "phi", shape, chunks) as stored:

        def write(rows: slice, t: int, frame: torch.Tensor) -> None:
            data = frame.cpu().numpy()
            if batched:
                stored.data[rows, t] = data
            else:
                stored.data[t] = data[0]

        write(slice(0, B), 0, phi)
        watch = DivergenceWatch(B)
        with torch.inference_mode(), arithmetic:
            for chunk in _chunks(B, batch_size):
                frames = rollout_frames(net, phi[chunk], eta_b[chunk], n_frames, every)
                for i, frame in enumerate(frames, start=1):
                    write(chunk, i, frame)
                    watch.see(chunk, i * every, frame)
        stored.attrs.update(
            {
                "eta": eta_values if batched else float(eta_values[0]),
                "diverged_at": watch.first if batched else int(watch.first[0]),
                "every": every,
                "n_frames": n_frames,
                "init": str(init),
                "model": str(Path(model_dir)),
                "model_card": json.dumps(net.card, sort_keys=True),
                "device": str(phi.device),
                "precision": precision,
                "spinodal_version": __version__,
            }
        )
    return out
