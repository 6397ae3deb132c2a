"""The paper's measures on shapes with known answers (spinodal.physics.metrics)."""

import numpy as np
import pytest
from scipy.ndimage import binary_fill_holes, gaussian_filter

from spinodal.physics import metrics
from spinodal.physics.metrics import mass_drift

A, KAPPA = 18.0 / 5.0, 5.0  # the paper's double well and gradient coefficient


def profile(distance):
    """The equilibrium interface φ = 1 / (1 + exp(-d √(2A/κ))) at signed distance d."""
    return 1.0 / (1.0 + np.exp(-distance * np.sqrt(2 * A / KAPPA)))


def grid(n):
    y, x = np.mgrid[0:n, 0:n].astype(float)
    return x, y


def disc(n, radius, centre=None):
    x, y = grid(n)
    cx, cy = (n / 2 + 0.3, n / 2 + 0.17) if centre is None else centre
    return profile(radius - np.hypot(x - cx, y - cy))


def stripes(n, period, axis=-1):
    """Periodic stripes, interfaces along columns (axis=-1) or rows (axis=-2)."""
    x, y = grid(n)
    u = (x if axis == -1 else y) % period
    return profile(np.minimum(u - period / 4, 3 * period / 4 - u))


def tilted_waves(n, degrees, period=32):
    x, y = grid(n)
    t = np.deg2rad(degrees)
    return profile(8 * np.sin(2 * np.pi * (x * np.cos(t) + y * np.sin(t)) / period))


def smooth_noise(n, sigma=2.0, seed=0):
    noise = gaussian_filter(np.random.default_rng(seed).standard_normal((n, n)), sigma, mode="wrap")
    return noise / noise.std()


def koch_snowflake(depth):
    """Vertices of a closed Koch snowflake of unit side (first vertex repeated at the end)."""
    points = np.array([[0, 0], [0.5, np.sqrt(3) / 2], [1, 0], [0, 0]], float)
    turn = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])  # +60°: peaks outward
    for _ in range(depth):
        a, b = points[:-1], points[1:]
        third = (b - a) / 3
        peak = a + third + third @ turn.T
        corners = np.stack([a, a + third, peak, a + 2 * third], axis=1).reshape(-1, 2)
        points = np.concatenate([corners, points[-1:]])
    return points


def filled_polygon(points, n):
    """The inside of a closed polyline rasterised on n × n pixels (densely sampled outline,
    then hole filling)."""
    s = np.linspace(0, 1, 8, endpoint=False)[:, None, None]
    samples = (points[:-1] + s * (points[1:] - points[:-1])).reshape(-1, 2)
    ij = np.round(samples).astype(int)
    image = np.zeros((n, n), bool)
    image[ij[:, 1], ij[:, 0]] = True
    return binary_fill_holes(image).astype(float)


# --- mae, interface length -------------------------------------------------------------------


def test_mae_is_zero_for_identical_fields_and_batched():
    rng = np.random.default_rng(0)
    a = rng.random((3, 4, 16, 16)).astype(np.float32)
    np.testing.assert_array_equal(metrics.mae(a, a), np.zeros((3, 4)))
    b = a + 0.25
    np.testing.assert_allclose(metrics.mae(a, b), 0.25, rtol=1e-6)
    np.testing.assert_allclose(metrics.mae(a[0, 0], b[0, 0]), 0.25, rtol=1e-6)
    assert metrics.mae(a, b).shape == (3, 4)


def test_interface_length_of_a_disc_is_its_perimeter_per_area():
    n, radius = 128, 30
    length = metrics.interface_length(disc(n, radius))
    assert length == pytest.approx(2 * np.pi * radius / n**2, rel=0.02)


@pytest.mark.parametrize("axis", [-1, -2])
def test_interface_length_of_stripes_is_their_length_per_area(axis):
    n, period = 128, 32
    field = stripes(n, period, axis)
    expected = 2 * n * (n // period) / n**2  # two interfaces of length n per period
    assert metrics.interface_length(field) == pytest.approx(expected, rel=0.02)


def test_interface_length_is_batched_and_its_relative_error():
    batch = np.stack([disc(64, 10), stripes(64, 16)])
    lengths = metrics.interface_length(batch)
    assert lengths.shape == (2,)
    np.testing.assert_allclose(lengths[1], metrics.interface_length(batch[1]))
    np.testing.assert_allclose(metrics.interface_length_error(batch, batch), [0.0, 0.0])
    errors = metrics.relative_error([1.1, 0.9, 1.0], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(errors, [0.1, 0.1, np.nan])


# --- isotropy --------------------------------------------------------------------------------


def test_orientation_histogram_equals_scikit_image_hog():
    from skimage.feature import hog

    rng = np.random.default_rng(0)
    images = [
        rng.random((64, 64)),
        rng.random((30, 45)),  # sizes that are not multiples of the cell
        np.kron(rng.random((8, 8)), np.ones((8, 8))),  # many exactly axial gradients
        profile(3 * smooth_noise(64)),
        np.full((32, 32), 0.3),
    ]
    for image in images:
        blocks = hog(
            image,
            orientations=10,
            pixels_per_cell=(4, 4),
            cells_per_block=(2, 2),
            feature_vector=False,
        )
        reference = blocks.reshape(-1, 10).mean(axis=0)
        np.testing.assert_allclose(metrics.orientation_histogram(image), reference, atol=1e-8)
    batch = np.stack(images[:1] * 3).reshape(3, 1, 64, 64)
    assert metrics.orientation_histogram(batch).shape == (3, 1, 10)


def test_hog_bin_convention_puts_axial_gradients_in_bins_0_and_5():
    along_columns = metrics.orientation_histogram(stripes(64, 16, axis=-1))  # gradient at 0°
    along_rows = metrics.orientation_histogram(stripes(64, 16, axis=-2))  # gradient at 90°
    assert np.argmax(along_columns) == 0 and np.argmax(along_rows) == 5
    assert along_columns[0] > 0.99 * along_columns.sum()
    # A gradient tilted a few degrees below the axis lands in the bin below 0° (mod 180°).
    assert np.argmax(metrics.orientation_histogram(tilted_waves(64, -5))) == 9
    assert np.argmax(metrics.orientation_histogram(tilted_waves(64, 5))) == 0


@pytest.mark.parametrize("axis", [-1, -2])
def test_isotropy_of_axis_aligned_stripes_is_near_zero(axis):
    assert metrics.isotropy(stripes(128, 32, axis)) < 0.02


@pytest.mark.parametrize("degrees", [-5, -3, 3, 5])
def test_isotropy_of_nearly_axial_stripes_is_small_on_both_sides(degrees):
    assert metrics.isotropy(tilted_waves(128, degrees)) < 0.05
    assert metrics.isotropy(tilted_waves(128, 45)) > 5


def test_isotropy_is_invariant_under_the_square_symmetries():
    field = profile(3 * smooth_noise(128, 3.0, seed=1))
    reference = metrics.isotropy(field)
    for image in (field.T, field[::-1], field[:, ::-1], np.rot90(field)):
        assert metrics.isotropy(np.ascontiguousarray(image)) == pytest.approx(reference, rel=5e-3)


def test_isotropy_of_isotropic_noise_and_a_disc_is_near_one():
    assert metrics.isotropy(smooth_noise(128)) == pytest.approx(1.0, abs=0.1)
    assert metrics.isotropy(profile(3 * smooth_noise(128))) == pytest.approx(1.0, abs=0.1)
    # Sharp interfaces (the paper's width, ≈ 1 pixel) pixelate into staircases whose flat steps
    # have exactly axial gradients: a disc reads somewhat below 1.
    assert 0.7 < metrics.isotropy(disc(128, 30)) < 1.1
    assert metrics.isotropy(disc(128, 50)) == pytest.approx(1.0, abs=0.1)


def test_isotropy_is_batched_and_nan_for_a_uniform_field():
    batch = np.stack([stripes(64, 16), smooth_noise(64), np.full((64, 64), 0.4)])
    values = metrics.isotropy(batch[None])
    assert values.shape == (1, 3)
    assert values[0, 0] < 0.05 and values[0, 1] > 0.8 and np.isnan(values[0, 2])
    with pytest.raises(ValueError, match="at least 8 x 8"):
        metrics.isotropy(np.zeros((4, 4)))


# --- box counting ----------------------------------------------------------------------------


def test_box_sizes_are_powers_of_two_up_to_a_quarter_of_the_grid():
    np.testing.assert_array_equal(metrics.box_sizes((128, 128)), [2, 4, 8, 16, 32])
    np.testing.assert_array_equal(metrics.box_sizes((729, 729)), [2, 4, 8, 16, 32, 64, 128])
    with pytest.raises(ValueError, match="16 x 16"):
        metrics.box_sizes((8, 8))


def test_boundary_is_periodic_and_counted_in_boxes():
    field = stripes(64, 16)
    edges = metrics.boundary(field)
    assert edges.sum() == 64 * 8  # 2 interfaces per period, 4 periods, one pixel column each
    counts = metrics.box_counts(edges, [2, 4, 8])
    np.testing.assert_array_equal(counts, [8 * 32, 8 * 16, 8 * 8])


@pytest.mark.parametrize("radius", [80, 100])
def test_fractal_dimension_of_a_circle_is_one(radius):
    assert metrics.fractal_dimension(disc(256, radius)) == pytest.approx(1.0, abs=0.1)


def test_fractal_dimension_of_straight_lines_is_one():
    # Two lines 64 apart: N(L) = 2 · 128 / L for every box size L ≤ 32.
    assert metrics.fractal_dimension(stripes(128, 128)) == pytest.approx(1.0, abs=1e-9)
    # Lines 16 apart look like a filled area to boxes of 16 and more: dimension above 1.
    assert metrics.fractal_dimension(stripes(128, 32)) > 1.1


def test_fractal_dimension_of_a_koch_snowflake():
    n = 729
    points = koch_snowflake(5)
    points = (points - points.mean(axis=0)) / np.ptp(points[:, 0]) * 0.8 * n + n / 2
    dimension = metrics.fractal_dimension(filled_polygon(points, n))
    assert dimension == pytest.approx(np.log(4) / np.log(3), abs=0.06)


def test_fractal_dimension_is_batched_and_nan_without_boundary():
    batch = np.stack([stripes(64, 64), np.full((64, 64), 0.7), np.full((64, 64), 0.2)])
    values = metrics.fractal_dimension(batch)
    assert values.shape == (3,)
    assert values[0] == pytest.approx(1.0) and np.isnan(values[1:]).all()


# --- classification, summaries -------------------------------------------------------------


def test_phase_separation_threshold():
    homogeneous = np.full((32, 32), 0.45) + 0.01 * np.random.default_rng(0).random((32, 32))
    separated = stripes(32, 16)
    assert not metrics.is_phase_separated(homogeneous)
    assert metrics.is_phase_separated(separated)
    np.testing.assert_array_equal(
        metrics.is_phase_separated(np.stack([homogeneous, separated])), [False, True]
    )
    assert not metrics.is_phase_separated(separated, threshold=1.0)
    assert metrics.contrast(separated) == pytest.approx(1.0, abs=0.02)


def test_ensemble_summary_ignores_nan():
    values = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 5.0], [4.0, np.nan], [5.0, np.nan]])
    summary = metrics.ensemble_summary(values)
    np.testing.assert_allclose(summary.median, [3.0, 5.0])
    np.testing.assert_allclose(summary.q25, [2.0, 5.0])
    np.testing.assert_allclose(summary.q75, [4.0, 5.0])
    median, q25, q75 = metrics.ensemble_summary(np.full((3, 2), np.nan))
    assert np.isnan(median).all()
    along_frames = metrics.ensemble_summary(values[:, :1].T, axis=1)
    np.testing.assert_allclose(along_frames.median, [3.0])


def test_mass_drift_is_zero_for_conserving_and_exact_for_a_shift():
    rng = np.random.default_rng(0)
    frames = rng.random((3, 5, 8, 8))
    frames -= frames.mean(axis=(-2, -1), keepdims=True) - 0.4  # every frame has mean 0.4
    assert np.allclose(mass_drift(frames), 0.0, atol=1e-12)
    shifted = frames.copy()
    shifted[1, 3] += 0.02  # one frame of sequence 1 gains mass
    shifted[2, 1:] -= 0.005  # sequence 2 loses mass from frame 1 on
    drift = mass_drift(shifted)
    assert drift.shape == (3,)
    assert drift[0] == pytest.approx(0.0, abs=1e-12)
    assert drift[1] == pytest.approx(0.02)
    assert drift[2] == pytest.approx(0.005)


def test_mass_drift_propagates_nan_and_rejects_single_fields():
    frames = np.full((4, 6, 6), 0.5)
    frames[2, 0, 0] = np.nan
    assert np.isnan(mass_drift(frames))
    with pytest.raises(ValueError):
        mass_drift(np.zeros((6, 6)))
