"""A deterministic generator for "Two Peaks", an outdoor-gear retailer.

Customers arrive over three years (growing, seasonal, by acquisition channel) and then buy by a
repeat-purchase process with heterogeneity across customers, the one the analytics models assume:

- each customer buys at her own rate ``λ ~ Gamma(r, α)`` orders a year, modulated by the season
  (a holiday peak and a spring/summer peak; simulated by thinning a Poisson process);
- after every purchase, the first one included, she drops out for good with her own probability
  ``p ~ Beta(a, b)`` (the MBG/NBD dropout process);
- her order values follow the Gamma-Gamma spend model, scaled by the category bought.

Everything is drawn with NumPy in chunks of customers and written to DuckDB through Arrow, so a
million customers and ten million orders never live as Python objects. The same seed and end date
give the same warehouse, whatever the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from integrations.warehouse.schema import CATEGORIES, CHANNELS, TICKET_TOPICS

CHUNK_CUSTOMERS = 100_000
YEAR_DAYS = 365.25
_EPOCH = date(1970, 1, 1)

# Purchase process (rates per year), dropout and spend parameters. Tuned so that the default
# 5,000 customers place about 50,000 orders over three years.
PURCHASE_RATE_SHAPE, PURCHASE_RATE_SCALE = 0.75, 25.0
DROPOUT_A, DROPOUT_B = 0.9, 11.0
SPEND_P, SPEND_Q, SPEND_GAMMA = 6.0, 4.0, 45.0

SIGNUP_CHANNELS = ("paid_search", "paid_social", "organic", "referral", "affiliate", "direct")
SIGNUP_CHANNEL_SHARE = (0.28, 0.22, 0.20, 0.10, 0.08, 0.12)
# Where repeat orders come from, for customers who opted in to marketing (email included).
REPEAT_CHANNELS = ("email", "direct", "organic", "paid_search", "paid_social", "affiliate")
REPEAT_CHANNEL_SHARE_OPTED_IN = (0.35, 0.25, 0.18, 0.12, 0.07, 0.03)
COUNTRIES = ("US", "CA", "GB", "DE", "AU")
COUNTRY_SHARE = (0.70, 0.14, 0.07, 0.05, 0.04)
MARKETING_OPT_IN_RATE = 0.68
CATEGORY_SHARE = (0.18, 0.24, 0.14, 0.07, 0.10, 0.15, 0.07, 0.05)
CATEGORY_PRICE_FACTOR = (1.3, 0.8, 1.5, 1.2, 1.35, 0.45, 1.9, 1.5)
FAVOURITE_CATEGORY_LOYALTY = 0.55
DISCOUNT_RATES = (0.10, 0.15, 0.20, 0.25)
DISCOUNT_CHANCE, DISCOUNT_CHANCE_BLACK_FRIDAY = 0.12, 0.55
TICKET_RATE = 0.06
TICKET_TOPIC_SHARE = (0.26, 0.18, 0.08, 0.12, 0.10, 0.07, 0.08, 0.06, 0.05)
TICKET_CHANNELS = ("email", "chat", "phone")
TICKET_CHANNEL_SHARE = (0.55, 0.35, 0.10)
ESCALATION_RATE = 0.08
# Cost of acquiring a customer through each paid channel, and what email costs a week per
# thousand customers on file.
CAC = {"paid_search": 38.0, "paid_social": 46.0, "referral": 20.0, "affiliate": 31.0}
EMAIL_COST_PER_1K_CUSTOMERS_WEEK = 120.0  # the email platform plus the people writing it
CPM = {"paid_search": 11.0, "paid_social": 7.5, "referral": 0.0, "affiliate": 4.0, "email": 0.0}
CTR = {"paid_search": 0.032, "paid_social": 0.011, "referral": 0.0, "affiliate": 0.006}

FIRST_NAMES = (
    "Avery",
    "Blake",
    "Casey",
    "Dakota",
    "Emerson",
    "Finley",
    "Harper",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Quinn",
    "Reese",
    "Riley",
    "Rowan",
    "Sage",
    "Skyler",
    "Taylor",
    "Aspen",
    "River",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "Mateo",
    "Isabella",
    "Lucas",
    "Mia",
    "Levi",
    "Amelia",
    "Ezra",
    "Evelyn",
    "Luca",
    "Aria",
    "Asher",
    "Chloe",
    "Leo",
    "Nora",
    "Hudson",
    "Hazel",
    "Wyatt",
    "Ivy",
    "Jack",
    "Luna",
    "Owen",
    "Stella",
    "Caleb",
    "Maya",
    "Eli",
    "Zoe",
    "Miles",
    "Aurora",
    "Theo",
    "Willow",
    "Ethan",
    "Layla",
    "Jonah",
    "Priya",
    "Arjun",
    "Mei",
    "Hiro",
    "Ana",
    "Diego",
    "Fatima",
    "Omar",
    "Ingrid",
    "Lars",
    "Sofia",
    "Marco",
    "Chiara",
    "Pierre",
    "Elise",
    "Tomas",
    "Nadia",
    "Ravi",
    "Yuki",
    "Kofi",
)
LAST_NAMES = (
    "Anderson",
    "Bennett",
    "Carter",
    "Dawson",
    "Ellis",
    "Fischer",
    "Garcia",
    "Hughes",
    "Iverson",
    "Jensen",
    "Keller",
    "Larsen",
    "Martinez",
    "Nguyen",
    "Olsen",
    "Patel",
    "Quintero",
    "Reyes",
    "Sato",
    "Thompson",
    "Underwood",
    "Vasquez",
    "Walker",
    "Xu",
    "Young",
    "Zimmerman",
    "Brooks",
    "Chen",
    "Diaz",
    "Evans",
    "Foster",
    "Gray",
    "Hayes",
    "Ito",
    "Jackson",
    "Kim",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Ortiz",
    "Price",
    "Rossi",
    "Schmidt",
    "Torres",
    "Usman",
    "Volkov",
    "Wright",
    "Yilmaz",
    "Alvarez",
    "Baker",
    "Campbell",
    "Douglas",
    "Ferreira",
    "Gunnarsson",
    "Holm",
    "Ivanova",
    "Johansson",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Park",
    "Rivera",
    "Silva",
    "Tanaka",
    "Weber",
    "Abbott",
    "Sullivan",
    "McAllister",
)


@dataclass(frozen=True, slots=True)
class SampleCompanySpec:
    """What to generate: how many customers, the random seed, and the last day of data."""

    customers: int
    seed: int
    until: date
    years: int = 3

    @property
    def start(self) -> date:
        return self.until - timedelta(days=round(self.years * YEAR_DAYS) - 1)


def last_complete_week_end(today: date) -> date:
    """The Sunday that ends the last full Monday–Sunday week before ``today``."""
    return today - timedelta(days=today.isoweekday() % 7 or 7)


def generate(
    connection: duckdb.DuckDBPyConnection,
    spec: SampleCompanySpec,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Fill the (empty) warehouse tables on ``connection`` with the sample company.

    ``on_progress`` is called with the number of customers generated after every chunk.
    """
    start_day = (spec.start - _EPOCH).days
    end_day = (spec.until - _EPOCH).days
    span = end_day - start_day + 1
    signup_cdf = _signup_cdf(start_day, span)
    weeks = _monday_index(np.arange(start_day, end_day + 1))
    first_week = int(weeks[0])
    signups_by_week = np.zeros((int(weeks[-1]) - first_week + 1, len(SIGNUP_CHANNELS)))
    connection.execute(_STAGING_DDL)
    for chunk_start in range(0, spec.customers, CHUNK_CUSTOMERS):
        size = min(CHUNK_CUSTOMERS, spec.customers - chunk_start)
        rng = np.random.default_rng([spec.seed, chunk_start // CHUNK_CUSTOMERS])
        chunk = _draw_chunk(rng, chunk_start, size, start_day, end_day, signup_cdf)
        np.add.at(
            signups_by_week,
            (_monday_index(chunk.signup_day) - first_week, chunk.signup_channel),
            1,
        )
        _write_chunk(connection, chunk)
        if on_progress is not None:
            on_progress(chunk_start + size)
    spend_rng = np.random.default_rng([spec.seed, 1_000_003])
    _write_marketing_spend(connection, spend_rng, signups_by_week, first_week, spec.customers)
    connection.execute(_FINALISE_SQL)
    connection.executemany(
        "INSERT INTO dataset_info VALUES (?, ?)",
        [
            ("source", "sample company Two Peaks"),
            ("seed", str(spec.seed)),
            ("customers", str(spec.customers)),
            ("start", spec.start.isoformat()),
            ("until", spec.until.isoformat()),
        ],
    )


@dataclass(frozen=True, slots=True)
class _Chunk:
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


def _signup_cdf(start_day: int, span: int) -> np.ndarray:
    days = np.arange(span)
    growth = 1.0 + 1.2 * days / span  # the business grows: later years bring more customers
    weights = growth * _season(start_day + days)
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def _monday_index(day: np.ndarray) -> np.ndarray:
    # 1970-01-01 was a Thursday; day 4 was the first Monday.
    return np.floor_divide(day - 4, 7)


def _draw_chunk(
    rng: np.random.Generator,
    first_id: int,
    size: int,
    start_day: int,
    end_day: int,
    signup_cdf: np.ndarray,
) -> _Chunk:
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

    return _Chunk(
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


def _dictionary(indices: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


def _dates(day: np.ndarray) -> pa.Array:
    return pa.array(day.astype(np.int32), type=pa.date32())


def _write_chunk(connection: duckdb.DuckDBPyConnection, chunk: _Chunk) -> None:
    customers = pa.table(
        {
            "customer_id": chunk.customer_id,
            "first_name": _dictionary(chunk.first_name, FIRST_NAMES),
            "last_name": _dictionary(chunk.last_name, LAST_NAMES),
            "signup_date": _dates(chunk.signup_day),
            "signup_channel": _dictionary(chunk.signup_channel, SIGNUP_CHANNELS),
            "country": _dictionary(chunk.country, COUNTRIES),
            "marketing_opt_in": chunk.opt_in,
        }
    )
    orders = pa.table(
        {
            "customer_id": chunk.order_customer,
            "order_date": _dates(chunk.order_day),
            "gross": chunk.order_gross,
            "discount": chunk.order_discount,
            "category": _dictionary(chunk.order_category, CATEGORIES),
            "channel": _dictionary(chunk.order_channel, CHANNELS),
        }
    )
    connection.register("chunk_customers", customers)
    connection.register("chunk_orders", orders)
    connection.execute(
        """
        INSERT INTO customers
        SELECT customer_id, first_name, last_name,
               lower(first_name || '.' || last_name || '.' || customer_id) || '@example.com',
               signup_date, signup_channel, country, marketing_opt_in
        FROM chunk_customers
        """
    )
    connection.execute(
        """
        INSERT INTO staging_orders
        SELECT customer_id, order_date,
               CAST(gross - discount AS DECIMAL(12, 2)), CAST(discount AS DECIMAL(12, 2)),
               category, channel
        FROM chunk_orders
        """
    )
    connection.unregister("chunk_customers")
    connection.unregister("chunk_orders")


def _write_marketing_spend(
    connection: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    signups_by_week: np.ndarray,
    first_week: int,
    customers: int,
) -> None:
    n_weeks = signups_by_week.shape[0]
    week_start = (first_week + np.arange(n_weeks)) * 7 + 4
    columns: dict[str, list[np.ndarray]] = {
        "week_start": [],
        "channel": [],
        "spend": [],
        "impressions": [],
        "clicks": [],
    }
    for channel, cac in CAC.items():
        new_customers = signups_by_week[:, SIGNUP_CHANNELS.index(channel)]
        spend = new_customers * cac * rng.lognormal(0.0, 0.18, n_weeks)
        _append_spend(columns, week_start, channel, spend)
    email_spend = np.full(n_weeks, EMAIL_COST_PER_1K_CUSTOMERS_WEEK * customers / 1000.0)
    _append_spend(columns, week_start, "email", email_spend)
    impressions = [
        np.round(spend / CPM[channel[0]] * 1000) if CPM[channel[0]] else np.zeros(spend.size)
        for spend, channel in zip(columns["spend"], columns["channel"], strict=True)
    ]
    clicks = [
        np.round(imp * CTR.get(channel[0], 0.0))
        for imp, channel in zip(impressions, columns["channel"], strict=True)
    ]
    table = pa.table(
        {
            "week_start": _dates(np.concatenate(columns["week_start"])),
            "channel": np.concatenate(columns["channel"]),
            "spend": np.round(np.concatenate(columns["spend"]), 2),
            "impressions": np.concatenate(impressions).astype(np.int64),
            "clicks": np.concatenate(clicks).astype(np.int64),
        }
    )
    connection.register("chunk_spend", table)
    connection.execute(
        """
        INSERT INTO marketing_spend
        SELECT week_start, channel, CAST(spend AS DECIMAL(12, 2)), impressions, clicks
        FROM chunk_spend ORDER BY week_start, channel
        """
    )
    connection.unregister("chunk_spend")


def _append_spend(
    columns: dict[str, list[np.ndarray]], week_start: np.ndarray, channel: str, spend: np.ndarray
) -> None:
    columns["week_start"].append(week_start)
    columns["channel"].append(np.full(week_start.size, channel))
    columns["spend"].append(spend)


def _pick_sql(uniform: str, names: tuple[str, ...], shares: tuple[float, ...]) -> str:
    """A SQL CASE that maps a uniform draw in [0, 1) to ``names`` with the given shares."""
    bounds = np.cumsum(shares) / sum(shares)
    whens = " ".join(
        f"WHEN {uniform} < {bound:.6f} THEN '{name}'"
        for name, bound in zip(names[:-1], bounds[:-1], strict=True)
    )
    return f"CASE {whens} ELSE '{names[-1]}' END"


_STAGING_DDL = """
CREATE TEMP TABLE staging_orders (
    customer_id BIGINT, order_date DATE, amount DECIMAL(12, 2), discount DECIMAL(12, 2),
    category VARCHAR, channel VARCHAR
)
"""

# Number orders by date, then draw support tickets from orders with hash-based (hence
# deterministic) choices, so tickets follow orders without another pass through Python.
_FINALISE_SQL = f"""
INSERT INTO orders
SELECT row_number() OVER (ORDER BY order_date, customer_id, amount) AS order_id,
       customer_id, order_date, amount, discount, category, channel
FROM staging_orders
ORDER BY order_date, customer_id, amount;
DROP TABLE staging_orders;

INSERT INTO support_tickets
WITH drawn AS (
    SELECT order_id, customer_id, order_date,
           hash(order_id, 'ticket') % 1000000 / 1000000.0 AS u_ticket,
           hash(order_id, 'topic') % 1000000 / 1000000.0 AS u_topic,
           hash(order_id, 'channel') % 1000000 / 1000000.0 AS u_channel,
           hash(order_id, 'delay') % 1000000 / 1000000.0 AS u_delay,
           hash(order_id, 'resolve') % 1000000 / 1000000.0 AS u_resolve,
           hash(order_id, 'escalate') % 1000000 / 1000000.0 AS u_escalate
    FROM orders
), tickets AS (
    SELECT *,
           order_date + INTERVAL (CAST(floor(u_delay * 21 * 86400) AS BIGINT)) SECOND AS opened
    FROM drawn WHERE u_ticket < {TICKET_RATE}
), cut AS (
    SELECT *, (SELECT max(order_date) FROM orders) + INTERVAL 1 DAY AS data_end FROM tickets
)
SELECT row_number() OVER (ORDER BY opened, order_id) AS ticket_id,
       customer_id, order_id, opened AS created_at,
       {_pick_sql("u_topic", TICKET_TOPICS, TICKET_TOPIC_SHARE)} AS topic,
       {_pick_sql("u_channel", TICKET_CHANNELS, TICKET_CHANNEL_SHARE)} AS channel,
       CASE WHEN opened + INTERVAL 2 DAY < data_end THEN 'resolved' ELSE 'open' END AS status,
       CASE WHEN opened + INTERVAL 2 DAY < data_end THEN least(
                data_end - INTERVAL 1 SECOND,
                opened + INTERVAL (CAST(-ln(1 - u_resolve) * 20 * 3600 AS BIGINT)) SECOND)
            END AS resolved_at,
       u_escalate < {ESCALATION_RATE} AS escalated
FROM cut
WHERE opened < data_end
ORDER BY created_at;
"""
