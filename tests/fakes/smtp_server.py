"""A local SMTP server (aiosmtpd, in a thread) that records every delivery and injects faults.

Deliveries are counted here, on the server's side: a test asserts "each recipient exactly once"
on what the server accepted, not on what the sender believes. Faults, set at any time:

- ``refuse_connections()`` / ``accept_connections()``: stop and start listening on the port;
- ``hang_on_connect``: accept and never answer (not even the greeting);
- ``hang_at_data``: take the message for this recipient, then never answer;
- ``hang_after``: take the next message once this many are delivered, then never answer;
- ``reject_at_data`` (554) and ``reject_at_rcpt`` (550): a permanent refusal for one recipient;
- ``fail_next(n, code)``: answer 451 (try later) or 421 (and hang up) to the next ``n`` mail
  commands (MAIL, RCPT, DATA and "EOM", the end of the message; or only the ``commands`` given);
- ``password``: logins are required and only this password is accepted (else 535);
- ``drop_after_data``: take the message for this recipient (it is delivered), then drop the
  connection before answering — the sender cannot know it went (in doubt).

aiosmtpd's ``Controller(port=0)`` fails its own start-up check, so a free port is picked first.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "controlroom"
# The longest a hang lasts: far beyond any client timeout; the server's stop cancels it.
_FOREVER_SECONDS = 3600
# Commands that take part in a mail transaction (fail_next counts these); "EOM" is the reply
# to the message's final ".".
_MAIL_COMMANDS = ("MAIL", "RCPT", "DATA")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message the server accepted (answered 250 to, or took before dropping)."""

    recipients: tuple[str, ...]
    message_id: str
    subject: str
    # Which connection brought it (numbered from 1 in the order they were opened).
    connection: int


class FaultySmtpServer:
    """An SMTP server on 127.0.0.1 for tests (module docstring); use as a context manager."""

    def __init__(self, *, password: str | None = None) -> None:
        self.port = free_port()
        self.password = password
        self.hang_on_connect = False
        self.hang_at_data: str | None = None
        self.hang_after: int | None = None
        self.reject_at_data: str | None = None
        self.reject_at_rcpt: str | None = None
        self.drop_after_data: str | None = None
        self.deliveries: list[Delivery] = []
        self.logins_refused = 0
        self.connections = 0
        self._failures: list[int] = []
        self._failing_commands: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._connections: set[SMTP] = set()

    # Lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> FaultySmtpServer:
        self.accept_connections()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.refuse_connections()

    def url(self, *, password: str | None = None) -> str:
        """The ``SMTP_URL`` that reaches this server (with a login when a password is given)."""
        login = f"{USER}:{password}@" if password is not None else ""
        return f"smtp://{login}127.0.0.1:{self.port}"

    def accept_connections(self) -> None:
        """Listen on the port (again)."""
        if self._controller is not None:
            return
        controller = _FaultyController(
            self,
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )
        controller.start()
        self._controller = controller

    def refuse_connections(self) -> None:
        """Stop listening: a connection is refused (and open ones are cut)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            # Cut the open connections first, or their sockets outlive the server's loop.
            controller.loop.call_soon_threadsafe(self._cut_connections)
            controller.stop()

    def _cut_connections(self) -> None:
        for connection in list(self._connections):
            _cut(connection)

    # Faults -----------------------------------------------------------------------------------

    def fail_next(
        self, count: int, code: int = 451, *, commands: tuple[str, ...] = (*_MAIL_COMMANDS, "EOM")
    ) -> None:
        """Answer ``code`` (4xx) to the next ``count`` of these commands; 421 also hangs up."""
        with self._lock:
            self._failures = [code] * count
            self._failing_commands = commands

    def clear_faults(self) -> None:
        """No more faults (the password, if any, stays required)."""
        with self._lock:
            self._failures = []
        self.hang_on_connect = False
        self.hang_at_data = self.reject_at_data = self.reject_at_rcpt = None
        self.drop_after_data = None

    # Counting ---------------------------------------------------------------------------------

    def delivered(self) -> Counter[str]:
        """How many times each recipient was delivered to."""
        return Counter(r for d in self.deliveries for r in d.recipients)

    def _next_failure(self, command: str) -> int | None:
        with self._lock:
            if self._failures and command in self._failing_commands:
                return self._failures.pop(0)
            return None

    def _connected(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def _record(self, connection: int, envelope: Envelope) -> None:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=default_policy)
        with self._lock:
            self.deliveries.append(
                Delivery(
                    tuple(envelope.rcpt_tos),
                    str(message["Message-ID"]),
                    str(message["Subject"]),
                    connection,
                )
            )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        accepted = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USER
            and data.password.decode() == self.password
        )
        if not accepted:
            self.logins_refused += 1
        return AuthResult(success=accepted, handled=False, auth_data=data)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    """aiosmtpd's handler hooks: the per-recipient faults and the recording."""

    def __init__(self, server: FaultySmtpServer) -> None:
        self._server = server

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        # aiosmtpd's own auth_required warns without TLS: the same rule, here.
        if self._server.password is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address == self._server.reject_at_rcpt:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fake = self._server
        failure = fake._next_failure("EOM")
        if failure is not None:
            return _temporary(server, failure)
        if fake.reject_at_data in envelope.rcpt_tos:
            return "554 5.7.1 Message refused for this recipient"
        hanging = fake.hang_after is not None and len(fake.deliveries) >= fake.hang_after
        if hanging or fake.hang_at_data in envelope.rcpt_tos:
            await asyncio.sleep(_FOREVER_SECONDS)
        fake._record(getattr(server, "number", 0), envelope)
        if fake.drop_after_data in envelope.rcpt_tos:
            _cut(server)
            # The connection is gone: wait to be cancelled rather than answer into it.
            await asyncio.sleep(_FOREVER_SECONDS)
        return "250 OK: queued"


def _cut(server: SMTP) -> None:
    """Drop the connection at once, unsent answers and all."""
    if isinstance(server.transport, asyncio.Transport):
        server.transport.abort()


def _temporary(server: SMTP, code: int) -> str:
    if code == 421:
        # Answer, then hang up (as a server shutting down does).
        assert server.loop is not None
        server.loop.call_soon(_close, server)
        return "421 4.3.2 Service shutting down, try again later"
    return f"{code} 4.3.0 Temporary failure, try again later"


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


class _FaultySmtp(SMTP):
    """aiosmtpd's protocol with the connection-wide faults: the hang before the greeting and
    the temporary failures of the next mail commands."""

    def __init__(self, fake: FaultySmtpServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fake = fake
        for command in _MAIL_COMMANDS:
            self._smtp_methods[command] = self._failing(command, self._smtp_methods[command])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.number = self._fake._connected()
        self._fake._connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._fake._connections.discard(self)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._fake.hang_on_connect:
            try:
                await asyncio.sleep(_FOREVER_SECONDS)
            except asyncio.CancelledError:
                self._writer.close()
                raise
        await super()._handle_client()

    def _failing(self, command: str, method: Any) -> Any:
        async def maybe_fail(arg: str | None) -> None:
            failure = self._fake._next_failure(command)
            if failure is None:
                await method(arg)
                return
            await self.push(_temporary(self, failure))

        return maybe_fail


class _FaultyController(Controller):
    def __init__(self, fake: FaultySmtpServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fake = fake

    def factory(self) -> SMTP:
        return _FaultySmtp(self._fake, self.handler, **self.SMTP_kwargs)
