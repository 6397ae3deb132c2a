"""Presets: the paper preset holds the paper's numbers; hashes are stable and discriminating."""

import dataclasses

import pytest

from spinodal.presets import PRESETS, SPLIT_NAMES, Choice, Uniform, get_preset


def test_paper_preset_holds_the_papers_numbers():
    paper = get_preset("paper")
    train, test = paper.split("train"), paper.split("test")
    assert (train.n_sequences, train.n_frames + 1, train.size) == (2000, 100, 128)  # Sec. 2.2
    assert train.validation_fraction == 0.2  # 4:1 partition, Sec. 2.3
    assert train.phi_mean == Uniform(0.2, 0.8) and train.eta == Uniform(0.0, 0.012)
    assert train.initial.amplitude_std == 0.1
    assert (test.n_sequences, test.n_frames, test.size) == (500, 500, 128)  # Sec. 3.1
    for name, eta in (("ensemble", 0.006), ("ensemble_low", 0.003)):  # Sec. 3.2, Fig. S6
        spec = paper.split(name)
        assert (spec.n_sequences, spec.n_frames, spec.size) == (50, 1000, 128)
        assert spec.phi_mean == Choice((0.5,)) and spec.eta == Choice((eta,))
    large = paper.split("large")  # Sec. 3.3, Fig. 7a,b
    assert large.size == 512 and large.eta == Choice((0.004, 0.008))
    assert large.phi_mean == Choice((0.45,)) and large.n_frames == 100
    varying = paper.split("varying")  # Fig. 7c
    assert (varying.size, varying.n_frames, varying.eta) == (512, 1000, Choice((0.0,)))
    t = paper.training
    assert (t.weights.grad, t.weights.free_energy, t.noise_std) == (60.0, 150.0, 1e-3)  # Sec. 2.3
    assert (t.model.hidden_channels, t.model.kernel_size, t.epochs) == (24, 5, 100)
    assert t.model.implicit_damping == 0.0 and t.model.output == "mu"  # Eq. 10 exactly


def test_every_preset_has_every_split_and_distinct_seeds():
    for preset in PRESETS.values():
        assert tuple(s.name for s in preset.splits) == SPLIT_NAMES
        seeds = [s.seed for s in preset.splits]
        assert len(set(seeds)) == len(seeds)


def test_hash_is_stable_and_changes_with_any_value():
    paper = get_preset("paper")
    assert paper.hash == get_preset("paper").hash
    changed = dataclasses.replace(paper, generation_batch=paper.generation_batch + 1)
    assert changed.hash != paper.hash
    assert len({p.hash for p in PRESETS.values()}) == len(PRESETS)


def test_unknown_names_are_explained():
    with pytest.raises(KeyError, match="choose one of"):
        get_preset("huge")
    with pytest.raises(KeyError, match="has no split"):
        get_preset("tiny").split("validation")
    with pytest.raises(ValueError, match="low <= high"):
        Uniform(1.0, 0.0)
