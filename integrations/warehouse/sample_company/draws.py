"""One chunk of customers drawn with NumPy: signups, the repeat-purchase process, order values,
discounts and channels (the model is in ``generator``'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from integrations.warehouse.sample_company.parameters import (
    CATEGORY_PRICE_FACTOR,
    CATEGORY_SHARE,
    COUNTRIES,
    COUNTRY_SHARE,
    DISCOUNT_CHANCE,
    DISCOUNT_CHANCE_BLACK_FRIDAY,
    DISCOUNT_RATES,
    DROPOUT_A,
    DROPOUT_B,
    FAVOURITE_CATEGORY_LOYALTY,
    FIRST_NAMES,
    LAST_NAMES,
    MARKETING_OPT_IN_RATE,
    PURCHASE_RATE_SCALE,
    PURCHASE_RATE_SHAPE,
    REPEAT_CHANNEL_SHARE_OPTED_IN,
    REPEAT_CHANNELS,
    SIGNUP_CHANNEL_SHARE,
    SIGNUP_CHANNELS,
    SPEND_GAMMA,
    SPEND_P,
    SPEND_Q,
    YEAR_DAYS,
)
from integrations.warehouse.schema import CATEGORIES, CHANNELS


@dataclass(frozen=True, slots=True)
class CustomerChunk:
    """Customers and their orders, one NumPy array per column (names and labels as indices)."""

    customer_id: np.ndarray
    signup_day: np.ndarray
    signup_channel: np.ndarray
    country: np.ndarray
    opt_in: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    order_customer: np.ndarray
    order_day: np.ndarray
    order_gross: np.ndarray
    order_discount: np.ndarray
    order_category: np.ndarray
    order_channel: np.ndarray


def _season(day: np.ndarray) -> np.ndarray:
    """Demand multiplier by day of year: a holiday peak and a spring/summer hiking peak."""
    day_of_year = (day - 59) % 365.25  # roughly: days since 1 March
    holiday = 0.9 * np.exp(-(((day_of_year - 275) / 18.0) ** 2))  # late Nov – Dec
    summer = 0.35 * np.exp(-(((day_of_year - 100) / 50.0) ** 2))  # May – July
    return 0.8 + holiday + summer


_SEASON_MAX = 0.8 + 0.9 + 0.35


def signup_day_cdf(start_day: int, span: int) -> np.ndarray:
    """The cumulative share of signups by day of the span: growing, seasonal."""
    days = np.arange(span)
    growth = 1.0 + 1.2 * days / span  # the business grows: later years bring more customers
    weights = growth * _season(start_day + days)
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def monday_index(day: np.ndarray) -> np.ndarray:
    """The week (numbered by its Monday) of each day counted from 1970-01-01."""
    # 1970-01-01 was a Thursday; day 4 was the first Monday.
    return np.floor_divide(day - 4, 7)


def draw_chunk(
    rng: np.random.Generator,
    first_id: int,
    size: int,
    start_day: int,
    end_day: int,
    signup_cdf: np.ndarray,
) -> CustomerChunk:
    """``size`` customers numbered from ``first_id + 1``, signing up by ``signup_cdf``, with
    every order they place up to ``end_day``."""
    customer_id = np.arange(first_id + 1, first_id + size + 1, dtype=np.int64)
    signup_day = start_day + np.searchsorted(signup_cdf, rng.random(size))
    signup_channel = rng.choice(len(SIGNUP_CHANNELS), size, p=SIGNUP_CHANNEL_SHARE)
    country = rng.choice(len(COUNTRIES), size, p=COUNTRY_SHARE)
    opt_in = rng.random(size) < MARKETING_OPT_IN_RATE
    first_name = rng.integers(0, len(FIRST_NAMES), size)
    last_name = rng.integers(0, len(LAST_NAMES), size)

    rate_per_day = rng.gamma(PURCHASE_RATE_SHAPE, PURCHASE_RATE_SCALE, size) / YEAR_DAYS
    dropout = rng.beta(DROPOUT_A, DROPOUT_B, size)
    spend_scale = rng.gamma(SPEND_Q, 1.0 / SPEND_GAMMA, size)  # ν in the Gamma-Gamma model
    favourite = rng.choice(len(CATEGORIES), size, p=CATEGORY_SHARE)
    # Repeat purchases made before dropping out (0 = gone right after the first order).
    repeats_allowed = rng.geometric(dropout) - 1

    # Candidate repeat purchases: a Poisson process at the peak seasonal rate after signup,
    # thinned by the season, then cut at the customer's dropout.
    horizon = (end_day - signup_day).astype(np.float64)
    candidates = rng.poisson(rate_per_day * _SEASON_MAX * horizon)
    owner = np.repeat(np.arange(size), candidates)
    day = signup_day[owner] + np.floor(rng.random(owner.size) * horizon[owner]).astype(np.int64) + 1
    day = np.minimum(day, end_day)
    accepted = rng.random(owner.size) * _SEASON_MAX < _season(day)
    owner, day = owner[accepted], day[accepted]
    order = np.lexsort((day, owner))
    owner, day = owner[order], day[order]
    rank = np.arange(owner.size) - np.searchsorted(owner, owner)  # 0-based within customer
    kept = rank < repeats_allowed[owner]
    owner, day = owner[kept], day[kept]

    order_customer = np.concatenate([np.arange(size), owner])
    order_day = np.concatenate([signup_day, day])
    is_first = np.arange(order_customer.size) < size
    n_orders = order_customer.size

    loyal = rng.random(n_orders) < FAVOURITE_CATEGORY_LOYALTY
    category = np.where(
        loyal, favourite[order_customer], rng.choice(len(CATEGORIES), n_orders, p=CATEGORY_SHARE)
    )
    price_factor = np.asarray(CATEGORY_PRICE_FACTOR)[category]
    gross = rng.gamma(SPEND_P, 1.0, n_orders) / spend_scale[order_customer] * price_factor
    gross = np.round(np.maximum(gross, 4.0), 2)
    black_friday = _is_black_friday_week(order_day)
    discounted = rng.random(n_orders) < np.where(
        black_friday, DISCOUNT_CHANCE_BLACK_FRIDAY, DISCOUNT_CHANCE
    )
    rate = np.asarray(DISCOUNT_RATES)[rng.integers(0, len(DISCOUNT_RATES), n_orders)]
    discount = np.round(np.where(discounted, gross * rate, 0.0), 2)

    repeat_share = np.asarray(REPEAT_CHANNEL_SHARE_OPTED_IN)
    repeat_share_no_email = repeat_share[1:] / repeat_share[1:].sum()
    repeat_channel_opted = rng.choice(len(REPEAT_CHANNELS), n_orders, p=repeat_share)
    repeat_channel_other = 1 + rng.choice(
        len(REPEAT_CHANNELS) - 1, n_orders, p=repeat_share_no_email
    )
    repeat_channel = np.where(opt_in[order_customer], repeat_channel_opted, repeat_channel_other)
    signup_as_order_channel = _reindex(SIGNUP_CHANNELS, CHANNELS)[signup_channel[order_customer]]
    repeat_as_order_channel = _reindex(REPEAT_CHANNELS, CHANNELS)[repeat_channel]
    channel = np.where(is_first, signup_as_order_channel, repeat_as_order_channel)

    return CustomerChunk(
        customer_id=customer_id,
        signup_day=signup_day,
        signup_channel=signup_channel,
        country=country,
        opt_in=opt_in,
        first_name=first_name,
        last_name=last_name,
        order_customer=customer_id[order_customer],
        order_day=order_day,
        order_gross=gross,
        order_discount=discount,
        order_category=category,
        order_channel=channel,
    )


def _reindex(names: tuple[str, ...], into: tuple[str, ...]) -> np.ndarray:
    return np.asarray([into.index(name) for name in names])


def _is_black_friday_week(day: np.ndarray) -> np.ndarray:
    """Orders from the fourth Thursday of November to the following Monday (Cyber Monday)."""
    dates = day.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    nov_first = years + np.timedelta64(10, "M")
    nov_first_days = nov_first.astype("datetime64[D]")
    # weekday of 1 November, Monday = 0 (1970-01-01 was a Thursday = 3)
    weekday = (nov_first_days.astype(np.int64) + 3) % 7
    first_thursday = nov_first_days + ((3 - weekday) % 7).astype("timedelta64[D]")
    thanksgiving = first_thursday + np.timedelta64(21, "D")
    return (dates >= thanksgiving) & (dates <= thanksgiving + np.timedelta64(4, "D"))
