"""Writing drawn chunks to DuckDB through Arrow, and the SQL that numbers orders, draws support
tickets from them and adds the weekly marketing spend."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from integrations.warehouse.sample_company.draws import CustomerChunk
from integrations.warehouse.sample_company.parameters import (
    CAC,
    COUNTRIES,
    CPM,
    CTR,
    EMAIL_COST_PER_1K_CUSTOMERS_WEEK,
    ESCALATION_RATE,
    FIRST_NAMES,
    LAST_NAMES,
    SIGNUP_CHANNELS,
    TICKET_CHANNEL_SHARE,
    TICKET_CHANNELS,
    TICKET_RATE,
    TICKET_TOPIC_SHARE,
)
from integrations.warehouse.schema import CATEGORIES, CHANNELS, TICKET_TOPICS


def _dictionary(indices: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


def _dates(day: np.ndarray) -> pa.Array:
    return pa.array(day.astype(np.int32), type=pa.date32())


def write_chunk(connection: duckdb.DuckDBPyConnection, chunk: CustomerChunk) -> None:
    """Add the chunk's customers, and its orders to the staging table ``FINALISE_SQL`` numbers."""
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


def write_marketing_spend(
    connection: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    signups_by_week: np.ndarray,
    first_week: int,
    customers: int,
) -> None:
    """Weekly spend per paid channel (new customers times CAC, with noise) and for email."""
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


STAGING_DDL = """
CREATE TEMP TABLE staging_orders (
    customer_id BIGINT, order_date DATE, amount DECIMAL(12, 2), discount DECIMAL(12, 2),
    category VARCHAR, channel VARCHAR
)
"""

# Number orders by date, then draw support tickets from orders with hash-based (hence
# deterministic) choices, so tickets follow orders without another pass through Python.
FINALISE_SQL = f"""
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
