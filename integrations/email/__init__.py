"""Sending email: the local outbox (default), SMTP, or SendGrid — one protocol, one message shape.

Every sender is idempotent by the email's ``idempotency_key`` as far as its system allows: the
local outbox exactly (the file name is the key), SMTP and SendGrid by a deterministic
``Message-ID`` / custom argument that lets a duplicate be recognised downstream. Exactly-once
delivery per (run, customer) is the workflow's job, on top of the state store's outbox table.

A sender opens a ``session()`` for a batch (SMTP: one connection for all of it) and classifies
every failure as this email's, the configuration's or the provider's.

Exceptions::

    EmailError
     ├── EmailRejectedError      this email refused (bad address, 5xx for it): that email fails
     ├── EmailConfigError        our login, key or sender refused: stop, every email stays queued
     └── EmailUnavailableError   unreachable, 4xx, connection lost before the message: retry later
          └── EmailInDoubtError  connection lost after the message was handed over: maybe sent
"""

from integrations.email.address import bare_address
from integrations.email.errors import (
    EmailConfigError,
    EmailError,
    EmailInDoubtError,
    EmailRejectedError,
    EmailUnavailableError,
)
from integrations.email.message import OutgoingEmail, build_mime_message
from integrations.email.senders import (
    EmailSender,
    EmailSession,
    LocalOutboxSender,
    SendGridSender,
    SmtpSender,
    build_email_sender,
)

__all__ = [
    "EmailConfigError",
    "EmailError",
    "EmailInDoubtError",
    "EmailRejectedError",
    "EmailSender",
    "EmailSession",
    "EmailUnavailableError",
    "LocalOutboxSender",
    "OutgoingEmail",
    "SendGridSender",
    "SmtpSender",
    "bare_address",
    "build_email_sender",
    "build_mime_message",
]
