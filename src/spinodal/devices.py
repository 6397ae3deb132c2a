"""Torch devices named by the user: the default, validation with a clear error, a label."""

from __future__ import annotations

import torch

__all__ = ["default_device", "resolve_device", "device_label"]


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(name: str | torch.device | None) -> torch.device:
    """The torch device ``name`` (None or "": :func:`default_device`), checked to exist here.

    Raises:
        ValueError: ``name`` is not a torch device, or names a CUDA or MPS device this
            machine does not have.
    """
    if name is None or name == "":
        return default_device()
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"--device {name!r} is not a torch device (examples: cpu, cuda, cuda:1, mps)"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"--device {name}: CUDA is not available here (torch {torch.__version__}); "
                "use --device cpu"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: MPS is not available here; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name}: spinodal runs on cpu, cuda or mps")
    return device


def device_label(device: str | torch.device) -> str:
    """``cuda:0 (NVIDIA H200)`` or ``cpu (2 threads)``: where a timing was measured."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"{device} ({torch.get_num_threads()} threads)"
