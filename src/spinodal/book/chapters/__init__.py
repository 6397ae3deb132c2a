"""What each chapter of the book computes to show, one module per chapter: its tables, sentences
and figures (``model`` is chapter 01, ``dataset`` 02, ``training`` 03, ``accuracy`` 04,
``long_time`` 05, ``domain`` 06, ``phase_diagram`` 07, ``performance`` 08, ``ablations`` 09,
``inverse`` 10). What several chapters share lives in :mod:`spinodal.book.reporting` (formatting
and divergence-aware statistics) and :mod:`spinodal.book.plotting` (fields, bands, animations)."""

from . import (
    ablations,
    accuracy,
    dataset,
    domain,
    inverse,
    long_time,
    model,
    performance,
    phase_diagram,
    training,
)

__all__ = [
    "ablations",
    "accuracy",
    "dataset",
    "domain",
    "inverse",
    "long_time",
    "model",
    "performance",
    "phase_diagram",
    "training",
]
