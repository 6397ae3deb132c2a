"""Output files that lose nothing: refuse to overwrite, write atomically, one writer at a time.

Every command that writes a file goes through here:

- :func:`prepare_output` refuses an existing output unless the caller asked to overwrite it,
  with the same wording in every command, and creates the parent folders;
- :func:`atomic_output` yields a temporary path next to the target and renames it over the
  target only when the block finished without an error, so that a crash, an interrupt or a full
  disk never leaves a half-written file under the target's name;
- :class:`ResumableParts` keeps the finished parts of a long job (``OUT.parts/``) with the
  identity of the job, so that running the same command again resumes it;
- :func:`exclusive` takes an advisory lock (``OUT.lock``) so that two processes writing the same
  output fail clearly instead of racing; the operating system releases it when the process
  ends, even when killed, so an interrupted run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py

__all__ = [
    "OutputLockedError",
    "prepare_output",
    "check_room",
    "atomic_output",
    "atomic_write",
    "exclusive",
    "open_hdf5",
    "ResumableParts",
]


class OutputLockedError(FileExistsError):
    """Another process is writing the same output."""


def prepare_output(path: str | Path, *, overwrite: bool = False, option: str = "--out") -> Path:
    """``path`` as a Path whose parent folder exists, refusing an existing file.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False (the message names
            ``option`` and ``--overwrite``); ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise FileExistsError(f"{option} {path} is a folder, not a file")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists: give --overwrite to replace it, or choose another {option}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def check_room(path: str | Path, nbytes: int) -> None:
    """Refuse to start writing ``path`` when ``nbytes`` (an upper bound: the uncompressed
    size) exceed the file-size limit (``ulimit -f``) or the free space of its disk.

    HDF5 cannot recover from a write that fails half-way (the library crashes while closing
    the file), so the room is checked before the first byte is written.

    Raises:
        OSError: naming the size needed and the limit.
    """
    path = Path(path)
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit == resource.RLIM_INFINITY:
            limit = -1
    except (ImportError, OSError, ValueError):  # no such limit here (Windows)
        limit = -1
    if limit != -1 and nbytes > limit:
        raise OSError(
            f"{path} needs up to {_size(nbytes)} but the file-size limit (ulimit -f) is "
            f"{_size(limit)}; raise the limit or write less"
        )
    free = shutil.disk_usage(path.parent if path.parent.exists() else Path.cwd()).free
    if nbytes > free:
        raise OSError(f"{path} needs up to {_size(nbytes)} but its disk has {_size(free)} free")


def _size(nbytes: float) -> str:
    """``12.3 MB``: a byte count for messages."""
    unit = "B"
    for unit in ("B", "kB", "MB", "GB"):
        if nbytes < 1024:
            break
        if unit != "GB":
            nbytes /= 1024
    return f"{nbytes:.3g} {unit}"


def _temporary(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path ``PATH.tmp``; on success rename it to ``path``, on any error
    (including KeyboardInterrupt) remove it and leave ``path`` as it was."""
    path = Path(path)
    tmp = _temporary(path)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` and move ``tmp`` onto ``path`` (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp:
        write(tmp)
    return Path(path)


@contextlib.contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``PATH.lock`` for the block.

    Raises:
        OutputLockedError: another process holds it ("another process is writing PATH").
    """
    path = Path(path)
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the atomic renames still protect data
        yield
        return
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputLockedError(
                f"another process is writing {path} (it holds {lock}); wait for it to finish"
            ) from None
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_hdf5(path: str | Path, mode: str = "r"):
    """``h5py.File(path, mode)`` with errors that name the file and the cause.

    Raises:
        FileNotFoundError: no such file (for reading).
        OutputLockedError: another process has it open for writing.
        ValueError: not an HDF5 file, or a truncated or corrupted one.
    """
    path = Path(path)
    if mode == "r" and not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return h5py.File(path, mode)
    except OSError as error:
        text = str(error).lower()
        if "unable to lock file" in text:
            raise OutputLockedError(
                f"{path} is locked by another process that has it open for writing; close it "
                "there and run the command again"
            ) from None
        cause = "truncated" if "truncated" in text else "not HDF5, or corrupted"
        raise ValueError(f"{path} is not a readable HDF5 file ({cause})") from None


class ResumableParts:
    """The finished parts of a long job, one file per batch of sequences, in ``folder``.

    ``identity`` (JSON-serializable) describes the job; it is stored as ``identity.json`` on
    the first run, and a later run with another identity is refused instead of mixing parts of
    two jobs. Parts are written with :func:`atomic_output`, so a part that exists is finished;
    leftover temporary files of an interrupted run are removed on opening.

    Args:
        folder: where the parts live (created).
        identity: what the job is (settings, inputs, weights, ...).
        what: the job's kind, for messages ("dataset", "evaluation").
    """

    def __init__(self, folder: str | Path, identity: dict, what: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = self.folder / "identity.json"
        text = json.dumps(identity, sort_keys=True, indent=1)
        if stored.exists():
            if stored.read_text() != text:
                raise FileExistsError(
                    f"{self.folder} holds an interrupted {what} with other settings; remove it "
                    "to restart"
                )
        else:
            atomic_write(stored, lambda tmp: tmp.write_text(text))
        for stale in self.folder.glob("*.tmp"):
            stale.unlink()

    def path(self, batch: range) -> Path:
        """The part file of the sequences ``batch``."""
        return self.folder / f"sequences-{batch.start:07d}-{batch.stop:07d}.h5"

    def todo(self, batches: list[range]) -> list[range]:
        """The batches whose part is not finished yet."""
        return [batch for batch in batches if not self.path(batch).exists()]

    def remove(self) -> None:
        """Delete the parts (after they were assembled), and the parent folder if empty."""
        shutil.rmtree(self.folder)
        parent = self.folder.parent
        if parent.name.endswith(".parts") and parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
