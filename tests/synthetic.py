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


class RecordingWorkspace:
    """What the library's cached helpers use of a :class:`spinodal.pipeline.workspace.Workspace`,
    recording every cache request: ``keys`` lists each (name, key) asked for, ``computed`` those
    computed (a repeated request is served from memory, as the real cache serves it from disk).

    Args:
        datasets: split → dataset path (:meth:`dataset`).
        net: the CRNN :meth:`net` returns.
        preset: the preset name.
    """

    device = "cpu"

    def __init__(self, datasets=None, net=None, preset: str = "tiny"):
        from spinodal.presets import get_preset

        self.datasets, self._net, self.preset = dict(datasets or {}), net, get_preset(preset)
        self.keys, self.computed, self.store = [], [], {}

    def dataset(self, split):
        return self.datasets[split]

    def net(self):
        return self._net

    def model_identity(self, model_dir=None):
        return "weights" if model_dir is None else f"weights-{model_dir}"

    def cached(self, name, compute, **key):
        import json

        self.keys.append((name, key))
        stored = (name, json.dumps(key, sort_keys=True))
        if stored not in self.store:
            self.computed.append((name, key))
            self.store[stored] = compute()
        return self.store[stored]
