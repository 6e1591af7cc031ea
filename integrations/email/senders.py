"""Email senders: the local outbox (files), SMTP, and SendGrid, behind one protocol.

A send opens one ``session()`` for its batch (one SMTP connection for all of it) and sends each
email through it; every failure says whose it is (package docstring): this email's
(``EmailRejectedError``), the configuration's (``EmailConfigError``), the provider's for now
(``EmailUnavailableError``), or maybe delivered (``EmailInDoubtError``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
import tempfile
import urllib.error
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from python_http_client import exceptions as sendgrid_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Header, Mail

from integrations.email.errors import (
    EmailConfigError,
    EmailInDoubtError,
    EmailRejectedError,
    EmailUnavailableError,
)
from integrations.email.message import OutgoingEmail, build_mime_message, check_headers

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20


class EmailSession(Protocol):
    """An open channel to the provider: send one email, return the provider's message id."""

    def send(self, email: OutgoingEmail) -> str: ...


class EmailSender(Protocol):
    """A provider. ``idempotent``: sending the same key twice delivers once (only the local
    outbox can promise it), so a crashed send may simply be repeated."""

    name: str
    idempotent: bool

    def session(self) -> AbstractContextManager[EmailSession]: ...

    def send(self, email: OutgoingEmail) -> str: ...


class _OneShot(ABC):
    """``send`` for one email: a session of its own (tests, one-off emails)."""

    name: str
    idempotent: bool

    @abstractmethod
    def session(self) -> AbstractContextManager[EmailSession]: ...

    def send(self, email: OutgoingEmail) -> str:
        with self.session() as session:
            return session.send(email)


class LocalOutboxSender(_OneShot):
    """Writes each email to an ``.eml`` file named by its idempotency key; a resend is a no-op."""

    name = "local outbox"
    idempotent = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, email: OutgoingEmail) -> Path:
        digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
        return self.folder / f"{digest}.eml"

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield _OutboxSession(self)


class _OutboxSession:
    def __init__(self, outbox: LocalOutboxSender) -> None:
        self._outbox = outbox

    def send(self, email: OutgoingEmail) -> str:
        message = build_mime_message(email)
        path = self._outbox.path_for(email)
        if path.exists():
            logger.info("outbox already holds %s; not writing it again", path.name)
            return email.message_id
        # Write a temporary file and rename it: a crash never leaves half an email behind.
        handle, temporary = tempfile.mkstemp(dir=self._outbox.folder, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
        os.replace(temporary, path)
        return email.message_id


class SmtpSender(_OneShot):
    """Sends through an SMTP server given as ``smtp://user:password@host:587`` (STARTTLS when
    offered) or ``smtps://…:465`` (TLS from the start), one connection per session."""

    name = "SMTP"
    idempotent = False

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise EmailConfigError("SMTP_URL must look like smtp://user:password@host:587")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 587)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout

    @property
    def where(self) -> str:
        return f"SMTP server {self._host}:{self._port}"

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        session = _SmtpSession(self)
        try:
            yield session
        finally:
            session.close()

    def connect(self) -> smtplib.SMTP:
        """A logged-in connection; ``EmailConfigError`` when the server refuses the login."""
        try:
            if self._tls:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self._host, self._port, timeout=self._timeout
                )
            else:
                server = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            server.ehlo_or_helo_if_needed()
            if not self._tls and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
            if self._user is not None:
                server.login(self._user, self._password or "")
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
            server.close()
            raise EmailConfigError(
                f"{self.where} refused the login ({_smtp_reason(error)}): check SMTP_URL"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise EmailUnavailableError(f"{self.where}: {_smtp_reason(error)}") from None
        return server


class _SmtpSession:
    """One SMTP connection, opened at the first email and again after one is lost."""

    def __init__(self, sender: SmtpSender) -> None:
        self._sender = sender
        self._server: smtplib.SMTP | None = None

    def send(self, email: OutgoingEmail) -> str:
        recipient = check_headers(email)
        data = build_mime_message(email).as_bytes()
        server = self._server or self._sender.connect()
        self._server = server
        where = self._sender.where
        try:
            # The envelope is given explicitly: MAIL FROM the sender, RCPT TO this one address,
            # whatever the headers say.
            code, reply = server.mail(email.envelope_sender)
            if code != 250:
                self._reset(server)
                _raise_for(code, reply, where, whose="sender")
            code, reply = server.rcpt(recipient)
            if code not in (250, 251):
                self._reset(server)
                _raise_for(code, reply, where, whose="recipient")
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise EmailUnavailableError(f"{where}: {_smtp_reason(error)}") from None
        try:
            code, reply = server.data(data)
        except smtplib.SMTPDataError as error:
            self._reset(server)
            _raise_for(error.smtp_code, error.smtp_error, where, whose="message")
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            # The message may have been taken before the connection went: never resend it.
            self._drop()
            raise EmailInDoubtError(
                f"{where} lost the connection after the message ({_smtp_reason(error)})"
            ) from None
        if code != 250:  # smtplib returns the answer to the final "." without raising
            self._reset(server)
            _raise_for(code, reply, where, whose="message")
        return email.message_id

    def _reset(self, server: smtplib.SMTP) -> None:
        try:
            server.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.close()
            except OSError:
                logger.debug("closing a broken SMTP connection failed", exc_info=True)

    def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def _raise_for(code: int, reply: bytes | str, where: str, *, whose: str) -> None:
    """An SMTP reply code as the exception it means: 4xx try later; 5xx for the sender is the
    configuration's, for the recipient or the message this email's."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{where} answered {code} to the {whose}: {text}"[:500]
    if 400 <= code < 500:
        raise EmailUnavailableError(reason)
    if whose == "sender":
        raise EmailConfigError(reason + " (check EMAIL_FROM and the server's sender rules)")
    raise EmailRejectedError(reason)


def _smtp_reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        message = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{error.smtp_code} {message}"
    return str(error) or type(error).__name__


class SendGridSender(_OneShot):
    """Sends through SendGrid's v3 mail API (``host`` lets tests point it at a local fake)."""

    name = "SendGrid"
    idempotent = False

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = timeout

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        yield _SendGridSession(self._client)


class _SendGridSession:
    def __init__(self, client: SendGridAPIClient) -> None:
        self._client = client

    def send(self, email: OutgoingEmail) -> str:
        recipient = check_headers(email)
        mail = Mail(
            from_email=email.sender,
            to_emails=recipient,
            subject=email.subject,
            plain_text_content=email.body_with_footer,
        )
        mail.header = Header("List-Unsubscribe", email.list_unsubscribe)
        if email.one_click_url:
            mail.header = Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        mail.custom_arg = CustomArg("idempotency_key", email.idempotency_key)
        try:
            response = self._client.send(mail)
        except (sendgrid_errors.UnauthorizedError, sendgrid_errors.ForbiddenError) as error:
            raise EmailConfigError(
                f"SendGrid refused the API key: {_reason(error)} (check SENDGRID_API_KEY)"
            ) from None
        except (sendgrid_errors.BadRequestsError, sendgrid_errors.PayloadTooLargeError) as error:
            raise EmailRejectedError(f"SendGrid refused the email: {_reason(error)}") from None
        except (sendgrid_errors.HTTPError, urllib.error.URLError, OSError) as error:
            raise EmailUnavailableError(f"SendGrid unavailable: {error}") from None
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
