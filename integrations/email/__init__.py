"""Sending email: the local outbox (default), SMTP, or SendGrid — one protocol, one message shape.

Every sender is idempotent by the email's ``idempotency_key`` as far as its system allows: the
local outbox exactly (the file name is the key), SMTP and SendGrid by a deterministic
``Message-ID`` / custom argument that lets a duplicate be recognised downstream. Exactly-once
delivery per (run, customer) is the workflow's job, on top of the state store's outbox table.

Exceptions::

    EmailError
     ├── EmailRejectedError      refused (bad address, bad key): retrying will not help
     └── EmailUnavailableError   unreachable or failing: safe to retry later
"""

from integrations.email.errors import EmailError, EmailRejectedError, EmailUnavailableError
from integrations.email.message import OutgoingEmail, build_mime_message
from integrations.email.senders import (
    EmailSender,
    LocalOutboxSender,
    SendGridSender,
    SmtpSender,
    build_email_sender,
)

__all__ = [
    "EmailError",
    "EmailRejectedError",
    "EmailSender",
    "EmailUnavailableError",
    "LocalOutboxSender",
    "OutgoingEmail",
    "SendGridSender",
    "SmtpSender",
    "build_email_sender",
    "build_mime_message",
]
