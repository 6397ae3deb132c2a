"""spinodal: the reproducible companion to Fantasia, Lanzoni et al., "A parametrically-conditioned
deep learning surrogate for coherent spinodal decomposition", Adv. Theory Simul. 2026.

The phase-field ground truth (:class:`PhaseFieldModel`), periodic Perlin initial states
(:mod:`spinodal.physics.initial`), HDF5 datasets (:mod:`spinodal.io.datasets`), the CRNN surrogate
(:mod:`spinodal.surrogate.model`, :mod:`spinodal.surrogate.training`, :func:`load_model`,
:func:`rollout`) and the presets that size everything (:mod:`spinodal.presets`).
"""

from ._version import __version__
from .physics.solver import PhaseFieldModel, SimulationDiverged
from .presets import PRESETS, Preset, get_preset
from .surrogate.checkpoint import load_model
from .surrogate.inference import rollout

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
