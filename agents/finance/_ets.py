"""Exponential smoothing with additive errors, fitted by maximum likelihood: ETS(A,N,N),
ETS(A,Ad,N) and ETS(A,Ad,A), the three models the revenue forecast uses.

It reproduces statsmodels' ``ETSModel(error="add", ..., initialization_method="heuristic")``
without importing statsmodels and pandas (about a second of start-up): the same heuristic
initial states, parametrisation, bounds, start values, objective and optimiser, so that the
fitted parameters and the forecasts agree with it (``tests/unit/test_ets.py`` checks that).

- Initial states: the heuristic of Hyndman et al. (2008) §2.6.1 as statsmodels implements it
  (``statsmodels.tsa.exponential_smoothing.initialization._initialization_heuristic``).
- Smoothing in the weighted form, with β* = β/α and γ* = γ/(1 − α) each in (1e-4, 1 − 1e-4),
  which keeps 0 < β < α and 0 < γ < 1 − α, and the damping φ in (0.8, 0.98).
- Fit: L-BFGS-B with a forward-difference gradient on the concentrated negative log-likelihood
  per observation, ½·(log(2π·MSE) + 1), from α = 0.1, β* = 0.1, γ* = 0.01/0.9, φ = 0.98.
- Prediction intervals: the MSE times the relative forecast variance of class-1 models,
  Hyndman et al. (2008) Table 6.1.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from itertools import cycle
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from agents._blas import one_blas_thread

FloatArray = npt.NDArray[np.float64]

_SMOOTHING_BOUNDS = (1e-4, 1 - 1e-4)
_DAMPING_BOUNDS = (0.8, 0.98)
_LEVEL_POINTS = 10  # the level and trend are regressed on the first 10 (deseasonalised) points


@dataclass(frozen=True, slots=True)
class InitialStates:
    """The states before the first observation: level, trend (0 without one) and the
    ``season_length`` seasonal terms in the order the observations use them (``[0.0]``
    without a season)."""

    level: float
    trend: float
    season: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class EtsFit:
    """A fitted model and its states after the last observation.

    ``season`` holds the next ``season_length`` seasonal terms in the order the forecast uses
    them; ``mse`` is the mean squared one-step error, the variance the intervals scale.
    """

    smoothing_level: float
    smoothing_trend: float | None
    smoothing_seasonal: float | None
    damping_trend: float | None
    level: float
    trend: float
    season: tuple[float, ...]
    mse: float
    converged: bool

    @property
    def parameters(self) -> dict[str, float]:
        """The estimated parameters under statsmodels' names, in its order."""
        named = {
            "smoothing_level": self.smoothing_level,
            "smoothing_trend": self.smoothing_trend,
            "smoothing_seasonal": self.smoothing_seasonal,
            "damping_trend": self.damping_trend,
        }
        return {name: value for name, value in named.items() if value is not None}

    def forecast(self, steps: int, *, level: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The point forecasts of the next ``steps`` observations and their ``level`` (0.8 for
        80%) prediction interval: ``(mean, lower, upper)``."""
        h = np.arange(1, steps + 1, dtype=np.float64)
        mean = self.level + np.resize(np.array(self.season), steps)
        if self.damping_trend is not None:
            phi = self.damping_trend
            mean += phi * (1 - phi**h) / (1 - phi) * self.trend
        half_width = NormalDist().inv_cdf((1 + level) / 2) * np.sqrt(
            self.mse * self._relative_variance(h)
        )
        return mean, mean - half_width, mean + half_width

    def _relative_variance(self, h: FloatArray) -> FloatArray:
        # Hyndman et al. (2008), Table 6.1, class 1: ETS(A,N,N), ETS(A,Ad,N), ETS(A,Ad,A).
        alpha = self.smoothing_level
        variance = 1 + alpha**2 * (h - 1)
        if self.smoothing_trend is None or self.damping_trend is None:
            return variance
        beta, phi = self.smoothing_trend, self.damping_trend
        variance += beta * phi * h / (1 - phi) ** 2 * (2 * alpha * (1 - phi) + beta * phi)
        variance -= (
            beta
            * phi
            * (1 - phi**h)
            / ((1 - phi) ** 2 * (1 - phi**2))
            * (2 * alpha * (1 - phi**2) + beta * phi * (1 + 2 * phi - phi**h))
        )
        if self.smoothing_seasonal is None:
            return variance
        gamma, m = self.smoothing_seasonal, len(self.season)
        k = np.floor((h - 1) / m)
        variance += gamma * k * (2 * alpha + gamma)
        variance += (2 * beta * gamma * phi / ((1 - phi) * (1 - phi**m))) * (
            k * (1 - phi**m) - phi**m * (1 - phi ** (m * k))
        )
        return variance


def initial_states(
    values: FloatArray, *, trend: bool, season_length: int | None = None
) -> InitialStates:
    """Heuristic initial states (Hyndman et al. 2008, §2.6.1): a centred moving average of
    up to five seasons gives the trend cycle, the mean detrended value at each position of the
    season the seasonal terms (summing to 0), and a line through the first 10 points of the
    trend cycle (of the data, without a season) the level and the trend."""
    season: tuple[float, ...] = (0.0,)
    deseasonalised = values
    if season_length is not None:
        m = season_length
        min_points = _LEVEL_POINTS + 2 * (m // 2)
        if len(values) < max(2 * m, min_points):
            raise ValueError(f"a season of {m} needs {max(2 * m, min_points)} points")
        cycles = max(min(5, len(values) // m), math.ceil(min_points / m))
        series = values[: m * cycles]
        moving = np.convolve(series, np.full(m, 1 / m), mode="valid")
        if m % 2 == 0:  # a 2×m moving average, centred between the two m-averages
            moving = (moving[:-1] + moving[1:]) / 2
        offset = m // 2
        positions = np.arange(offset, offset + len(moving)) % m
        detrended = series[offset : offset + len(moving)] - moving
        terms = np.bincount(positions, weights=detrended, minlength=m) / np.bincount(
            positions, minlength=m
        )
        season = tuple((terms - terms.mean()).tolist())
        deseasonalised = moving
    if len(values) < _LEVEL_POINTS:
        raise ValueError(f"the fit needs at least {_LEVEL_POINTS} points, not {len(values)}")
    first = deseasonalised[:_LEVEL_POINTS]
    x = np.arange(1, _LEVEL_POINTS + 1, dtype=np.float64)
    slope = float(np.sum((x - x.mean()) * (first - first.mean())) / np.sum((x - x.mean()) ** 2))
    level = float(first.mean()) - slope * float(x.mean())
    return InitialStates(level=level, trend=slope if trend else 0.0, season=season)


def fit_ets(values: FloatArray, *, damped_trend: bool, season_length: int | None = None) -> EtsFit:
    """Fit ETS(A,N,N), ETS(A,Ad,N) (``damped_trend``) or ETS(A,Ad,A) (``damped_trend`` and
    ``season_length``) to ``values`` by maximum likelihood, from heuristic initial states."""
    # Imported here, not at the top: every `controlroom` command imports this package, and
    # scipy costs a noticeable import; only a forecast needs it.
    from scipy.optimize import minimize

    if season_length is not None and not damped_trend:
        raise ValueError("a seasonal model here has a damped trend")
    start = initial_states(values, trend=damped_trend, season_length=season_length)
    observations = values.tolist()
    seasonal = season_length is not None

    def unpack(x: list[float]) -> tuple[float, float, float, float]:
        """(α, β*, γ*, φ) from the free parameters in that order."""
        if not damped_trend:
            return x[0], 0.0, 0.0, 1.0
        if not seasonal:
            return x[0], x[1], 0.0, x[2]
        return x[0], x[1], x[2], x[3]

    def objective(x: FloatArray) -> float:
        sse = _smooth(observations, start, *unpack(x.tolist()))[0]
        # A perfect fit would be log(0): the smallest positive float stands in for it.
        mse = max(sse / len(observations), sys.float_info.min)
        return 0.5 * (math.log(2 * math.pi * mse) + 1)

    # Start values and bounds in statsmodels' order (α, β*, γ*, φ), so that the optimiser takes
    # the same steps.
    x0, bounds = [0.1], [_SMOOTHING_BOUNDS]
    if damped_trend:
        x0.append(0.01 / 0.1)
        bounds.append(_SMOOTHING_BOUNDS)
    if seasonal:
        x0.append(0.01 / (1 - 0.1))
        bounds.append(_SMOOTHING_BOUNDS)
    if damped_trend:
        x0.append(0.98)
        bounds.append(_DAMPING_BOUNDS)
    with one_blas_thread():
        result = minimize(
            objective,
            np.array(x0),
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000, "eps": 1e-8},
        )
    alpha, beta_star, gamma_star, phi = unpack(np.asarray(result.x, dtype=np.float64).tolist())
    sse, level, trend, season = _smooth(observations, start, alpha, beta_star, gamma_star, phi)
    return EtsFit(
        smoothing_level=alpha,
        smoothing_trend=beta_star * alpha if damped_trend else None,
        smoothing_seasonal=gamma_star * (1 - alpha) if seasonal else None,
        damping_trend=phi if damped_trend else None,
        level=level,
        trend=trend,
        season=season,
        mse=sse / len(observations),
        converged=bool(result.success),
    )


def _smooth(
    observations: list[float],
    start: InitialStates,
    alpha: float,
    beta_star: float,
    gamma_star: float,
    phi: float,
) -> tuple[float, float, float, tuple[float, ...]]:
    """Run the model through ``observations``: the sum of squared one-step errors and the
    level, trend and seasonal terms (next one first) after the last observation.

    A loop over Python floats: the recursion is sequential, and for a few hundred weekly
    points it is faster than NumPy on one element at a time. The update is statsmodels'
    (``_ets_smooth.pyx``), term for term; the terms that do not change along the series
    (1 − α …) and the one it uses twice (level + damped trend) are computed once, the same
    floating-point operations in the same order. A fit runs it about 36 times."""
    level, trend = start.level, start.trend
    season = list(start.season)
    m = len(season)
    sse = 0.0
    keep_level, keep_trend, keep_season = 1 - alpha, 1 - beta_star, 1 - gamma_star
    for y, j in zip(observations, cycle(range(m)), strict=False):
        last_season = season[j]
        damped = phi * trend
        expected_level = level + damped
        error = y - (expected_level + last_season)
        sse += error * error
        new_level = alpha * (y - last_season) + keep_level * expected_level
        trend = beta_star * (new_level - level) + keep_trend * damped
        season[j] = gamma_star * (y - new_level) + keep_season * last_season
        level = new_level
    n = len(observations) % m
    return sse, level, trend, tuple(season[n:] + season[:n])
