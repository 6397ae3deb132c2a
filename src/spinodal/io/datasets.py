"""HDF5 datasets of phase-field sequences: the schema, the generator, the reader (Sec. 2.2).

Schema ``spinodal-dataset`` version 1 (one file per split, or per shard of a split):

=================  =========================  =============================================
name               shape, type                meaning
=================  =========================  =============================================
``phi``            [S, T+1, N, N] float32     frames τ apart, frame 0 the initial state;
                                              chunked one frame per chunk, gzip + shuffle
``index``          [S] int64                  position of each sequence in the whole split
``seed``           [S] int64                  ``np.random.default_rng(seed)`` redraws it
``phi_mean``       [S] float64                mean composition ⟨φ⟩
``eta``            [S] float64                misfit η (fraction: 0.006 = 0.6 %)
``amplitude``      [S] float64                peak Perlin amplitude a (see spinodal.physics.initial)
``validation``     [S] bool                   the 4:1 train/validation partition (Sec. 2.3)
=================  =========================  =============================================

Attributes: ``schema``, ``schema_version``, ``spinodal_version``, ``preset``, ``preset_hash``,
``split``, ``split_spec`` (JSON), ``model`` (JSON constants of the solver), ``steps_per_frame``,
``tau`` (time between frames), ``n_total`` (sequences in the whole split), ``shard`` ("k/n"),
``generation_batch``, ``devices`` (where it was computed), ``complete``.

Generation is deterministic: sequence i of a split depends only on (split, i)
(:func:`spinodal.physics.initial.draw_sequence`) and on the batch it is integrated with, which is
fixed by the preset. Batches are written to ``OUT.parts/`` atomically (temporary file, then rename),
so an interrupted run resumes where it stopped and produces the same file; the parts are joined
at the end by copying compressed chunks, and the directory is removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from tqdm import tqdm

from .._version import __version__
from ..devices import resolve_device
from ..physics.initial import draw_sequence
from ..physics.metrics import contrast
from ..physics.solver import PhaseFieldModel
from ..presets import Preset, SplitSpec, get_preset
from .files import ResumableParts, atomic_output, check_room, exclusive, open_hdf5, prepare_output

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "DatasetError",
    "SequenceDataset",
    "open_dataset",
    "generate_split",
    "join_shards",
    "parse_shard",
    "validation_mask",
    "write_sequences",
    "write_trajectory",
    "dataset_statistics",
    "Frames",
    "read_frames",
    "nearest_sequence",
    "sampled_widths",
]

log = logging.getLogger(__name__)

SCHEMA = "spinodal-dataset"
SCHEMA_VERSION = 1
STEPS_PER_FRAME = 100  # τ = 100 δt (Sec. 2.2)
_PER_SEQUENCE = ("index", "seed", "phi_mean", "eta", "amplitude", "validation")
_DTYPES = {"index": np.int64, "seed": np.int64, "validation": bool}
# attributes that describe a file but do not define its content (the preset hash changes when
# any other split of the preset changes)
_INFORMATIONAL = ("preset_hash",)
_COMPRESSION = dict(compression="gzip", compression_opts=1, shuffle=True)


class DatasetError(ValueError):
    """A dataset file is missing a field, has a wrong shape, is incomplete or unreadable."""


def _version() -> str:

    return __version__


# --- writing -------------------------------------------------------------------------------


def _create_phi(f: h5py.File, n: int, frames: int, size: int) -> h5py.Dataset:
    return f.create_dataset(
        "phi",
        shape=(n, frames, size, size),
        dtype=np.float32,
        chunks=(1, 1, size, size),
        **_COMPRESSION,
    )


def write_sequences(
    path: str | Path,
    phi: np.ndarray,
    *,
    eta: Sequence[float],
    phi_mean: Sequence[float] | None = None,
    amplitude: Sequence[float] | None = None,
    seed: Sequence[int] | None = None,
    index: Sequence[int] | None = None,
    validation: Sequence[bool] | None = None,
    attrs: dict | None = None,
) -> Path:
    """Write sequences ``phi`` [S, T+1, N, N] in the dataset schema, atomically.

    The low-level writer (the generator, tests and users with their own data use it); missing
    per-sequence fields get neutral values (``phi_mean`` from the data, zeros, ``False``).
    """
    phi = np.asarray(phi, dtype=np.float32)
    if phi.ndim != 4 or phi.shape[-1] != phi.shape[-2]:
        raise DatasetError(f"phi must have shape [S, T+1, N, N], got {phi.shape}")
    S = phi.shape[0]
    columns = {
        "index": np.arange(S) if index is None else index,
        "seed": np.zeros(S) if seed is None else seed,
        "phi_mean": phi[:, 0].mean(axis=(-2, -1)) if phi_mean is None else phi_mean,
        "eta": eta,
        "amplitude": np.zeros(S) if amplitude is None else amplitude,
        "validation": np.zeros(S, bool) if validation is None else validation,
    }
    base = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "spinodal_version": _version(),
        "preset": "custom",
        "preset_hash": "",
        "split": "custom",
        "split_spec": "{}",
        "model": json.dumps(PhaseFieldModel().to_dict()),
        "steps_per_frame": STEPS_PER_FRAME,
        "tau": STEPS_PER_FRAME * PhaseFieldModel().dt,
        "n_total": S,
        "shard": "0/1",
        "generation_batch": S,
        "devices": "unknown",
        "complete": True,
    }
    base.update(attrs or {})
    path = Path(path)
    for name, values in columns.items():
        if np.shape(values) != (S,):
            raise DatasetError(f"{name} must have shape [{S}], got {np.shape(values)}")
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        _create_phi(f, *phi.shape[:3])[...] = phi
        for name, values in columns.items():
            f.create_dataset(name, data=np.asarray(values, dtype=_DTYPES.get(name, np.float64)))
        f.attrs.update(base)
    return path


def write_trajectory(path: str | Path, phi: np.ndarray, attrs: dict) -> Path:
    """Write one trajectory ``phi`` [T+1, N, N] (``spinodal simulate``) atomically, with
    ``attrs`` (parameters) as HDF5 attributes. Frames are stored in ``phi``'s own precision
    (float32 or float64), creating the parent folders."""
    phi = np.asarray(phi)
    if phi.dtype not in (np.float32, np.float64):
        phi = phi.astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_room(path, phi.nbytes)
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("phi", data=phi, chunks=(1, *phi.shape[1:]), **_COMPRESSION)
            f.attrs.update({k: v for k, v in attrs.items() if v is not None})
            f.attrs["spinodal_version"] = _version()
    return path


def validation_mask(spec: SplitSpec) -> np.ndarray:
    """The split's random train/validation partition [S] (True = validation), from its seed."""
    S = spec.n_sequences
    n_validation = int(round(spec.validation_fraction * S))
    order = np.random.default_rng([spec.seed, 0x7A1]).permutation(S)
    mask = np.zeros(S, bool)
    mask[order[:n_validation]] = True
    return mask


def parse_shard(text: str) -> tuple[int, int]:
    """``"k/n"`` → (k, n) with 0 ≤ k < n."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"shard must look like k/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= k < n:
        raise ValueError(f"shard k/n needs 0 <= k < n, got {text!r}")
    return k, n


@dataclass(frozen=True)
class _Plan:
    """What one generation run produces: batches of sequence indices and the file identity."""

    spec: SplitSpec
    batches: list[range]
    attrs: dict


def _plan(preset: Preset, split: str, shard: tuple[int, int], pf: PhaseFieldModel) -> _Plan:
    spec = preset.split(split)
    size = preset.generation_batch
    all_batches = [
        range(s, min(s + size, spec.n_sequences)) for s in range(0, spec.n_sequences, size)
    ]
    k, n = shard
    if n > len(all_batches):
        raise ValueError(f"split {split!r} has {len(all_batches)} batches; cannot make {n} shards")
    batches = all_batches[k * len(all_batches) // n : (k + 1) * len(all_batches) // n]
    attrs = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "preset": preset.name,
        "preset_hash": preset.hash,
        "split": split,
        "split_spec": json.dumps(spec.to_dict(), sort_keys=True),
        "model": json.dumps(pf.to_dict(), sort_keys=True),
        "steps_per_frame": STEPS_PER_FRAME,
        "tau": STEPS_PER_FRAME * pf.dt,
        "n_total": spec.n_sequences,
        "shard": f"{k}/{n}",
        "generation_batch": size,
    }
    return _Plan(spec, batches, attrs)


def generate_split(
    preset: str | Preset,
    split: str,
    out: str | Path,
    *,
    shard: tuple[int, int] = (0, 1),
    device: str | torch.device | None = None,
    pf: PhaseFieldModel | None = None,
    progress: bool = True,
) -> Path:
    """Generate (or resume, or find complete) one split of a preset into ``out``.

    Args:
        preset: preset name or object.
        split: split name (see :data:`spinodal.presets.SPLIT_NAMES`).
        out: the HDF5 file to produce.
        shard: (k, n): produce only the k-th of n contiguous parts (join them with
            :func:`join_shards`).
        device: where to integrate (default: CUDA if available, else CPU).
        pf: solver constants (default: the paper's).
        progress: show a progress bar.

    Returns:
        ``out``. If ``out`` already holds exactly this split and shard it is left untouched.
    """
    preset = get_preset(preset)
    pf = pf or PhaseFieldModel()
    device = resolve_device(device)
    plan = _plan(preset, split, shard, pf)
    out = Path(out)
    with exclusive(out):
        if out.exists():
            _check_existing(out, plan.attrs)
            log.info(
                "%s already holds %s/%s shard %s; nothing to do",
                out,
                preset.name,
                split,
                plan.attrs["shard"],
            )
            return out
        return _generate(plan, preset.name, split, out, pf, device, progress)


def _generate(plan, preset_name, split, out, pf, device, progress) -> Path:
    defining = {k: v for k, v in plan.attrs.items() if k not in _INFORMATIONAL}
    parts = ResumableParts(out.with_name(out.name + ".parts"), defining, "dataset generation")
    spec = plan.spec
    mask = validation_mask(spec)
    todo = parts.todo(plan.batches)
    for batch in plan.batches:
        if batch not in todo:
            _check_part(parts.path(batch))
    frames_per_batch = spec.n_frames
    bar = tqdm(
        total=sum(len(b) for b in plan.batches) * frames_per_batch,
        unit="frame",
        desc=f"{preset_name}/{split}",
        disable=not progress,
    )
    bar.update(sum(len(b) for b in plan.batches if b not in todo) * frames_per_batch)
    for batch in todo:
        _generate_batch(_GenerationJob(parts, spec, mask, pf, device, plan.attrs, bar), batch)
    bar.close()
    _assemble([parts.path(b) for b in plan.batches], out, {**plan.attrs, "devices": device.type})
    parts.remove()
    return out


def _check_existing(out: Path, attrs: dict) -> None:
    """Return if ``out`` is a complete copy of the dataset ``attrs`` describes, else raise
    FileExistsError saying what it is (another dataset, unfinished, unreadable, locked)."""
    try:
        with h5py.File(out, "r") as f:
            same = all(_attr(f, k) == v for k, v in attrs.items() if k not in _INFORMATIONAL)
            complete = bool(_attr(f, "complete"))
    except OSError as error:
        if "unable to lock file" in str(error).lower():
            raise FileExistsError(
                f"{out} is locked by another process that has it open for writing; close it "
                "there and run the command again"
            ) from None
        raise FileExistsError(
            f"{out} exists but is not a readable HDF5 file (truncated or corrupted copy?); "
            "delete it and run the command again to regenerate it"
        ) from None
    if not same:
        raise FileExistsError(
            f"{out} exists and holds a different dataset; remove it or choose another --out"
        )
    if not complete:
        raise FileExistsError(
            f"{out} holds this dataset but is marked incomplete; delete it and run the command "
            "again"
        )


def _check_part(path: Path) -> None:
    """Raise DatasetError naming ``path`` if a finished part cannot be read back."""
    try:
        with h5py.File(path, "r") as f:
            f["phi"].shape  # noqa: B018 (opening the dataset reads its header)
    except (OSError, KeyError):
        raise DatasetError(
            f"{path} (a finished part of an interrupted run) is truncated or corrupted: delete "
            "that file and run the command again; the other parts are kept"
        ) from None


@dataclass(frozen=True)
class _GenerationJob:
    """What every batch of one generation run shares: the parts folder, the split, its
    validation mask, the solver, the device, the file identity and the progress bar."""

    parts: ResumableParts
    spec: SplitSpec
    mask: np.ndarray
    pf: PhaseFieldModel
    device: torch.device
    attrs: dict
    bar: tqdm


def _generate_batch(job: _GenerationJob, batch: range) -> None:
    """Integrate the sequences ``batch`` of the split and write them as one part."""
    parts, spec, mask, pf, device, attrs, bar = (
        job.parts,
        job.spec,
        job.mask,
        job.pf,
        job.device,
        job.attrs,
        job.bar,
    )
    drawn = [draw_sequence(spec, i) for i in batch]
    params = [p for p, _ in drawn]
    phi0 = np.stack([phi for _, phi in drawn]).astype(np.float32)
    eta = np.array([p.eta for p in params])
    path = parts.path(batch)
    check_room(path, len(batch) * (spec.n_frames + 1) * spec.size**2 * 4 + 2**20)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        phi = _create_phi(f, len(batch), spec.n_frames + 1, spec.size)
        phi[:, 0] = phi0
        frames = pf.frames(
            phi0,
            eta,
            spec.n_frames,
            steps_per_frame=STEPS_PER_FRAME,
            dtype="float32",
            device=device,
        )
        for t, frame in enumerate(frames, start=1):
            phi[:, t] = frame.cpu().numpy()
            bar.update(len(batch))
        columns = {
            "index": np.array(batch),
            "seed": [p.seed for p in params],
            "phi_mean": [p.phi_mean for p in params],
            "eta": eta,
            "amplitude": [p.amplitude for p in params],
            "validation": mask[batch.start : batch.stop],
        }
        for name, values in columns.items():
            f.create_dataset(name, data=np.asarray(values, dtype=_DTYPES.get(name, np.float64)))
        f.attrs.update(attrs)


def _assemble(sources: list[Path], out: Path, attrs: dict) -> None:
    """Concatenate schema files along the sequence axis by copying compressed chunks."""
    check_room(out, sum(p.stat().st_size for p in sources) + 2**20)
    opened = [h5py.File(p, "r") for p in sources]
    try:
        total = sum(f["phi"].shape[0] for f in opened)
        frames, size = opened[0]["phi"].shape[1], opened[0]["phi"].shape[2]
        with atomic_output(out) as tmp, h5py.File(tmp, "w") as dst:
            phi = _create_phi(dst, total, frames, size)
            row = 0
            for src in opened:
                for i in range(src["phi"].shape[0]):
                    for t in range(frames):
                        filters, chunk = src["phi"].id.read_direct_chunk((i, t, 0, 0))
                        phi.id.write_direct_chunk((row + i, t, 0, 0), chunk, filters)
                row += src["phi"].shape[0]
            for name in _PER_SEQUENCE:
                dst.create_dataset(name, data=np.concatenate([f[name][...] for f in opened]))
            dst.attrs.update(attrs)
            dst.attrs["spinodal_version"] = _version()
            dst.attrs["complete"] = True
    finally:
        for f in opened:
            f.close()


def _attr(f: h5py.File, key: str):
    value = f.attrs.get(key)
    return value.item() if isinstance(value, np.generic) else value


def join_shards(parts: Sequence[str | Path], out: str | Path, *, overwrite: bool = False) -> Path:
    """Join shard files of one split (``--shard k/n`` outputs) into the whole split ``out``.

    Checks that the shards come from the same preset, split and solver and cover every
    sequence exactly once; the result equals an unsharded run on the same kind of device.
    An existing ``out`` is refused (FileExistsError) unless ``overwrite``.
    """
    if not parts:
        raise ValueError("join needs at least one shard file")
    out = prepare_output(out, overwrite=overwrite)
    if any(Path(part).resolve() == out.resolve() for part in parts):
        raise ValueError(f"--out {out} is one of the shards; choose another file")
    datasets = [open_dataset(p) for p in parts]
    try:
        keys = (
            "preset",
            "split",
            "split_spec",
            "model",
            "steps_per_frame",
            "generation_batch",
            "n_total",
        )
        first = datasets[0]
        for ds in datasets[1:]:
            for key in keys:
                if _attr(ds.file, key) != _attr(first.file, key):
                    raise DatasetError(
                        f"{ds.path} and {first.path} differ in {key!r}: they are not shards "
                        "of one split"
                    )
        datasets.sort(key=lambda ds: int(ds.index[0]))
        covered = np.concatenate([ds.index for ds in datasets])
        n_total = int(_attr(first.file, "n_total"))
        if not np.array_equal(covered, np.arange(n_total)):
            missing = sorted(set(range(n_total)) - set(covered.tolist()))
            raise DatasetError(
                f"the shards do not cover the split's {n_total} sequences exactly once "
                f"(missing: {missing[:10]}{'...' if len(missing) > 10 else ''}; "
                f"{len(covered)} given)"
            )
        attrs = {k: _attr(first.file, k) for k in first.file.attrs}
        attrs["shard"] = "0/1"
        attrs["devices"] = ",".join(sorted({str(_attr(ds.file, "devices")) for ds in datasets}))
        paths = [ds.path for ds in datasets]
    finally:
        for ds in datasets:
            ds.close()
    _assemble(paths, out, attrs)
    return out


# --- reading -------------------------------------------------------------------------------


class SequenceDataset:
    """A validated, read-only view of a dataset file; frames are read lazily.

    Attributes:
        path: the file.
        phi: the h5py dataset [S, T+1, N, N] (slice it to read).
        eta, phi_mean, amplitude, seed, index, validation: per-sequence arrays [S] (in memory).
        attrs: the file's attributes as a dict.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"dataset {self.path} does not exist")
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as error:
            raise DatasetError(
                f"{self.path} is not a readable HDF5 file (truncated or corrupted?): {error}"
            ) from None
        try:
            self._validate()
        except Exception:
            self.file.close()
            raise

    def _validate(self) -> None:
        f, where = self.file, self.path
        if _attr(f, "schema") != SCHEMA:
            raise DatasetError(f"{where} is not a spinodal dataset (schema attribute missing)")
        version = _attr(f, "schema_version")
        if version is None:
            raise DatasetError(f"{where} lacks the attribute 'schema_version'")
        if int(version) > SCHEMA_VERSION:
            raise DatasetError(
                f"{where} has schema version {_attr(f, 'schema_version')}; this "
                f"spinodal reads up to {SCHEMA_VERSION}: upgrade spinodal"
            )
        if not bool(_attr(f, "complete")):
            raise DatasetError(f"{where} is incomplete (generation did not finish)")
        for name in ("phi", *_PER_SEQUENCE):
            if name not in f:
                raise DatasetError(f"{where} lacks the field {name!r}")
        phi = f["phi"]
        if phi.ndim != 4 or phi.shape[2] != phi.shape[3] or phi.shape[1] < 1:
            raise DatasetError(f"{where}: phi must be [S, T+1, N, N], got {phi.shape}")
        S = phi.shape[0]
        for name in _PER_SEQUENCE:
            if f[name].shape != (S,):
                raise DatasetError(f"{where}: {name} must have shape [{S}], got {f[name].shape}")
        self.phi = phi
        self.eta = f["eta"][...]
        self.phi_mean = f["phi_mean"][...]
        self.amplitude = f["amplitude"][...]
        self.seed = f["seed"][...]
        self.index = f["index"][...]
        self.validation = f["validation"][...].astype(bool)
        self.attrs = {k: _attr(f, k) for k in f.attrs}

    def __len__(self) -> int:
        return self.phi.shape[0]

    @property
    def n_frames(self) -> int:
        """T: frames after the initial one."""
        return self.phi.shape[1] - 1

    @property
    def size(self) -> int:
        return self.phi.shape[-1]

    @property
    def pf(self) -> PhaseFieldModel:
        """The solver constants the data were generated with."""
        return PhaseFieldModel.from_dict(json.loads(self.attrs["model"]))

    @property
    def widths(self) -> tuple[float, float]:
        """Widths of the ranges ⟨φ⟩ and η were drawn from (:func:`sampled_widths`)."""
        return sampled_widths(json.loads(self.attrs["split_spec"]))

    def nearest(
        self,
        phi_mean: float | None = None,
        eta: float | None = None,
        *,
        among=None,
    ) -> int:
        """The sequence nearest (``phi_mean``, ``eta``): :func:`nearest_sequence` over this
        file's sequences, each coordinate relative to the width of its sampled range."""
        return nearest_sequence(
            self.phi_mean, self.eta, phi_mean, eta, widths=self.widths, among=among
        )

    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.validation)

    def validation_indices(self) -> np.ndarray:
        return np.flatnonzero(self.validation)

    def read(self, indices, frames=slice(None)) -> np.ndarray:
        """Frames of some sequences as float32 [len(indices), t, N, N] (or [t, N, N] for an int)."""
        try:
            if np.isscalar(indices):
                return self.phi[int(indices), frames]
            indices = np.asarray(indices, dtype=int)
            order = np.argsort(indices)  # h5py wants increasing indices
            data = self.phi[indices[order].tolist(), frames]
            out = np.empty_like(data)
            out[order] = data
            return out
        except (OSError, KeyError) as error:
            raise DatasetError(f"{self.path}: cannot read sequences {indices}: {error}") from None

    def __getitem__(self, i: int) -> np.ndarray:
        return self.read(int(i))

    def iter_batches(
        self, batch_size: int, indices=None, frames=slice(None)
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Stream (indices, phi [b, t, N, N], eta [b]) without loading the file."""
        indices = np.arange(len(self)) if indices is None else np.asarray(indices)
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            yield chunk, self.read(chunk, frames), self.eta[chunk]

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SequenceDataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SequenceDataset({str(self.path)!r}: {len(self)} sequences × "
            f"{self.n_frames + 1} frames of {self.size}², preset {self.attrs.get('preset')!r}, "
            f"split {self.attrs.get('split')!r})"
        )


def open_dataset(path: str | Path) -> SequenceDataset:
    """Open and validate a dataset file (see :class:`SequenceDataset`)."""
    return SequenceDataset(path)


def dataset_statistics(path: str | Path, *, threshold: float = 0.05) -> dict[str, np.ndarray]:
    """Per-sequence statistics of a dataset file (what Sec. 2.2 samples and what it gives).

    Reads the per-sequence parameters and only the first and last frame of every sequence.

    Args:
        path: a dataset file (:func:`open_dataset`).
        threshold: max φ - min φ above which a field counts as phase separated (Sec. 3.4).

    Returns:
        dict of arrays [S]: ``phi_mean``, ``eta``, ``amplitude``, ``validation`` (as stored);
        ``measured_mean`` (spatial mean of frame 0, equal to ``phi_mean`` up to round-off for
        Perlin states), ``initial_contrast`` and ``final_contrast`` (max φ - min φ of the first
        and the last frame), ``separated`` (``final_contrast > threshold``), ``unstable``
        (η below the spinodal misfit η_s(⟨φ⟩) of Eq. 9: the homogeneous state is linearly
        unstable, so decomposition is expected); and ``n_frames``, ``size`` (0-d).
    """

    with open_dataset(path) as ds:
        everything = np.arange(len(ds))
        first = ds.read(everything, 0)
        last = ds.read(everything, ds.n_frames)
        spinodal = ds.pf.spinodal_misfit(ds.phi_mean)
        final = contrast(last)
        return {
            "phi_mean": ds.phi_mean.astype(np.float64),
            "eta": ds.eta.astype(np.float64),
            "amplitude": ds.amplitude.astype(np.float64),
            "validation": ds.validation.copy(),
            "measured_mean": first.mean(axis=(-2, -1), dtype=np.float64),
            "initial_contrast": contrast(first),
            "final_contrast": final,
            "separated": final > threshold,
            "unstable": np.nan_to_num(spinodal, nan=-1.0) > ds.eta,
            "n_frames": np.asarray(ds.n_frames),
            "size": np.asarray(ds.size),
        }


def sampled_widths(split_spec: dict) -> tuple[float, float]:
    """Widths (⟨φ⟩, η) of the ranges a split draws its parameters from, from the split's
    ``to_dict()`` (a file's ``split_spec`` attribute): ``high - low`` for a uniform draw (0.6 and
    0.012 for the paper's U(0.2, 0.8) and U(0, 1.2 %)), the spread of the values for a choice,
    and 1 where that spread is zero (a fixed value)."""

    def width(draw: dict) -> float:
        if "low" in draw:
            spread = float(draw["high"]) - float(draw["low"])
        else:
            spread = float(np.ptp(np.asarray(draw["values"], dtype=np.float64)))
        return spread if spread > 0 else 1.0

    return width(split_spec["phi_mean"]), width(split_spec["eta"])


def nearest_sequence(
    phi_means,
    etas,
    phi_mean: float | None = None,
    eta: float | None = None,
    *,
    widths: tuple[float, float] = (1.0, 1.0),
    among=None,
) -> int:
    """Index of the sequence whose (⟨φ⟩, η) is nearest a target: the Euclidean distance of the
    scaled coordinates.

    Args:
        phi_means, etas: [S] parameters of the sequences (e.g. ``ds.phi_mean``, ``ds.eta``).
        phi_mean, eta: the target; None leaves that coordinate out of the distance.
        widths: each coordinate is divided by its width (e.g. :func:`sampled_widths`), so that
            ⟨φ⟩ and η (a fraction of a percent) count alike.
        among: the candidates, as indices or a boolean mask [S] (default: every sequence).

    Returns:
        the index into ``phi_means`` (the first one on a tie).

    Raises:
        ValueError: no target coordinate or no candidate.
    """
    if phi_mean is None and eta is None:
        raise ValueError("nearest_sequence needs a target phi_mean, eta or both")
    parts = [
        (np.asarray(values, dtype=np.float64) - target) / width
        for values, target, width in ((phi_means, phi_mean, widths[0]), (etas, eta, widths[1]))
        if target is not None
    ]
    distance = np.sqrt(np.sum(np.square(parts), axis=0))
    candidates = np.arange(len(distance))
    if among is not None:
        among = np.asarray(among)
        candidates = np.flatnonzero(among) if among.dtype == bool else among.astype(int)
    if len(candidates) == 0:
        raise ValueError("nearest_sequence has no candidate sequence")
    return int(candidates[np.argmin(distance[candidates])])


@dataclass(frozen=True)
class Frames:
    """Frames of some sequences of a file (:func:`read_frames`).

    Attributes:
        phi: [S, K, H, W] float32, the frames ``times`` of each sequence.
        times: [K] frame numbers, i.e. times in τ (frames are τ apart).
        index: [S] sequence numbers in the file.
        eta: [S] the misfits (NaN where the file does not say).
        phi_mean: [S] the mean compositions ⟨φ⟩.
        pf: the solver constants the file was made with.
        trajectory: the file is one ``spinodal simulate`` trajectory, not a dataset.
    """

    phi: np.ndarray
    times: np.ndarray
    index: np.ndarray
    eta: np.ndarray
    phi_mean: np.ndarray
    pf: PhaseFieldModel
    trajectory: bool


def read_frames(
    path: str | Path, frames: Sequence[int] | None = None, sequences: Sequence[int] | None = None
) -> Frames:
    """Frames of a dataset file (this module's schema) or of a ``spinodal simulate``
    trajectory (one sequence, ``phi`` [T+1, N, N] with ``eta`` and ``model`` attributes).

    Args:
        path: the HDF5 file.
        frames: frame numbers to read (times in τ); default all.
        sequences: sequence numbers (dataset files only); default all.

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable file, a file of neither kind,
            frames or sequences out of range.
    """
    path = Path(path)
    with open_hdf5(path) as f:
        trajectory = "schema" not in f.attrs
        if trajectory:
            if "phi" not in f or f["phi"].ndim != 3:
                raise ValueError(
                    f"{path} is neither a spinodal dataset nor a trajectory with phi [T+1, N, N]"
                )
            if sequences is not None and list(sequences) != [0]:
                raise ValueError(f"{path} holds one trajectory: only sequence 0 exists")
            wanted = _frame_list(frames, f["phi"].shape[0] - 1, path)
            phi = f["phi"][: wanted[-1] + 1][wanted][None].astype(np.float32)
            eta = np.array([float(f.attrs.get("eta", np.nan))])
            model_json = f.attrs.get("model")
            pf = PhaseFieldModel.from_dict(json.loads(model_json)) if model_json else None
            return Frames(
                phi,
                np.asarray(wanted, dtype=np.float64),
                np.array([0]),
                eta,
                phi[:, 0].mean(axis=(-2, -1), dtype=np.float64),
                pf or PhaseFieldModel(),
                True,
            )
    with open_dataset(path) as ds:
        wanted = _frame_list(frames, ds.n_frames, path)
        index = np.arange(len(ds)) if sequences is None else np.asarray(sequences, dtype=int)
        if len(index) == 0 or index.min() < 0 or index.max() >= len(ds):
            raise ValueError(f"sequences must be in [0, {len(ds) - 1}], got {index.tolist()}")
        return Frames(
            ds.read(index, slice(0, wanted[-1] + 1))[:, wanted],
            np.asarray(wanted, dtype=np.float64),
            index,
            ds.eta[index].astype(np.float64),
            ds.phi_mean[index].astype(np.float64),
            ds.pf,
            False,
        )


def _frame_list(frames, total: int, path: Path) -> list[int]:
    wanted = list(range(total + 1)) if frames is None else [int(f) for f in frames]
    if not wanted or min(wanted) < 0 or max(wanted) > total:
        raise ValueError(f"frames must be in [0, {total}] for {path}, got {wanted}")
    return wanted
