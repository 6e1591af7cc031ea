"""Table definitions (SQLAlchemy Core); the migrations under ``migrations/`` create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("workflow", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_by", sa.String(128), nullable=False),
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("input_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("output_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    # "host:pid" of the process the run is (or was last) running in (migration 0005).
    sa.Column("process", sa.String(128)),
    sa.Index("ix_runs_started_at", "started_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id")),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_run_id", "run_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("email_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(998), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("provider_message_id", sa.String(256)),
    # One email per customer per run, whatever retries or double clicks happen.
    sa.UniqueConstraint("run_id", "customer_id", name="uq_outbox_run_customer"),
)

# Who a proposed campaign would email, as proposed (replaced when an edit re-drafts it): the
# proposal counts those another run has emailed since, who will be skipped at send.
proposal_audiences = sa.Table(
    "proposal_audiences",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("person", sa.String(320), nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("run_id", "customer_id"),
)

# Recipients a person excluded from a proposed campaign, by customer and by person (migration
# 0009): the send step drops them, whatever the drafts say.
campaign_exclusions = sa.Table(
    "campaign_exclusions",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("person", sa.String(320), nullable=False),
    sa.Column("excluded_by", sa.String(128), nullable=False),
    sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("run_id", "customer_id"),
)

# Answers a person approved or wrote in a support escalation; the knowledge base re-adds them
# on every rebuild. One row per question (answer_id is a hash of the normalised question).
kb_answers = sa.Table(
    "kb_answers",
    metadata,
    sa.Column("answer_id", sa.String(64), primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("author", sa.String(128), nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
)

# Outbox columns and index added by migration 0003: the send claim (who is sending this row,
# since when) and the contact history the win-back frequency cap reads.
outbox.append_column(sa.Column("claim_token", sa.String(64)))
outbox.append_column(sa.Column("claimed_at", sa.DateTime(timezone=True)))
outbox.append_column(sa.Column("error", sa.Text))
sa.Index("ix_outbox_customer_sent", outbox.c.customer_id, outbox.c.sent_at)
# Migration 0006: the person (trimmed, lower-cased address) the frequency cap is checked for at
# claim time, across campaigns; the ``host:pid`` that claimed the row (rows of a dead process
# are put in doubt at once).
outbox.append_column(sa.Column("person", sa.String(320)))
outbox.append_column(sa.Column("claimed_by", sa.String(128)))
sa.Index("ix_outbox_person_status", outbox.c.person, outbox.c.status)
# Migration 0012: when a non-idempotent sender (SMTP, SendGrid) handed the row to the provider.
# A dead sender's claimed row with it set may have gone (in doubt); without it, it never left.
outbox.append_column(sa.Column("attempted_at", sa.DateTime(timezone=True)))

# One approval per run: a paused workflow waiting for a person. Deciding is one conditional
# UPDATE ... WHERE status = 'pending', so of two simultaneous decisions exactly one wins.
approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("workflow", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # How many times it was asked: an edit re-asks with a new summary.
    sa.Column("round", sa.Integer, nullable=False, server_default="1"),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("decided_by", sa.String(128)),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("reason", sa.Text),
    sa.Column("edits", sa.JSON),
    # Where the approval was posted in Slack (filled by the bot).
    sa.Column("channel_id", sa.String(32)),
    sa.Column("message_ts", sa.String(32)),
    # When a pending approval was last reminded in its thread (migration 0004).
    sa.Column("reminded_at", sa.DateTime(timezone=True)),
    sa.Index("ix_approvals_status", "status"),
)

# Where a run's answer goes back to in Slack: the asker's thread (migration 0004, filled by the
# bot), or the channel inline when ``thread_ts`` is NULL (a top-level direct message, migration
# 0010). A support answer decided by a person hours later is posted there.
run_threads = sa.Table(
    "run_threads",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("thread_ts", sa.String(32)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_run_threads_thread", "channel_id", "thread_ts"),
)

# Addresses that must never get marketing email again (unsubscribed, bounced, complained).
suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("customer_id", sa.BigInteger),
    sa.Column("reason", sa.String(256), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# Slack events (and other requests Slack may retry) already taken, by id, so that a retry is
# answered once (migration 0006); ids older than the retention are pruned.
slack_events = sa.Table(
    "slack_events",
    metadata,
    sa.Column("event_key", sa.String(255), primary_key=True),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_slack_events_seen_at", "seen_at"),
)

# Every support question a run answered (migration 0008): how sure the answer was, whether a
# person had to look, why, and the passage retrieval found nearest. The weekly digest's
# knowledge-gap report reads it (``agents/support/gaps.py``).
support_questions = sa.Table(
    "support_questions",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("escalated", sa.Boolean, nullable=False),
    # The guard's signal names and, below the threshold, the confidence's own reason.
    sa.Column("reasons", sa.JSON, nullable=False),
    # The nearest passage: "article" (help centre) or "human" (a person's earlier answer); all
    # null when none was recorded (no passage found, or a draft given by the supervisor).
    sa.Column("nearest_kind", sa.String(16)),
    sa.Column("nearest_article", sa.String(255)),
    sa.Column("nearest_title", sa.Text),
    sa.Column("nearest_section", sa.Text),
    sa.Column("nearest_url", sa.Text),
    sa.Column("similarity", sa.Float),
    # Migration 0013: the language the question was read in when not English (the multilingual
    # search found its nearest passage, and its similarity is that model's); null for English.
    sa.Column("language", sa.String(16)),
    sa.Index("ix_support_questions_asked_at", "asked_at"),
)

# Workflow calls sent to the task queue (migration 0011): queued by the caller, picked up (and
# counted) by a ``controlroom worker`` process each time the broker delivers them, finished
# there. ``worker`` is the ``host:pid`` of the process of the latest delivery.
queue_tasks = sa.Table(
    "queue_tasks",
    metadata,
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("work", sa.String(255), nullable=False),
    sa.Column("queue", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("worker", sa.String(128)),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("picked_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.Index("ix_queue_tasks_queued_at", "queued_at"),
)
# Migration 0011: the queue task a run was started by (NULL when it ran in serve's own pool,
# the clock or the CLI).
runs.append_column(sa.Column("task_id", sa.String(64)))
sa.Index("ix_runs_task_id", runs.c.task_id)
