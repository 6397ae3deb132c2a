"""spinodal: the reproducible companion to Fantasia, Lanzoni et al., "A parametrically-conditioned
deep learning surrogate for coherent spinodal decomposition", Adv. Theory Simul. 2026.

The phase-field ground truth (:class:`PhaseFieldModel`), periodic Perlin initial states
(:mod:`spinodal.initial`), HDF5 datasets (:mod:`spinodal.datasets`), the CRNN surrogate
(:mod:`spinodal.model`, :mod:`spinodal.training`, :func:`load_model`, :func:`rollout`) and the
presets that size everything (:mod:`spinodal.presets`).
"""

from importlib.metadata import PackageNotFoundError, version

from .checkpoint import load_model
from .inference import rollout
from .presets import PRESETS, Preset, get_preset
from .solver import PhaseFieldModel, SimulationDiverged

try:
    __version__ = version("spinodal")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "PhaseFieldModel",
    "SimulationDiverged",
    "PRESETS",
    "Preset",
    "get_preset",
    "load_model",
    "rollout",
    "__version__",
]
