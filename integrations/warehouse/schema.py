"""The warehouse's tables. Money is DECIMAL(12,2); dates are calendar dates in the shop's zone."""

from __future__ import annotations

TABLES: dict[str, str] = {
    "customers": """
        CREATE TABLE customers (
            customer_id BIGINT NOT NULL,
            first_name VARCHAR NOT NULL,
            last_name VARCHAR NOT NULL,
            email VARCHAR NOT NULL,
            signup_date DATE NOT NULL,
            signup_channel VARCHAR NOT NULL,
            country VARCHAR NOT NULL,
            marketing_opt_in BOOLEAN NOT NULL
        )""",
    "orders": """
        CREATE TABLE orders (
            order_id BIGINT NOT NULL,
            customer_id BIGINT NOT NULL,
            order_date DATE NOT NULL,
            amount DECIMAL(12, 2) NOT NULL,     -- paid, after discount
            discount DECIMAL(12, 2) NOT NULL,   -- money off the list price
            category VARCHAR NOT NULL,
            channel VARCHAR NOT NULL
        )""",
    "marketing_spend": """
        CREATE TABLE marketing_spend (
            week_start DATE NOT NULL,           -- Monday
            channel VARCHAR NOT NULL,
            spend DECIMAL(12, 2) NOT NULL,
            impressions BIGINT NOT NULL,
            clicks BIGINT NOT NULL
        )""",
    "support_tickets": """
        CREATE TABLE support_tickets (
            ticket_id BIGINT NOT NULL,
            customer_id BIGINT NOT NULL,
            order_id BIGINT,
            created_at TIMESTAMP NOT NULL,
            topic VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            resolved_at TIMESTAMP,
            escalated BOOLEAN NOT NULL
        )""",
    "dataset_info": """
        CREATE TABLE dataset_info (
            key VARCHAR NOT NULL,
            value VARCHAR NOT NULL
        )""",
}

CHANNELS = ("paid_search", "paid_social", "email", "organic", "referral", "affiliate", "direct")
CATEGORIES = (
    "Footwear",
    "Apparel",
    "Camping",
    "Climbing",
    "Packs",
    "Accessories",
    "Winter Sports",
    "Water Sports",
)
TICKET_TOPICS = (
    "shipping",
    "returns",
    "warranty",
    "sizing",
    "order_change",
    "payment",
    "discounts",
    "product_care",
    "account",
)
