"""Churn probability and expected value: the BG/NBD and MBG/NBD models with Gamma-Gamma spend.

A customer buys at her own Poisson rate ``λ ~ Gamma(r, α)`` while alive, and after each purchase
drops out for good with her own probability ``p ~ Beta(a, b)``:

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): dropout only
  after a *repeat* purchase, so every one-time buyer has P(alive) = 1.
- **MBG/NBD** (Batislam, Denizel & Filiztekin 2007): dropout also right after the first
  purchase, so a one-time buyer from long ago is probably gone. The default (``policies/rfm.yaml``).

Inputs per customer are ``frequency`` (repeat purchases ``x``), ``recency`` (time from the first to
the last purchase ``t_x``) and ``T`` (time from the first purchase to the end of observation), all
in one time unit. The fitting and prediction functions work in any unit; everything built from
the warehouse (``churn_scores``) uses **days**, and a purchase is an order; expected value
multiplies expected purchases by the Gamma-Gamma expected spend (``agents.insights.spend``).

Parameters are fitted by maximum likelihood on log-parameters with an analytic gradient, over the
unique (x, t_x, T) rows weighted by their counts; the special functions are evaluated once per
distinct x, t_x or T, so a fit on a million customers is a few vector operations per iteration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from agents._blas import one_blas_thread
from agents.insights._arrow import arrow_array
from agents.insights._exceptions import ChurnFitError
from agents.insights._numeric import LOG_BOUND, as_float, weighted_sum
from agents.insights.history import CustomerHistory
from agents.insights.spend import GammaGammaParams, expected_average_value, fit_gamma_gamma
from policies import ChurnPolicy

logger = logging.getLogger(__name__)

ChurnModel = Literal["bg_nbd", "mbg_nbd"]
TIME_UNIT = "days"


@dataclass(frozen=True, slots=True)
class BGNBDParams:
    """Fitted BG/NBD or MBG/NBD parameters: purchase rate Gamma(r, α), dropout Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    model: ChurnModel = "bg_nbd"


@dataclass(frozen=True, slots=True, eq=False)
class ChurnScores:
    """Per-customer churn and value scores as of a date, and the parameters behind them.

    ``customers`` is an Arrow table keyed by ``customer_id`` with columns ``frequency``,
    ``recency``, ``T`` (days), ``p_alive``, ``expected_purchases`` (in the next ``horizon_days``),
    ``expected_average_value`` (money per purchase) and ``expected_value`` (their product:
    undiscounted revenue expected in the horizon).
    """

    as_of: date
    horizon_days: int
    params: BGNBDParams
    spend_params: GammaGammaParams
    customers: pa.Table


# --- BG/NBD and MBG/NBD -------------------------------------------------------------------------


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    model: ChurnModel = "bg_nbd",
) -> BGNBDParams:
    """Fit BG/NBD (or MBG/NBD with ``model="mbg_nbd"``) by maximum likelihood.

    ``frequency`` = repeat purchases, ``recency`` and ``T`` in one time unit; ``weights`` counts
    how many customers share each row (default 1). Raises ``ChurnFitError`` when nobody repeats.
    """
    x, tx, age = as_float(frequency), as_float(recency), as_float(T)
    count = np.ones_like(x) if weights is None else as_float(weights)
    _check_summary(x, tx, age, count)
    rows = _collapse(x, tx, age, count)
    mean_x = float(np.average(x, weights=count))
    mean_t = float(np.average(age, weights=count))
    start = np.log([1.0, max(mean_t, 1e-6) / max(mean_x, 1e-6), 1.0, 1.0])
    dropout_at_first = 1.0 if model == "mbg_nbd" else 0.0
    with one_blas_thread():
        result = minimize(
            _bgnbd_objective,
            start,
            args=(rows, dropout_at_first),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * 4,
        )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ChurnFitError(f"the {model} fit did not converge to finite parameters")
    if not result.success:
        logger.warning("%s fit stopped early: %s", model, result.message)
    if np.any(np.abs(result.x) > LOG_BOUND - 1e-3):
        logger.warning("%s fit reached a parameter bound: the data barely identify it", model)
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    logger.info(
        "%s fit on %d rows (%d customers): r=%.4g alpha=%.4g a=%.4g b=%.4g in %d iterations",
        model,
        rows.x.size,
        int(count.sum()),
        r,
        alpha,
        a,
        b,
        result.nit,
    )
    return BGNBDParams(r=r, alpha=alpha, a=a, b=b, model=model)


def fit_mbgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> BGNBDParams:
    """Fit MBG/NBD (dropout possible right after the first purchase); see ``fit_bgnbd``."""
    return fit_bgnbd(frequency, recency, T, weights=weights, model="mbg_nbd")


def probability_alive(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """P(still a customer at T | x, t_x, T) for each customer, in the params' time unit."""
    x, tx, age = as_float(frequency), as_float(recency), as_float(T)
    return expit(-_log_dropout_odds(params, x, tx, age))


def expected_purchases(
    params: BGNBDParams,
    t: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """Expected purchases in the next ``t`` time units for each customer (conditional on history).

    BG/NBD: Fader, Hardie & Lee (2005) eq. 10; MBG/NBD: Batislam et al. (2007) eq. 9 — both are
    ``(a+b+x-1+k)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x+k; a+b+x-1+k; z)]`` times
    P(alive), with z = t/(α+T+t), k = 0 for BG/NBD and k = 1 for MBG/NBD.
    """
    x, tx, age = as_float(frequency), as_float(recency), as_float(T)
    r, alpha, b = params.r, params.alpha, params.b
    # The formula is 0/0 at a = 1 (its limit is finite): step off the singular point.
    a = params.a if abs(params.a - 1.0) > 1e-7 else 1.0 + 1e-7
    k = 1.0 if params.model == "mbg_nbd" else 0.0
    # The bracket depends on (x, T) only: evaluate 2F1 once per distinct pair.
    ux, uage, inverse = _distinct_pairs(x, age)
    z = t / (alpha + uage + t)
    c = a + b + ux - 1.0 + k
    # Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) · 2F1(C-A, C-B; C; z) turns the
    # bracket into 1 - (1-z)^(a-1) · 2F1(a+b-1+k-r, a-1; C; z): no huge 2F1 times a tiny power
    # for frequent buyers or long horizons.
    bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 + k - r, a - 1.0, c, z)
    unconditional = c / (a - 1.0) * bracket
    p_alive = expit(-_log_dropout_odds(params, x, tx, age))
    return np.asarray(unconditional[inverse] * p_alive)


def _distinct_pairs(x: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, T) pairs and each customer's index into them: coded by offset when both
    are whole numbers of modest range (the usual case, 50x faster than sorting), else sorted."""
    whole = all(np.isfinite(c).all() and np.array_equal(c, np.floor(c)) for c in (x, age))
    if whole and x.size:
        x_low, age_low = float(x.min()), float(age.min())
        age_span = int(age.max() - age_low) + 1
        span = (int(x.max() - x_low) + 1) * age_span
        if span <= _DENSE_RANGE:
            key = (x - x_low).astype(np.int64) * age_span + (age - age_low).astype(np.int64)
            present = np.zeros(span, dtype=bool)
            present[key] = True
            x_code, age_code = np.divmod(np.flatnonzero(present), age_span)
            return x_low + x_code, age_low + age_code, (np.cumsum(present) - 1)[key]
    pairs, inverse = np.unique(x + 1j * age, return_inverse=True)
    return pairs.real, pairs.imag, inverse.ravel()


def _log_dropout_odds(
    params: BGNBDParams, x: np.ndarray, tx: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """log[P(dead)/P(alive)]: log(a/(b+x-1+k)) + (r+x)·log((α+T)/(α+t_x)); -inf if x=0 in BG/NBD."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    k = 1.0 if params.model == "mbg_nbd" else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.log(a) - np.log(b + x - 1.0 + k) + (r + x) * np.log((alpha + age) / (alpha + tx))
    if params.model == "bg_nbd":
        odds = np.where(x > 0, odds, -np.inf)
    return np.asarray(odds)


@dataclass(frozen=True, slots=True, eq=False)
class _Rows:
    """Unique (x, t_x, T) rows with weights, codes into their distinct values, per-x sums."""

    x: np.ndarray
    weight: np.ndarray
    weighted_x: np.ndarray
    x_values: np.ndarray
    x_code: np.ndarray
    x_weight: np.ndarray
    tx_values: np.ndarray
    tx_code: np.ndarray
    age_values: np.ndarray
    age_code: np.ndarray


# Integer-valued inputs (days, weeks) with at most this many distinct values per column are
# coded by offset instead of sorted: the usual case, and several times faster.
_DENSE_RANGE = 1 << 20


def _collapse(x: np.ndarray, tx: np.ndarray, age: np.ndarray, weight: np.ndarray) -> _Rows:
    columns = (x, tx, age)
    lows = [float(c.min()) for c in columns]
    spans = [int(c.max() - low) + 1 for c, low in zip(columns, lows, strict=True)]
    integral = all(np.array_equal(c, np.floor(c)) for c in columns)
    if integral and max(spans) <= _DENSE_RANGE and np.prod(spans, dtype=float) < 2.0**62:
        key = (x - lows[0]).astype(np.int64)
        for column, low, span in zip(columns[1:], lows[1:], spans[1:], strict=True):
            key = key * span + (column - low).astype(np.int64)
        unique_key, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=weight)
        rest, age_code = np.divmod(unique_key, spans[2])
        x_code, tx_code = np.divmod(rest, spans[1])
        x_values, tx_values, age_values = (
            low + np.arange(span, dtype=np.float64) for low, span in zip(lows, spans, strict=True)
        )
        ux = x_values[x_code]
    else:
        order = np.lexsort((age, tx, x))
        xs, txs, ages = x[order], tx[order], age[order]
        new = np.empty(xs.size, dtype=bool)
        new[0] = True
        new[1:] = (np.diff(xs) != 0) | (np.diff(txs) != 0) | (np.diff(ages) != 0)
        starts = np.flatnonzero(new)
        summed = np.add.reduceat(weight[order], starts)
        ux = xs[starts]
        x_values, x_code = np.unique(ux, return_inverse=True)
        tx_values, tx_code = np.unique(txs[starts], return_inverse=True)
        age_values, age_code = np.unique(ages[starts], return_inverse=True)
    return _Rows(
        x=ux,
        weight=summed,
        weighted_x=summed * ux,
        x_values=x_values,
        x_code=x_code,
        x_weight=np.bincount(x_code, weights=summed, minlength=x_values.size),
        tx_values=tx_values,
        tx_code=tx_code,
        age_values=age_values,
        age_code=age_code,
    )


def _bgnbd_objective(theta: np.ndarray, rows: _Rows, k: float) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in log-parameters.

    Per customer (FHL 2005 eq. 6; Batislam et al. 2007 eq. 5 with k = 1):
    L = Γ(r+x)α^r/Γ(r) · [B(a, b+x+k)/B(a,b) · (α+T)^-(r+x)
                          + [x>0 or k=1] · B(a+1, b+x-1+k)/B(a,b) · (α+t_x)^-(r+x)]
    The second term over the first is the dropout odds a/(b+x-1+k) · ((α+T)/(α+t_x))^(r+x), so
    ln L = ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x+k) - ln B(a, b) - (r+x) ln(α+T)
           + ln(1 + odds). Terms in x alone are summed per distinct x with its total weight.
    """
    r, alpha, a, b = np.exp(theta)
    xv = rows.x_values
    q1 = b + xv + k  # B(a, q1) in the first term; B(a + 1, q1 - 1) in the second
    second = (xv > 0) | (k > 0)
    q2 = np.where(second, q1 - 1.0, 1.0)
    log_odds_x = np.where(second, np.log(a) - np.log(q2), -np.inf)
    inv_q2 = np.where(second, 1.0 / q2, 0.0)
    base_x = gammaln(r + xv) - gammaln(r) + betaln(a, q1) - betaln(a, b)
    psi_ab = digamma(a + b)
    psi_aq1 = digamma(a + q1)
    # d/dp ln B(p, q) = ψ(p) - ψ(p+q); d/dq ln B(p, q) = ψ(q) - ψ(p+q); ψ(z+1) = ψ(z) + 1/z.
    d_r_x = digamma(r + xv) - digamma(r)
    d_a_x = psi_ab - psi_aq1
    d_b_x = digamma(q1) - psi_aq1 - digamma(b) + psi_ab

    log_age = np.log(alpha + rows.age_values).take(rows.age_code)
    log_tx = np.log(alpha + rows.tx_values).take(rows.tx_code)
    inv_age = (1.0 / (alpha + rows.age_values)).take(rows.age_code)
    inv_tx = (1.0 / (alpha + rows.tx_values)).take(rows.tx_code)
    gap = log_age - log_tx
    rx = r + rows.x
    odds = log_odds_x.take(rows.x_code) + rx * gap
    # ln(1 + e^odds) and e^odds / (1 + e^odds) without overflow, from one exponential.
    small = np.exp(-np.abs(odds))
    softplus = np.maximum(odds, 0.0) + np.log1p(small)
    weight, weighted_x, x_weight = rows.weight, rows.weighted_x, rows.x_weight
    alive_weight = weight * np.where(odds >= 0, 1.0, small) / (1.0 + small)

    total = x_weight.sum()
    sum_log_age = weighted_sum(weight, log_age)
    ll = (
        weighted_sum(x_weight, base_x)
        + r * np.log(alpha) * total
        - r * sum_log_age
        - weighted_sum(weighted_x, log_age)
        + weighted_sum(weight, softplus)
    )
    d_r = (
        weighted_sum(x_weight, d_r_x)
        + np.log(alpha) * total
        - sum_log_age
        + weighted_sum(alive_weight, gap)
    )
    d_alpha = (
        r / alpha * total
        - r * weighted_sum(weight, inv_age)
        - weighted_sum(weighted_x, inv_age)
        - weighted_sum(alive_weight * rx, inv_tx - inv_age)
    )
    d_a = weighted_sum(x_weight, d_a_x) + alive_weight.sum() / a
    d_b = weighted_sum(x_weight, d_b_x) - weighted_sum(alive_weight, inv_q2.take(rows.x_code))

    value = -float(ll) / total
    gradient = -np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / total
    if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
        return np.inf, np.zeros(4)
    return value, gradient


# --- From the warehouse --------------------------------------------------------------------------


def churn_scores(history: CustomerHistory, policy: ChurnPolicy) -> ChurnScores:
    """Fit the policy's churn model and Gamma-Gamma on ``history``; score every customer.

    Time is in days and a purchase is an order; the spend model sees every order, the first one
    included (all are drawn from the same spend process).
    """
    x = history.repeat_orders.astype(np.float64)
    tx = history.first_to_last_days.astype(np.float64)
    age = history.age_days.astype(np.float64)
    params = fit_bgnbd(x, tx, age, model=policy.model)
    purchases = history.orders.astype(np.float64)
    mean_spend = history.average_order_value
    spend_params = fit_gamma_gamma(purchases, mean_spend)
    p_alive = probability_alive(params, x, tx, age)
    future = expected_purchases(params, float(policy.horizon_days), x, tx, age)
    per_purchase = expected_average_value(spend_params, purchases, mean_spend)
    table = pa.table(
        {
            "customer_id": arrow_array(history.customer_id),
            "frequency": arrow_array(history.repeat_orders),
            "recency": arrow_array(history.first_to_last_days),
            "T": arrow_array(history.age_days),
            "p_alive": arrow_array(p_alive),
            "expected_purchases": arrow_array(future),
            "expected_average_value": arrow_array(per_purchase),
            "expected_value": arrow_array(future * per_purchase),
        }
    )
    return ChurnScores(
        as_of=history.as_of,
        horizon_days=policy.horizon_days,
        params=params,
        spend_params=spend_params,
        customers=table,
    )


def _check_summary(x: np.ndarray, tx: np.ndarray, age: np.ndarray, weight: np.ndarray) -> None:
    if not x.size == tx.size == age.size == weight.size:
        raise ValueError("frequency, recency, T (and weights) must have the same length")
    if x.size == 0:
        raise ChurnFitError("no customers to fit")
    if np.any(x < 0) or np.any(tx < 0) or np.any(tx > age) or np.any(weight < 0):
        raise ValueError("expected frequency >= 0, 0 <= recency <= T and weights >= 0")
    if not np.any((x > 0) & (weight > 0)):
        raise ChurnFitError("no repeat purchases: the churn model cannot be fitted")
