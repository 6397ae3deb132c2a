"""Training of the CRNN (paper Sec. 2.3): curriculum, augmentation, noise, checkpoints, DDP.

Recipe: Adam on Eq. 11; the file's 4:1 train/validation partition; D4 (rotations, reflections)
and φ → 1 - φ augmentation; mass-conserving Gaussian noise (std 1e-3) added to the input frames;
curriculum learning — at the first epoch the network sees T true frames and predicts only the
last, then the number of true input frames falls linearly to 1 over ``curriculum_epochs``, after
which it sees only φ_0 and predicts all T frames; the loss counts predicted frames only. The
model with the best validation loss (full rollouts from φ_0) is kept. Optional additions, each a
field of :class:`~spinodal.presets.TrainConfig`: an exponential moving average of the weights
(``ema_decay``; then the average is validated and kept), a linear learning-rate warm-up
(``warmup_steps``), noise fed back into free rollouts, the pushforward trick and long
stability rollouts for model selection.

Determinism: every random choice of a batch (which sequences, which symmetry, which noise) is
drawn from a generator seeded by (seed, epoch, batch), for the whole global batch, on the CPU.
So a resumed run repeats an uninterrupted one, and ``torchrun`` with N processes (each taking
every N-th sample of the global batch; DistributedDataParallel averages gradients) follows the
single-process run up to the order of floating-point sums.

Output folder: ``model.pt`` + ``card.json`` (the best checkpoint, see
:mod:`spinodal.surrogate.checkpoint`), ``history.json`` (per epoch: curriculum, train and validation
losses and terms, validation MAE per frame, wall time), ``last.pt`` (state to resume).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from ..devices import default_device, resolve_device
from ..io.datasets import SequenceDataset, open_dataset
from ..io.files import atomic_write
from ..io.provenance import environment
from ..physics.metrics import divergence_frame
from ..physics.solver import PhaseFieldModel
from ..presets import Preset, TrainConfig, get_preset
from .checkpoint import load_model, save_checkpoint
from .inference import rollout_frames
from .losses import sequence_loss
from .model import CRNN

__all__ = [
    "TrainConfig",
    "curriculum_inputs",
    "augment",
    "inject_noise",
    "high_pass_noise",
    "HIGHPASS_WAVELENGTH",
    "warmup_factor",
    "train",
    "train_preset",
    "stage_folders",
    "stage_complete",
    "file_hash",
]

log = logging.getLogger(__name__)


def curriculum_inputs(epoch: int, n_frames: int, curriculum_epochs: int) -> int:
    """True input frames at ``epoch`` (0-based): T at epoch 0, linearly down to 1 at
    ``curriculum_epochs`` and after."""
    if curriculum_epochs <= 0 or epoch >= curriculum_epochs:
        return 1
    return max(1, int(round(n_frames - (n_frames - 1) * epoch / curriculum_epochs)))


def augment(phi: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
    """Apply per-sample symmetry ``ops`` [B] (integers 0..15) to sequences [B, T, H, W].

    Bits 0-1: number of 90° rotations; bit 2: reflection x → -x; bit 3: φ → 1 - φ. All 16
    map Cahn-Hilliard trajectories of a cubic crystal onto trajectories (with the same η).
    """
    out = []
    for sample, op in zip(phi, ops.tolist(), strict=True):
        sample = torch.rot90(sample, op & 3, dims=(-2, -1))
        if op & 4:
            sample = torch.flip(sample, dims=(-1,))
        if op & 8:
            sample = 1 - sample
        out.append(sample)
    return torch.stack(out)


def inject_noise(phi: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """φ + δ with δ ``noise`` [same shape] made mean-free per frame (mass conserving)."""
    return phi + _mean_free(noise)


def file_hash(path: str | Path, block: int = 1 << 24) -> str:
    """SHA-256 of a file's bytes (the dataset content hash of a card), first 16 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()[:16]


class _Sequences:
    """Training or validation sequences [S, T+1, H, W] float32 with misfits [S].

    Held in memory when they take less than ``IN_MEMORY_BYTES``, otherwise read from the file
    batch by batch (the paper's 1600 training sequences take 10 GB).
    """

    IN_MEMORY_BYTES = 4 << 30

    def __init__(self, ds: SequenceDataset, indices: np.ndarray, frames: int | None):
        if frames is not None and frames > ds.n_frames:
            raise ValueError(
                f"frames = {frames} (--frames) asks for more than the {ds.n_frames} frames after "
                f"frame 0 that {ds.path} holds"
            )
        stop = ds.n_frames + 1 if frames is None else frames + 1
        self.frames = slice(0, stop)
        self.indices = np.asarray(indices)
        eta = ds.eta[self.indices]
        if not np.isfinite(eta).all():
            bad = self.indices[~np.isfinite(eta)].tolist()
            raise ValueError(f"{ds.path}: eta of sequence(s) {bad[:10]} is not finite")
        self.eta = torch.from_numpy(eta.astype(np.float32))
        self.n = len(self.indices)
        self.n_frames = stop - 1
        self.size = ds.size
        nbytes = self.n * stop * ds.size**2 * 4
        self._ds = ds if nbytes > self.IN_MEMORY_BYTES else None
        self._phi = (
            None if self._ds or not self.n else torch.from_numpy(ds.read(self.indices, self.frames))
        )
        self._check_finite(ds)

    def _check_finite(self, ds: SequenceDataset, chunk: int = 64) -> None:
        """Raise ValueError naming the sequences of the file that hold NaN or inf."""
        bad: list[int] = []
        for start in range(0, self.n, chunk):
            rows = self.indices[start : start + chunk]
            phi = (
                self._phi[start : start + chunk]
                if self._phi is not None
                else torch.from_numpy(ds.read(rows, self.frames))
            )
            finite = torch.isfinite(phi).flatten(1).all(dim=1).numpy()
            bad += rows[~finite].tolist()
        if bad:
            raise ValueError(
                f"{ds.path}: sequence(s) {bad[:10]} hold non-finite values (NaN or inf) in their "
                "first frames; regenerate the dataset or leave them out"
            )

    def take(self, positions) -> tuple[torch.Tensor, torch.Tensor]:
        """(φ [b, T+1, H, W], η [b]) of the sequences at ``positions`` (0..n-1)."""
        positions = torch.as_tensor(positions)
        if self._phi is not None:
            return self._phi[positions], self.eta[positions]
        phi = self._ds.read(self.indices[positions.numpy()], self.frames)
        return torch.from_numpy(phi), self.eta[positions]


class _Distributed:
    """Rank and world size under torchrun (1 process otherwise)."""

    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.active = self.world > 1
        if self.active and not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        if self.active:
            values = values.clone()
            dist.all_reduce(values)
        return values

    def min(self, value: torch.Tensor) -> torch.Tensor:
        if self.active:
            value = value.clone()
            dist.all_reduce(value, op=dist.ReduceOp.MIN)
        return value

    @property
    def main(self) -> bool:
        return self.rank == 0


def _device(device: str | None) -> torch.device:
    """The device named, else this process's GPU under torchrun (``LOCAL_RANK``), else the
    default."""
    if device:
        return resolve_device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return default_device()


def train(
    config: TrainConfig,
    data: str | Path,
    out: str | Path,
    *,
    device: str | None = None,
    resume: bool = False,
    progress: bool = True,
    compile: bool = False,
) -> list[dict]:
    """Train a CRNN on the dataset file ``data`` into the folder ``out``; returns the history.

    ``compile`` runs :meth:`CRNN.step` through ``torch.compile``: 1.2× faster for training
    at 64² on one CPU thread (``spinodal bench train``), after about a minute of compilation.
    Compiled runs are deterministic too, but round differently from eager ones: a run resumed
    with the other setting continues with round-off-level differences.

    Raises:
        FileExistsError: ``out`` holds a run and ``resume`` is False.
        ValueError: the dataset has no validation sequences, or the batch does not split
            evenly over the processes.
    """
    device = _device(device)
    world = _Distributed(device)
    out = Path(out)
    state_path = out / "last.pt"
    if state_path.exists() and not resume:
        raise FileExistsError(
            f"{out} holds a training run; pass resume=True (--resume) to "
            "continue it or choose another folder"
        )
    if config.batch_size % world.world:
        raise ValueError(
            f"batch_size {config.batch_size} must be divisible by the {world.world} processes"
        )
    ds = open_dataset(data)
    try:
        train_idx = ds.train_indices()
        if config.max_sequences is not None:
            train_idx = train_idx[: config.max_sequences]
        val_idx = ds.validation_indices()
        if len(val_idx) == 0:
            raise ValueError(f"{data} has no validation sequences (use the 'train' split)")
        train_set = _Sequences(ds, train_idx, config.frames)
        val_set = _Sequences(ds, val_idx[world.rank :: world.world], config.frames)
        pf = ds.pf
        data_info = {
            "frames": train_set.n_frames,
            "path": str(data),
            "hash": file_hash(data),
            "preset": ds.attrs["preset"],
            "split": ds.attrs["split"],
            "train_sequences": int(len(train_idx)),
            "validation_sequences": int(len(val_idx)),
            "size": ds.size,
            "eta_range": [float(ds.eta[train_idx].min()), float(ds.eta[train_idx].max())],
            "phi_mean_range": [
                float(ds.phi_mean[train_idx].min()),
                float(ds.phi_mean[train_idx].max()),
            ],
        }
        data = _Data(train_set, val_set, pf, data_info)
        return _fit(config, data, _Run(out, device, world, resume, progress, compile))
    finally:
        ds.close()


def stage_folders(preset: str | Preset, out: str | Path) -> list[tuple[str, Path]]:
    """(stage name, checkpoint folder) of each training stage of ``preset`` when its model is
    trained into ``out``: ``out/stages/NAME`` for all but the last, ``out`` itself for the last
    (a preset without stages: one unnamed stage in ``out``)."""
    out = Path(out)
    stages = get_preset(preset).stages
    if not stages:
        return [(None, out)]
    return [(s.name, out / "stages" / s.name) for s in stages[:-1]] + [(stages[-1].name, out)]


def stage_complete(folder: Path, epochs: int) -> bool:
    """Whether ``folder`` holds a finished run of at least ``epochs`` epochs."""
    history = Path(folder) / "history.json"
    return (
        (Path(folder) / "card.json").is_file()
        and history.is_file()
        and len(json.loads(history.read_text())) >= epochs
    )


def train_preset(
    preset: str | Preset,
    data: str | Path,
    out: str | Path,
    *,
    device: str | None = None,
    resume: bool = False,
    progress: bool = True,
    compile: bool = False,
    **overrides,
) -> list[dict]:
    """Train the model of ``preset`` into ``out``, stage after stage (see :func:`stage_folders`);
    each stage starts from the best weights of the one before. Finished stages are skipped,
    an interrupted one needs ``resume`` like any run. ``overrides`` (e.g. ``seed``, ``precision``)
    apply to every stage. Returns the history of the last stage."""
    preset = get_preset(preset)
    previous: Path | None = None
    history: list[dict] = []
    folders = stage_folders(preset, out)
    for number, (name, folder) in enumerate(folders, 1):
        config = TrainConfig.from_preset(preset, stage=name, **overrides)
        if previous is not None:
            config = dataclasses.replace(config, init_from=str(previous))
        if stage_complete(folder, config.epochs):
            log.info("stage %d/%d (%s) done: %s", number, len(folders), name, folder)
            history = json.loads((folder / "history.json").read_text())
        else:
            if name is not None:
                log.info("stage %d/%d (%s) into %s", number, len(folders), name, folder)
            history = train(
                config,
                data,
                folder,
                device=device,
                resume=resume,
                progress=progress,
                compile=compile,
            )
        previous = folder
    return history


@dataclass(frozen=True)
class _Data:
    """The sequences of one run: training and validation, the solver constants they were made
    with (for the L_f loss) and the dataset's description for the card."""

    train: _Sequences
    validation: _Sequences
    pf: PhaseFieldModel
    info: dict


@dataclass(frozen=True)
class _Run:
    """Where and how one run happens: its folder, device, processes and options."""

    out: Path
    device: torch.device
    world: _Distributed
    resume: bool
    progress: bool
    compile: bool

    @property
    def state_path(self) -> Path:
        return self.out / "last.pt"


def _fit(config: TrainConfig, data: _Data, run: _Run) -> list[dict]:
    train_set, val_set, pf, data_info = data.train, data.validation, data.pf, data.info
    out, device, world, state_path = run.out, run.device, run.world, run.state_path
    resume, progress, compile = run.resume, run.progress, run.compile
    T = train_set.n_frames
    if config.pushforward_frames >= T:
        raise ValueError(
            f"pushforward_frames = {config.pushforward_frames} leaves no frame with gradient "
            f"in sequences of {T} frames"
        )
    with torch.random.fork_rng(devices=[]):  # initial weights from the seed, globals untouched
        torch.manual_seed(config.seed)
        net = CRNN(config.model).to(device)
    if config.init_from is not None and not (resume and state_path.exists()):
        _load_initial_weights(net, config)
    average = (  # an eager copy, made before the step is compiled
        AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay))
        if config.ema_decay
        else None
    )
    kept = net if average is None else average.module  # validated and checkpointed
    if compile:
        net.step = torch.compile(net.step)
    wrapped = torch.nn.parallel.DistributedDataParallel(net) if world.active else net
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    history: list[dict] = []
    start_epoch, best, wall = 0, _NONE_YET, 0.0
    if resume and state_path.exists():
        state = torch.load(state_path, map_location=device, weights_only=True)
        saved = _with_defaults(json.loads(state["config"]))
        wanted = json.loads(json.dumps(config.to_dict()))
        for key in ("epochs", "init_from"):  # a run may be extended, its start moved
            saved.pop(key, None), wanted.pop(key, None)
        if saved != wanted:
            differs = sorted(k for k in wanted if saved.get(k) != wanted[k])
            raise ValueError(
                f"{out} was trained with a different configuration ({', '.join(differs)} "
                "differ); cannot resume"
            )
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if average is not None:
            average.load_state_dict(state["average"])
        history = json.loads(state["history"])
        start_epoch = len(history)
        best = min((_selection_key(h) for h in history), default=_NONE_YET)
        wall = float(state["wall"])
        log.info("resuming %s at epoch %d", out, start_epoch)
    out.mkdir(parents=True, exist_ok=True)
    local = config.batch_size // world.world
    for epoch in range(start_epoch, config.epochs):
        began = time.perf_counter()
        n_input = curriculum_inputs(epoch, T, config.curriculum_epochs)
        order = torch.randperm(train_set.n, generator=_generator(config.seed, epoch, -1))
        n_batches = train_set.n // config.batch_size
        if n_batches == 0:
            raise ValueError(f"{train_set.n} training sequences < batch_size {config.batch_size}")
        wrapped.train()
        sums = torch.zeros(4, dtype=torch.float64)
        bar = tqdm(
            range(n_batches),
            desc=f"epoch {epoch + 1}/{config.epochs}",
            disable=not (progress and world.main),
            leave=False,
        )
        for b in bar:
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate * warmup_factor(
                    epoch * n_batches + b, config.warmup_steps
                )
            g = _generator(config.seed, epoch, b)
            chosen = order[b * config.batch_size : (b + 1) * config.batch_size]
            # random choices for the whole global batch, then this process's share
            ops = torch.randint(0, 16, (len(chosen),), generator=g)
            noise = (
                torch.randn((len(chosen), n_input, train_set.size, train_set.size), generator=g)
                * config.noise_std
            )
            feedback = None
            fed_back = (len(chosen), T - n_input, train_set.size, train_set.size)
            if config.feedback_noise_std:
                feedback = _mean_free(torch.randn(fed_back, generator=g)) * (
                    config.feedback_noise_std
                )
            if config.highpass_noise_std:
                high = high_pass_noise(fed_back, config.highpass_noise_std, g)
                feedback = high if feedback is None else feedback + high
            mine = slice(world.rank * local, (world.rank + 1) * local)
            phi, eta = train_set.take(chosen[mine])
            if config.augment:
                phi = augment(phi, ops[mine])
            phi, eta, noise = phi.to(device), eta.to(device), noise[mine].to(device)
            inputs = inject_noise(phi[:, :n_input], noise)
            if feedback is not None:
                feedback = feedback[mine].to(device)
            with torch.autocast(
                device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"
            ):
                predicted = wrapped(
                    inputs,
                    eta,
                    n_input=n_input,
                    n_frames=T,
                    feedback_noise=feedback,
                    grad_from=config.pushforward_frames,
                )
            loss, terms = sequence_loss(
                predicted, phi[:, n_input:], eta, weights=config.weights, pf=pf
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
            optimizer.step()
            if average is not None:
                average.update_parameters(net)
            sums += torch.tensor(
                [loss.item(), *(terms[k].item() for k in _TERMS)], dtype=torch.float64
            )
            bar.set_postfix(loss=f"{loss.item():.3e}", n_input=n_input)
        bar.close()
        train_stats = world.sum(sums) / (n_batches * world.world)
        validation = _validate(kept, val_set, config, pf, device, world)
        wall += time.perf_counter() - began
        record = {
            "epoch": epoch + 1,
            "n_input": n_input,
            "seconds": time.perf_counter() - began,
            "train": dict(zip(("loss", *_TERMS), train_stats.tolist(), strict=True)),
            "validation": validation,
        }
        history.append(record)
        if world.main:
            if _selection_key(record) < best:
                best = _selection_key(record)
                save_checkpoint(out, kept, _card(config, data_info, history, wall, device))
            _save_state(state_path, net, optimizer, config, history, wall, average)
            text = json.dumps(history, indent=1)
            atomic_write(out / "history.json", lambda tmp, text=text: tmp.write_text(text))
            log.info(
                "epoch %d: train %.3e, validation %.3e (n_input %d)%s",
                epoch + 1,
                record["train"]["loss"],
                validation["loss"],
                n_input,
                _stability_text(validation.get("stability")),
            )
    if world.active:
        dist.barrier()
    return history


_TERMS = ("phi", "grad", "free_energy")
_NONE_YET = (float("inf"), float("inf"))


def _selection_key(record: dict) -> tuple[float, float]:
    """(diverged long rollouts, validation loss): the kept model minimises it in that order.
    A non-finite loss counts as infinite, so that the first epoch is always kept."""
    validation = record["validation"]
    loss = validation["loss"]
    return (
        float(validation.get("stability", {}).get("diverged", 0)),
        loss if math.isfinite(loss) else float("inf"),
    )


def _stability_text(stability: dict | None) -> str:
    if not stability:
        return ""
    return (
        f", {stability['diverged']}/{stability['sequences']} rollouts of "
        f"{stability['frames']} frames diverged"
    )


HIGHPASS_WAVELENGTH = 4.5
"""Shortest wavelength (grid spacings) kept out of the high-pass training noise: every mode at
or below it is damped by the solver by at least 2e-3 over one τ for all ⟨φ⟩ and η of the
training ranges (Eq. 8's |g|¹⁰⁰ at λ = 5 is 2e-3 at ⟨φ⟩ = 0.5, η = 0, the least stable case; at
λ = 4.5 smaller still), so P(φ + δ) ≈ P(φ) holds for the solver's map P over one τ."""


def high_pass_noise(shape: tuple[int, ...], rms: float, generator: torch.Generator) -> torch.Tensor:
    """Random fields [..., H, W] holding only wavelengths ≤ :data:`HIGHPASS_WAVELENGTH` grid
    spacings (so mean-free), each scaled to root-mean-square ``rms``; drawn on the CPU."""
    white = torch.randn(shape, generator=generator, dtype=torch.float64)
    H, W = shape[-2:]
    ky = torch.fft.fftfreq(H, dtype=torch.float64)[:, None]
    kx = torch.fft.rfftfreq(W, dtype=torch.float64)[None, :]
    keep = torch.hypot(kx, ky) >= 1 / HIGHPASS_WAVELENGTH
    noise = torch.fft.irfft2(torch.fft.rfft2(white) * keep, s=(H, W))
    noise = noise * rms / noise.square().mean(dim=(-2, -1), keepdim=True).sqrt()
    return noise.float()


def _mean_free(noise: torch.Tensor) -> torch.Tensor:
    return noise - noise.mean(dim=(-2, -1), keepdim=True)


def _with_defaults(saved: dict) -> dict:
    """A saved configuration with the fields added since it was written set to their
    defaults (which reproduce the old behaviour), so that older runs can still be resumed."""
    defaults = json.loads(json.dumps(TrainConfig().to_dict()))
    merged = {**defaults, **saved}
    merged["model"] = {**defaults["model"], **saved.get("model", {})}
    return merged


def _load_initial_weights(net: CRNN, config: TrainConfig) -> None:
    """Start from the weights of the checkpoint ``config.init_from`` (same architecture; the
    output filter's β, which has no weights, may differ: a stage may switch it on)."""
    start = load_model(config.init_from)
    if dataclasses.replace(start.config, implicit_damping=config.model.implicit_damping) != (
        config.model
    ):
        raise ValueError(
            f"init_from {config.init_from} has architecture {start.config.to_dict()}, "
            f"the run asks for {config.model.to_dict()}"
        )
    net.load_state_dict(start.state_dict())


def warmup_factor(step: int, warmup_steps: int) -> float:
    """Factor on the learning rate at optimizer step ``step`` (from 0) of a run: rises
    linearly from ``1 / warmup_steps`` to 1 over the first ``warmup_steps`` steps, then 1."""
    return 1.0 if step >= warmup_steps else (step + 1) / warmup_steps


def _generator(seed: int, epoch: int, batch: int) -> torch.Generator:
    key = np.random.SeedSequence([seed, epoch, batch + 1]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(key >> np.uint64(1)))


@torch.no_grad()
def _validate(net, val_set, config, pf, device, world, batch: int = 8) -> dict:
    """Full rollouts from φ_0 on (this process's share of) the validation sequences."""
    net.eval()
    T = val_set.n_frames
    sums = torch.zeros(4, dtype=torch.float64)
    abs_error = torch.zeros(T, dtype=torch.float64)
    for start in range(0, val_set.n, batch):
        phi, eta = val_set.take(range(start, min(start + batch, val_set.n)))
        phi, eta = phi.to(device), eta.to(device)
        with torch.autocast(
            device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"
        ):
            predicted = net(phi[:, :1], eta, n_input=1, n_frames=T)
        loss, terms = sequence_loss(predicted, phi[:, 1:], eta, weights=config.weights, pf=pf)
        n = len(phi)
        sums += n * torch.tensor(
            [loss.item(), *(terms[k].item() for k in _TERMS)], dtype=torch.float64
        )
        abs_error += (predicted.float() - phi[:, 1:]).abs().mean(dim=(-2, -1)).sum(0).double().cpu()
    count = world.sum(torch.tensor([float(val_set.n)], dtype=torch.float64))
    stats = world.sum(sums) / count
    mae = world.sum(abs_error) / count
    out = dict(zip(("loss", *_TERMS), stats.tolist(), strict=True))
    out["mae"] = mae.tolist()  # per predicted frame 1..T
    if config.stability_frames:
        out["stability"] = _stability(net, val_set, config, device, world, batch)
    return out


def _stability(net, val_set, config, device, world, batch: int) -> dict:
    """Free rollouts of ``config.stability_frames`` from the first ``stability_sequences``
    validation states (this process's share): how many leave the physical range, and when."""
    n = min(config.stability_sequences, val_set.n)
    first = torch.full((val_set.n,), -1.0, dtype=torch.float64)
    for start in range(0, n, batch):
        positions = range(start, min(start + batch, n))
        phi, eta = val_set.take(positions)
        phi0, eta = phi[:, 0].to(device), eta.to(device)
        with torch.autocast(
            device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"
        ):
            frames = torch.stack(
                list(rollout_frames(net, phi0, eta, config.stability_frames)), dim=1
            )
        at = divergence_frame(frames.float().cpu().numpy())
        first[start : start + len(at)] = torch.from_numpy(np.where(at >= 0, at + 1, -1.0))
    first = first[:n]
    counts = world.sum(torch.tensor([float(n), float((first >= 0).sum())], dtype=torch.float64))
    diverged_at = first[first >= 0]
    earliest = world.min(diverged_at.min() if len(diverged_at) else torch.tensor(float("inf")))
    return {
        "frames": config.stability_frames,
        "sequences": int(counts[0]),
        "diverged": int(counts[1]),
        "first_divergence": None if not torch.isfinite(earliest) else int(earliest),
    }


def _card(
    config: TrainConfig, data_info: dict, history: list[dict], wall: float, device: torch.device
) -> dict:
    best = min(history, key=_selection_key)
    mae = best["validation"]["mae"]
    frames = sorted({f for f in (10, 50, 99, len(mae)) if f <= len(mae)})
    return {
        "preset": config.preset,
        "stage": config.stage,
        "versus_paper": versus_paper(config, data_info, len(history)),
        "recipe": config.to_dict(),
        "dataset": data_info,
        "epochs_trained": len(history),
        "best_epoch": best["epoch"],
        "wall_seconds": round(wall, 1),
        "environment": environment(device),
        "validation": {
            "loss": best["validation"]["loss"],
            "mae_at_frame": {str(f): mae[f - 1] for f in frames},
        },
    }


def versus_paper(config: TrainConfig, data_info: dict, epochs: int) -> dict:
    """This run's recipe next to the paper's (Sec. 2.2-2.3), as [this run, paper] pairs."""
    paper = get_preset("paper")
    train = paper.split("train")
    recipe = paper.training
    n_validation = int(round(train.validation_fraction * train.n_sequences))
    frames = data_info.get("frames")
    pairs = {
        "train_sequences": [data_info["train_sequences"], train.n_sequences - n_validation],
        "frames_per_sequence": [frames, train.n_frames],
        "domain": [data_info["size"], train.size],
        "epochs": [epochs, recipe.epochs],
        "curriculum_epochs": [config.curriculum_epochs, recipe.curriculum_epochs],
        "batch_size": [config.batch_size, recipe.batch_size],
        "loss_weights": [
            [config.weights.grad, config.weights.free_energy],
            [recipe.weights.grad, recipe.weights.free_energy],
        ],
        "noise_std": [config.noise_std, recipe.noise_std],
    }
    differs = sorted(k for k, (ours, theirs) in pairs.items() if ours != theirs)
    return {"pairs": pairs, "differs_in": differs, "same_as_paper": not differs}


def _save_state(path: Path, net, optimizer, config, history, wall, average) -> None:
    state = {
        "model": net.state_dict(),
        **({} if average is None else {"average": average.state_dict()}),
        "optimizer": optimizer.state_dict(),
        "config": json.dumps(config.to_dict()),
        "history": json.dumps(history),
        "wall": wall,
    }
    atomic_write(path, lambda tmp: torch.save(state, tmp))
