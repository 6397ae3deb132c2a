"""The paper's numbers (spinodal.paper): each cites where the paper states it, and what the
book prints of it agrees with the value it compares with."""

import re

import pytest

from spinodal import paper

RECORDS = {name: getattr(paper, name) for name in paper.__all__}
VALUES = {name: v for name, v in RECORDS.items() if isinstance(v, paper.PaperValue)}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_every_value_cites_the_paper(name):
    value = VALUES[name]
    assert re.search(r"(Sec\.|Fig\.|Eq\.|abstract)", value.source), value
    assert value.cell == f"{value.text} ({value.source})"


def test_quoted_texts_agree_with_the_values():
    assert paper.PHASE_DIAGRAM_AGREEMENT.value == (491, 500)
    assert paper.PHASE_DIAGRAM_AGREEMENT.text == "491 / 500 (98.2 %)"
    assert 500 - paper.PHASE_DIAGRAM_NN_SEPARATED_ONLY.value == 491
    assert paper.TRAINING_SEQUENCES.value == (1600, 400)
    assert paper.SPEEDUP_BY_SIZE == {128: 40.0, 256: 90.0, 512: 145.0}
    assert paper.NOISE_STD.value == 7.5e-4 and "7.5 × 10⁻⁴" in paper.NOISE_STD.text
    assert paper.MAE_WITHIN_TRAINING.value == 0.025 and "0.025" in str(paper.MAE_WITHIN_TRAINING)
    assert paper.ABLATION_RECIPE.text == "the full recipe (100 epochs, 1600 sequences)"


def test_the_paper_module_holds_data_only():
    """A foundation module: no function, no import of the package's layers."""
    source = open(paper.__file__).read()
    assert "import spinodal" not in source and "from ." not in source
    assert not [n for n, v in RECORDS.items() if callable(v) and n != "PaperValue"]


def test_every_ablation_variant_has_the_papers_conclusion():
    from spinodal.presets import PRESETS

    names = {v.name for preset in PRESETS.values() for v in preset.ablations}
    assert names and names == set(paper.ABLATION_CONCLUSIONS)
    assert "significantly enhance" in paper.ABLATION_CONCLUSIONS["no_grad"]
