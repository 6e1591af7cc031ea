"""The one shape of an outgoing email, and its MIME form with the unsubscribe footer and headers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from integrations.email.address import bare_address
from integrations.email.errors import EmailRejectedError


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """A marketing or support email, ready to send.

    ``idempotency_key`` identifies the email across retries (e.g. ``"<run id>:<customer id>"``).
    ``unsubscribe_url`` is always there (a ``mailto:`` at least); ``one_click_url`` is the HTTPS
    one-click link (RFC 8058), only when the web role serves one.
    """

    idempotency_key: str
    sender: str
    recipient: str
    subject: str
    text: str
    unsubscribe_url: str
    one_click_url: str | None = None

    @property
    def message_id(self) -> str:
        """A deterministic Message-ID, so a resend of the same email is recognisably the same."""
        return message_id_for(self.idempotency_key, self.sender)

    @property
    def envelope_sender(self) -> str:
        """The bare address of ``sender`` (``MAIL FROM``)."""
        return parseaddr(self.sender)[1]

    @property
    def body_with_footer(self) -> str:
        return (
            f"{self.text.rstrip()}\n\n--\n"
            f"You are receiving this because you opted in to emails from Two Peaks.\n"
            f"Unsubscribe: {self.one_click_url or self.unsubscribe_url}\n"
        )

    @property
    def list_unsubscribe(self) -> str:
        """The ``List-Unsubscribe`` value: the one-click link first when there is one."""
        links = [self.one_click_url, self.unsubscribe_url]
        return ", ".join(f"<{link}>" for link in links if link)


def message_id_for(idempotency_key: str, sender: str) -> str:
    """The Message-ID an email with this key carries: how a person finds it at the provider."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def build_mime_message(email: OutgoingEmail) -> EmailMessage:
    """The RFC 5322 message: footer, ``List-Unsubscribe``, and one-click unsubscribe (RFC 8058)
    when there is an HTTPS link. A value no header may hold (a line break, U+2028 …) is this
    email's ``EmailRejectedError``, never the whole send's."""
    message = EmailMessage()
    try:
        message["From"] = email.sender
        message["To"] = bare_address(email.recipient)
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = email.message_id
        message["List-Unsubscribe"] = email.list_unsubscribe
        if email.one_click_url:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(email.body_with_footer)
    except ValueError as error:
        raise EmailRejectedError(f"the email cannot be written: {error}") from None
    return message


def check_recipient(email: OutgoingEmail) -> str:
    """The recipient as one bare address, refused before any provider sees it otherwise."""
    return bare_address(email.recipient)
