"""Validation of the Cahn-Hilliard solver: PFHub benchmark 1a and linear stability theory.

Benchmark problem 1 of the CHiMaD/NIST phase-field community (PFHub), variant a (periodic
square), is described in

    A. M. Jokisaari, P. W. Voorhees, J. E. Guyer, J. Warren, O. G. Heinonen,
    "Benchmark problems for numerical implementations of phase field models",
    Comput. Mater. Sci. 126 (2017) 139-151, https://doi.org/10.1016/j.commatsci.2016.09.022.

It evolves a concentration c with f_chem = ρ_s (c - c_α)² (c_β - c)², ρ_s = 5, c_α = 0.3,
c_β = 0.7, κ = 2, M = 5 on a 200 × 200 periodic grid (Δx = 1), with no elasticity. With
φ = (c - c_α) / (c_β - c_α) this is exactly this package's model at η = 0 with

    A = ρ_s (c_β - c_α)⁴ = 0.128,   κ_φ = κ (c_β - c_α)² = 0.32,   M_φ = M / (c_β - c_α)² = 31.25,

and the total free energies are equal. The reference curves F(t) of other codes (MEMPHIS,
MOOSE, PRISMS-PF) ship with the repository in ``data/validation/pfhub-bm1a`` (see its README
and PROVENANCE.json).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .solver import PhaseFieldModel

__all__ = [
    "PFHUB_BM1A_MODEL",
    "pfhub_bm1a_model",
    "pfhub_bm1a_initial",
    "pfhub_bm1a_output_times",
    "pfhub_bm1a_data_dir",
    "load_pfhub_bm1a_reference",
    "run_pfhub_bm1a",
    "PFHUB_BM1A_COMPARED_UNTIL",
    "pfhub_deviation",
    "LINEAR_CHECK_AMPLITUDE",
    "LINEAR_CHECK_STEPS",
    "linear_growth_check",
    "linear_growth_deviation",
]

_C_ALPHA, _C_BETA = 0.3, 0.7
_RHO_S, _KAPPA_C, _MOBILITY_C = 5.0, 2.0, 5.0
_SCALE = _C_BETA - _C_ALPHA

PFHUB_BM1A_MODEL = {
    "well_height": _RHO_S * _SCALE**4,  # 0.128
    "kappa": _KAPPA_C * _SCALE**2,  # 0.32
    "mobility": _MOBILITY_C / _SCALE**2,  # 31.25
    "dx": 1.0,
}
"""The benchmark's constants in this package's variables (φ = (c - 0.3) / 0.4)."""

_REFERENCE_CODES = ("memphis", "moose", "prisms-pf")


def pfhub_bm1a_model(dt: float = 0.05) -> PhaseFieldModel:
    """The :class:`PhaseFieldModel` of benchmark 1a (η = 0; elastic constants are unused)."""
    return PhaseFieldModel(dt=dt, **PFHUB_BM1A_MODEL)


def pfhub_bm1a_initial(n: int = 200) -> np.ndarray:
    """The benchmark's initial state as φ [n, n] (float64; axis -1 is x, axis -2 is y).

    c(x, y) = 0.5 + 0.01 [cos(0.105x) cos(0.11y) + (cos(0.13x) cos(0.087y))²
                           + cos(0.025x - 0.15y) cos(0.07x - 0.02y)]

    sampled at x, y = 0, 1, ..., n - 1 (the 2017 form; not exactly periodic), mapped to
    φ = (c - 0.3) / 0.4.
    """
    coord = np.arange(n, dtype=np.float64)
    y, x = np.meshgrid(coord, coord, indexing="ij")
    c = 0.5 + 0.01 * (
        np.cos(0.105 * x) * np.cos(0.11 * y)
        + (np.cos(0.13 * x) * np.cos(0.087 * y)) ** 2
        + np.cos(0.025 * x - 0.15 * y) * np.cos(0.07 * x - 0.02 * y)
    )
    return (c - _C_ALPHA) / _SCALE


def pfhub_bm1a_output_times(t_end: float) -> np.ndarray:
    """Default output times: 0, 0.1, ..., 0.9, then 1, 2, ..., 9 per decade, up to ``t_end``.

    The MEMPHIS reference curve is sampled at the same times.
    """
    times = [0.0] + [0.1 * k for k in range(1, 10)]
    decade = 1.0
    while decade <= t_end:
        times += [k * decade for k in range(1, 10)]
        decade *= 10
    times = [t for t in times if t <= t_end]
    if times[-1] < t_end:
        times.append(float(t_end))
    return np.asarray(times)


def pfhub_bm1a_data_dir() -> Path:
    """The folder of the reference curves, ``data/validation/pfhub-bm1a`` of the repository.

    Raises:
        FileNotFoundError: the package is not run from a source checkout (e.g. installed from
            a wheel), so the repository's ``data`` folder is not next to ``src``.
    """
    path = Path(__file__).resolve().parents[3] / "data" / "validation" / "pfhub-bm1a"
    if not path.is_dir():
        raise FileNotFoundError(
            f"PFHub benchmark 1a reference data not found at {path}: it ships with the source "
            "repository (data/validation/pfhub-bm1a), so install spinodal editable from a "
            "checkout (pip install -e .) to use it"
        )
    return path


def load_pfhub_bm1a_reference() -> dict[str, np.ndarray]:
    """The reference curves of benchmark 1a, per code.

    Returns:
        ``{"memphis": ..., "moose": ..., "prisms-pf": ...}``, each an array [n, 2] of rows
        (time, total free energy F), sorted by time.

    Raises:
        FileNotFoundError: the data folder or one of its CSV files is missing.
    """
    folder = pfhub_bm1a_data_dir()
    curves = {}
    for code in _REFERENCE_CODES:
        path = folder / f"{code}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"PFHub benchmark 1a reference curve missing: {path}")
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        curves[code] = data[np.argsort(data[:, 0], kind="stable")]
    return curves


def run_pfhub_bm1a(
    t_end: float,
    dt: float = 0.05,
    times=None,
    dtype: str = "float64",
    device=None,
    n: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Run benchmark 1a with this package's solver and return its free-energy curve.

    Args:
        t_end: final time (benchmark time units).
        dt: time step of the semi-implicit scheme (Eq. 8). At 0.05 (float64) F(t) stays within
            4.0 % of MEMPHIS and 5.2 % of MOOSE for t ≤ 2000, and halving it changes F by
            < 0.5 %: the remaining difference is spatial discretization and coarsening.
        times: output times (each rounded to a whole number of steps, at most ``t_end``);
            default :func:`pfhub_bm1a_output_times`, those of the MEMPHIS curve.
        dtype: ``"float64"`` (default) or ``"float32"``.
        device: torch device (default CPU).
        n: grid size (the benchmark is 200).

    Returns:
        (times, F): the times actually reached (whole steps × dt) and the total free energy
        F = ∫ (κ/2 |∇φ|² + w(φ)) dA = n² ⟨f⟩ at each, numpy float64 arrays.
    """
    pf = pfhub_bm1a_model(dt)
    times = pfhub_bm1a_output_times(t_end) if times is None else np.asarray(times, float)
    times = times[times <= t_end + 0.5 * dt]
    steps = np.unique(np.rint(times / dt).astype(np.int64))
    if steps.size == 0 or steps[0] < 0:
        raise ValueError(f"output times must be non-negative and at most t_end, got {times}")
    area = (n * pf.dx) ** 2
    phi = pfhub_bm1a_initial(n)
    done = 0
    F = []
    for target in steps:
        if target > done:
            frames = pf.frames(
                phi, 0.0, 1, steps_per_frame=int(target - done), dtype=dtype, device=device
            )
            phi = next(frames)[0]
            done = int(target)
        F.append(float(pf.free_energy(phi, 0.0)["exact_total"]) * area)
    return steps * dt, np.asarray(F)


PFHUB_BM1A_COMPARED_UNTIL = 2000.0
"""Time up to which benchmark-1a curves are compared (the reference codes agree with each other
to about 1-3 % up to t ≈ 50 and 5 % up to t ≈ 2000: data/validation/pfhub-bm1a/README.md)."""


def pfhub_deviation(
    times, F, reference, *, t_max: float | None = PFHUB_BM1A_COMPARED_UNTIL
) -> tuple[np.ndarray, np.ndarray]:
    """Relative deviation of a benchmark-1a free-energy curve from a reference code's.

    Args:
        times, F: a curve [n] (e.g. from :func:`run_pfhub_bm1a`).
        reference: [m, 2] rows (time, F) of one code (:func:`load_pfhub_bm1a_reference`).
        t_max: compare up to this time (None: the whole common range).

    Returns:
        (times, F / F_ref - 1) at the positive ``times`` within the reference's range and up to
        ``t_max``; F_ref is interpolated linearly in log-time (the curves are sampled roughly
        logarithmically), so at the reference's own sampling times (the default of
        :func:`run_pfhub_bm1a`) it is the reference's value itself.
    """
    times = np.asarray(times, dtype=np.float64)
    F = np.asarray(F, dtype=np.float64)
    ref_t, ref_F = np.asarray(reference, dtype=np.float64).T
    keep = ref_t > 0
    ref_t, ref_F = ref_t[keep], ref_F[keep]
    inside = (times > 0) & (times >= ref_t[0]) & (times <= ref_t[-1])
    if t_max is not None:
        inside &= times <= t_max
    interpolated = np.interp(np.log(times[inside]), np.log(ref_t), ref_F)
    return times[inside], F[inside] / interpolated - 1


LINEAR_CHECK_STEPS = 200  # solver steps of :func:`linear_growth_check`
LINEAR_CHECK_AMPLITUDE = 1e-7  # peak of its white noise: small enough to stay linear


def linear_growth_check(
    pf: PhaseFieldModel,
    phi_mean: float,
    eta: float,
    *,
    size: int = 64,
    steps: int = LINEAR_CHECK_STEPS,
    amplitude: float = LINEAR_CHECK_AMPLITUDE,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Growth of small Fourier modes in the solver against linear theory (Sec. 2.1, Eq. 8).

    A uniform state ⟨φ⟩ plus mean-free white noise of peak ``amplitude`` (small enough to stay
    linear) is integrated for ``steps`` steps in float64; the measured growth rate of each mode
    is ln(|φ̂_n| / |φ̂_0|) / (n δt).

    Returns:
        dict with, per mode of the first quadrant (q > 0): ``qx``, ``qy``, ``q`` (1 / length),
        ``angle`` (rad from the x axis), ``measured`` (1 / time), ``discrete`` (ln g(q) / δt,
        the exact prediction for the scheme of Eq. 8), ``continuous`` (ω(q) of the PDE) and
        ``resolved`` (modes predicted to keep at least 1e-4 of their amplitude; the others
        decay into round-off and their measured rate means nothing), and the 0-d ``phi_mean``
        and ``eta`` of the check.
    """
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((size, size))
    noise -= noise.mean()
    phi0 = phi_mean + amplitude * noise / np.abs(noise).max()
    final = pf.evolve(phi0, eta, 1, steps_per_frame=steps, dtype="float64")[-1]
    phi_hat0 = np.fft.rfft2(phi0 - phi_mean)
    phi_hat = np.fft.rfft2(final - phi_mean)
    k = 2 * np.pi * np.fft.fftfreq(size, d=pf.dx)
    kx = 2 * np.pi * np.fft.rfftfreq(size, d=pf.dx)
    qy, qx = np.meshgrid(k, kx, indexing="ij")
    keep = (qx > 0) & (qy >= 0)
    qx, qy = qx[keep], qy[keep]
    with np.errstate(divide="ignore"):
        measured = np.log(np.abs(phi_hat[keep]) / np.abs(phi_hat0[keep])) / (steps * pf.dt)
    discrete = np.log(pf.amplification_factor(qx, qy, phi_mean, eta)) / pf.dt
    return {
        "qx": qx,
        "qy": qy,
        "q": np.hypot(qx, qy),
        "angle": np.arctan2(qy, qx),
        "measured": measured,
        "discrete": discrete,
        "continuous": pf.growth_rate(qx, qy, phi_mean, eta),
        "resolved": discrete * steps * pf.dt > np.log(1e-4),
        "phi_mean": np.asarray(float(phi_mean)),
        "eta": np.asarray(float(eta)),
    }


def linear_growth_deviation(check: dict[str, np.ndarray]) -> float:
    """Largest |measured − predicted| growth rate (1 / time) of a
    :func:`linear_growth_check` over its resolved modes: how far the solver is from the exact
    prediction ln g(q) / δt of its own scheme (Eq. 8)."""
    ok = check["resolved"]
    return float(np.abs(check["measured"] - check["discrete"])[ok].max())
