"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005b): expected spend per future purchase.

Each customer's order values are Gamma(p, ν) around her own mean; ν varies across customers as
Gamma(q, γ). Given a customer's number of purchases n and their mean m̄, the model shrinks m̄
towards the population mean pγ/(q-1) — less for customers with many purchases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from agents._blas import one_blas_thread
from agents.insights._exceptions import ChurnFitError
from agents.insights._numeric import LOG_BOUND, as_float, weighted_sum

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma spend parameters (Fader, Hardie & Lee 2005b): shape p, ν ~ Gamma(q, γ)."""

    p: float
    q: float
    gamma: float


def fit_gamma_gamma(
    transactions: ArrayLike,
    mean_value: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> GammaGammaParams:
    """Fit the Gamma-Gamma spend model on each customer's purchase count and mean spend.

    Customers with no purchase or a non-positive mean are ignored. Raises ``ChurnFitError`` when
    fewer than two remain.
    """
    n, m = as_float(transactions), as_float(mean_value)
    count = np.ones_like(n) if weights is None else as_float(weights)
    usable = (n > 0) & (m > 0) & np.isfinite(m) & (count > 0)
    if np.count_nonzero(usable) < 2:
        raise ChurnFitError("the spend model needs at least two customers with positive spend")
    n, m, count = n[usable], m[usable], count[usable]
    weight = count / count.sum()
    n_values, n_code = np.unique(n, return_inverse=True)
    log_m = np.log(m)
    spend = _Spend(
        n_values=n_values,
        n_weight=np.bincount(n_code, weights=weight, minlength=n_values.size),
        total=m * n,
        weight=weight,
        weighted_n=weight * n,
        sum_n_log_m=weighted_sum(weight * n, log_m),
        sum_log_m=weighted_sum(weight, log_m),
        sum_n_log_n=weighted_sum(weight * n, np.log(n)),
    )
    mean = float(np.average(m, weights=count))
    spread = float(np.sqrt(np.average((m - mean) ** 2, weights=count)))
    # Start: the shape from the spread of customers' means, the scale from their level.
    p0 = max((mean / max(spread, 1e-9)) ** 2, 0.5)
    start = np.log([p0, 2.0, mean / p0])
    with one_blas_thread():
        result = minimize(
            _gamma_gamma_objective,
            start,
            args=(spend,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
        )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ChurnFitError("the Gamma-Gamma fit did not converge to finite parameters")
    if not result.success:
        logger.warning("Gamma-Gamma fit stopped early: %s", result.message)
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGammaParams(p=p, q=q, gamma=gamma)


def expected_average_value(
    params: GammaGammaParams, transactions: ArrayLike, mean_value: ArrayLike
) -> np.ndarray:
    """Expected spend per future purchase: E[M | n, m̄] = p(γ + n·m̄) / (p·n + q - 1).

    Fader, Hardie & Lee (2005b) eq. 5; a weighted mean of the population mean pγ/(q-1) and the
    customer's own mean. Needs q > 1 (a finite population mean); otherwise the own mean is used.
    """
    n, m = as_float(transactions), as_float(mean_value)
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1.0:
        return m
    return np.asarray(p * (gamma + n * m) / (p * n + q - 1.0))


@dataclass(frozen=True, slots=True, eq=False)
class _Spend:
    """Customers' purchase counts n and total spend n·m̄ (weights summing to 1), with the sums
    of the likelihood's terms that do not depend on the parameters."""

    n_values: np.ndarray
    n_weight: np.ndarray
    total: np.ndarray
    weight: np.ndarray
    weighted_n: np.ndarray
    sum_n_log_m: float
    sum_log_m: float
    sum_n_log_n: float


def _gamma_gamma_objective(theta: np.ndarray, spend: _Spend) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of the mean spend m̄ of n purchases, and its gradient.

    f(m̄ | n) = Γ(pn+q) / (Γ(pn)Γ(q)) · γ^q · m̄^(pn-1) · n^(pn) / (γ + n·m̄)^(pn+q)
    (Fader, Hardie & Lee 2005b, "The Gamma-Gamma model of monetary value", eq. 3); terms in n
    alone are summed per distinct n, the rest are weighted sums over customers.
    """
    p, q, gamma = np.exp(theta)
    pn = p * spend.n_values
    log_total = np.log(gamma + spend.total)
    inv_total = 1.0 / (gamma + spend.total)
    sum_log_total = weighted_sum(spend.weight, log_total)
    sum_n_log_total = weighted_sum(spend.weighted_n, log_total)
    psi_pnq = digamma(pn + q)
    ll = (
        weighted_sum(spend.n_weight, gammaln(pn + q) - gammaln(pn))
        - gammaln(q)
        + q * np.log(gamma)
        + p * spend.sum_n_log_m
        - spend.sum_log_m
        + p * spend.sum_n_log_n
        - p * sum_n_log_total
        - q * sum_log_total
    )
    d_p = (
        weighted_sum(spend.n_weight, spend.n_values * (psi_pnq - digamma(pn)))
        + spend.sum_n_log_m
        + spend.sum_n_log_n
        - sum_n_log_total
    )
    d_q = weighted_sum(spend.n_weight, psi_pnq) - digamma(q) + np.log(gamma) - sum_log_total
    d_gamma = (
        q / gamma
        - p * weighted_sum(spend.weighted_n, inv_total)
        - q * weighted_sum(spend.weight, inv_total)
    )
    value = -float(ll)
    gradient = -np.array([p * d_p, q * d_q, gamma * d_gamma])
    if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
        return np.inf, np.zeros(3)
    return value, gradient
