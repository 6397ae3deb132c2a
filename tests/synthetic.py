"""Synthetic inputs shared by the book's tests (imported as ``synthetic``: pytest puts tests/ on
the path)."""

import numpy as np

from spinodal.physics.metrics import PHYSICAL_RANGE


def diverging_contrasts(first_bad, T=6):
    """Contrasts [S, T] of rollouts that leave the physical range at the given frames (None:
    never), and come back to a normal value afterwards (a divergence is for ever)."""
    out = np.full((len(first_bad), T), 0.9)
    for s, k in enumerate(first_bad):
        if k is not None:
            out[s, k] = PHYSICAL_RANGE + 1
    return out
