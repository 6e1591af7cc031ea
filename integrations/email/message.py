"""The one shape of an outgoing email, and its MIME form with the unsubscribe footer and headers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from integrations.email.errors import EmailRejectedError


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """A marketing or support email, ready to send.

    ``idempotency_key`` identifies the email across retries (e.g. ``"<run id>:<customer id>"``).
    """

    idempotency_key: str
    sender: str
    recipient: str
    subject: str
    text: str
    unsubscribe_url: str

    @property
    def message_id(self) -> str:
        """A deterministic Message-ID, so a resend of the same email is recognisably the same."""
        digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:32]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        return f"<{digest}@{domain}>"

    @property
    def body_with_footer(self) -> str:
        return (
            f"{self.text.rstrip()}\n\n--\n"
            f"You are receiving this because you opted in to emails from Two Peaks.\n"
            f"Unsubscribe: {self.unsubscribe_url}\n"
        )


def build_mime_message(email: OutgoingEmail) -> EmailMessage:
    """The RFC 5322 message: footer, ``List-Unsubscribe`` and one-click unsubscribe (RFC 8058)."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.body_with_footer)
    return message


def check_recipient(email: OutgoingEmail) -> None:
    """Refuse an address no provider could deliver to, before any provider sees it."""
    address = parseaddr(email.recipient)[1]
    local, at, domain = address.rpartition("@")
    if not (local and at and "." in domain.strip(".")) or " " in address:
        raise EmailRejectedError(f"{email.recipient!r} is not an email address")
