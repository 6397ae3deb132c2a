"""Where and how a result was computed: stated next to every figure and stored in every card."""

from __future__ import annotations

import datetime
import platform
from pathlib import Path

import torch

from .._version import __version__
from ..devices import resolve_device
from ..presets import Preset, get_preset

__all__ = ["hardware", "environment", "describe_run"]


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware(device: str | torch.device | None = None) -> str:
    """A one-line description of the computing device, e.g. ``"CPU (Xeon ..., 2 threads)"``."""
    device = resolve_device(device)
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    return f"CPU ({_cpu_name()}, {torch.get_num_threads()} threads)"


def environment(device: str | torch.device | None = None) -> dict[str, str]:
    """Versions, hardware and date, for cards and file attributes."""

    return {
        "spinodal": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "hardware": hardware(device),
        "date": datetime.date.today().isoformat(),
    }


def describe_run(preset: str | Preset, device: str | torch.device | None = None) -> str:
    """A sentence for the book: which preset and hardware made the results that follow."""
    preset = get_preset(preset)
    env = environment(device)
    text = (
        f"Computed with preset **{preset.name}** (hash `{preset.hash}`) on {env['hardware']}, "
        f"torch {env['torch']}, spinodal {env['spinodal']}, on {env['date']}."
    )
    if preset.name != "paper":
        text += (
            f" This is a reduced preset ({preset.description}): sizes and counts are smaller "
            "than the paper's, and so are the statistics."
        )
    return text
