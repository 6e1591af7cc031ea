"""The one shape of an outgoing email, and its MIME form with the unsubscribe footer and headers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import formataddr, formatdate, parseaddr
from functools import cache

from integrations.email.address import bare_address
from integrations.email.errors import EmailRejectedError
from integrations.text import unsafe_character


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
        return sender_parts(self.sender)[1]

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
    return f"<{digest}@{sender_parts(sender)[2]}>"


@cache
def sender_parts(sender: str) -> tuple[str, str, str]:
    """``"Two Peaks <hello@twopeaks.example.com>"`` as its display name, bare address and
    domain (``localhost`` when it has none); parsed once per From, not once per email."""
    name, address = parseaddr(sender)
    return name, address, address.rpartition("@")[2] or "localhost"


def check_headers(email: OutgoingEmail) -> str:
    """The recipient as one bare address, and every header value checked: a value no header
    may hold (a line break, U+2028, a control character) is this email's
    ``EmailRejectedError`` before any provider sees it, never the whole send's."""
    recipient = bare_address(email.recipient)
    for name, value in (
        ("From", email.sender),
        ("Subject", email.subject),
        ("List-Unsubscribe", email.list_unsubscribe),
    ):
        if found := unsafe_character(value):
            raise EmailRejectedError(f"the email cannot be written: its {name} holds {found}")
    return recipient


def build_mime_message(email: OutgoingEmail) -> Message:
    """The RFC 5322 message: footer, ``List-Unsubscribe``, and one-click unsubscribe (RFC 8058)
    when there is an HTTPS link.

    Built with the ``compat32`` message class, every value checked first (``check_headers``):
    ``EmailMessage`` parses each header through the header registry, ~4 ms an email, most of a
    campaign's send time, for values this code wrote or checked itself.
    """
    recipient = check_headers(email)
    name, address, _ = sender_parts(email.sender)
    message = Message()
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = recipient
    subject = email.subject
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    message["List-Unsubscribe"] = email.list_unsubscribe
    if email.one_click_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    message.set_payload(email.body_with_footer, _UTF8_QP)
    return message


# Bodies in UTF-8, quoted-printable: lines stay short and 7-bit whatever the text holds.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
