"""Divergence-aware statistics and sentences of the book (spinodal.book.reporting)."""

import numpy as np
import pytest

from spinodal.book import reporting
from spinodal.physics.metrics import PHYSICAL_RANGE, ensemble_summary


def _contrasts(first_bad, T=6):
    """Contrasts [S, T] of rollouts that leave the physical range at the given frames (None:
    never), and come back to a normal value afterwards (a divergence is for ever)."""
    out = np.full((len(first_bad), T), 0.9)
    for s, k in enumerate(first_bad):
        if k is not None:
            out[s, k] = PHYSICAL_RANGE + 1
    return out


def test_divergence_is_cumulative_and_timed():
    contrasts = _contrasts([None, 2, 4])
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


def test_inside_band_until_stops_at_divergence():
    times = np.arange(5)
    pf = np.tile(np.linspace(0, 1, 6)[:, None], (1, 5))  # PF band [0.25, 0.75]
    nn = np.full((6, 5), 0.5)
    diverged = np.zeros((6, 5), bool)
    assert reporting.inside_band_until(nn, pf, times, diverged) == (4.0, "end")
    nn[:, 3] = 0.9
    assert reporting.inside_band_until(nn, pf, times, diverged) == (2.0, "leaves")
    nn[:, 3] = 0.5
    nn[:3, 2:] = 1e9
    diverged[:3, 2:] = True
    assert reporting.inside_band_until(nn, pf, times, diverged) == (1.0, "diverged")


def test_standing_compares_with_the_no_change_forecast_and_counts_divergence():
    times = np.arange(11)
    mae = np.tile(np.linspace(0, 0.1, 11), (4, 1))
    persistence = np.full(4, 0.2)
    contrasts = _contrasts([None, None, None, 8], T=11)
    result = reporting.standing(mae, persistence, contrasts, times, window=5)
    assert result.window == 5 and result.horizon == 10
    assert result.mae == pytest.approx(0.05) and result.persistence == pytest.approx(0.2)
    assert result.n_diverged == 1 and result.first_divergence == 8
    assert "25 % of the no-change forecast" in result.sentence
    assert "1 of the 4 rollouts leave the physical range" in result.sentence
    # half diverged before the window ends: no median error is quoted
    contrasts = _contrasts([1, 2, None, None], T=11)
    result = reporting.standing(mae, persistence, contrasts, times, window=5)
    assert np.isnan(result.mae) and "no median error is quoted" in result.sentence
    assert "0.05" not in result.sentence


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
    contrasts = _contrasts([None, 2, 4, 1])
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


def test_mean_properties_table_follows_the_band_and_the_divergence():
    """A property whose NN median equals the PF's stays inside the band to the end with a
    0 % gap; once half of the NN rollouts diverge the band check says so and no gap is
    quoted."""
    S, T = 4, 6
    pf = np.tile(np.linspace(1.0, 0.5, T), (S, 1)) + np.linspace(-0.1, 0.1, S)[:, None]
    good = {
        "frame": np.arange(T),
        "nn/contrast": np.full((S, T), 0.9),
        "nn/total": pf,
        "pf/total": pf,
    }
    bad = dict(good, **{"nn/contrast": _contrasts([2, 2, None, None], T)})
    table, within = reporting.mean_properties_table({"a": good, "b": bad}, {"total": "⟨f⟩"}, [1, 3])
    assert within["a", "total"] == "5τ"
    assert within["b", "total"] == "1τ (then half have diverged)"
    lines = table.splitlines()
    assert (
        lines[0] == "| η | property | NN median inside PF IQR up to | error at 1τ | error at 3τ |"
    )
    assert lines[2] == "| a | ⟨f⟩ | 5τ | 0 % | 0 % |"
    assert lines[3] == "| b | ⟨f⟩ | 1τ (then half have diverged) | 0 % | diverged (2/4) |"


def test_region_errors_speak_only_where_the_medians_are_numbers():
    times = np.arange(4)
    errors = np.array([[0, 0.1, 0.2, 0.4], [0, 0.1, 0.2, 0.4], [0, 0.01, 0.02, 0.04]])
    inside = np.array([True, True, False])
    clean = np.zeros_like(errors, dtype=bool)
    r = reporting.region_errors(errors, clean, times, inside, 2)
    assert (r.inside, r.outside) == ("0.2", "0.02")
    assert r.sentence.startswith("The error is made where domains form")
    gone = clean.copy()
    gone[2, 1:] = True  # the only sequence outside diverges at 1τ
    r = reporting.region_errors(errors, gone, times, inside, 2)
    assert r.outside.startswith("diverged (1/1 by 2τ)")
    assert r.sentence.startswith("0 rollouts inside and 1 outside")
    assert r.sentence.endswith("ranked above every error.)")


def test_noise_match_statistics_and_table():
    rng = np.random.default_rng(0)
    nn_mae = rng.random((4, 6)) * 0.1
    total = 1 + rng.random((4, 6)) * 0.01
    search = {
        "noise_std": np.array([1e-4, 1e-3]),
        "distance": np.array([0.5, 0.1]),
        "mae": np.stack([nn_mae, nn_mae * 2]),
        "total": np.stack([total, total * 1.1]),
    }
    clean = np.zeros((4, 6), bool)
    m = reporting.noise_match(nn_mae, total, total, search, clean)
    assert m.best_index == 1 and "largest" in m.where
    assert m.iqr_ratio == pytest.approx(2.0)
    assert m.f_gap_nn == pytest.approx(0.0) and m.f_gap_noisy == pytest.approx(10.0)
    assert m.f_gap_nn_text == "0 %"
    gone = clean.copy()
    gone[:2, 3:] = True  # half have diverged by the end: no ⟨f⟩ gap
    assert reporting.noise_match(nn_mae, total, total, search, gone).f_gap_nn_text.startswith(
        "nothing"
    )
    table = reporting.noise_levels_table(search).splitlines()
    assert len(table) == 4 and table[2].startswith("| 0.0001 | 0.500 |")


def test_arithmetic_note_is_checked_against_the_measured_times():
    from spinodal.analysis.bench import ModelTiming, arithmetic_ratio

    single = [ModelTiming(32, 1, frame=2e-3, solver_step=1e-5)]  # solver τ 1 ms: 2× slower
    text = reporting.arithmetic_note(single, 138_360, "3–4×")
    counted = arithmetic_ratio(138_360, 32)
    assert f"{counted:.0f}× at 32²" in text and "2× at 32² the solver's time" in text
    assert f"{counted / 2:.2g}× at 32² the solver's operations per second" in text
    assert "faster than the solver" in text


def test_timing_tables_note_pairs_the_sizes():
    from spinodal.analysis.bench import ModelTiming, SolverTiming

    single = [ModelTiming(32, 1, frame=2e-3, solver_step=1e-5)]
    solver = [SolverTiming(32, 8, step=8e-5, fft_pair=4e-5), SolverTiming(64, 8, 1e-4, 5e-5)]
    text = reporting.timing_tables_note(single, solver)
    assert "0.01 ms (runs, one field) against 0.01 ms (single steps of 8 fields" in text
    assert "64²" not in text


def test_cures_table_says_diverged_once_half_the_rollouts_have():
    mae = np.tile(np.arange(1, 6) / 10, (4, 1))  # [S=4, T=5], median at τ: τ / 10
    checks = {
        "stable": {
            "mae": mae,
            "diverged_at": np.array([-1, -1, -1, -1]),
            "mass_drift": np.array([1e-7, 2e-7, 0, 0]),
        },
        "unstable": {
            "mae": mae,
            "diverged_at": np.array([2, 4, -1, -1]),
            "mass_drift": np.array([0.0, 0.0, 0.0, 0.0]),
        },
    }
    gains = {"stable": np.array([0.5, 0.7, 0.9]), "unstable": np.array([1.0, 1.2, 1.5])}
    table = reporting.cures_table(checks, gains, {"stable": 1.25, "unstable": 3}, [1, 3, 5])
    lines = table.splitlines()
    assert lines[0].count("median MAE@") == 3 and lines[1] == "|" + "---|" * 8
    stable, unstable = lines[2].split(" | "), lines[3].split(" | ")
    assert stable[1:5] == ["0/4", "0.100", "0.300", "0.500"]
    assert stable[5:] == ["0.70 / 0.90", reporting.format_number(2e-7, 2), "1.2 min |"]
    # one of four gone at 3τ is a number, two of four at 5τ are not
    assert unstable[1:5] == ["2/4 (from 2τ)", "0.100", "0.300", "diverged (2/4)"]
    assert unstable[5] == "1.20 / 1.50" and unstable[-1] == "3.0 min |"
