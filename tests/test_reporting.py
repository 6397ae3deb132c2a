"""Divergence-aware statistics and sentences of the book (spinodal.book.reporting)."""

import numpy as np
import pytest
from synthetic import diverging_contrasts

from spinodal.book import reporting
from spinodal.physics.metrics import ensemble_summary


def test_divergence_is_cumulative_and_timed():
    contrasts = diverging_contrasts([None, 2, 4])
    contrasts[2, 5] = np.nan  # not finite counts as diverged too
    mask = reporting.diverged_mask(contrasts)
    assert mask.tolist() == [
        [False] * 6,
        [False, False, True, True, True, True],
        [False] * 4 + [True, True],
    ]
    times = np.arange(6) * 10
    np.testing.assert_array_equal(reporting.divergence_times(contrasts, times), [np.inf, 20, 40])
    with pytest.raises(ValueError, match="frames"):
        reporting.divergence_times(contrasts, times[:3])


def test_frames_divergence_times_from_stored_fields():
    frames = np.full((2, 3, 4, 4), 0.5)
    frames[1, 2, 0, 0] = 5.0
    np.testing.assert_array_equal(
        reporting.frames_divergence_times(frames, [0, 5, 10]), [np.inf, 10]
    )


def test_error_summary_never_uses_a_diverged_rollout():
    rng = np.random.default_rng(0)
    values = rng.random((8, 5))
    values[:, 0] = 0.0
    diverged = np.zeros((8, 5), bool)
    # no divergence: the plain ensemble summary
    plain = ensemble_summary(values)
    summary = reporting.summary_before_divergence(values, diverged)
    for a, b in zip(summary, plain, strict=True):
        np.testing.assert_allclose(a, b)
    # two of eight diverged at frame 2 (their values become huge): the median stays a number
    # but is not the huge values' median; the upper quartile involves them and is NaN
    values[:2, 2:] = 1e9
    diverged[:2, 2:] = True
    summary = reporting.summary_before_divergence(values, diverged)
    assert np.isfinite(summary.median[2]) and summary.median[2] < 1
    assert np.isnan(summary.q75[2]) and np.isfinite(summary.q25[2])
    # four of eight diverged: the median is no number
    diverged[:4, 3:] = True
    summary = reporting.summary_before_divergence(values, diverged)
    assert np.isnan(summary.median[3]) and np.isnan(summary.median[4])
    # non-finite values count as diverged even if the mask says otherwise
    values[:5, 1] = np.inf
    assert np.isnan(reporting.summary_before_divergence(values, diverged).median[1])


def test_signed_summary_is_over_survivors_while_fewer_than_half_diverged():
    values = np.tile(np.arange(4.0)[:, None], (1, 3)) - 10  # -10, -9, -8, -7 per sequence
    values[0, 1:] = 1e12
    diverged = np.zeros((4, 3), bool)
    diverged[0, 1:] = True
    diverged[1, 2:] = True
    summary = reporting.summary_before_divergence(values, diverged, kind="signed")
    assert summary.median[1] == pytest.approx(-8.0)  # median of -9, -8, -7
    assert np.isnan(summary.median[2])  # half diverged
    with pytest.raises(ValueError, match="kind"):
        reporting.summary_before_divergence(values, diverged, kind="other")


def test_formatting_says_diverged_instead_of_a_number():
    assert reporting.value_or_diverged(0.01234, 50, np.inf) == "0.0123"
    assert reporting.value_or_diverged(3e11, 50, 68) == "3 × 10¹¹"  # not yet diverged at 50τ
    assert reporting.value_or_diverged(3e11, 100, 68) == "diverged at 68τ"
    assert reporting.value_or_diverged(np.nan, 10, np.inf) == "not finite"
    values = np.ones((4, 3))
    diverged = np.zeros((4, 3), bool)
    diverged[:2, 2] = True
    times = np.array([0, 10, 20])
    assert reporting.median_or_diverged(values, 1, diverged, times) == "1"
    assert reporting.median_or_diverged(values, 2, diverged, times) == "diverged (2/4 by 20τ)"
    assert reporting.format_tau(12.5) == "12.5τ" and reporting.format_tau(68.0) == "68τ"


def test_divergence_sentence():
    assert reporting.divergence_sentence([np.inf] * 3, 200).startswith(
        "none of the 3 rollouts leaves the physical range"
    )
    text = reporting.divergence_sentence([68, np.inf, 120, 90], 200)
    assert "3 of the 4 rollouts" in text and "the first at 68τ" in text
    assert "half of all 4 by 90τ" in text
    text = reporting.divergence_sentence([68, 70], 200, what="test rollouts")
    assert text.startswith("all of the 2 test rollouts")
    assert "does not leave the physical range" in reporting.divergence_sentence([np.inf], 50)
    assert "at 30τ" in reporting.divergence_sentence([30], 50)


def test_standing_compares_with_the_no_change_forecast_and_counts_divergence():
    times = np.arange(11)
    mae = np.tile(np.linspace(0, 0.1, 11), (4, 1))
    persistence = np.full(4, 0.2)
    contrasts = diverging_contrasts([None, None, None, 8], T=11)
    result = reporting.standing(mae, persistence, contrasts, times, window=5)
    assert result.window == 5 and result.horizon == 10
    assert result.mae == pytest.approx(0.05) and result.persistence == pytest.approx(0.2)
    assert result.n_diverged == 1 and result.first_divergence == 8
    assert "25 % of the no-change forecast" in result.sentence
    assert "1 of the 4 rollouts leave the physical range" in result.sentence
    # half diverged before the window ends: no median error is quoted
    contrasts = diverging_contrasts([1, 2, None, None], T=11)
    result = reporting.standing(mae, persistence, contrasts, times, window=5)
    assert np.isnan(result.mae) and "no median error is quoted" in result.sentence
    assert "0.05" not in result.sentence


def test_standing_quotes_the_coarse_solver_beside_the_network():
    times = np.arange(11)
    mae = np.tile(np.linspace(0, 0.1, 11), (4, 1))  # 0.05 at the window's end
    contrasts = diverging_contrasts([None] * 4, T=11)
    better = reporting.standing(mae, np.full(4, 0.2), contrasts, times, 5, coarse=mae / 4)
    assert better.coarse == pytest.approx(0.0125)
    assert "has 0.0125 there: an error 4 times smaller than the network's." in better.sentence
    worse = reporting.standing(mae, np.full(4, 0.2), contrasts, times, 5, coarse=2 * mae)
    assert "has 0.1 there: the network is the more accurate of the two." in worse.sentence
    assert np.isnan(reporting.standing(mae, np.full(4, 0.2), contrasts, times, 5).coarse)


def test_describe_build_is_one_clean_sentence():
    text = reporting.describe_build("small", "cpu")
    assert text.count("(") == text.count(")") and "):" not in text and ".)" not in text
    assert "**small**" in text and "reduced preset" in text
    assert "reduced" not in reporting.describe_build("paper", "cpu")


def test_format_number_never_prints_an_exponent_in_e_notation():
    assert reporting.format_number(22500) == "22,500"
    assert reporting.format_number(0.012345) == "0.0123"
    assert reporting.format_number(2.8e-8, 2) == "2.8 × 10⁻⁸"
    assert reporting.format_number(2548.7) == "2,550"
    assert reporting.format_number(4.47e9) == "4.47 × 10⁹"
    assert reporting.format_number(9.999e-5, 2) == "1 × 10⁻⁴"
    assert reporting.format_number(0) == "0" and reporting.format_number(np.nan) == "not finite"


def test_median_divergence_time_is_when_half_have_diverged():
    """The lower median of the first-divergence times: finite once half (S/2 for an even S)
    have diverged, inf before; the standing and the sentences use the same time."""
    inf = np.inf
    assert reporting.median_divergence_time([inf, inf, inf]) == inf
    assert reporting.median_divergence_time([30.0, inf, inf]) == inf
    assert reporting.median_divergence_time([30.0, 10.0, inf]) == 30.0
    assert reporting.median_divergence_time([40.0, 10.0, inf, inf]) == 40.0  # half of 4
    assert reporting.median_divergence_time([]) == inf
    contrasts = diverging_contrasts([None, 2, 4, 1])
    times = np.arange(6) * 10.0
    first = reporting.divergence_times(contrasts, times)
    s = reporting.standing(np.zeros((4, 6)), np.ones(4), contrasts, times, 2)
    assert s.median_divergence == reporting.median_divergence_time(first) == 20.0


def test_versus_paper_table_cites_the_paper():
    """Each row: the quantity, the paper's value with its section (or a plain note) and the
    build's value, under the one header every chapter uses."""
    from spinodal import paper

    table = reporting.versus_paper_table(
        [("parameters", paper.PARAMETERS, "37,681"), ("best epoch", paper.NOT_QUOTED, 12)]
    )
    assert table.splitlines() == [
        "| quantity | paper | this build |",
        "|---|---|---|",
        "| parameters | ≈ 150,000 (Sec. 2.3) | 37,681 |",
        "| best epoch | (not quoted) | 12 |",
    ]


# --- chapter 03: the training of the CRNN ------------------------------------------------------


# --- chapter 09: the ablations ------------------------------------------------------------------


# --- chapter 07: the phase diagram ----------------------------------------------------------------


# --- chapter 08: performance ------------------------------------------------------------------


def _timings(frames: dict, solver_step=1e-4, batch=1):
    from spinodal.analysis.bench import ModelTiming

    return [ModelTiming(size, batch, frame, solver_step) for size, frame in frames.items()]


def test_cost_exponent_sizes_and_step_ratio():
    from spinodal.analysis.bench import (
        SolverTiming,
        cost_exponent,
        default_sizes,
        median_step_ratio,
    )

    linear = _timings({32: 1e-3, 64: 4e-3, 128: 16e-3})  # time ∝ N²
    assert cost_exponent(linear) == pytest.approx(1.0)
    assert cost_exponent(_timings({32: 1e-3, 64: 2e-3})) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="two sizes"):
        cost_exponent(_timings({32: 1e-3}))
    assert default_sizes("paper") == default_sizes("small") == [128, 256, 512]
    from spinodal.presets import get_preset

    tiny = get_preset("tiny")
    assert default_sizes("tiny") == [tiny.split("test").size, tiny.split("large").size]
    solver = [SolverTiming(n, 4, r * 1e-3, 1e-3) for n, r in ((32, 3.0), (64, 1.0), (128, 2.0))]
    assert median_step_ratio(solver) == pytest.approx(2.0)


# --- chapters 00-02: the introduction, the model and the data -------------------------------------


def test_training_table_and_build_time_sentence(two_stages):
    from spinodal.book.runner import build_time_sentence, training_table

    lines = training_table(two_stages).splitlines()
    assert lines[0] == "in 2 stages, each from the previous one's weights:"
    assert lines[4] == "| s1 | 3 (3) | 10 | 2 |  | 3 | a test CPU |"
    assert lines[5] == "| s2 | 2 (1) | 20 | 0 |  | 2 | a test CPU |"
    assert training_table(two_stages.parent / "s1").startswith("in one run:")
    timings = {"chapters": {"01_a": {"seconds": 60.0}, "02_b": {"seconds": 120.0}}}
    text = build_time_sentence(timings, ["01_a", "02_b", "03_c"])
    assert text.startswith(
        "Executing these chapters took 3.0 min in all (2 of 3 chapters measured)"
    )
    assert text.endswith(
        "for the first time with this preset: its time will be shown here by "
        "the next `spinodal book`."
    )
    timings["html_seconds"] = 42.4
    assert build_time_sentence(timings, ["01_a"]).endswith(
        "(1 of 1 chapters measured); the previous HTML build with this preset took 42 s."
    )
