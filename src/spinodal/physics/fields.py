"""Conversion of user input (numpy or torch) to validated torch batches, and back.

Every public entry point that takes fields converts them here, once: shapes, finiteness and
per-field parameters are checked with errors that name the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "MAX_MISFIT",
    "FieldBatch",
    "as_field_batch",
    "as_parameter",
    "check_misfit",
    "read_npy",
    "resolve_dtype",
]

#: The largest misfit accepted, as a fraction (5 %): coherent misfits of alloys are a few per
#: cent at most, and the paper's data span 0-1.2 %. Larger values are almost always a per cent
#: typed as a fraction (0.6 for 0.6 %).
MAX_MISFIT = 0.05

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: str | torch.dtype | None, default: torch.dtype) -> torch.dtype:
    """A torch floating dtype from ``"float32"``, ``"float64"``, a torch dtype or None."""
    if dtype is None:
        return default
    if isinstance(dtype, str):
        try:
            return _DTYPES[dtype]
        except KeyError:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    return dtype


@dataclass(frozen=True)
class FieldBatch:
    """A validated batch of fields [B, H, W] and how to give results back to the caller.

    Attributes:
        data: the fields as a torch tensor [B, H, W].
        batched: whether the caller passed [B, H, W] (else [H, W]).
        numpy: whether the caller passed a numpy array (results go back as numpy).
    """

    data: torch.Tensor
    batched: bool
    numpy: bool

    def restore(self, out: torch.Tensor):
        """Give ``out`` [B, *extra, H, W] back in the caller's kind and batch convention."""
        if not self.batched:
            out = out[0]
        return out.cpu().numpy() if self.numpy else out


def as_field_batch(
    phi,
    *,
    name: str = "phi",
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
) -> FieldBatch:
    """Validate ``phi`` ([H, W] or [B, H, W], numpy or torch) and make it a torch batch.

    Numpy input defaults to float32 on the CPU; torch input keeps its device and its dtype if
    that is float32 or float64. Raises ``ValueError`` for a wrong rank, an empty or too small
    grid, or non-finite values (naming the field).
    """
    is_numpy = not isinstance(phi, torch.Tensor)
    if is_numpy:
        array = np.asarray(phi)
        if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
        default = torch.float32
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    else:
        tensor = phi.detach()
        default = tensor.dtype if tensor.dtype in (torch.float32, torch.float64) else torch.float32
    target = resolve_dtype(dtype, default)
    tensor = tensor.to(device=device if device is not None else tensor.device, dtype=target)
    if tensor.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape [H, W] or [B, H, W], got {tuple(tensor.shape)}")
    batched = tensor.ndim == 3
    if not batched:
        tensor = tensor[None]
    if tensor.shape[0] == 0 or min(tensor.shape[-2:]) < 4:
        raise ValueError(
            f"{name} needs at least one field of at least 4 x 4, got {tuple(tensor.shape)}"
        )
    finite = torch.isfinite(tensor).flatten(1).all(dim=1)
    if not bool(finite.all()):
        bad = torch.nonzero(~finite).flatten().tolist()
        raise ValueError(f"{name} has non-finite values (NaN or inf) in field(s) {bad}")
    return FieldBatch(tensor.contiguous(), batched, is_numpy)


def as_parameter(value, batch: int, *, name: str, like: torch.Tensor) -> torch.Tensor:
    """A per-field parameter (float or [B]) as a tensor [B] matching ``like``'s dtype/device."""
    tensor = torch.as_tensor(
        value.cpu() if isinstance(value, torch.Tensor) else np.asarray(value, dtype=float),
        dtype=like.dtype,
    ).to(like.device)
    if tensor.ndim == 0:
        tensor = tensor.expand(batch)
    if tensor.shape != (batch,):
        raise ValueError(
            f"{name} must be a float or have shape [{batch}] (one per field), "
            f"got shape {tuple(tensor.shape)}"
        )
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite, got {tensor.tolist()}")
    return tensor.contiguous()


def check_misfit(eta, *, name: str = "eta") -> np.ndarray:
    """``eta`` (a float or an array) as a float64 array, checked to be misfits as fractions.

    The physics depends on η² only (Eq. 5), so a sign carries no meaning; the project takes
    η ≥ 0 everywhere, as the paper's data do.

    Raises:
        ValueError: a non-finite or negative value, or one above :data:`MAX_MISFIT`, naming
            the units (η is a fraction: 0.006 = 0.6 %).
    """
    values = np.asarray(eta, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite, got {values.tolist()}")
    if (values < 0).any():
        raise ValueError(
            f"{name} must be >= 0, got {values.min():g}: the physics depends on eta² only, "
            "give |eta|"
        )
    if (values > MAX_MISFIT).any():
        worst = float(values.max())
        raise ValueError(
            f"{name} = {worst:g} is {100 * worst:g} %: eta is a fraction (0.006 = 0.6 %), at "
            f"most {MAX_MISFIT:g}"
        )
    return values


def read_npy(path: str | Path, *, name: str = "--init") -> np.ndarray:
    """A real-valued array from a NumPy ``.npy`` file, never unpickling anything.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a ``.npy`` file (wrong magic bytes, an object array, truncated), or
            not real numbers (bool, complex, strings), naming ``name``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{name} {path} does not exist")
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic != b"\x93NUMPY":
        raise ValueError(f"{name} {path} is not a NumPy .npy file (write it with numpy.save)")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error):
            raise ValueError(
                f"{name} {path} holds Python objects, not numbers; save a float array"
            ) from None
        raise ValueError(f"{name} {path} cannot be read (truncated?): {error}") from None
    except (OSError, EOFError) as error:
        raise ValueError(f"{name} {path} cannot be read (truncated?): {error}") from None
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} {path} must hold real numbers, got dtype {array.dtype}")
    return array
