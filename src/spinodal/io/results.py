"""Result files: HDF5 files and groups of named arrays, written whole and atomically.

What the analysis layers measure (evaluations, misfit inferences, predicted frames) is stored as
named arrays (a name may hold ``/``: ``"nn/paper_total"`` is the dataset ``paper_total`` of the
group ``nn``) with attributes. This module is where those files are written and read, so that
no layer above :mod:`spinodal.io` handles HDF5 itself:

- :func:`write_arrays` writes a new file, :func:`replace_group` one group of a file that may
  hold others (a copy of the file, then a rename: a crash leaves the old file whole);
- :func:`read_arrays` and :func:`read_group` read them back, :func:`group_attrs` reads only a
  group's attributes, :func:`groups_with` lists the groups that carry an attribute;
- :func:`streamed_array` writes one large array frame by frame (a rollout longer than memory).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import h5py
import numpy as np

from .files import atomic_output, open_hdf5

__all__ = [
    "StreamedArray",
    "group_attrs",
    "groups_with",
    "read_arrays",
    "read_group",
    "replace_group",
    "streamed_array",
    "write_arrays",
]

_GZIP = {"compression": "gzip", "compression_opts": 1, "shuffle": True}


def _fill(target: h5py.Group, arrays: Mapping, attrs: Mapping | None, compressed) -> None:
    for name, values in arrays.items():
        options = _GZIP if name in compressed else {}
        target.create_dataset(name, data=np.asarray(values), **options)
    target.attrs.update({k: v for k, v in (attrs or {}).items() if v is not None})


def write_arrays(
    path: str | Path,
    arrays: Mapping[str, np.ndarray],
    attrs: Mapping | None = None,
    *,
    compressed: Iterable[str] = (),
) -> Path:
    """Write ``arrays`` (name → array) and the file attributes ``attrs`` (None values left out)
    to a new HDF5 file ``path``, atomically; the arrays named in ``compressed`` are stored with
    gzip (level 1, shuffled)."""
    path = Path(path)
    compressed = set(compressed)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        _fill(f, arrays, attrs, compressed)
    return path


def replace_group(
    path: str | Path,
    key: str,
    arrays: Mapping[str, np.ndarray],
    attrs: Mapping | None = None,
    *,
    compressed: Iterable[str] = (),
) -> None:
    """Make group ``key`` of the file ``path`` hold ``arrays`` and ``attrs`` (as
    :func:`write_arrays`), keeping the file's other groups: the file (if any) is copied, the
    group rewritten in the copy and the copy renamed over the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    compressed = set(compressed)
    with atomic_output(path) as tmp:
        if path.exists():
            shutil.copyfile(path, tmp)
        with h5py.File(tmp, "a") as f:
            if key in f:
                del f[key]
            _fill(f.create_group(key), arrays, attrs, compressed)


def _arrays_of(group: h5py.Group, names: Iterable[str] | None) -> dict[str, np.ndarray]:
    if names is not None:
        return {name: group[name][...] for name in names}
    out: dict[str, np.ndarray] = {}
    group.visititems(
        lambda name, item: (
            out.__setitem__(name, item[...]) if isinstance(item, h5py.Dataset) else None
        )
    )
    return out


def read_arrays(path: str | Path, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays ``names`` (default: every array, at any depth) of the file ``path``."""
    with open_hdf5(path) as f:
        return _arrays_of(f, names)


def groups_with(path: str | Path, attribute: str) -> list[str]:
    """The groups of the file ``path`` that carry ``attribute`` (e.g. a schema name)."""
    with open_hdf5(path) as f:
        return _groups_with(f, attribute)


def _groups_with(f: h5py.File, attribute: str) -> list[str]:
    found: list[str] = []
    f.visititems(lambda name, item: found.append(name) if attribute in item.attrs else None)
    return found


def read_group(
    path: str | Path, key: str, names: Iterable[str] | None = None, *, what: str = "group"
) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, attributes) of the group ``key`` of the file ``path``: the arrays ``names``
    (default all). A missing group raises KeyError naming the groups of the same kind (those
    with a ``schema`` attribute), ``what`` naming the kind in the message."""
    with open_hdf5(path) as f:
        if key not in f:
            raise KeyError(f"{path} holds no {what} {key!r}; it has {_groups_with(f, 'schema')}")
        group = f[key]
        return _arrays_of(group, names), dict(group.attrs)


def group_attrs(path: str | Path, key: str) -> dict | None:
    """The attributes of group ``key`` of the file ``path``; None when the file or the group is
    missing or the file cannot be read (a partial copy: whatever it held is computed again)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with h5py.File(path, "r") as f:
            return dict(f[key].attrs) if key in f else None
    except OSError:
        return None


class StreamedArray:
    """One array of a file being written, filled piece by piece (:func:`streamed_array`):
    ``data[index] = values`` writes, ``attrs`` are the file's attributes."""

    def __init__(self, data: h5py.Dataset, attrs: h5py.AttributeManager):
        self.data = data
        self.attrs = attrs


@contextlib.contextmanager
def streamed_array(
    path: str | Path, name: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype=np.float32
) -> Iterator[StreamedArray]:
    """A new file ``path`` with one gzip-compressed array ``name`` of ``shape`` (chunked as
    ``chunks``), filled by the caller inside the ``with`` block; the file appears whole at the
    end of the block, or not at all if the block raises."""
    with atomic_output(Path(path)) as tmp, h5py.File(tmp, "w") as f:
        data = f.create_dataset(name, shape=shape, dtype=dtype, chunks=chunks, **_GZIP)
        yield StreamedArray(data, f.attrs)
