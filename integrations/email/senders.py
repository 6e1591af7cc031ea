"""Email senders: the local outbox (files), SMTP, and SendGrid, behind one protocol."""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
import tempfile
import urllib.error
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from python_http_client import exceptions as sendgrid_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Header, Mail

from integrations.email.errors import EmailRejectedError, EmailUnavailableError
from integrations.email.message import OutgoingEmail, build_mime_message, check_recipient

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20


class EmailSender(Protocol):
    """Send one email; return the provider's message id."""

    name: str

    def send(self, email: OutgoingEmail) -> str: ...


class LocalOutboxSender:
    """Writes each email to an ``.eml`` file named by its idempotency key; a resend is a no-op."""

    name = "local outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, email: OutgoingEmail) -> Path:
        digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
        return self.folder / f"{digest}.eml"

    def send(self, email: OutgoingEmail) -> str:
        check_recipient(email)
        path = self.path_for(email)
        if path.exists():
            logger.info("outbox already holds %s; not writing it again", path.name)
            return email.message_id
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write a temporary file and rename it: a crash never leaves half an email behind.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(build_mime_message(email).as_bytes())
        os.replace(temporary, path)
        return email.message_id


class SmtpSender:
    """Sends through an SMTP server given as ``smtp://user:password@host:587`` (STARTTLS when
    offered) or ``smtps://…:465`` (TLS from the start)."""

    name = "SMTP"

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise EmailRejectedError("SMTP_URL must look like smtp://user:password@host:587")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 587)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout

    def send(self, email: OutgoingEmail) -> str:
        check_recipient(email)
        message = build_mime_message(email)
        try:
            with self._connect() as server:
                if not self._tls and server.has_extn("starttls"):
                    server.starttls(context=ssl.create_default_context())
                if self._user is not None:
                    server.login(self._user, self._password or "")
                server.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPAuthenticationError) as error:
            raise EmailRejectedError(f"SMTP server refused the email: {error}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise EmailUnavailableError(
                f"SMTP server {self._host}:{self._port}: {error}"
            ) from error
        return email.message_id

    def _connect(self) -> smtplib.SMTP:
        if self._tls:
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout)
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)


class SendGridSender:
    """Sends through SendGrid's v3 mail API (``host`` lets tests point it at a local fake)."""

    name = "SendGrid"

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = timeout

    def send(self, email: OutgoingEmail) -> str:
        check_recipient(email)
        mail = Mail(
            from_email=email.sender,
            to_emails=email.recipient,
            subject=email.subject,
            plain_text_content=email.body_with_footer,
        )
        mail.header = Header("List-Unsubscribe", f"<{email.unsubscribe_url}>")
        mail.header = Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        mail.custom_arg = CustomArg("idempotency_key", email.idempotency_key)
        try:
            response = self._client.send(mail)
        except (
            sendgrid_errors.BadRequestsError,
            sendgrid_errors.UnauthorizedError,
            sendgrid_errors.ForbiddenError,
            sendgrid_errors.PayloadTooLargeError,
        ) as error:
            raise EmailRejectedError(f"SendGrid refused the email: {_reason(error)}") from error
        except (sendgrid_errors.HTTPError, urllib.error.URLError, OSError) as error:
            raise EmailUnavailableError(f"SendGrid unavailable: {error}") from error
        headers = {key.lower(): value for key, value in response.headers.items()}
        return str(headers.get("x-message-id", email.message_id))


def _reason(error: sendgrid_errors.HTTPError) -> str:
    body = error.body.decode() if isinstance(error.body, bytes) else str(error.body)
    return f"HTTP {error.status_code}: {body[:300]}"


def build_email_sender(
    *, sendgrid_api_key: str | None, smtp_url: str | None, outbox_folder: Path
) -> EmailSender:
    """SendGrid when a key is set, else SMTP when a URL is set, else the local outbox."""
    if sendgrid_api_key:
        return SendGridSender(sendgrid_api_key)
    if smtp_url:
        return SmtpSender(smtp_url)
    return LocalOutboxSender(outbox_folder)
